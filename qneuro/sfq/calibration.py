r"""Calibration: the pulse-level synapse fitted to the circuit-level RCSJ junction.

The pulse-level model (:mod:`.synapse`, :mod:`.network`) *assumes* its switching curve
p(Ib) and its energy per junction switch. :func:`calibrate` measures them on the
circuit-level model instead (:func:`~qneuro.sfq.characterize.pulse_trials`: a 100 uA
junction of the default process at 4.2 K, at rest at a DC bias, hit by one Gaussian
input pulse), and fits:

* **p(Ib)**: the ``erf`` and ``tanh`` curve families, each by maximum likelihood on the
  binomial counts (``k`` of ``n`` trials switched at each bias); the family with the
  higher likelihood (both have two parameters) is kept. Standard errors come from the
  inverse expected Fisher information at the optimum. Maximum likelihood rather than
  least squares on the switched fractions: near the ends of the window the fractions
  are 0 or 1, where the binomial variance ``p(1-p)/n`` that would weight a least-squares
  fit vanishes, and the fraction's error is far from Gaussian; the likelihood uses every
  count as it is. The deviance against a saturated model gives a goodness-of-fit p-value.
* **energy per switch**: the circuit integral ``\int I V dt`` per 2pi slip, as a ratio to
  ``Ib * Phi0`` (the bias part is ``Ib * Phi0`` to < 1%; the input pulse adds a few %),
  taken at the fitted centre ``I50``.
* **delay** (measured, *not used*): the time from the input pulse's peak to the end of
  the junction's 2pi slip. It is reported, but the pulse-level synapse keeps its
  assumed cell delay (one JTL stage): the circuit model is one junction driven by an
  ideal current pulse, without the coupling inductors and output stage of a real cell.

Everything else stays an assumption and is listed in the file's ``"assumed"`` entry.

The calibration file is a small JSON object (version :data:`CALIBRATION_VERSION`), with
units in the key names, written atomically and read back with every key and number
checked (:func:`load_calibration`). The package ships one
(``qneuro/sfq/data/calibration.json``; :data:`DEFAULT_CALIBRATION`). The pulse-level
network uses it through :meth:`Calibration.synapse`: the XOR networks
(:func:`qneuro.sfq.xor.xor_synapse`), the Poisson-robust XOR and the digits classifier
run on it by default; ``StochasticSynapse()`` alone keeps the assumed tanh curve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from brian2 import Quantity
from scipy import optimize, special, stats

from qneuro import checks
from qneuro.files import atomic_write_json

from .characterize import InputPulse, deterministic_threshold, pulse_trials
from .constants import PHI0
from .junction import JUNCTION_DT, Junction
from .synapse import ErfCurve, StochasticSynapse, SwitchingCurve, TanhCurve
from .units import amp, check_quantity, joule, psecond, second, uamp

__all__ = [
    "CALIBRATION_VERSION",
    "DEFAULT_CALIBRATION",
    "CURVE_FAMILIES",
    "CurveFit",
    "fit_switching_curve",
    "Calibration",
    "calibrate",
    "load_calibration",
    "save_calibration",
    "equivalent_bias",
    "xor_setting_on_curve",
    "calibrated_xor_setting",
]

#: Version of the calibration file format this module reads and writes.
CALIBRATION_VERSION = 1
#: The name :func:`load_calibration` resolves to the calibration shipped in the package.
DEFAULT_CALIBRATION = "default"
#: Curve families a calibration may fit, by the name stored in the file.
CURVE_FAMILIES: dict[str, type[SwitchingCurve]] = {"erf": ErfCurve, "tanh": TanhCurve}

#: What the circuit-level model does not determine (written into every file).
ASSUMED = (
    "synapse cell delay 5.7 ps (one JTL stage; the measured junction delay is reported, not used)",
    "synapse junction count 3 (a passed pulse switches all, a blocked one switches one)",
    "switching energy of every other cell Ic*Phi0 at Ic = 100 uA",
    "JTL, splitter, merger, DC/SFQ delays and junction counts (PyLSE literature values)",
    "soma loop: threshold, refractory time, loop inductance, leak",
    "network wiring, input rates, counting window, XOR bias currents",
    "one input pulse shape (Gaussian, 30 uA, sigma 1 ps) and the process's specific "
    "capacitance (60 fF/um^2)",
)


# -- the fit --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CurveFit:
    """Maximum-likelihood fit of one curve family to binomial switching counts.

    Attributes:
        family: ``"erf"`` or ``"tanh"`` (:data:`CURVE_FAMILIES`).
        i50, width: the fitted curve parameters (amp), as :class:`SwitchingCurve` uses them.
        i50_se, width_se: their standard errors (amp).
        correlation: correlation of the two estimates.
        log_likelihood: at the optimum.
        deviance: ``2 (log L_saturated - log L)``; ``dof`` = bias points - 2.
        gof_pvalue: ``P(chi2_dof > deviance)``, the goodness of fit.
    """

    family: str
    i50: Quantity
    width: Quantity
    i50_se: Quantity
    width_se: Quantity
    correlation: float
    log_likelihood: float
    deviance: float
    dof: int
    gof_pvalue: float

    def curve(self, bias_min: Quantity = 0 * uamp, bias_max: Quantity = 200 * uamp):
        """The fitted :class:`SwitchingCurve` on ``[bias_min, bias_max]``."""
        return CURVE_FAMILIES[self.family](self.i50, self.width, bias_min, bias_max)


def _log_p(family: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log p, log(1 - p))`` of the family's shape at ``z = (Ib - I50) / width``."""
    if family == "erf":
        return special.log_ndtr(z), special.log_ndtr(-z)
    # (1 + tanh z) / 2 is the logistic function of 2z
    return -np.logaddexp(0.0, -2 * z), -np.logaddexp(0.0, 2 * z)


def _density(family: str, z: np.ndarray) -> np.ndarray:
    """``dp/dz`` of the family's shape."""
    if family == "erf":
        return np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return 0.5 / np.cosh(z) ** 2


def fit_switching_curve(biases: Quantity, switched, trials, family: str = "erf") -> CurveFit:
    """Fit ``family`` to ``switched[i]`` of ``trials[i]`` at ``biases[i]`` (maximum likelihood).

    Args:
        biases: bias currents, shape ``(m,)`` with ``m >= 3``.
        switched: integer counts, shape ``(m,)``.
        trials: trials per bias (one integer or shape ``(m,)``).
        family: ``"erf"`` or ``"tanh"``.

    Raises:
        ValueError: bad shapes or counts, or fewer than two biases with
            ``0 < switched < trials`` (the width is then not determined).
    """
    checks.one_of("family", family, CURVE_FAMILIES)
    x = np.asarray(check_quantity(biases, uamp, "biases", allow_array=True), float) / 1e-6
    k = np.asarray(switched)
    n = np.broadcast_to(np.asarray(trials), x.shape) if np.ndim(trials) == 0 else np.asarray(trials)
    if x.ndim != 1 or x.size < 3 or k.shape != x.shape or n.shape != x.shape:
        raise ValueError(
            f"biases, switched and trials need one shape (m,) with m >= 3; got {x.shape}, "
            f"{k.shape}, {n.shape}"
        )
    if not (np.issubdtype(k.dtype, np.integer) and np.issubdtype(n.dtype, np.integer)):
        raise ValueError("switched and trials must be integer counts")
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need trials >= 1 and 0 <= switched <= trials at every bias")
    inside = (k > 0) & (k < n)
    if np.count_nonzero(inside) < 2:
        raise ValueError(
            f"only {np.count_nonzero(inside)} bias point(s) with 0 < switched < trials; the "
            "width needs at least two inside the switching window"
        )
    k, n = k.astype(float), n.astype(float)

    def nll(theta):
        mu, log_s = theta
        log_p, log_q = _log_p(family, (x - mu) / np.exp(log_s))
        return -float(np.sum(k * log_p + (n - k) * log_q))

    frac = k / n
    mu0 = float(x[np.argmin(np.abs(frac - 0.5))])
    start = np.array([mu0, np.log(max(np.ptp(x) / 6, 1e-6))])
    best = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000}
    )
    mu, s = float(best.x[0]), float(np.exp(best.x[1]))
    z = (x - mu) / s
    p = np.clip(np.exp(_log_p(family, z)[0]), 1e-300, 1 - 1e-16)
    f = _density(family, z)
    grad = np.stack([-f / s, -f * z / s])  # dp/dmu, dp/ds
    info = (grad * (n / (p * (1 - p)))) @ grad.T
    cov = np.linalg.inv(info)
    se = np.sqrt(np.diag(cov))
    log_l = -nll(best.x)
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(k > 0, k * np.log(frac), 0.0) + np.where(
            k < n, (n - k) * np.log(1 - frac), 0.0
        )
    deviance = max(2 * (float(np.sum(sat)) - log_l), 0.0)
    dof = int(x.size - 2)
    return CurveFit(
        family=family,
        i50=mu * uamp,
        width=s * uamp,
        i50_se=float(se[0]) * uamp,
        width_se=float(se[1]) * uamp,
        correlation=float(cov[0, 1] / (se[0] * se[1])),
        log_likelihood=log_l,
        deviance=deviance,
        dof=dof,
        gof_pvalue=float(stats.chi2.sf(deviance, dof)),
    )


# -- the calibration ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Calibration:
    r"""A calibration of the pulse-level synapse: what a calibration file holds.

    Attributes:
        fit: the chosen p(Ib) fit (:class:`CurveFit`).
        other_family_log_likelihood: log-likelihood of the family not chosen.
        bias_min, bias_max: domain of the calibrated curve (0 to the junction's Ic: above
            Ic the junction switches without any input).
        energy_per_switch: circuit-level ``\int I V dt`` per slip at ``I50`` (joule).
        energy_per_switch_se: its standard error (joule).
        energy_over_bias_phi0: ``\int I V dt / (Ib Phi0)`` per slip (mean of events).
        bias_energy_over_bias_phi0: the same for the bias part ``\int Ib V dt``.
        events: switching events the energy was measured on.
        delay: input-pulse peak to the end of the 2pi slip at the bias point nearest
            ``I50`` (second; measured, not used by the pulse-level model).
        delay_se: its standard error (second).
        delay_high: the same at the highest bias point (second).
        biases: the bias grid (amp), ``switched`` the counts, ``trials`` per point.
        threshold: noise-free switching threshold of the input pulse (amp).
        junction: ``Junction.to_dict()`` of the circuit-level junction.
        pulse: ``{"amplitude_ua", "width_ps", "centre_ps", "window_ps"}``.
        dt: circuit-level time step (second).
        seed: brian2 seed of the run; ``command``: how it was made.
        assumed: what stays assumed (free text, one entry per item).
        wall_time: seconds of the circuit-level run (not stored in the file).
    """

    fit: CurveFit
    other_family_log_likelihood: float
    bias_min: Quantity
    bias_max: Quantity
    energy_per_switch: Quantity
    energy_per_switch_se: Quantity
    energy_over_bias_phi0: float
    bias_energy_over_bias_phi0: float
    events: int
    delay: Quantity
    delay_se: Quantity
    delay_high: Quantity
    biases: Quantity
    switched: np.ndarray
    trials: int
    threshold: Quantity
    junction: dict
    pulse: dict
    dt: Quantity
    seed: int
    command: str
    assumed: tuple[str, ...] = ASSUMED
    wall_time: float = 0.0

    def curve(self) -> SwitchingCurve:
        """The calibrated p(Ib) curve on ``[bias_min, bias_max]``."""
        return self.fit.curve(self.bias_min, self.bias_max)

    def synapse(self, **overrides) -> StochasticSynapse:
        """A :class:`StochasticSynapse` with the calibrated curve and energy per switch.

        Its delay and junction count stay the assumed defaults unless given in
        ``overrides`` (any :class:`StochasticSynapse` argument).
        """
        fields = {"curve": self.curve(), "energy_per_switch": self.energy_per_switch}
        return StochasticSynapse(**{**fields, **overrides})

    def to_dict(self) -> dict:
        """The calibration file's JSON object (units in the key names)."""
        ua, ps = float(uamp), float(psecond)
        fit = self.fit
        other = next(name for name in CURVE_FAMILIES if name != fit.family)
        return {
            "version": CALIBRATION_VERSION,
            "what": "qneuro.sfq pulse-level synapse calibrated on the circuit-level RCSJ junction",
            "command": self.command,
            "seed": int(self.seed),
            "trials_per_point": int(self.trials),
            "circuit": {
                "junction": dict(self.junction),
                "input_pulse": dict(self.pulse),
                "dt_ps": float(self.dt) / ps,
                "noise_free_threshold_ua": float(self.threshold) / ua,
            },
            "data": {
                "bias_ua": [float(b) / ua for b in np.asarray(self.biases)],
                "switched": [int(c) for c in self.switched],
            },
            "curve": {
                "family": fit.family,
                "i50_ua": float(fit.i50) / ua,
                "i50_se_ua": float(fit.i50_se) / ua,
                "width_ua": float(fit.width) / ua,
                "width_se_ua": float(fit.width_se) / ua,
                "correlation": fit.correlation,
                "bias_min_ua": float(self.bias_min) / ua,
                "bias_max_ua": float(self.bias_max) / ua,
                "log_likelihood": fit.log_likelihood,
                "deviance": fit.deviance,
                "dof": fit.dof,
                "gof_pvalue": fit.gof_pvalue,
                "other_family": other,
                "other_family_log_likelihood": self.other_family_log_likelihood,
            },
            "energy": {
                "per_switch_at_i50_j": float(self.energy_per_switch / joule),
                "per_switch_at_i50_se_j": float(self.energy_per_switch_se / joule),
                "total_over_bias_phi0": self.energy_over_bias_phi0,
                "bias_part_over_bias_phi0": self.bias_energy_over_bias_phi0,
                "events": int(self.events),
            },
            "delay": {
                "input_peak_to_slip_at_i50_ps": float(self.delay) / ps,
                "input_peak_to_slip_at_i50_se_ps": float(self.delay_se) / ps,
                "input_peak_to_slip_at_top_bias_ps": float(self.delay_high) / ps,
                "used_by_pulse_model": False,
            },
            "assumed": list(self.assumed),
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "calibration") -> Calibration:
        """Check ``data`` (the JSON object of a file) and build the calibration.

        Raises:
            ValueError: an unknown version, a missing or unknown key, a value of the wrong
                kind, a non-finite number, or inconsistent contents; the one-line message
                names ``source``, the key and the value.
        """
        if not isinstance(data, dict):
            raise ValueError(f"{source} must hold a JSON object, got {checks.json_kind(data)}")
        version = data.get("version")
        if isinstance(version, bool) or version != CALIBRATION_VERSION:
            raise ValueError(
                f"{source}: version={version!r}; allowed: {CALIBRATION_VERSION} (this qneuro "
                "reads calibration files of that version only)"
            )
        _check_schema(source, "", data, _SCHEMA)
        curve, energy, delay = data["curve"], data["energy"], data["delay"]
        circuit = data["circuit"]

        def refuse(key, value, allowed):
            raise ValueError(f"{source}: {key}={value!r}; allowed: {allowed}")

        if curve["family"] not in CURVE_FAMILIES:
            refuse("curve.family", curve["family"], ", ".join(CURVE_FAMILIES))
        if curve["other_family"] not in CURVE_FAMILIES or curve["other_family"] == curve["family"]:
            refuse("curve.other_family", curve["other_family"], "the family not chosen")
        positive = (
            ("curve.width_ua", curve["width_ua"]),
            ("energy.per_switch_at_i50_j", energy["per_switch_at_i50_j"]),
            ("trials_per_point", data["trials_per_point"]),
            ("circuit.dt_ps", circuit["dt_ps"]),
        )
        for key, value in positive:
            if not value > 0:
                refuse(key, value, "a number > 0")
        for key in ("i50_se_ua", "width_se_ua", "deviance", "gof_pvalue"):
            if not curve[key] >= 0:
                refuse(f"curve.{key}", curve[key], "a number >= 0")
        if not 0 <= curve["bias_min_ua"] < curve["bias_max_ua"]:
            refuse("curve.bias_min_ua", curve["bias_min_ua"], "0 <= bias_min_ua < bias_max_ua")
        biases, counts = data["data"]["bias_ua"], data["data"]["switched"]
        if len(biases) != len(counts) or len(biases) < 3:
            refuse("data.switched", counts, "one count per bias in data.bias_ua (>= 3)")
        bad = [c for c in counts if not 0 <= c <= data["trials_per_point"]]
        if bad:
            refuse("data.switched", bad[0], "counts in [0, trials_per_point]")
        checks.seed(f"{source}: seed", data["seed"], limit=2**32)
        fit = CurveFit(
            family=curve["family"],
            i50=curve["i50_ua"] * uamp,
            width=curve["width_ua"] * uamp,
            i50_se=curve["i50_se_ua"] * uamp,
            width_se=curve["width_se_ua"] * uamp,
            correlation=float(curve["correlation"]),
            log_likelihood=float(curve["log_likelihood"]),
            deviance=float(curve["deviance"]),
            dof=int(curve["dof"]),
            gof_pvalue=float(curve["gof_pvalue"]),
        )
        ps = psecond
        return cls(
            fit=fit,
            other_family_log_likelihood=float(curve["other_family_log_likelihood"]),
            bias_min=curve["bias_min_ua"] * uamp,
            bias_max=curve["bias_max_ua"] * uamp,
            energy_per_switch=energy["per_switch_at_i50_j"] * joule,
            energy_per_switch_se=energy["per_switch_at_i50_se_j"] * joule,
            energy_over_bias_phi0=float(energy["total_over_bias_phi0"]),
            bias_energy_over_bias_phi0=float(energy["bias_part_over_bias_phi0"]),
            events=int(energy["events"]),
            delay=delay["input_peak_to_slip_at_i50_ps"] * ps,
            delay_se=delay["input_peak_to_slip_at_i50_se_ps"] * ps,
            delay_high=delay["input_peak_to_slip_at_top_bias_ps"] * ps,
            biases=np.array(biases, dtype=float) * uamp,
            switched=np.array(counts, dtype=np.int64),
            trials=int(data["trials_per_point"]),
            threshold=circuit["noise_free_threshold_ua"] * uamp,
            junction=dict(circuit["junction"]),
            pulse=dict(circuit["input_pulse"]),
            dt=circuit["dt_ps"] * ps,
            seed=int(data["seed"]),
            command=data["command"],
            assumed=tuple(data["assumed"]),
        )


#: Kinds of the file's values: a nested dict is an object with exactly these keys.
_SCHEMA = {
    "version": "int",
    "what": "str",
    "command": "str",
    "seed": "int",
    "trials_per_point": "int",
    "circuit": {
        "junction": {key: "number" for key in Junction().to_dict()},
        "input_pulse": {
            k: "number" for k in ("amplitude_ua", "width_ps", "centre_ps", "window_ps")
        },
        "dt_ps": "number",
        "noise_free_threshold_ua": "number",
    },
    "data": {"bias_ua": "numbers", "switched": "ints"},
    "curve": {
        "family": "str",
        **{
            key: "number"
            for key in (
                "i50_ua",
                "i50_se_ua",
                "width_ua",
                "width_se_ua",
                "correlation",
                "bias_min_ua",
                "bias_max_ua",
                "log_likelihood",
                "deviance",
                "gof_pvalue",
                "other_family_log_likelihood",
            )
        },
        "dof": "int",
        "other_family": "str",
    },
    "energy": {
        "per_switch_at_i50_j": "number",
        "per_switch_at_i50_se_j": "number",
        "total_over_bias_phi0": "number",
        "bias_part_over_bias_phi0": "number",
        "events": "int",
    },
    "delay": {
        "input_peak_to_slip_at_i50_ps": "number",
        "input_peak_to_slip_at_i50_se_ps": "number",
        "input_peak_to_slip_at_top_bias_ps": "number",
        "used_by_pulse_model": "bool",
    },
    "assumed": "strs",
}

_KIND_TEXT = {
    "int": "an integer",
    "number": "a finite number",
    "str": "a string",
    "bool": "true or false",
    "numbers": "an array of finite numbers",
    "ints": "an array of integers",
    "strs": "an array of strings",
}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(kind: str, value) -> bool:
    if kind == "int":
        return _is_int(value)
    if kind == "number":
        return _is_number(value)
    if kind == "str":
        return isinstance(value, str) and len(value) <= 1000
    if kind == "bool":
        return isinstance(value, bool)
    if not isinstance(value, list) or len(value) > 10_000:
        return False
    one = {"numbers": _is_number, "ints": _is_int, "strs": lambda v: _matches("str", v)}[kind]
    return all(one(v) for v in value)


def _check_schema(source: str, prefix: str, data, schema: dict) -> None:
    """Every key of ``schema`` present in ``data``, no other, each of its kind."""
    unknown = sorted(str(key) for key in data if key not in schema)
    if unknown:
        raise ValueError(
            f"{source}: unknown key {prefix}{unknown[0]!s}; allowed: {', '.join(schema)}"
        )
    for key, kind in schema.items():
        if key not in data:
            raise ValueError(f"{source}: missing key {prefix}{key}")
        value = data[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise ValueError(
                    f"{source}: {prefix}{key} must be a JSON object, got {checks.json_kind(value)}"
                )
            _check_schema(source, f"{prefix}{key}.", value, kind)
        elif not _matches(kind, value):
            shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
            raise ValueError(f"{source}: {prefix}{key}={shown}; allowed: {_KIND_TEXT[kind]}")


def load_calibration(source: str | Path = DEFAULT_CALIBRATION) -> Calibration:
    """Read and check a calibration file (``"default"``: the one shipped in the package).

    Raises:
        FileNotFoundError: a missing file.
        ValueError: anything :meth:`Calibration.from_dict` refuses, or a file that is not
            a JSON object.
    """
    data, name = checks.read_shipped_or_file(
        source,
        default=DEFAULT_CALIBRATION,
        package="qneuro.sfq",
        resource="data/calibration.json",
        what="calibration file",
    )
    return Calibration.from_dict(data, name)


def save_calibration(calibration: Calibration, path: str | Path) -> Path:
    """Write ``calibration`` to ``path`` as JSON, atomically; returns the path."""
    return atomic_write_json(path, calibration.to_dict())


# -- the experiment -------------------------------------------------------------------


def calibrate(
    trials: int = 400,
    *,
    points: int = 11,
    junction: Junction | None = None,
    pulse: InputPulse | None = None,
    seed: int = 0,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
    command: str | None = None,
) -> Calibration:
    """Run the circuit-level p(Ib) experiment and fit the pulse-level synapse to it.

    The bias grid has ``points`` biases centred on the noise-free threshold of the input
    pulse, spread over ``+- 4 Ic (kT/E_J)^(2/3)`` (the thermal switching window).

    Args:
        trials: trials per bias point.
        points: bias points (>= 3).
        junction: the synapse junction (default ``Junction()``: 100 uA, 4.2 K).
        pulse: its input pulse (default :class:`InputPulse`).
        seed: brian2 seed of the noise.
        dt: circuit-level time step.
        target: brian2 code generation.
        command: how to say it was made (stored in the file).
    """
    trials = checks.integer("trials", trials, 1, 10_000_000)
    points = checks.integer("points", points, 3, 1000)
    seed = checks.seed("seed", seed, limit=2**32)
    junction = Junction() if junction is None else junction
    pulse = InputPulse() if pulse is None else pulse
    threshold = deterministic_threshold(junction, pulse, dt=dt, target=target)
    ic = float(junction.ic)
    half = 4 * ic * max(junction.noise_ratio, 1e-6) ** (2 / 3)
    grid = np.linspace(
        max(float(threshold) - half, 0.0), min(float(threshold) + half, 0.999 * ic), points
    )
    begin = time.perf_counter()
    out = pulse_trials(junction, grid * amp, trials, pulse=pulse, seed=seed, dt=dt, target=target)
    wall = time.perf_counter() - begin
    hit = out.switched
    counts = hit.reshape(points, trials).sum(axis=1).astype(np.int64)
    fits = {name: fit_switching_curve(grid * amp, counts, trials, name) for name in CURVE_FAMILIES}
    fit = max(fits.values(), key=lambda f: f.log_likelihood)
    other = next(f for f in fits.values() if f is not fit)
    # energy: per slip, as a ratio to Ib * Phi0, over every switching event
    bias = np.asarray(out.bias)[hit]
    slips = np.maximum(out.slips[hit], 1)
    scale = bias * float(PHI0) * slips
    ratio = np.asarray(out.energy)[hit] / scale
    bias_ratio = np.asarray(out.bias_energy)[hit] / scale
    r, r_se = float(np.mean(ratio)), float(np.std(ratio, ddof=1) / np.sqrt(ratio.size))
    i50 = float(fit.i50)
    energy = r * i50 * float(PHI0)
    energy_se = float(np.hypot(r_se * i50, r * float(fit.i50_se)) * float(PHI0))
    # delay: input peak to the end of the first slip, per bias point
    delays = (np.asarray(out.switch_time) - float(pulse.centre)).reshape(points, trials)
    near = int(np.argmin(np.abs(grid - i50)))
    at_i50 = delays[near][np.isfinite(delays[near])]
    at_top = delays[-1][np.isfinite(delays[-1])]
    if command is None:
        command = f"qneuro.sfq.calibration.calibrate(trials={trials}, points={points}, seed={seed})"
    return Calibration(
        fit=fit,
        other_family_log_likelihood=other.log_likelihood,
        bias_min=0 * uamp,
        bias_max=junction.ic,
        energy_per_switch=energy * joule,
        energy_per_switch_se=energy_se * joule,
        energy_over_bias_phi0=r,
        bias_energy_over_bias_phi0=float(np.mean(bias_ratio)),
        events=int(ratio.size),
        delay=float(np.mean(at_i50)) * second,
        delay_se=float(np.std(at_i50, ddof=1) / np.sqrt(at_i50.size)) * second,
        delay_high=float(np.mean(at_top)) * second,
        biases=grid * amp,
        switched=counts,
        trials=trials,
        threshold=threshold,
        junction=junction.to_dict(),
        pulse={
            "amplitude_ua": float(pulse.amplitude / uamp),
            "width_ps": float(pulse.width / psecond),
            "centre_ps": float(pulse.centre / psecond),
            "window_ps": float(pulse.window / psecond),
        },
        dt=check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True),
        seed=seed,
        command=command,
        wall_time=wall,
    )


def equivalent_bias(bias: Quantity, source: SwitchingCurve, target: SwitchingCurve) -> Quantity:
    """The bias on ``target`` with the pass probability ``source`` has at ``bias``.

    The pulse-level network sees a synapse only through its pass probability, so a
    setting tuned on one curve runs unchanged on another at these biases.

    Raises:
        ValueError: a bias outside ``source``'s domain, or a probability ``target`` does
            not reach on its domain.
    """
    values = np.atleast_1d(np.asarray(check_quantity(bias, uamp, "bias", allow_array=True)))
    probs = source.probability(values * amp)
    mapped = np.array([float(target.bias_for(float(p))) for p in probs.ravel()])
    mapped = mapped.reshape(values.shape) * amp
    return mapped if np.ndim(bias) else mapped[0]


def calibrated_xor_setting(setting, calibration: Calibration, source: SwitchingCurve | None = None):
    """``setting`` (tuned on ``source``, default the assumed curve) at equal-probability biases.

    Each of the three XOR bias currents moves to :func:`equivalent_bias` on the
    calibrated curve, so the network passes each pulse with the same probability.
    """
    source = StochasticSynapse().curve if source is None else source
    return xor_setting_on_curve(setting, source, calibration.curve())


def xor_setting_on_curve(setting, source: SwitchingCurve, target: SwitchingCurve):
    """``setting`` with its biases moved from ``source`` to ``target``.

    Each of the three XOR bias currents (tuned on ``source``) moves to
    :func:`equivalent_bias` on ``target``: the same pass probability on the new curve.
    """
    return replace(
        setting,
        **{
            name: equivalent_bias(getattr(setting, name), source, target)
            for name in ("excitatory_bias", "inhibitory_bias", "output_bias")
        },
    )
