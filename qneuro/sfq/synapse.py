"""Stochastic synapse: passes each SFQ pulse with probability p(Ib) set by a bias current.

In the reference design (Krylov, Edwards, Friedman, Friedman, arXiv 2311.10721) a synapse
is a junction stage whose DC bias sets how likely thermal noise lets an incoming pulse
switch it: the bias current is the weight. The exact switching curve is not given in a
readable form, so it is modelled by a smooth, monotone, replaceable curve (assumption):

* :class:`TanhCurve` (the default of :class:`StochasticSynapse`):
  ``p = (1 + tanh((Ib - I50) / width)) / 2``;
* :class:`ErfCurve`: ``p = (1 + erf((Ib - I50) / (sqrt(2) width))) / 2``, the cumulative
  Gaussian of a thermally smeared switching threshold.

Both are defined for ``Ib`` in ``[bias_min, bias_max]`` and raise ``ValueError``
outside it. Any object with ``probability(bias) -> ndarray`` and ``bias_range`` can
replace them (subclass :class:`SwitchingCurve`). The network evaluates the curve once
per synapse in numpy and hands brian2 the probability, so a curve needs no brian2 code.

The curve fitted to the circuit-level junction (:mod:`.calibration`, an ``ErfCurve``) is
what the XOR and digits networks use by default (``load_calibration().synapse()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity
from scipy.special import erf

from .constants import (
    DEFAULT_IC,
    PHI0,
    SYNAPSE_BIAS_MAX,
    SYNAPSE_BIAS_MIN,
    SYNAPSE_DELAY,
    SYNAPSE_I50,
    SYNAPSE_JJ,
    SYNAPSE_WIDTH,
)
from .units import amp, check_quantity, joule, psecond, uamp
from .units import default_quantity as _default

__all__ = ["SwitchingCurve", "TanhCurve", "ErfCurve", "StochasticSynapse"]


@dataclass(frozen=True, eq=False)
class SwitchingCurve:
    """Base class of p(Ib) curves: a domain check plus the curve itself.

    Args:
        i50: bias at which half the pulses pass.
        width: current scale of the transition (> 0).
        bias_min, bias_max: the bias range on which the curve is defined.
    """

    i50: Quantity = _default(SYNAPSE_I50)
    width: Quantity = _default(SYNAPSE_WIDTH)
    bias_min: Quantity = _default(SYNAPSE_BIAS_MIN)
    bias_max: Quantity = _default(SYNAPSE_BIAS_MAX)

    def __post_init__(self) -> None:
        name = type(self).__name__
        for attr in ("i50", "bias_min", "bias_max"):
            object.__setattr__(
                self, attr, check_quantity(getattr(self, attr), uamp, f"{name}.{attr}")
            )
        object.__setattr__(
            self,
            "width",
            check_quantity(self.width, uamp, f"{name}.width", minimum=0, strict_minimum=True),
        )
        if not self.bias_min < self.bias_max:
            raise ValueError(
                f"{name}: bias_min={self.bias_min} must be below bias_max={self.bias_max}"
            )

    @property
    def bias_range(self) -> tuple[Quantity, Quantity]:
        """``(bias_min, bias_max)``: where the curve is defined."""
        return self.bias_min, self.bias_max

    def probability(self, bias) -> np.ndarray:
        """Pass probability for each bias current (any shape), as a float array.

        Raises:
            ValueError: a bias without current units, or outside ``bias_range``.
        """
        bias = check_quantity(bias, uamp, "bias", allow_array=True)
        lo, hi = float(self.bias_min), float(self.bias_max)
        values = np.asarray(bias, dtype=float)
        outside = (values < lo - 1e-18) | (values > hi + 1e-18)
        if np.any(outside):
            bad = values[outside].flat[0] / 1e-6
            raise ValueError(
                f"bias current {bad:g} uA is outside the range "
                f"[{lo / 1e-6:g}, {hi / 1e-6:g}] uA on which {type(self).__name__} is defined"
            )
        x = (values - float(self.i50)) / float(self.width)
        return np.clip(self._shape(x), 0.0, 1.0)

    def bias_for(self, probability: float) -> Quantity:
        """The bias current at which the curve reaches ``probability`` (bisection).

        Raises:
            ValueError: ``probability`` outside the values the curve takes on its domain.
        """
        lo, hi = float(self.bias_min), float(self.bias_max)  # amperes
        p_lo, p_hi = (float(self.probability(v * amp)) for v in (lo, hi))
        if not p_lo <= probability <= p_hi:
            raise ValueError(
                f"probability={probability!r} is outside [{p_lo:g}, {p_hi:g}], the values "
                f"{type(self).__name__} takes on its bias range"
            )
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if float(self.probability(mid * amp)) < probability:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi) * amp

    def _shape(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class TanhCurve(SwitchingCurve):
    """``p = (1 + tanh((Ib - I50) / width)) / 2`` (assumption; the design note's recipe)."""

    def _shape(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(x))


@dataclass(frozen=True, eq=False)
class ErfCurve(SwitchingCurve):
    """``p = (1 + erf((Ib - I50) / (sqrt(2) width))) / 2``: a Gaussian-smeared threshold."""

    def _shape(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * (1.0 + erf(x / np.sqrt(2.0)))


@dataclass(frozen=True, eq=False)
class StochasticSynapse:
    """A synapse cell: its switching curve, junctions and delay.

    The bias currents (the weights) and signs are per connection and live in the network
    spec; this object describes the cell they bias. An excitatory synapse adds the
    fluxon it passes to the soma's loop, an inhibitory one removes one.

    ``StochasticSynapse()`` keeps the assumed curve (tanh, I50 = 100 uA, width 5 uA) and
    energy ``ic * Phi0``; networks built for the XOR (:func:`~qneuro.sfq.xor.xor_network`
    and the functions that call it) use the shipped calibration instead,
    ``load_calibration().synapse()`` (:func:`~qneuro.sfq.xor.xor_synapse`).

    Args:
        curve: the p(Ib) curve (default :class:`TanhCurve` with the module defaults).
        delay: input-to-output delay (assumption: one JTL stage, 5.7 ps).
        jj_count: junctions (assumption: 3). A passed pulse switches all of them, a
            blocked one switches one (the escape junction).
        ic: junction critical current.
        energy_per_switch: energy of one junction switching event; None (default) means
            the assumption ``ic * Phi0``. A calibration (:mod:`.calibration`) sets the
            value the circuit-level model measured.
    """

    curve: SwitchingCurve = field(default_factory=TanhCurve)
    delay: Quantity = _default(SYNAPSE_DELAY)
    jj_count: int = SYNAPSE_JJ
    ic: Quantity = _default(DEFAULT_IC)
    energy_per_switch: Quantity | None = None

    def __post_init__(self) -> None:
        if not hasattr(self.curve, "probability") or not hasattr(self.curve, "bias_range"):
            raise ValueError(
                "StochasticSynapse.curve must have probability(bias) and bias_range "
                f"(a SwitchingCurve), got {type(self.curve).__name__}"
            )
        object.__setattr__(
            self, "delay", check_quantity(self.delay, psecond, "StochasticSynapse.delay", minimum=0)
        )
        if (
            isinstance(self.jj_count, bool)
            or not isinstance(self.jj_count, int)
            or self.jj_count < 1
        ):
            raise ValueError(
                f"StochasticSynapse.jj_count={self.jj_count!r} must be an integer >= 1"
            )
        object.__setattr__(
            self,
            "ic",
            check_quantity(self.ic, uamp, "StochasticSynapse.ic", minimum=0, strict_minimum=True),
        )
        if self.energy_per_switch is not None:
            object.__setattr__(
                self,
                "energy_per_switch",
                check_quantity(
                    self.energy_per_switch,
                    joule,
                    "StochasticSynapse.energy_per_switch",
                    minimum=0,
                    strict_minimum=True,
                ),
            )

    def probability(self, bias) -> np.ndarray:
        """Pass probability at ``bias`` (delegates to the curve)."""
        return self.curve.probability(bias)

    @staticmethod
    def equations(target: str) -> tuple[str, str]:
        """brian2 ``(model, on_pre)`` of synapses into a ``"soma"`` or a ``"merger"``.

        Each arriving pulse passes with probability ``p`` (one ``rand()`` draw) and counts
        into ``n_pass`` or ``n_block``; into a soma it adds to the ``exc`` or ``inh`` port
        (``excite`` 1 or 0), into a merger to its ``arrivals``.
        """
        if target == "soma":
            return (
                "p : 1 (constant)\nexcite : 1 (constant)\nn_pass : 1\nn_block : 1",
                "ok = int(rand() < p)\nexc_post += ok*excite\ninh_post += ok*(1 - excite)\n"
                "n_pass += ok\nn_block += 1 - ok",
            )
        return (
            "p : 1 (constant)\nn_pass : 1\nn_block : 1",
            "ok = int(rand() < p)\narrivals_post += ok\nn_pass += ok\nn_block += 1 - ok",
        )

    @property
    def switch_energy(self) -> Quantity:
        """Energy of one junction switching: ``energy_per_switch``, else ``ic * Phi0``."""
        if self.energy_per_switch is not None:
            return self.energy_per_switch
        return self.ic * PHI0
