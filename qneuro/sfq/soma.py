"""The soma: a superconducting loop that stores fluxons and fires at a threshold count.

Model (a deterministic integer fluxon counter; the stochasticity of the reference
design lives in its synapses):

* the loop holds ``n`` fluxons; each pulse from an excitatory synapse adds one, each
  pulse from an inhibitory synapse removes one (never below zero: an inhibitory pulse
  into an empty loop escapes through its buffer junction; assumption);
* with a leak, the stored flux decays as ``dn/dt = -n / tau_leak`` (the loop's L/R
  time constant; ``tau_leak=None`` is a lossless loop);
* a soma bias current ``Ib`` adds a loop current that lowers the threshold by
  ``Ib / fluxon_current`` fluxons, so it fires when ``n >= threshold - Ib/fluxon_current``
  (the effective threshold must stay above zero);
* the threshold is sharp (``threshold_width = 0``, the deterministic variant, default),
  or thermal (``threshold_width > 0`` fluxons): on a step where it accepts input it fires
  with probability ``(1 + tanh((n - n_eff + 1/2) / threshold_width)) / 2`` (``n_eff`` the
  effective threshold), which tends to the sharp rule as the width goes to 0;
* when it fires it emits one pulse one time step after the input that crossed the
  threshold (the output then travels ``delay``), resets ``n`` (to 0, or with
  ``reset="decrement"`` to ``n - 1``: the storing loop of the circuit-level cells keeps
  the fluxons it did not release), and ignores every
  input pulse arriving less than ``refractory`` after its output pulse (those pulses are
  lost). Pulses arriving within one time step are combined (excitatory minus
  inhibitory) before the threshold test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity

from .constants import (
    DEFAULT_IC,
    PHI0,
    SOMA_DELAY,
    SOMA_FLUXON_CURRENT,
    SOMA_JJ,
    SOMA_REFRACTORY,
)
from .units import check_quantity, psecond, uamp
from .units import default_quantity as _default

__all__ = ["Soma", "SOMA_RESETS"]

#: What a fired soma keeps: nothing, or the stored fluxons less the one it released.
SOMA_RESETS = ("zero", "decrement")


@dataclass(frozen=True, eq=False)
class Soma:
    """A fluxon-counting soma (see the module docstring for the exact rules).

    Args:
        threshold: fluxons needed to fire at zero bias (an integer >= 1).
        refractory: time after an output pulse during which inputs are lost (>= 0).
        tau_leak: L/R decay time of the stored flux; None for no leak.
        bias: soma bias current; lowers the threshold by ``bias / fluxon_current``.
        fluxon_current: loop current of one stored fluxon, ``Phi0 / L_loop``
            (assumption: L_loop = 20 pH, about 103 uA).
        delay: output delay (assumption: a DRO cell, 5.1 ps, PyLSE).
        jj_count: junctions (assumption: 6, a DRO cell). Storing an input switches one
            junction, firing switches all of them.
        ic: junction critical current.
        threshold_width: 0 for the deterministic soma; > 0 (fluxons) for the thermal
            variant (see the module docstring).
        reset: ``"zero"`` (a fired soma empties: the default) or ``"decrement"`` (it keeps
            ``n - 1``: the circuit-level storing loop, e.g.
            :func:`~qneuro.sfq.circuit_cells.gated_soma`).
    """

    threshold: int = 1
    refractory: Quantity = _default(SOMA_REFRACTORY)
    tau_leak: Quantity | None = None
    bias: Quantity = _default(0 * uamp)
    fluxon_current: Quantity = _default(SOMA_FLUXON_CURRENT)
    delay: Quantity = _default(SOMA_DELAY)
    jj_count: int = SOMA_JJ
    ic: Quantity = _default(DEFAULT_IC)
    threshold_width: float = 0.0
    reset: str = "zero"

    def __post_init__(self) -> None:
        if self.reset not in SOMA_RESETS:
            raise ValueError(f"Soma.reset={self.reset!r}; allowed: {', '.join(SOMA_RESETS)}")
        if (
            isinstance(self.threshold, bool)
            or not float(self.threshold).is_integer()
            or self.threshold < 1
        ):
            raise ValueError(f"Soma.threshold={self.threshold!r} must be an integer >= 1")
        object.__setattr__(self, "threshold", int(self.threshold))
        object.__setattr__(
            self,
            "refractory",
            check_quantity(self.refractory, psecond, "Soma.refractory", minimum=0),
        )
        if self.tau_leak is not None:
            object.__setattr__(
                self,
                "tau_leak",
                check_quantity(
                    self.tau_leak, psecond, "Soma.tau_leak", minimum=0, strict_minimum=True
                ),
            )
        object.__setattr__(self, "bias", check_quantity(self.bias, uamp, "Soma.bias"))
        object.__setattr__(
            self,
            "fluxon_current",
            check_quantity(
                self.fluxon_current, uamp, "Soma.fluxon_current", minimum=0, strict_minimum=True
            ),
        )
        object.__setattr__(
            self, "delay", check_quantity(self.delay, psecond, "Soma.delay", minimum=0)
        )
        if (
            isinstance(self.jj_count, bool)
            or not isinstance(self.jj_count, int)
            or self.jj_count < 1
        ):
            raise ValueError(f"Soma.jj_count={self.jj_count!r} must be an integer >= 1")
        object.__setattr__(
            self, "ic", check_quantity(self.ic, uamp, "Soma.ic", minimum=0, strict_minimum=True)
        )
        width = self.threshold_width
        if isinstance(width, bool) or not isinstance(width, int | float) or not width >= 0:
            raise ValueError(f"Soma.threshold_width={width!r} must be a number >= 0 (fluxons)")
        if not np.isfinite(width):
            raise ValueError(f"Soma.threshold_width={width!r} must be finite")
        if self.effective_threshold <= 0:
            raise ValueError(
                f"Soma.bias={self.bias} lowers the threshold {self.threshold} to "
                f"{self.effective_threshold:g} fluxons; it must stay above 0 (the soma would "
                "fire on its own)"
            )

    @property
    def effective_threshold(self) -> float:
        """``threshold - bias / fluxon_current`` (fluxons): the count at which it fires."""
        return float(self.threshold - self.bias / self.fluxon_current)

    @property
    def switch_energy(self) -> Quantity:
        """Energy of one junction switching, ``ic * Phi0``."""
        return self.ic * PHI0


def soma_group(somas: Sequence[Soma], layer_of: np.ndarray, dt: Quantity, codeobj_class):
    """Every soma of every copy as one brian2 ``NeuronGroup`` (the model above).

    Args:
        somas: the soma of each non-input layer.
        layer_of: per group member, the index into ``somas`` of its layer.
        dt: the time step.
        codeobj_class: brian2's code object class (the codegen target).

    State: ``exc``, ``inh`` (pulses arrived this step, set by the synapses), ``n`` (stored
    fluxons), ``count`` and ``t_first`` (output pulses; -1 s before the first), ``arrived``
    and ``lost`` (input pulses). At the end of each step the rules accept or lose the
    step's pulses, update ``n`` and decide ``fire``; a fired soma resets (``keep``: 0 to
    zero, 1 to ``n - 1``).
    """
    import brian2 as b2

    leaks = np.array([0.0 if s.tau_leak is None else 1.0 / float(s.tau_leak) for s in somas])
    leaky = bool(np.any(leaks > 0))
    equations = """
    exc : 1
    inh : 1
    fire : 1
    theta : 1 (constant)
    width : 1 (constant)
    refr : second (constant)
    keep : 1 (constant)
    t_fire : second
    t_first : second
    count : 1
    arrived : 1
    lost : 1
    """ + ("dn/dt = -n*leak : 1\nleak : hertz (constant)\n" if leaky else "n : 1\n")
    group = b2.NeuronGroup(
        len(layer_of),
        equations,
        threshold="fire > 0.5",
        reset="fire = 0\nn = (n - 1)*keep\nn = n*int(n > 0)\nt_fire = t\ncount += 1\n"
        "t_first = t_first + (t - t_first)*int(count < 1.5)",
        method="exact" if leaky else None,
        name="sfq_somas*",
        dt=dt,
        codeobj_class=codeobj_class,
    )
    dt_s = float(dt)
    group.theta = np.array([s.effective_threshold for s in somas])[layer_of] - 1e-9
    group.refr = (
        np.array([float(s.refractory) for s in somas])[layer_of] - 1e-3 * dt_s
    ) * b2.second
    group.keep = np.array([float(s.reset == "decrement") for s in somas])[layer_of]
    group.t_fire = -1 * b2.second
    group.t_first = -1 * b2.second
    if leaky:
        group.leak = leaks[layer_of] * b2.Hz
    widths = np.array([s.threshold_width for s in somas])
    if np.any(widths > 0):
        # thermal variant: on a step with accepted input, fire with probability
        # (1 + tanh((n - theta + 1/2) / width)) / 2; width 0 keeps the sharp threshold
        group.width = widths[layer_of]
        fire_rule = (
            "fire = int(width <= 0)*int(n >= theta) + int(width > 0)*int(exc + inh > 0.5)"
            "*accept*int(rand() < 0.5*(1 + tanh((n - theta + 0.5)/(width + 1e-12))))\n"
        )
    else:
        fire_rule = "fire = int(n >= theta)\n"
    group.run_regularly(
        "accept = int(t - t_fire >= refr)\n"
        "arrived += exc + inh\n"
        "lost += (exc + inh)*(1 - accept)\n"
        "n = n + accept*(exc - inh)\n"
        "n = n*int(n > 0)\n" + fire_rule + "exc = 0\n"
        "inh = 0",
        when="end",
        codeobj_class=codeobj_class,
    )
    return group
