r"""Monte-Carlo characterisation of the RCSJ synapse junction, checked against escape theory.

Experiments (each one brian2 run, one ``NeuronGroup`` row per trial, see :mod:`.junction`):

* :func:`pulse_trials`: junctions at rest at a DC bias ``Ib`` below ``Ic`` receive one
  SFQ-like input current pulse (:class:`InputPulse`); a trial *switches* when its phase
  slips by 2pi (a fluxon, a voltage pulse of area Phi0). ``p(Ib)`` is the switched
  fraction; the energy per event is ``int I V dt`` over the window per slip (the bias
  part ``Ib int V dt = Ib Phi0`` per slip, plus the input pulse's part);
* :func:`ramp_switching_currents`: junctions ramped linearly from rest at ``start``;
  the switching current of a trial is the drive when its phase first passes
  :data:`~qneuro.sfq.junction.SWITCH_PHASE` (a few ps after it crossed the barrier).
  Escape theory (:func:`~qneuro.sfq.escape.ramp_distribution`) predicts its distribution.

:func:`characterize` runs them all: ``p(Ib)`` at 4.2 K and a second temperature, the
deterministic (noise-free) pulse threshold, the energy per event, and the ramp
distribution against Fulton-Dunkleberger theory for :data:`RAMP_JUNCTION_IC` (a small
junction, so that E_J / kT = 28 and escape happens at barriers of 3 kT within a
simulated ramp of ~0.5 ns; a 100 uA junction would need ~1e3 times longer ramps).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity

from qneuro import checks

from .codegen import code_object_class
from .constants import PHI0
from .escape import RampDistribution, ramp_distribution
from .junction import JUNCTION_DT, Junction, junction_group
from .measures import binomial_ci
from .units import amp, check_quantity, joule, kelvin, psecond, second, uamp
from .units import default_quantity as _default

__all__ = [
    "InputPulse",
    "PulseTrials",
    "pulse_trials",
    "deterministic_threshold",
    "ramp_switching_currents",
    "RampComparison",
    "compare_ramp",
    "Characterization",
    "characterize",
    "RAMP_JUNCTION_IC",
    "RAMP_RATE",
]

#: Critical current of the junction of the ramp experiment (same process, 4.2 K):
#: small enough that thermal escape under a ~0.5 ns ramp happens at barriers of a few
#: kT, where Kramers' rate applies (assumption of the test set-up, not of SFQ cells).
RAMP_JUNCTION_IC = 5 * uamp
#: Ramp rate of the ramp experiment, in units of Ic per second (3e8 Ic/s: 1.5 nA/ps).
RAMP_RATE = 3e8


@dataclass(frozen=True, eq=False)
class InputPulse:
    """An SFQ-like input current pulse: ``amplitude exp(-(t - centre)^2 / (2 width^2))``.

    Args:
        amplitude: peak current (default 30 uA, assumption: 0.3 Ic of the default
            junction, so that the noise-free threshold bias is ~0.88 Ic and the junction
            retraps after one slip).
        width: Gaussian sigma (default 1 ps: FWHM 2.4 ps, close to the SFQ pulse width
            ``Phi0 / (Ic R)`` = 2.8 ps of the default junction).
        centre: time of the peak (default 10 ps).
        window: simulated time per trial (default 40 ps: the junction retraps within it).
    """

    amplitude: Quantity = _default(30 * uamp)
    width: Quantity = _default(1 * psecond)
    centre: Quantity = _default(10 * psecond)
    window: Quantity = _default(40 * psecond)

    def __post_init__(self) -> None:
        positive = {"minimum": 0, "strict_minimum": True}
        for name, unit, bounds in (
            ("amplitude", uamp, {"minimum": 0}),
            ("width", psecond, positive),
            ("centre", psecond, {"minimum": 0}),
            ("window", psecond, positive),
        ):
            value = check_quantity(getattr(self, name), unit, f"InputPulse.{name}", **bounds)
            object.__setattr__(self, name, value)


@dataclass(frozen=True, eq=False)
class PulseTrials:
    r"""Per-trial outcome of :func:`pulse_trials`; arrays of shape ``(n_rows,)``.

    Attributes:
        bias: DC bias of each row (amp).
        temperature: of each row (kelvin).
        slips: net 2pi phase slips over the window (rounded).
        energy: ``\int I V dt`` with ``I`` the whole drive (joule).
        bias_energy: ``\int Ib V dt`` (joule).
        switch_time: when the phase first passed :data:`~qneuro.sfq.junction.SWITCH_PHASE`
            (the end of the first slip; second), NaN for rows that did not switch.
    """

    bias: Quantity
    temperature: Quantity
    slips: np.ndarray
    energy: Quantity
    bias_energy: Quantity
    switch_time: Quantity

    @property
    def switched(self) -> np.ndarray:
        """Rows with at least one slip."""
        return self.slips >= 1


def pulse_trials(
    junction: Junction,
    biases: Quantity,
    trials: int,
    *,
    temperatures: Quantity | None = None,
    pulse: InputPulse | None = None,
    seed: int = 0,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
) -> PulseTrials:
    """``trials`` rows per (temperature, bias) in one run: one input pulse each.

    Args:
        junction: the junction (its temperature is used when ``temperatures`` is None).
        biases: DC biases, shape ``(b,)``, each in ``[0, ic)``.
        trials: rows per bias and temperature (>= 1).
        temperatures: shape ``(k,)`` (default: the junction's).
        pulse: the input pulse (default :class:`InputPulse`).
        seed: brian2 seed of the noise.
        dt: time step.
        target: brian2 code generation, ``"numpy"`` or ``"cython"``.

    Returns:
        Rows ordered temperature-major, then bias, then trial (``k * b * trials`` rows).
    """
    import brian2 as b2

    codeobj = code_object_class(target)
    trials = checks.integer("trials", trials, 1, 10_000_000)
    seed = checks.seed("seed", seed, limit=2**32)
    biases = np.atleast_1d(np.asarray(check_quantity(biases, uamp, "biases", allow_array=True)))
    if temperatures is None:
        temperatures = np.array([float(junction.temperature / kelvin)]) * kelvin
    temps = np.atleast_1d(
        np.asarray(check_quantity(temperatures, kelvin, "temperatures", allow_array=True))
    )
    pulse = InputPulse() if pulse is None else pulse
    from dataclasses import replace

    row_t = np.repeat(temps, biases.size * trials)
    row_b = np.tile(np.repeat(biases, trials), temps.size)
    rows = [replace(junction, temperature=t * kelvin) for t in temps]
    row_j = [rows[k] for k in np.repeat(np.arange(temps.size), biases.size * trials)]
    group = junction_group(
        row_j,
        i_bias=row_b * amp,
        i_pulse=pulse.amplitude,
        t_pulse=pulse.centre,
        w_pulse=pulse.width,
        dt=dt,
        codeobj_class=codeobj,
    )
    net = b2.Network(group)
    b2.seed(seed)
    net.run(pulse.window, namespace={})
    slips = np.round((np.asarray(group.phi[:]) - np.asarray(group.phi_start[:])) / (2 * np.pi))
    t_switch = np.array(group.t_switch[:], dtype=float)
    return PulseTrials(
        bias=row_b * amp,
        temperature=row_t * kelvin,
        slips=slips.astype(np.int64),
        energy=np.array(group.energy[:], dtype=float) * joule,
        bias_energy=np.array(group.bias_energy[:], dtype=float) * joule,
        switch_time=np.where(t_switch >= 0, t_switch, np.nan) * second,
    )


def deterministic_threshold(
    junction: Junction,
    pulse: InputPulse | None = None,
    *,
    points: int = 201,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
) -> Quantity:
    """Noise-free switching threshold of the input pulse (amp).

    The lowest bias on a grid of ``points`` in ``[0, ic)`` (spacing ``ic / points``) at
    which the junction at 0 K switches on the pulse.
    """
    from dataclasses import replace

    quiet = replace(junction, temperature=0 * kelvin)
    grid = np.linspace(0.0, float(junction.ic), points + 1)[:-1]
    result = pulse_trials(quiet, grid * amp, 1, pulse=pulse, dt=dt, target=target)
    hit = np.flatnonzero(result.switched)
    if hit.size == 0:
        raise ValueError("the input pulse switches the junction at no bias below ic")
    return grid[hit[0]] * amp


def ramp_switching_currents(
    junction: Junction,
    start: Quantity,
    ramp: Quantity,
    trials: int,
    *,
    stop: Quantity | None = None,
    seed: int = 0,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
    chunk: Quantity = 50 * psecond,
) -> Quantity:
    """Switching currents of ``trials`` junctions ramped from rest at ``start`` (amp).

    The run stops when every trial has switched or the drive reaches ``stop`` (default
    ``ic + 0.05 ic``); trials that did not switch are NaN. Shape ``(trials,)``.
    """
    import brian2 as b2

    codeobj = code_object_class(target)
    trials = checks.integer("trials", trials, 1, 10_000_000)
    seed = checks.seed("seed", seed, limit=2**32)
    start = check_quantity(start, uamp, "start", minimum=0)
    ramp = check_quantity(ramp, amp / second, "ramp", minimum=0, strict_minimum=True)
    stop = 1.05 * junction.ic if stop is None else check_quantity(stop, uamp, "stop")
    duration = float((stop - start) / ramp)
    group = junction_group(
        junction,
        i_bias=np.full(trials, float(start)) * amp,
        ramp=ramp,
        dt=dt,
        codeobj_class=codeobj,
    )
    net = b2.Network(group)
    b2.seed(seed)
    step, elapsed = float(chunk), 0.0
    while elapsed < duration and np.any(np.asarray(group.t_switch[:]) < 0):
        span = min(step, duration - elapsed)
        net.run(span * second, namespace={})
        elapsed += span
    t_switch = np.array(group.t_switch[:], dtype=float)
    currents = np.where(t_switch >= 0, float(start) + float(ramp) * t_switch, np.nan)
    return currents * amp


@dataclass(frozen=True, eq=False)
class RampComparison:
    """Simulated ramp switching currents against Fulton-Dunkleberger theory.

    Attributes:
        junction, start, ramp: the experiment.
        currents: simulated switching currents (amp), shape ``(trials,)``.
        theory: the escape-theory distribution.
        model_tolerance: shift of the theory's mean when its rate changes by the factor
            ``1 +- kT/dU`` (its ``O(kT/dU)`` accuracy), amp.
        ks_pvalue: Kolmogorov-Smirnov p-value of the currents against the theory's cdf.
    """

    junction: Junction
    start: Quantity
    ramp: Quantity
    currents: Quantity
    theory: RampDistribution
    model_tolerance: Quantity
    ks_pvalue: float

    @property
    def mean(self) -> Quantity:
        """Mean simulated switching current (amp)."""
        return float(np.nanmean(np.asarray(self.currents))) * amp

    @property
    def std(self) -> Quantity:
        """Sample standard deviation (amp)."""
        return float(np.nanstd(np.asarray(self.currents), ddof=1)) * amp

    @property
    def sem(self) -> Quantity:
        """Standard error of the mean (amp)."""
        n = int(np.sum(np.isfinite(np.asarray(self.currents))))
        return self.std / np.sqrt(n)

    def to_dict(self) -> dict:
        """JSON-ready summary (currents in uA)."""
        ua = float(uamp)
        return {
            "ic_ua": float(self.junction.ic) / ua,
            "temperature_k": float(self.junction.temperature / kelvin),
            "kt_over_ej": self.junction.noise_ratio,
            "start_ua": float(self.start) / ua,
            "ramp_ua_per_ns": float(self.ramp) / ua * 1e-9,
            "trials": int(np.asarray(self.currents).size),
            "switched": int(np.sum(np.isfinite(np.asarray(self.currents)))),
            "mean_ua": float(self.mean) / ua,
            "sem_ua": float(self.sem) / ua,
            "std_ua": float(self.std) / ua,
            "theory_mean_ua": float(self.theory.mean) / ua,
            "theory_std_ua": float(self.theory.std) / ua,
            "model_tolerance_ua": float(self.model_tolerance) / ua,
            "barrier_over_kt_at_mean": self.theory.barrier_at_mean,
            "energy_loss_over_kt_at_mean": self.theory.delta_at_mean,
            "ks_pvalue": self.ks_pvalue,
        }


def compare_ramp(
    junction: Junction | None = None,
    trials: int = 300,
    *,
    ramp_rate: float = RAMP_RATE,
    start_quantile: float = 0.05,
    seed: int = 0,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
) -> RampComparison:
    """Simulate the ramp experiment and compare it with escape theory.

    Args:
        junction: default ``Junction(ic=RAMP_JUNCTION_IC)`` at 4.2 K.
        trials: rows.
        ramp_rate: ``dI/dt`` in units of ``ic`` per second.
        start_quantile: the ramp starts at this quantile of the theory's distribution for
            a ramp from zero (rows start at rest there; the theory then starts there too).
        seed: brian2 seed.
        dt: time step.
        target: brian2 code generation.
    """
    from scipy import stats

    junction = Junction(ic=RAMP_JUNCTION_IC) if junction is None else junction
    ramp = ramp_rate * junction.ic / second
    start = ramp_distribution(junction, 0 * amp, ramp).quantile(start_quantile)
    theory = ramp_distribution(junction, start, ramp)
    currents = ramp_switching_currents(
        junction, start, ramp, trials, seed=seed, dt=dt, target=target
    )
    scale = 1 / theory.barrier_at_mean
    shifts = [
        abs(float(ramp_distribution(junction, start, ramp, rate_scale=f).mean - theory.mean))
        for f in (1 - scale, 1 + scale)
    ]
    values = np.asarray(currents)
    values = values[np.isfinite(values)]
    ks = stats.kstest(values, lambda x: theory.cdf_at(np.asarray(x) * amp)).pvalue
    return RampComparison(
        junction=junction,
        start=start,
        ramp=ramp,
        currents=currents,
        theory=theory,
        model_tolerance=max(shifts) * amp,
        ks_pvalue=float(ks),
    )


@dataclass(frozen=True, eq=False)
class Characterization:
    """Result of :func:`characterize`.

    Attributes:
        junction: the synapse junction (at 4.2 K).
        pulse: the input pulse.
        temperatures: of the ``p(Ib)`` curves, shape ``(k,)`` (kelvin).
        biases: shape ``(b,)`` (amp).
        probability: switched fraction, shape ``(k, b)``; ``ci_low``, ``ci_high`` its
            99% Clopper-Pearson bounds.
        trials: per bias and temperature.
        threshold: noise-free switching threshold of the pulse (amp).
        energy_per_event, bias_energy_per_event: mean over switched trials of the energy
            per slip (joule), total and bias part.
        bias_at_energy: mean bias of those trials (amp); ``bias * Phi0`` is the reference.
        ramp: the ramp experiment against escape theory (None if not run).
        wall_time: seconds of the ``p(Ib)`` run (``k * b * trials`` rows).
    """

    junction: Junction
    pulse: InputPulse
    temperatures: Quantity
    biases: Quantity
    probability: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    trials: int
    threshold: Quantity
    energy_per_event: Quantity
    bias_energy_per_event: Quantity
    bias_at_energy: Quantity
    ramp: RampComparison | None = None
    wall_time: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready numbers (currents in uA, energies in J, temperatures in K)."""
        ua = float(uamp)
        return {
            "junction": self.junction.to_dict(),
            "pulse": {
                "amplitude_ua": float(self.pulse.amplitude) / ua,
                "width_ps": float(self.pulse.width / psecond),
                "window_ps": float(self.pulse.window / psecond),
            },
            "temperatures_k": [float(t) for t in np.asarray(self.temperatures / kelvin)],
            "biases_ua": [float(b) / ua for b in np.asarray(self.biases)],
            "probability": np.asarray(self.probability).tolist(),
            "ci_low": np.asarray(self.ci_low).tolist(),
            "ci_high": np.asarray(self.ci_high).tolist(),
            "trials": self.trials,
            "threshold_ua": float(self.threshold) / ua,
            "energy_per_event_j": float(self.energy_per_event / joule),
            "bias_energy_per_event_j": float(self.bias_energy_per_event / joule),
            "bias_times_phi0_j": float(self.bias_at_energy * PHI0 / joule),
            "ramp": None if self.ramp is None else self.ramp.to_dict(),
            "wall_s": self.wall_time,
            **self.extra,
        }


def characterize(
    trials: int = 200,
    *,
    temperature: Quantity = 2.0 * kelvin,
    junction: Junction | None = None,
    pulse: InputPulse | None = None,
    points: int = 11,
    ramp_trials: int | None = None,
    seed: int = 0,
    target: str = "numpy",
) -> Characterization:
    """``p(Ib)`` at 4.2 K and ``temperature``, energy per event, and the ramp experiment.

    Args:
        trials: trials per bias and temperature (and ramp trials unless ``ramp_trials``).
        temperature: the second temperature of ``p(Ib)``.
        junction: the synapse junction (default ``Junction()``: 100 uA, 4.2 K).
        pulse: its input pulse (default :class:`InputPulse`).
        points: biases of ``p(Ib)``, centred on the noise-free threshold, spread over
            ``+- 4 Ic (kT/E_J)^(2/3)`` at the higher temperature.
        ramp_trials: trials of the ramp experiment (0 skips it).
        seed: brian2 seed.
        target: brian2 code generation.
    """
    junction = Junction() if junction is None else junction
    pulse = InputPulse() if pulse is None else pulse
    trials = checks.integer("trials", trials, 1, 10_000_000)
    points = checks.integer("points", points, 2, 1000)
    temperature = check_quantity(temperature, kelvin, "temperature", minimum=0)
    temps = np.array([float(junction.temperature / kelvin), float(temperature / kelvin)])
    threshold = deterministic_threshold(junction, pulse, target=target)
    from dataclasses import replace

    hot = replace(junction, temperature=max(temps) * kelvin)
    half = 4 * float(junction.ic) * max(hot.noise_ratio, 1e-6) ** (2 / 3)
    lo = max(float(threshold) - half, 0.0)
    hi = min(float(threshold) + half, 0.999 * float(junction.ic))
    biases = np.linspace(lo, hi, points)
    begin = time.perf_counter()
    result = pulse_trials(
        junction,
        biases * amp,
        trials,
        temperatures=temps * kelvin,
        pulse=pulse,
        seed=seed,
        target=target,
    )
    wall = time.perf_counter() - begin
    switched = result.switched.reshape(temps.size, biases.size, trials)
    counts = switched.sum(axis=2)
    bounds = np.array([[binomial_ci(int(c), trials) for c in row] for row in counts])
    hit = result.switched
    slips = np.maximum(result.slips[hit], 1)
    energy = np.asarray(result.energy)[hit] / slips
    bias_energy = np.asarray(result.bias_energy)[hit] / slips
    mean_or_nan = (lambda x: float(np.mean(x))) if hit.any() else (lambda x: float("nan"))
    ramp_trials = trials if ramp_trials is None else ramp_trials
    ramp = None
    if ramp_trials:
        ramp = compare_ramp(trials=ramp_trials, seed=seed, target=target)
    return Characterization(
        junction=junction,
        pulse=pulse,
        temperatures=temps * kelvin,
        biases=biases * amp,
        probability=counts / trials,
        ci_low=bounds[..., 0],
        ci_high=bounds[..., 1],
        trials=trials,
        threshold=threshold,
        energy_per_event=mean_or_nan(energy) * joule,
        bias_energy_per_event=mean_or_nan(bias_energy) * joule,
        bias_at_energy=mean_or_nan(np.asarray(result.bias)[hit]) * amp,
        ramp=ramp,
        wall_time=wall,
        extra={"multi_slip_fraction": float(np.mean(result.slips[hit] > 1)) if hit.any() else 0.0},
    )
