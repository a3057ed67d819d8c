"""Standard SFQ cells at the pulse level: JTL, splitter, merger, and pulse sources.

Each cell is a small frozen dataclass that states its delay, its Josephson-junction
count and the critical current of its junctions, so that a network can report its JJ
count and the switching energy it dissipates (``Ic * Phi0`` per junction switching;
dynamic energy only, as in energy-efficient SFQ families without static bias loss).

Switching model used for energy (an assumption, documented per cell): a pulse that a
cell passes on switches every junction of the cell once; a pulse a cell blocks or loses
switches one junction (its escape junction).

Pulse sources generate pulse times in numpy (seeded) for brian2's
``SpikeGeneratorGroup``:

* :class:`DCSFQSource`: a DC-to-SFQ converter, a regular train at ``rate`` with a
  random phase, or a Poisson train (one Bernoulli draw per time step of probability
  ``rate * dt``, so at most one pulse per step);
* :class:`ClockSource`: a regular train with a fixed phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity

from .constants import (
    DCSFQ_DELAY,
    DCSFQ_JJ,
    DEFAULT_IC,
    JTL_DELAY,
    JTL_JJ,
    MERGER_DEAD_TIME,
    MERGER_DELAY,
    MERGER_JJ,
    PHI0,
    SPLITTER_DELAY,
    SPLITTER_JJ,
)
from .units import Ghertz, check_quantity, hertz, psecond, second, uamp
from .units import default_quantity as _default

__all__ = ["JTL", "Splitter", "Merger", "DCSFQSource", "ClockSource", "switching_energy"]


#: Pulse-train kinds of :class:`DCSFQSource`.
SOURCE_KINDS = ("regular", "poisson")


def switching_energy(ic: Quantity) -> Quantity:
    """Energy of one junction switching event, ``Ic * Phi0`` (joule)."""
    ic = check_quantity(ic, uamp, "ic", minimum=0, strict_minimum=True)
    return ic * PHI0


def _check_jj(jj_count: int, name: str) -> None:
    if isinstance(jj_count, bool) or not isinstance(jj_count, int | np.integer) or jj_count < 1:
        raise ValueError(f"{name}.jj_count={jj_count!r} must be an integer >= 1")


@dataclass(frozen=True, eq=False)
class _Cell:
    """Common fields: delay, junction count, junction critical current."""

    delay: Quantity
    jj_count: int
    ic: Quantity = _default(DEFAULT_IC)

    def __post_init__(self) -> None:
        name = type(self).__name__
        object.__setattr__(
            self, "delay", check_quantity(self.delay, psecond, f"{name}.delay", minimum=0)
        )
        _check_jj(self.jj_count, name)
        object.__setattr__(
            self, "ic", check_quantity(self.ic, uamp, f"{name}.ic", minimum=0, strict_minimum=True)
        )

    @property
    def switch_energy(self) -> Quantity:
        """Energy of one junction switching in this cell, ``ic * Phi0``."""
        return self.ic * PHI0

    @property
    def pulse_energy(self) -> Quantity:
        """Energy of one pulse passing through: every junction switches once."""
        return self.jj_count * self.switch_energy


@dataclass(frozen=True, eq=False)
class JTL(_Cell):
    """Josephson transmission line stage: delays a pulse, never loses one.

    Defaults: 5.7 ps, 2 JJ (PyLSE; literature).
    """

    delay: Quantity = _default(JTL_DELAY)
    jj_count: int = JTL_JJ


@dataclass(frozen=True, eq=False)
class Splitter(_Cell):
    """Fan-out 1 -> 2: each input pulse appears on both outputs after ``delay``.

    A fan-out of ``k`` uses a balanced tree of ``k - 1`` splitters, ``ceil(log2 k)``
    deep. Defaults: 4.3 ps, 3 JJ (PyLSE; literature).
    """

    delay: Quantity = _default(SPLITTER_DELAY)
    jj_count: int = SPLITTER_JJ

    @staticmethod
    def tree(fan_out: int) -> tuple[int, int]:
        """``(splitters, depth)`` of the balanced tree that fans one line out to ``fan_out``."""
        if fan_out < 1:
            raise ValueError(f"fan_out={fan_out} must be >= 1")
        return fan_out - 1, int(np.ceil(np.log2(fan_out))) if fan_out > 1 else 0


@dataclass(frozen=True, eq=False)
class Merger(_Cell):
    """Fan-in 2 -> 1: a pulse on either input appears at the output after ``delay``.

    A pulse arriving less than ``dead_time`` after the last pulse the merger passed is
    lost (both inputs together within the dead time give one output pulse), as in real
    confluence buffers. A fan-in of ``k`` uses a balanced tree of ``k - 1`` mergers.
    Defaults: 8.2 ps delay and dead time, 7 JJ (PyLSE; literature).
    """

    delay: Quantity = _default(MERGER_DELAY)
    jj_count: int = MERGER_JJ
    dead_time: Quantity = _default(MERGER_DEAD_TIME)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self,
            "dead_time",
            check_quantity(self.dead_time, psecond, "Merger.dead_time", minimum=0),
        )


def merger_group(merger: Merger, size: int, dt: Quantity, codeobj_class):
    """``size`` mergers as one brian2 ``NeuronGroup`` (the model of :class:`Merger`).

    ``arrivals`` counts the pulses that reached a merger this step (set by the synapses);
    at the end of the step it passes one pulse (``fire``) unless its last passed pulse is
    less than ``dead_time`` ago, and counts ``passed`` and ``lost`` pulses.
    """
    import brian2 as b2

    group = b2.NeuronGroup(
        size,
        """
        arrivals : 1
        fire : 1
        t_last : second
        dead : second (constant)
        passed : 1
        lost : 1
        """,
        threshold="fire > 0.5",
        reset="fire = 0",
        name="sfq_mergers*",
        dt=dt,
        codeobj_class=codeobj_class,
    )
    group.t_last = -1 * b2.second
    group.dead = (float(merger.dead_time) - 1e-3 * float(dt)) * b2.second
    group.run_regularly(
        "passnow = int(arrivals > 0.5)*int(t - t_last >= dead)\n"
        "passed += passnow\n"
        "lost += arrivals - passnow\n"
        "t_last = t_last + passnow*(t - t_last)\n"
        "fire = passnow\n"
        "arrivals = 0",
        when="end",
        codeobj_class=codeobj_class,
    )
    return group


def _check_rate(rate, name: str) -> Quantity:
    return check_quantity(rate, Ghertz, name, minimum=0, allow_array=True)


@dataclass(frozen=True, eq=False)
class DCSFQSource(_Cell):
    """DC-to-SFQ converter: the input pulse train of a rate-coded network.

    Args:
        delay: converter delay (assumption: one JTL stage, 5.7 ps).
        jj_count: junctions (assumption: 3).
        ic: junction critical current.
        kind: ``"regular"`` (period ``1/rate``, uniformly random phase per train) or
            ``"poisson"`` (independent Bernoulli(rate * dt) per time step).
    """

    delay: Quantity = _default(DCSFQ_DELAY)
    jj_count: int = DCSFQ_JJ
    kind: str = "regular"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"DCSFQSource.kind={self.kind!r}; allowed: {', '.join(SOURCE_KINDS)}")

    def pulse_steps(
        self, rates: Quantity, duration: Quantity, dt: Quantity, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pulse time steps of one train per entry of ``rates``.

        Args:
            rates: shape ``(n,)`` rates (Hz dimension), each in ``[0, 1/dt]``.
            duration: length of every train.
            dt: the time step; pulses fall on multiples of it, at most one per step.
            rng: numpy generator (the only source of randomness).

        Returns:
            ``(train, step)`` integer arrays: pulse ``k`` belongs to train ``train[k]``
            and falls on step ``step[k]`` (``0 <= step < duration / dt``), sorted by step.
        """
        return _pulse_steps(self.kind, rates, duration, dt, rng)


@dataclass(frozen=True, eq=False)
class ClockSource(_Cell):
    """A clock: a regular pulse train at a fixed phase (a DC-to-SFQ converter on a clock).

    ``pulse_steps`` puts pulse ``k`` of every train at ``phase + k / rate``.
    """

    delay: Quantity = _default(DCSFQ_DELAY)
    jj_count: int = DCSFQ_JJ
    phase: Quantity = _default(0 * psecond)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "phase", check_quantity(self.phase, psecond, "ClockSource.phase", minimum=0)
        )

    def pulse_steps(
        self, rates: Quantity, duration: Quantity, dt: Quantity, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`DCSFQSource.pulse_steps`, with the fixed phase (``rng`` unused)."""
        return _pulse_steps("clock", rates, duration, dt, rng, phase=self.phase)


def _pulse_steps(kind, rates, duration, dt, rng, phase=0 * psecond):
    rates_hz = np.atleast_1d(np.asarray(_check_rate(rates, "rate") / hertz, dtype=float))
    dt_s = float(check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True) / second)
    duration_s = float(check_quantity(duration, psecond, "duration", minimum=0) / second)
    steps = int(round(duration_s / dt_s))
    if np.any(rates_hz * dt_s > 1 + 1e-12):
        bad = rates_hz[rates_hz * dt_s > 1 + 1e-12][0] * hertz
        raise ValueError(
            f"rate {bad.in_unit(Ghertz)} exceeds one pulse per time step (1/dt = "
            f"{(1 / (dt_s * second)).in_unit(Ghertz)})"
        )
    if kind == "poisson":
        hits = rng.random((steps, rates_hz.size)) < rates_hz * dt_s
        step, train = np.nonzero(hits)
        return train.astype(np.int64), step.astype(np.int64)
    trains, stepss = [], []
    phase_s = float(phase / second)
    for index, rate in enumerate(rates_hz):
        if rate <= 0:
            continue
        period = 1.0 / rate
        start = rng.uniform(0, period) if kind == "regular" else phase_s
        times = np.arange(start, duration_s, period)
        step = np.floor(times / dt_s + 1e-9).astype(np.int64)
        step = np.unique(step[step < steps])
        trains.append(np.full(step.size, index, dtype=np.int64))
        stepss.append(step)
    if not trains:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    train = np.concatenate(trains)
    step = np.concatenate(stepss)
    order = np.argsort(step, kind="stable")
    return train[order], step[order]
