"""A rate-coded SFQ multi-layer classifier of the 8x8 digits.

Network: 64 input sources -> 64 -> 64 -> 10 somas, every connection a stochastic
synapse on the calibrated p(Ib) curve (``load_calibration()``); a connection's weight is
its pass probability ``p`` (realised as the bias current ``Ib`` with ``p(Ib) = p``) and
its sign is the soma port it feeds (excitatory or inhibitory). Connections trained below
:data:`PRUNE_PROBABILITY` are left out (sign 0).

Coding: pixel ``v`` (0 to 16) drives its source at ``v / 16 * max_rate`` (regular
DC-to-SFQ trains with random phase by default); the answer is the output soma with the
most pulses in the window ``duration`` (ties go to the earliest first pulse).

Rate model (what training optimises; :func:`rate_forward`). For one soma with
threshold ``theta``:

* synapses thin their inputs: excitatory drive ``a = sum_i r_i p_i`` over excitatory
  connections, inhibitory ``b`` likewise;
* each port's merger tree loses pulses within the merger dead time ``tau``: a port
  delivers ``a / (1 + a tau_eff)``, with ``tau_eff = tau (2 - 2**(1 - depth))`` for a
  balanced tree ``depth`` levels deep (the root's dead-time loss plus half of it again
  from each level below, whose mergers see half the rate);
* the soma is a fluxon counter with a floor at zero that fires and resets at
  ``theta``. With Poisson arrivals at up-rate ``a`` and down-rate ``b`` (a down-step
  at 0 is lost) the expected time from ``k`` to ``k + 1`` fluxons is
  ``t_k = (1 + rho t_{k-1} a) / a`` with ``rho = b / a``, so the firing rate is::

      r = a / sum_{j=0}^{theta-1} (theta - j) rho**j
        = a**theta / sum_{j=0}^{theta-1} (theta - j) b**j a**(theta-1-j)

  (``(a - b) / theta`` for ``b << a`` and large ``theta``; ``a`` for ``theta = 1``,
  where inhibition never acts because the loop is empty whenever it arrives);
* inputs arriving within ``refractory`` after a pulse are lost: ``r / (1 + r t_ref)``.

Training (:func:`train_digits`, torch, seconds): weights ``w`` in ``[-1, 1]`` (``p =
|w|``, sign of ``w``), Adam on the cross-entropy of the output counts, with Gaussian
count noise of variance ``r / duration`` injected after each hidden layer (so the
classifier survives the pulse counts' shot noise) and a small penalty on the squared
hidden rates (keeps the mergers and somas out of saturation). The shipped network is
``train_digits()`` with its defaults (:data:`DEFAULT_DIGITS_FILE`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity

from qneuro import checks
from qneuro.files import atomic_write_json

from .cells import SOURCE_KINDS, DCSFQSource
from .network import NetworkSpec, Projection, Simulation, simulate
from .soma import Soma
from .synapse import StochasticSynapse, SwitchingCurve
from .units import Ghertz, amp, joule, psecond, second, uamp

__all__ = [
    "DIGITS_VERSION",
    "DEFAULT_DIGITS_FILE",
    "PRUNE_PROBABILITY",
    "DigitsNetwork",
    "DigitsResult",
    "digits_split",
    "soma_rate",
    "rate_forward",
    "bias_for_probabilities",
    "train_digits",
    "load_digits_network",
    "save_digits_network",
    "evaluate_digits",
]

#: Version of the digits network file format.
DIGITS_VERSION = 1
#: The name :func:`load_digits_network` resolves to the network shipped in the package.
DEFAULT_DIGITS_FILE = "default"
#: Trained pass probabilities below this become "no connection" (sign 0).
PRUNE_PROBABILITY = 0.02
#: Pass probabilities are kept inside [P_FLOOR, 1 - P_FLOOR] when mapped to biases.
_P_FLOOR = 1e-9
#: Classes of the digits set.
N_CLASSES = 10
N_PIXELS = 64


def digits_split(test_size: float = 0.2, seed: int = 0):
    """scikit-learn's bundled 8x8 digits, stratified train/held-out split.

    Returns:
        ``(x_train, x_test, y_train, y_test)``; ``x`` are pixel values 0 to 16,
        shape ``(n, 64)``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not (isinstance(test_size, float | int) and 0.05 <= test_size <= 0.5):
        raise ValueError(f"test_size={test_size!r} must lie in [0.05, 0.5]")
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=float(test_size), stratify=y, random_state=seed)


# -- the rate model ---------------------------------------------------------------------


def soma_rate(exc, inh, threshold: int):
    """Firing rate of a floored fluxon counter at up-rate ``exc`` and down-rate ``inh``.

    ``exc**theta / sum_j (theta - j) inh**j exc**(theta-1-j)`` (module docstring); works on
    numpy arrays and torch tensors alike (only arithmetic operators).
    """
    theta = int(threshold)
    denominator = sum((theta - j) * inh**j * exc ** (theta - 1 - j) for j in range(theta))
    return exc**theta / (denominator + 1e-12)


def _tree_dead_time(fan_in: int, dead_time: float) -> float:
    depth = int(np.ceil(np.log2(fan_in))) if fan_in > 1 else 0
    return dead_time * (2.0 - 2.0 ** (1 - depth)) if depth else 0.0


def _layer(rates, weights, threshold, dead_time, refractory):
    """One layer of the rate model; ``weights`` signed probabilities (numpy or torch)."""
    fan_in = weights.shape[0]
    tau = _tree_dead_time(fan_in, dead_time)
    exc = rates @ (weights * (weights > 0))
    inh = rates @ (-weights * (weights < 0))
    exc = exc / (1 + exc * tau)
    inh = inh / (1 + inh * tau)
    out = soma_rate(exc, inh, threshold)
    return out / (1 + out * refractory)


def rate_forward(
    rates_ghz: np.ndarray,
    weights: list[np.ndarray],
    thresholds: tuple[int, ...],
    *,
    dead_time_ps: float = 8.2,
    refractory_ps: float = 10.0,
) -> list[np.ndarray]:
    """Expected rates of every layer (GHz) for input rates ``(n, n_inputs)`` in GHz.

    Args:
        rates_ghz: input rates.
        weights: per projection, signed pass probabilities ``sign * p``, shape
            ``(n_pre, n_post)``.
        thresholds: soma threshold of each non-input layer.
        dead_time_ps: merger dead time.
        refractory_ps: soma refractory time.

    Returns:
        ``[inputs, layer 1, ..., output]`` rates in GHz.
    """
    out = [np.asarray(rates_ghz, dtype=float)]
    dead, refr = dead_time_ps * 1e-3, refractory_ps * 1e-3  # ns, so that GHz * ns = pulses
    for w, theta in zip(weights, thresholds, strict=True):
        out.append(_layer(out[-1], np.asarray(w, float), theta, dead, refr))
    return out


def bias_for_probabilities(curve: SwitchingCurve, probabilities) -> Quantity:
    """Bias currents at which ``curve`` passes ``probabilities`` (any shape; bisection).

    Probabilities are clipped to what the curve reaches on its bias range.
    """
    p = np.asarray(probabilities, dtype=float)
    if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ValueError("probabilities must be finite numbers in [0, 1]")
    lo_b, hi_b = float(curve.bias_min), float(curve.bias_max)
    lo = np.full(p.shape, lo_b)
    hi = np.full(p.shape, hi_b)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = curve.probability(mid * amp) < p
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi) * amp


# -- the network ------------------------------------------------------------------------


def _is_count(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True, eq=False)
class DigitsNetwork:
    """A trained digits classifier: bias currents, signs and coding constants.

    Args:
        bias_ua: per projection, bias currents in uA on the calibrated synapse curve,
            shape ``(n_pre, n_post)`` (0 where ``sign == 0``).
        sign: per projection, ``-1`` / ``0`` / ``+1`` of the same shape.
        thresholds: soma threshold (fluxons) of each non-input layer.
        max_rate_ghz: input rate of a pixel at 16.
        duration_ps: counting window of one inference.
        source_kind: ``"regular"`` or ``"poisson"`` input trains.
        test_size, split_seed: the held-out split the network was trained against.
        training: how it was made (command, epochs, seed, rate-model accuracy).
    """

    bias_ua: tuple[np.ndarray, ...]
    sign: tuple[np.ndarray, ...]
    thresholds: tuple[int, ...]
    max_rate_ghz: float = 10.0
    duration_ps: float = 3000.0
    source_kind: str = "regular"
    test_size: float = 0.2
    split_seed: int = 0
    training: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        bias = tuple(np.asarray(b, dtype=float) for b in self.bias_ua)
        sign = tuple(np.asarray(s) for s in self.sign)
        if len(bias) != len(sign) or len(bias) < 3:
            raise ValueError("a digits network needs bias and sign for >= 3 projections")
        for k, (b, s) in enumerate(zip(bias, sign, strict=True)):
            if b.ndim != 2 or b.shape != s.shape:
                raise ValueError(f"projection {k}: bias {b.shape} and sign {s.shape} must match")
            if k and b.shape[0] != bias[k - 1].shape[1]:
                raise ValueError(f"projection {k} does not follow projection {k - 1}")
            if not np.all(np.isin(s, (-1, 0, 1))):
                raise ValueError(f"projection {k}: sign entries must be -1, 0 or +1")
        if bias[0].shape[0] != N_PIXELS or bias[-1].shape[1] != N_CLASSES:
            raise ValueError(f"need {N_PIXELS} inputs and {N_CLASSES} outputs")
        thresholds = tuple(self.thresholds)
        if len(thresholds) != len(bias) or not all(_is_count(t) for t in thresholds):
            raise ValueError("thresholds: one integer >= 1 per non-input layer")
        rate, window = self.max_rate_ghz, self.duration_ps
        if not (isinstance(rate, int | float) and 0 < rate <= 100):
            raise ValueError(f"max_rate_ghz={rate!r} must lie in (0, 100]")
        if not (isinstance(window, int | float) and 0 < window <= 1e6):
            raise ValueError(f"duration_ps={window!r} must lie in (0, 1e6]")
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(f"source_kind={self.source_kind!r}; allowed: {SOURCE_KINDS}")
        object.__setattr__(self, "bias_ua", bias)
        object.__setattr__(self, "sign", tuple(s.astype(np.int64) for s in sign))
        object.__setattr__(self, "thresholds", tuple(int(t) for t in thresholds))

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Neurons per layer, inputs first."""
        return (self.bias_ua[0].shape[0], *(b.shape[1] for b in self.bias_ua))

    def synapse(self) -> StochasticSynapse:
        """The calibrated synapse the biases refer to."""
        from .calibration import load_calibration

        return load_calibration().synapse()

    def spec(self) -> NetworkSpec:
        """The pulse-level network."""
        return NetworkSpec(
            layer_sizes=self.layer_sizes,
            projections=tuple(
                Projection(np.where(s != 0, b, 0.0) * uamp, s)
                for b, s in zip(self.bias_ua, self.sign, strict=True)
            ),
            somas=tuple(Soma(threshold=t) for t in self.thresholds),
            synapse=self.synapse(),
            source=DCSFQSource(kind=self.source_kind),
        )

    def weights(self) -> list[np.ndarray]:
        """Signed pass probabilities ``sign * p(Ib)`` of each projection."""
        curve = self.synapse().curve
        out = []
        for b, s in zip(self.bias_ua, self.sign, strict=True):
            w = np.zeros(b.shape)
            used = s != 0
            w[used] = s[used] * curve.probability(b[used] * uamp)
            out.append(w)
        return out

    def input_rates(self, pixels: np.ndarray) -> np.ndarray:
        """Input rates (GHz) of pixel rows (0 to 16)."""
        return np.asarray(pixels, float) / 16.0 * self.max_rate_ghz

    def rate_model(self, pixels: np.ndarray) -> np.ndarray:
        """Rate-model output rates (GHz), shape ``(n, 10)``."""
        return rate_forward(self.input_rates(pixels), self.weights(), self.thresholds)[-1]

    def to_dict(self) -> dict:
        """The JSON file's object (units in key names)."""
        return {
            "version": DIGITS_VERSION,
            "what": "qneuro.sfq rate-coded SFQ digits classifier (biases on the calibrated "
            "synapse curve, qneuro/sfq/data/calibration.json)",
            "layer_sizes": list(self.layer_sizes),
            "thresholds": list(self.thresholds),
            "max_rate_ghz": float(self.max_rate_ghz),
            "duration_ps": float(self.duration_ps),
            "source_kind": self.source_kind,
            "test_size": float(self.test_size),
            "split_seed": int(self.split_seed),
            "training": dict(self.training),
            "sign": [s.tolist() for s in self.sign],
            "bias_ua": [
                np.round(np.where(s != 0, b, 0.0), 4).tolist()
                for b, s in zip(self.bias_ua, self.sign, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "digits network") -> DigitsNetwork:
        """Check and read :meth:`to_dict`'s object (ValueError naming ``source``)."""
        want = _KEYS
        missing, unknown = sorted(want - set(data)), sorted(set(data) - want)
        if missing or unknown:
            raise ValueError(f"{source}: missing keys {missing}, unknown keys {unknown}")
        if data["version"] != DIGITS_VERSION:
            raise ValueError(f"{source}: version {data['version']!r}; this code reads 1")
        try:
            net = cls(
                bias_ua=tuple(np.asarray(b, dtype=float) for b in data["bias_ua"]),
                sign=tuple(np.asarray(s, dtype=np.int64) for s in data["sign"]),
                thresholds=tuple(data["thresholds"]),
                max_rate_ghz=data["max_rate_ghz"],
                duration_ps=data["duration_ps"],
                source_kind=data["source_kind"],
                test_size=data["test_size"],
                split_seed=data["split_seed"],
                training=dict(data["training"]),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from None
        if list(net.layer_sizes) != list(data["layer_sizes"]):
            raise ValueError(f"{source}: layer_sizes do not match the bias arrays")
        return net


_KEYS = {
    "version",
    "what",
    "layer_sizes",
    "thresholds",
    "max_rate_ghz",
    "duration_ps",
    "source_kind",
    "test_size",
    "split_seed",
    "training",
    "sign",
    "bias_ua",
}


def load_digits_network(source: str | Path = DEFAULT_DIGITS_FILE) -> DigitsNetwork:
    """Read and check a digits network file (``"default"``: the one shipped)."""
    data, name = checks.read_shipped_or_file(
        source,
        default=DEFAULT_DIGITS_FILE,
        package="qneuro.sfq",
        resource="data/digits.json",
        what="digits network file",
    )
    return DigitsNetwork.from_dict(data, name)


def save_digits_network(network: DigitsNetwork, path: str | Path) -> Path:
    """Write ``network`` as JSON (atomically)."""
    return atomic_write_json(path, network.to_dict(), indent=None)


# -- training ---------------------------------------------------------------------------


def train_digits(
    *,
    hidden: tuple[int, ...] = (64, 64),
    thresholds: tuple[int, ...] = (4, 4, 4),
    max_rate_ghz: float = 10.0,
    duration_ps: float = 3000.0,
    epochs: int = 300,
    rate_penalty: float = 1e-3,
    learning_rate: float = 0.01,
    test_size: float = 0.2,
    split_seed: int = 0,
    seed: int = 0,
    command: str = "",
) -> DigitsNetwork:
    """Train the rate model on the training split and map it onto bias currents.

    See the module docstring for the model and the objective. Deterministic for a given
    seed on one thread (torch CPU).
    """
    import torch

    if not (_is_count(epochs) and epochs <= 10_000):
        raise ValueError(f"epochs={epochs!r} must be an integer in [1, 10000]")
    if len(thresholds) != len(hidden) + 1:
        raise ValueError("thresholds: one per hidden layer plus one for the output")
    x_train, x_test, y_train, y_test = digits_split(test_size, split_seed)
    sizes = (N_PIXELS, *hidden, N_CLASSES)
    window_ns = duration_ps * 1e-3
    gen = torch.Generator().manual_seed(seed)
    weights = [
        torch.nn.Parameter((torch.rand(a, b, generator=gen) * 2 - 1) * float(np.sqrt(3 / a)))
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    optimiser = torch.optim.Adam(weights, lr=learning_rate)
    x = torch.tensor(x_train / 16.0 * max_rate_ghz, dtype=torch.float32)
    y = torch.tensor(y_train)
    dead, refr = 8.2e-3, 10e-3  # ns: GHz * ns = pulses
    start = time.perf_counter()
    for _ in range(int(epochs)):
        order = torch.randperm(len(x), generator=gen)
        for k in range(0, len(x), 64):
            batch = order[k : k + 64]
            rates, penalty = x[batch], 0.0
            for layer, (w, theta) in enumerate(zip(weights, thresholds, strict=True)):
                rates = _layer(rates, w, theta, dead, refr)
                penalty = penalty + (rates**2).mean()
                if layer < len(weights) - 1:  # shot noise of the pulse counts
                    noise = torch.randn(rates.shape, generator=gen)
                    rates = torch.relu(rates + torch.sqrt(rates / window_ns + 1e-6) * noise)
            logits = rates * window_ns * 0.5
            loss = torch.nn.functional.cross_entropy(logits, y[batch]) + rate_penalty * penalty
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                for w in weights:
                    w.clamp_(-1.0, 1.0)
    curve = _calibrated_curve()
    bias, sign = [], []
    for w in weights:
        w = w.detach().numpy().astype(float)
        p = np.abs(w)
        s = np.sign(w).astype(np.int64)
        s[p < PRUNE_PROBABILITY] = 0
        b = bias_for_probabilities(curve, np.clip(p, _P_FLOOR, 1 - _P_FLOOR)) / uamp
        bias.append(np.where(s != 0, np.round(np.asarray(b), 4), 0.0))
        sign.append(s)
    net = DigitsNetwork(
        tuple(bias),
        tuple(sign),
        tuple(thresholds),
        max_rate_ghz=float(max_rate_ghz),
        duration_ps=float(duration_ps),
        test_size=float(test_size),
        split_seed=int(split_seed),
    )
    rate_acc = float(np.mean(net.rate_model(x_test).argmax(axis=1) == y_test))
    train_acc = float(np.mean(net.rate_model(x_train).argmax(axis=1) == y_train))
    training = {
        "command": command,
        "epochs": int(epochs),
        "seed": int(seed),
        "rate_penalty": float(rate_penalty),
        "learning_rate": float(learning_rate),
        "prune_probability": PRUNE_PROBABILITY,
        "rate_model_test_accuracy": rate_acc,
        "rate_model_train_accuracy": train_acc,
        "wall_s": round(time.perf_counter() - start, 2),
    }
    object.__setattr__(net, "training", training)
    return net


def _calibrated_curve() -> SwitchingCurve:
    from .calibration import load_calibration

    return load_calibration().synapse().curve


# -- evaluation -------------------------------------------------------------------------


@dataclass
class DigitsResult:
    """A pulse-level evaluation on held-out digits.

    Attributes:
        network: the evaluated network.
        labels: true class of each trial; predictions: the network's answer.
        counts: output pulses per trial, shape ``(trials, 10)``.
        rate_model_accuracy: the rate model's accuracy on the same digits.
        confusion: ``confusion[true, predicted]`` trial counts.
        jj_count, jj_counts: junctions of one network copy (total, by cell kind).
        energy_per_inference: mean switching energy of one trial (joule).
        first_pulse: mean time of the winning output soma's first pulse (second).
        nominal_latency: the fastest input-to-output path.
        wall_time: seconds of the brian2 run.
    """

    network: DigitsNetwork
    labels: np.ndarray
    predictions: np.ndarray
    counts: np.ndarray
    rate_model_accuracy: float
    confusion: np.ndarray
    jj_count: int
    jj_counts: dict
    energy_per_inference: Quantity
    first_pulse: Quantity
    nominal_latency: Quantity
    wall_time: float
    simulation: Simulation = field(repr=False)

    @property
    def accuracy(self) -> float:
        """Fraction of trials answered correctly."""
        return float(np.mean(self.predictions == self.labels))

    def to_dict(self) -> dict:
        """JSON-ready summary (the CLI's ``--json`` object)."""
        n = int(self.labels.size)
        acc = self.accuracy
        return {
            "trials": n,
            "accuracy": acc,
            "accuracy_se": float(np.sqrt(acc * (1 - acc) / n)),
            "rate_model_accuracy": self.rate_model_accuracy,
            "confusion": self.confusion.tolist(),
            "per_class_accuracy": (
                np.diag(self.confusion) / np.maximum(self.confusion.sum(axis=1), 1)
            ).tolist(),
            "jj_count": self.jj_count,
            "jj_counts": self.jj_counts,
            "energy_per_inference_j": float(self.energy_per_inference / joule),
            "window_ps": float(self.network.duration_ps),
            "first_pulse_ps": float(self.first_pulse / psecond),
            "nominal_latency_ps": float(self.nominal_latency / psecond),
            "mean_output_pulses": float(self.counts.sum(axis=1).mean()),
            "layer_sizes": list(self.network.layer_sizes),
            "thresholds": list(self.network.thresholds),
            "max_rate_ghz": self.network.max_rate_ghz,
            "source_kind": self.network.source_kind,
            "test_size": self.network.test_size,
            "wall_s": self.wall_time,
        }


def _decide(counts: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Most pulses wins; ties go to the earliest first pulse, then the lowest index."""
    first = np.where(np.isnan(first), np.inf, first)
    # lexsort is stable: equal counts and first pulses keep the lower index first
    return np.array([np.lexsort((first[k], -counts[k]))[0] for k in range(len(counts))])


def evaluate_digits(
    network: DigitsNetwork | None = None,
    *,
    digits: int | None = None,
    trials: int = 1,
    seed: int = 0,
    target: str = "numpy",
    progress: bool = False,
) -> DigitsResult:
    """Classify held-out digits at pulse level in one batched brian2 run.

    Args:
        network: the classifier (default: the shipped one).
        digits: the first ``digits`` held-out digits (default: all of them).
        trials: independent pulse-level trials of each digit.
        seed: random seed (input phases, synapse draws).
        target: brian2 codegen target.
        progress: show a progress bar.
    """
    network = network or load_digits_network()
    _, x_test, _, y_test = digits_split(network.test_size, network.split_seed)
    if digits is None:
        digits = len(y_test)
    if not _is_count(digits) or digits > len(y_test):
        raise ValueError(f"digits={digits!r} must be an integer in [1, {len(y_test)}]")
    if not _is_count(trials) or trials > 1000:
        raise ValueError(f"trials={trials!r} must be an integer in [1, 1000]")
    pixels = np.repeat(x_test[:digits], trials, axis=0)
    labels = np.repeat(y_test[:digits], trials)
    spec = network.spec()
    start = time.perf_counter()
    sim = simulate(
        spec,
        network.input_rates(pixels) * Ghertz,
        network.duration_ps * psecond,
        seed=seed,
        target=target,
        progress=progress,
    )
    wall = time.perf_counter() - start
    counts = sim.counts[-1]
    first = np.asarray(sim.first_pulse[-1] / second)
    predictions = _decide(counts, first)
    confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    won = first[np.arange(len(predictions)), predictions]
    rate_acc = float(np.mean(network.rate_model(x_test[:digits]).argmax(axis=1) == y_test[:digits]))
    return DigitsResult(
        network=network,
        labels=labels,
        predictions=predictions,
        counts=counts,
        rate_model_accuracy=rate_acc,
        confusion=confusion,
        jj_count=spec.jj_count,
        jj_counts=spec.jj_counts(),
        energy_per_inference=float(np.mean(sim.energy / joule)) * joule,
        first_pulse=float(np.nanmean(won)) * second
        if np.any(np.isfinite(won))
        else np.nan * second,
        nominal_latency=spec.nominal_latency(),
        wall_time=wall,
        simulation=sim,
    )
