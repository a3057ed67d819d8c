"""The rate-coded XOR network, its evaluation, a bias sweep, and the training search.

Network (``hidden_pairs = 1``; inputs ``A``, ``B``; all connections are stochastic
synapses whose bias currents are the weights)::

    A --exc(Ib_e)--> h1 <--inh(Ib_i)-- B        h1 fires for "A and not B"
    B --exc(Ib_e)--> h2 <--inh(Ib_i)-- A        h2 fires for "B and not A"
    h1, h2 --exc(Ib_o)--> merger --> out        out fires for "A xor B"

A logical 1 is a pulse train at ``high_rate``, a 0 one at ``low_rate``. Each hidden
soma counts excitatory fluxons and loses one per inhibitory pulse, firing at
``hidden_threshold``; with both inputs high the inhibition (stronger bias, hence higher
pass probability) keeps the loop below threshold; with both low too few fluxons arrive.
``hidden_pairs = k`` repeats the hidden pair ``k`` times (2k hidden somas merged into
the output), averaging the synapses' noise.

Training (:func:`train_xor`) is a batched grid search: every (excitatory, inhibitory)
bias pair of a grid, for each hidden threshold, runs as its own group of copies in one
brian2 run; the setting with the widest worst-case margin (class rates at their 95%
confidence bounds) wins, and a finer grid around it refines it.

Synapse curve. A bias current means something only on a switching curve p(Ib). Every
function here builds its network with the synapse of :func:`xor_synapse` unless given
``synapse=``: by default the shipped calibration (``load_calibration().synapse()``: the
erf curve fitted to the circuit-level junction, I50 = 87.263 uA, width 1.786 uA, and its
energy per switch). The bias currents of :data:`DEFAULT_XOR_SETTING` and
:data:`POISSON_ROBUST_XOR` are currents on that curve. ``xor_synapse("assumed")`` (the
:class:`StochasticSynapse` class default, tanh with I50 = 100 uA, width 5 uA) stays
selectable; :func:`~qneuro.sfq.calibration.xor_setting_on_curve` moves a setting's biases
to another curve at equal pass probability.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from brian2 import Quantity

from .cells import SOURCE_KINDS, DCSFQSource
from .constants import XOR_DURATION, XOR_HIGH_RATE, XOR_LOW_RATE
from .measures import classification_margin, mean_ci, worst_case_margin
from .network import NetworkSpec, Projection, Simulation, simulate
from .soma import Soma
from .synapse import StochasticSynapse
from .units import Ghertz, amp, check_quantity, hertz, joule, psecond, second, uamp
from .units import default_quantity as _default

if TYPE_CHECKING:
    from .circuit import CircuitRun

__all__ = [
    "XOR_PATTERNS",
    "XOR_LABELS",
    "XorSetting",
    "DEFAULT_XOR_SETTING",
    "POISSON_ROBUST_XOR",
    "XorDesign",
    "XOR_DESIGNS",
    "XorResult",
    "xor_synapse",
    "ASSUMED_BIAS_GRIDS",
    "default_bias_grid",
    "xor_network",
    "evaluate_xor",
    "sweep_xor",
    "train_xor",
]

#: The four input patterns, in truth-table order.
XOR_PATTERNS = ((0, 0), (0, 1), (1, 0), (1, 1))
#: Their XOR labels.
XOR_LABELS = (0, 1, 1, 0)


def _is_count(value) -> bool:
    """True for an integer >= 1 (an integral float such as 2.0 included)."""
    integral = isinstance(value, int | float | np.number) and float(value).is_integer()
    return integral and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True, eq=False)
class XorSetting:
    """Bias currents and constants of the XOR network.

    The bias currents are currents on the synapse curve the network is built with: the
    shipped calibrated curve unless a function is given another ``synapse=`` (see
    :func:`xor_synapse`). The defaults are :data:`DEFAULT_XOR_SETTING`.

    Args:
        excitatory_bias: bias of the input -> hidden excitatory synapses.
        inhibitory_bias: bias of the input -> hidden inhibitory synapses.
        output_bias: bias of the hidden -> output synapses.
        hidden_threshold: fluxons a hidden soma needs to fire.
        decision_rate: output rate above which the network answers 1.
        low_rate, high_rate: input rates of a logical 0 and 1 (assumption).
        duration: counting window of one trial (assumption).
        source_kind: ``"regular"`` (DC-to-SFQ trains with random phase) or ``"poisson"``.
        hidden_pairs: copies of the hidden pair (2 * hidden_pairs hidden somas).
    """

    excitatory_bias: Quantity = _default(95.455 * uamp)
    inhibitory_bias: Quantity = _default(96.512 * uamp)
    output_bias: Quantity = _default(95.074 * uamp)
    hidden_threshold: int = 2
    decision_rate: Quantity = _default(4.75 * Ghertz)
    low_rate: Quantity = _default(XOR_LOW_RATE)
    high_rate: Quantity = _default(XOR_HIGH_RATE)
    duration: Quantity = _default(XOR_DURATION)
    source_kind: str = "regular"
    hidden_pairs: int = 1

    def __post_init__(self) -> None:
        for name in ("excitatory_bias", "inhibitory_bias", "output_bias"):
            object.__setattr__(self, name, check_quantity(getattr(self, name), uamp, name))
        for name in ("decision_rate", "low_rate", "high_rate"):
            object.__setattr__(
                self, name, check_quantity(getattr(self, name), Ghertz, name, minimum=0)
            )
        if not self.low_rate < self.high_rate:
            raise ValueError(f"low_rate={self.low_rate} must be below high_rate={self.high_rate}")
        object.__setattr__(
            self,
            "duration",
            check_quantity(self.duration, psecond, "duration", minimum=0, strict_minimum=True),
        )
        for name in ("hidden_threshold", "hidden_pairs"):
            value = getattr(self, name)
            if not _is_count(value):
                raise ValueError(f"{name}={value!r} must be an integer >= 1")
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(
                f"source_kind={self.source_kind!r}; allowed: {', '.join(SOURCE_KINDS)}"
            )

    def to_dict(self) -> dict:
        """JSON-ready values in uA, GHz, ps."""
        return {
            "excitatory_bias_ua": round(float(self.excitatory_bias / uamp), 6),
            "inhibitory_bias_ua": round(float(self.inhibitory_bias / uamp), 6),
            "output_bias_ua": round(float(self.output_bias / uamp), 6),
            "hidden_threshold": int(self.hidden_threshold),
            "decision_rate_ghz": float(self.decision_rate / Ghertz),
            "low_rate_ghz": float(self.low_rate / Ghertz),
            "high_rate_ghz": float(self.high_rate / Ghertz),
            "duration_ps": round(float(self.duration / psecond), 6),
            "source_kind": self.source_kind,
            "hidden_pairs": int(self.hidden_pairs),
        }

    @classmethod
    def from_dict(cls, data: dict, base: XorSetting | None = None) -> XorSetting:
        """``base`` (default: the shipped setting) with the :meth:`to_dict` keys in ``data``.

        Unknown keys and non-numbers are a ValueError naming them.
        """
        units = {"_ua": uamp, "_ghz": Ghertz, "_ps": psecond}
        allowed = (base or DEFAULT_XOR_SETTING).to_dict()
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ValueError(f"unknown XOR setting keys {unknown}; allowed: {sorted(allowed)}")
        changes = {}
        for key, value in data.items():
            suffix = next((s for s in units if key.endswith(s)), None)
            if suffix is None:
                changes[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key}={value!r}; allowed: a number ({suffix[1:]})")
            changes[key[: -len(suffix)]] = value * units[suffix]
        return replace(base or DEFAULT_XOR_SETTING, **changes)


#: The shipped setting, its biases on the shipped calibrated synapse curve. It was
#: trained (``train_xor``, 90 to 140 uA grids) on the assumed tanh curve, where its biases
#: are excitatory 132.5, inhibitory 140 and output 130 uA; these are the currents with the
#: same pass probabilities on the calibrated curve (``equivalent_bias``, rounded to 1 nA:
#: 1 - p = 2.26e-6, 1.13e-7 and 6.15e-6, equal to the assumed curve's within 0.13%).
#: ``xor_setting_on_curve(DEFAULT_XOR_SETTING, xor_synapse().curve,
#: xor_synapse("assumed").curve)`` (``qneuro sfq xor --calibration assumed``) gives the
#: assumed-curve setting back. Measured numbers: docs/sfq.md.
DEFAULT_XOR_SETTING = XorSetting()

#: The Poisson-robust XOR (issue #16 part 5). Its biases are currents on the shipped
#: calibrated synapse curve (``load_calibration()``, erf, I50 = 87.263 uA, width
#: 1.786 uA): the excitatory synapses pass p = 0.55 of the pulses (87.5 uA), the
#: inhibitory and output ones p > 0.99999 (95 uA). Each hidden soma fires at 10 fluxons,
#: so with both inputs high (excitation about 0.55 x 20 = 11 GHz against 20 GHz of sure
#: inhibition) its count is a random walk pushed down onto the zero floor, at or above
#: 10 fluxons with a stationary probability of about (11/20)^10 = 0.25%; with only its
#: excitatory input high (11 GHz in, 2 GHz out) the count climbs at 9 GHz and fires
#: about every 1.1 ns.
#: Four hidden pairs vote through the merger; the output answers 1 at two or more pulses
#: in the 2 ns window (decision rate 0.75 GHz). Measured numbers: docs/sfq.md.
POISSON_ROBUST_XOR = XorSetting(
    excitatory_bias=87.5 * uamp,
    inhibitory_bias=95 * uamp,
    output_bias=95 * uamp,
    hidden_threshold=10,
    decision_rate=0.75 * Ghertz,
    source_kind="poisson",
    hidden_pairs=4,
)


class XorDesign(NamedTuple):
    """A named XOR setting and the synapse curve its bias currents refer to.

    Attributes:
        setting: the setting.
        calibration: the curve its biases refer to, as :func:`xor_synapse` names it:
            ``"default"`` (the shipped calibration file) or ``"assumed"`` (the tanh curve,
            I50 = 100 uA); a run on another curve moves the biases to equal pass
            probability (``calibration.xor_setting_on_curve``).
    """

    setting: XorSetting
    calibration: str


#: The XOR designs by name (``qneuro sfq xor --design NAME``).
XOR_DESIGNS = {
    "default": XorDesign(DEFAULT_XOR_SETTING, "default"),
    "poisson-robust": XorDesign(POISSON_ROBUST_XOR, "default"),
}


@cache
def _shipped_synapse() -> StochasticSynapse:
    from .calibration import load_calibration

    return load_calibration().synapse()


def xor_synapse(calibration: str | Path = "default") -> StochasticSynapse:
    """The synapse cell of the XOR networks; ``calibration`` names its p(Ib) curve.

    Args:
        calibration: ``"default"`` (the default): the shipped calibration,
            ``load_calibration().synapse()`` (curve and energy per switch from the
            circuit-level junction); ``"assumed"``: ``StochasticSynapse()``, the class
            default (tanh, I50 = 100 uA, width 5 uA, energy Ic * Phi0); anything else: a
            calibration file's path (:func:`~qneuro.sfq.calibration.load_calibration`).
    """
    if calibration == "assumed":
        return StochasticSynapse()
    if calibration == "default":
        return _shipped_synapse()
    from .calibration import load_calibration

    return load_calibration(calibration).synapse()


#: Default bias grids of :func:`sweep_xor` (``qneuro sfq sweep``) and :func:`train_xor`
#: on the assumed tanh curve: ``(first uA, last uA, points)``.
ASSUMED_BIAS_GRIDS = {"sweep": (95.0, 130.0, 8), "train": (90.0, 140.0, 11)}


def default_bias_grid(kind: str, synapse: StochasticSynapse | None = None) -> Quantity:
    """The default bias grid ``kind`` (``"sweep"`` or ``"train"``) on ``synapse``'s curve.

    The grids were chosen on the assumed tanh curve (:data:`ASSUMED_BIAS_GRIDS`: 95 to
    130 uA in 8 points for the sweep, p = 0.12 to 1 - 6e-6; 90 to 140 uA in 11 points for
    training, p = 0.018 to 1 - 1e-7). On another curve the two end points move to the
    currents with the same pass probabilities, rounded to 1 nA, and the points are evenly
    spaced between them, so the grid covers the same probability range. On the shipped
    calibration: 85.157 to 95.074 uA (sweep) and 83.516 to 96.512 uA (training).

    Args:
        kind: ``"sweep"`` or ``"train"``.
        synapse: the synapse (default :func:`xor_synapse`, the shipped calibration).
    """
    from .calibration import equivalent_bias

    if kind not in ASSUMED_BIAS_GRIDS:
        raise ValueError(f"kind={kind!r}; allowed: {', '.join(ASSUMED_BIAS_GRIDS)}")
    first, last, points = ASSUMED_BIAS_GRIDS[kind]
    curve = (synapse or xor_synapse()).curve
    ends = equivalent_bias(np.array([first, last]) * uamp, StochasticSynapse().curve, curve)
    lo, hi = np.round(np.asarray(ends / uamp, dtype=float), 3)
    return np.round(np.linspace(lo, hi, points), 3) * uamp


def xor_network(
    setting: XorSetting = DEFAULT_XOR_SETTING,
    *,
    synapse: StochasticSynapse | None = None,
    hidden_soma: Soma | None = None,
    output_soma: Soma | None = None,
) -> NetworkSpec:
    """The XOR network of ``setting`` as a :class:`NetworkSpec` (layers 2, 2k, 1).

    Args:
        setting: bias currents and thresholds.
        synapse: the synapse cell, whose curve the setting's biases refer to (default:
            :func:`xor_synapse`, the shipped calibration; ``xor_synapse("assumed")`` or
            ``StochasticSynapse()`` for the assumed tanh curve).
        hidden_soma: overrides the hidden soma (its threshold then wins over the
            setting's ``hidden_threshold``).
        output_soma: overrides the output soma (default: threshold 1).
    """
    k = int(setting.hidden_pairs)
    exc, inh, out = (
        float(b / uamp)
        for b in (setting.excitatory_bias, setting.inhibitory_bias, setting.output_bias)
    )
    sign1 = np.tile(np.array([[1, -1], [-1, 1]]), (1, k))
    bias1 = np.where(sign1 > 0, exc, inh) * uamp
    sign2 = np.ones((2 * k, 1), dtype=np.int64)
    bias2 = np.full((2 * k, 1), out) * uamp
    return NetworkSpec(
        layer_sizes=(2, 2 * k, 1),
        projections=(Projection(bias1, sign1), Projection(bias2, sign2)),
        somas=(
            hidden_soma or Soma(threshold=setting.hidden_threshold),
            output_soma or Soma(threshold=1),
        ),
        synapse=synapse or xor_synapse(),
        source=DCSFQSource(kind=setting.source_kind),
    )


def _pattern_rates(setting: XorSetting, trials: int, groups: int = 1) -> Quantity:
    """Input rates for ``groups`` x 4 patterns x ``trials`` copies, shape (copies, 2)."""
    bits = np.repeat(np.tile(np.array(XOR_PATTERNS), (groups, 1)), trials, axis=0)
    low, high = float(setting.low_rate), float(setting.high_rate)
    return np.where(bits == 1, high, low) * hertz


def _check_trials(trials: int) -> int:
    if not _is_count(trials):
        raise ValueError(f"trials={trials!r} must be an integer >= 1")
    return int(trials)


@dataclass
class XorResult:
    """One evaluation of the XOR network over ``trials`` trials of each pattern.

    Attributes:
        setting: the evaluated setting.
        trials: trials per pattern.
        rates: per-trial output rates, shape ``(4, trials)``, GHz (floats).
        mean, low, high: per-pattern mean rate and its 95% confidence interval (GHz).
        outputs: the network's answer per pattern (mean rate > decision rate).
        margin: classification margin of the mean rates.
        worst_case_margin: margin with rates at their confidence bounds.
        trial_accuracy: fraction of single trials answered correctly, per pattern.
        energy_per_inference: mean switching energy of one trial (joule).
        jj_count: junctions of one network copy.
        latency: mean time of the first output pulse for class-1 patterns.
        nominal_latency: the fastest possible input-to-output delay of the network (at
            circuit level: the measured noise-free delay of one path, see
            :func:`~qneuro.sfq.circuit_xor.evaluate_circuit_xor`).
        wall_time: seconds the evaluation took.
        simulation: the underlying run: a :class:`Simulation` (pulse level) or a
            :class:`CircuitRun` (circuit level).
    """

    setting: XorSetting
    trials: int
    rates: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    outputs: np.ndarray
    margin: float
    worst_case_margin: float
    trial_accuracy: np.ndarray
    energy_per_inference: Quantity
    jj_count: int
    latency: Quantity
    nominal_latency: Quantity
    wall_time: float
    simulation: Simulation | CircuitRun = field(repr=False)

    @classmethod
    def from_trials(
        cls,
        setting: XorSetting,
        *,
        rates: np.ndarray,
        first_pulse: np.ndarray,
        energy: Quantity,
        jj_count: int,
        nominal_latency: Quantity,
        wall_time: float,
        simulation,
    ) -> XorResult:
        """The result of per-trial output ``rates`` (GHz, shape ``(4, trials)``).

        ``first_pulse``: time (s) of each trial's first output pulse, NaN where none
        (shape ``(4, trials)``); ``energy``: mean energy of one trial; the rest as the
        attributes.
        """
        stats = np.array([mean_ci(r) for r in rates])
        mean, low, high = stats.T
        low = np.maximum(low, 0.0)  # a rate is never negative
        decision = float(setting.decision_rate / Ghertz)
        labels = np.array(XOR_LABELS)
        class1 = first_pulse[labels == 1]
        latency = float(np.nanmean(class1)) if np.any(np.isfinite(class1)) else np.nan
        return cls(
            setting=setting,
            trials=rates.shape[1],
            rates=rates,
            mean=mean,
            low=low,
            high=high,
            outputs=(mean > decision).astype(int),
            margin=classification_margin(mean, labels),
            worst_case_margin=worst_case_margin(mean, low, high, labels),
            trial_accuracy=((rates > decision).astype(int) == labels[:, None]).mean(axis=1),
            energy_per_inference=energy,
            jj_count=jj_count,
            latency=latency * second,
            nominal_latency=nominal_latency,
            wall_time=wall_time,
            simulation=simulation,
        )

    @property
    def correct(self) -> bool:
        """Every pattern's answer equals its XOR label."""
        return bool(np.array_equal(self.outputs, XOR_LABELS))

    def truth_table(self) -> list[dict]:
        """``[{"inputs": [a, b], "rate_ghz": r, "ci_ghz": [lo, hi], "output": 0|1}, ...]``."""
        return [
            {
                "inputs": list(pattern),
                "rate_ghz": float(self.mean[k]),
                "ci_ghz": [float(self.low[k]), float(self.high[k])],
                "output": int(self.outputs[k]),
                "expected": XOR_LABELS[k],
                "trial_accuracy": float(self.trial_accuracy[k]),
            }
            for k, pattern in enumerate(XOR_PATTERNS)
        ]

    def to_dict(self) -> dict:
        """JSON-ready summary (the CLI's ``--json`` object)."""
        return {
            "truth_table": self.truth_table(),
            "correct": self.correct,
            "margin": self.margin,
            "worst_case_margin": self.worst_case_margin,
            "energy_per_inference_j": float(self.energy_per_inference / joule),
            "jj_count": self.jj_count,
            "trials": self.trials,
            "latency_ps": _finite_or_none(float(self.latency / psecond)),
            "nominal_latency_ps": _finite_or_none(float(self.nominal_latency / psecond)),
            "wall_s": self.wall_time,
            "setting": self.setting.to_dict(),
        }


def _finite_or_none(value: float) -> float | None:
    """``value``, or None for NaN (JSON has no NaN)."""
    return value if np.isfinite(value) else None


def evaluate_xor(
    setting: XorSetting = DEFAULT_XOR_SETTING,
    trials: int = 200,
    *,
    synapse: StochasticSynapse | None = None,
    spec: NetworkSpec | None = None,
    seed: int = 0,
    target: str = "numpy",
    record: bool = False,
    progress: bool = False,
) -> XorResult:
    """Run ``trials`` trials of each of the four patterns in one batched brian2 run.

    Args:
        setting: the network setting (biases, rates, window).
        trials: trials per pattern (>= 1).
        synapse: the synapse cell (default :func:`xor_synapse`, the shipped calibration);
            not together with ``spec``.
        spec: a custom network (default: ``xor_network(setting, synapse=synapse)``); its
            inputs are driven by the setting's rates.
        seed: random seed (input phases and synapse draws).
        target: brian2 codegen target, ``"numpy"`` or ``"cython"``.
        record: keep pulse times for a raster.
        progress: show a progress bar.
    """
    trials = _check_trials(trials)
    if spec is not None and synapse is not None:
        raise ValueError("give synapse or spec, not both (spec holds its own synapse)")
    spec = spec or xor_network(setting, synapse=synapse)
    start = time.perf_counter()
    sim = simulate(
        spec,
        _pattern_rates(setting, trials),
        setting.duration,
        seed=seed,
        target=target,
        record=record,
        progress=progress,
    )
    wall = time.perf_counter() - start
    return XorResult.from_trials(
        setting,
        rates=np.asarray(sim.rates()[:, 0] / Ghertz).reshape(4, trials),
        first_pulse=np.asarray(sim.first_pulse[-1][:, 0] / second).reshape(4, trials),
        energy=float(np.mean(sim.energy / joule)) * joule,
        jj_count=spec.jj_count,
        nominal_latency=spec.nominal_latency(),
        wall_time=wall,
        simulation=sim,
    )


def sweep_xor(
    excitatory_biases: Quantity,
    inhibitory_biases: Quantity,
    setting: XorSetting = DEFAULT_XOR_SETTING,
    trials: int = 40,
    *,
    synapse: StochasticSynapse | None = None,
    seed: int = 0,
    target: str = "numpy",
    progress: bool = False,
) -> dict:
    """Margin over a grid of (excitatory, inhibitory) biases, all in one brian2 run.

    Args:
        excitatory_biases: 1-d grid of excitatory bias currents (on ``synapse``'s curve;
            :func:`default_bias_grid` gives the command's default grid).
        inhibitory_biases: 1-d grid of inhibitory bias currents.
        setting: everything else (output bias, threshold, rates, window).
        trials: trials per pattern and grid point.
        synapse: the synapse cell (default :func:`xor_synapse`, the shipped calibration).
        seed: random seed.
        target: brian2 codegen target.
        progress: show progress bars.

    Returns:
        ``{"excitatory_ua", "inhibitory_ua": grids (floats), "margin",
        "worst_case_margin": arrays (n_exc, n_inh), "mean_ghz": (n_exc, n_inh, 4),
        "wall_s": float}``.
    """
    trials = _check_trials(trials)
    exc = check_quantity(excitatory_biases, uamp, "excitatory_biases", allow_array=True)
    inh = check_quantity(inhibitory_biases, uamp, "inhibitory_biases", allow_array=True)
    if exc.ndim != 1 or inh.ndim != 1 or exc.size < 1 or inh.size < 1:
        raise ValueError("the bias grids must be non-empty 1-d arrays")
    spec = xor_network(setting, synapse=synapse)
    groups = exc.size * inh.size
    copies = groups * 4 * trials
    e_grid, i_grid = np.meshgrid(np.asarray(exc), np.asarray(inh), indexing="ij")
    bias1 = np.empty((groups, *spec.projections[0].shape))
    sign = spec.projections[0].sign
    bias1[:] = np.where(sign > 0, 1.0, 0.0)[None] * e_grid.reshape(-1, 1, 1) + np.where(
        sign < 0, 1.0, 0.0
    )[None] * i_grid.reshape(-1, 1, 1)
    bias1 = np.repeat(bias1, 4 * trials, axis=0) * amp
    start = time.perf_counter()
    sim = simulate(
        spec,
        _pattern_rates(setting, trials, groups),
        setting.duration,
        bias=[bias1, None],
        seed=seed,
        target=target,
        progress=progress,
    )
    wall = time.perf_counter() - start
    rates = np.asarray(sim.rates()[:, 0] / Ghertz).reshape(groups, 4, trials)
    labels = np.array(XOR_LABELS)
    margin = np.empty(groups)
    worst = np.empty(groups)
    means = np.empty((groups, 4))
    for g in range(groups):
        stats = np.array([mean_ci(r) for r in rates[g]])
        means[g] = stats[:, 0]
        margin[g] = classification_margin(stats[:, 0], labels)
        worst[g] = worst_case_margin(stats[:, 0], stats[:, 1], stats[:, 2], labels)
    shape = (exc.size, inh.size)
    assert copies == sim.copies
    return {
        "excitatory_ua": np.asarray(exc / uamp).tolist(),
        "inhibitory_ua": np.asarray(inh / uamp).tolist(),
        "margin": margin.reshape(shape),
        "worst_case_margin": worst.reshape(shape),
        "mean_ghz": means.reshape(*shape, 4),
        "wall_s": wall,
    }


def train_xor(
    setting: XorSetting = DEFAULT_XOR_SETTING,
    *,
    synapse: StochasticSynapse | None = None,
    thresholds: tuple[int, ...] = (1, 2, 3),
    coarse: Quantity | None = None,
    refine_step: Quantity | None = None,
    trials: int = 40,
    seed: int = 0,
    target: str = "numpy",
    progress: bool = False,
) -> tuple[XorSetting, dict]:
    """Find the bias currents with the widest worst-case margin (batched grid search).

    For every hidden threshold: a coarse (excitatory x inhibitory) grid in one run, then
    a 5 x 5 grid of ``refine_step`` spacing around the coarse optimum. The objective is
    the worst-case margin (95% confidence bounds); ties go to the wider class-1 rate. The
    decision rate of the winner is the midpoint between its class means.

    Args:
        setting: start point (output bias, rates, window, source kind).
        synapse: the synapse cell, whose curve the biases refer to (default
            :func:`xor_synapse`, the shipped calibration).
        thresholds: hidden thresholds to try.
        coarse: the coarse bias grid for both axes (default ``default_bias_grid("train",
            synapse)``: 83.516 to 96.512 uA in 11 points on the shipped calibration, 90 to
            140 uA in steps of 5 on the assumed curve).
        refine_step: spacing of the refinement grid (default: half the coarse grid's
            spacing; 2.5 uA on the assumed curve).
        trials: trials per pattern and grid point.
        seed: random seed.
        target: brian2 codegen target.
        progress: show progress bars.

    Returns:
        ``(best_setting, report)``; ``report`` holds every grid's margins.
    """
    synapse = synapse or xor_synapse()
    if coarse is None:
        coarse = default_bias_grid("train", synapse)
    if refine_step is None:
        spaced = np.asarray(coarse, dtype=float)
        if spaced.size < 2:
            spaced = np.asarray(default_bias_grid("train", synapse), dtype=float)
        refine_step = 0.5 * float(np.median(np.diff(np.sort(spaced)))) * amp
    step = float(check_quantity(refine_step, uamp, "refine_step", minimum=0, strict_minimum=True))
    lo, hi = (float(b) for b in setting_bias_range(synapse))
    report = {"grids": []}
    best = None
    for threshold in thresholds:
        candidate = replace(setting, hidden_threshold=int(threshold))
        grid = sweep_xor(
            coarse,
            coarse,
            candidate,
            trials,
            synapse=synapse,
            seed=seed,
            target=target,
            progress=progress,
        )
        e_idx, i_idx = _argbest(grid)
        e0, i0 = grid["excitatory_ua"][e_idx] * 1e-6, grid["inhibitory_ua"][i_idx] * 1e-6
        fine_e = np.clip(e0 + step * np.arange(-2, 3), lo, hi)
        fine_i = np.clip(i0 + step * np.arange(-2, 3), lo, hi)
        fine = sweep_xor(
            np.unique(fine_e) * amp,
            np.unique(fine_i) * amp,
            candidate,
            trials,
            synapse=synapse,
            seed=seed + 1,
            target=target,
            progress=progress,
        )
        e_idx, i_idx = _argbest(fine)
        score = (fine["worst_case_margin"][e_idx, i_idx], _class1_rate(fine, e_idx, i_idx))
        report["grids"].append({"threshold": int(threshold), "coarse": grid, "fine": fine})
        if best is None or score > best[0]:
            means = fine["mean_ghz"][e_idx, i_idx]
            labels = np.array(XOR_LABELS)
            decision = 0.5 * (means[labels == 1].min() + means[labels == 0].max())
            best = (
                score,
                replace(
                    candidate,
                    excitatory_bias=fine["excitatory_ua"][e_idx] * uamp,
                    inhibitory_bias=fine["inhibitory_ua"][i_idx] * uamp,
                    decision_rate=round(float(decision), 2) * Ghertz,
                ),
            )
    report["best_worst_case_margin"] = float(best[0][0])
    return best[1], report


def setting_bias_range(synapse: StochasticSynapse | None = None) -> tuple[Quantity, Quantity]:
    """Where a search may go: the bias range of ``synapse``'s curve (default: the XOR's)."""
    return (synapse or xor_synapse()).curve.bias_range


def _argbest(grid: dict) -> tuple[int, int]:
    worst = grid["worst_case_margin"]
    class1 = np.minimum(grid["mean_ghz"][..., 1], grid["mean_ghz"][..., 2])
    order = np.lexsort((class1.ravel(), worst.ravel()))
    return np.unravel_index(order[-1], worst.shape)


def _class1_rate(grid: dict, e: int, i: int) -> float:
    return float(min(grid["mean_ghz"][e, i, 1], grid["mean_ghz"][e, i, 2]))
