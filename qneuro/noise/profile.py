"""Noise profiles: which channel follows which gate on which qubits, plus readout."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from qneuro.ptm import channels
from qneuro.ptm.gates import COMPOSITE_GATES, FIXED_GATES, ROTATION_GATES

from . import presets
from .device import Calibration, UniformCalibration, device_gate_channel


def _arity(name: str) -> int:
    if name in FIXED_GATES:
        return FIXED_GATES[name]().num_qubits
    if name in ROTATION_GATES:
        return len(ROTATION_GATES[name])
    return 1 if name in COMPOSITE_GATES else 0


#: Supported gates by number of qubits.
ONE_QUBIT_GATES = tuple(
    sorted(g for g in {*FIXED_GATES, *ROTATION_GATES, *COMPOSITE_GATES} if _arity(g) == 1)
)
TWO_QUBIT_GATES = tuple(sorted(g for g in {*FIXED_GATES, *ROTATION_GATES} if _arity(g) == 2))


class NoiseProfile:
    """Noise channels per gate and qubits, and readout errors per qubit.

    A channel is a PTM (see :mod:`qneuro.ptm.channels`) applied right after its gate,
    on the gate's qubits in argument order. A channel registered for specific qubits
    overrides the gate's default (all-qubit) channel, as in qiskit-aer's ``NoiseModel``;
    adding a second channel to the same slot composes it after the first. Readout is
    ``(p(1|0), p(0|1))`` per qubit.

    Build one with a constructor (:meth:`ideal`, :meth:`depolarizing`,
    :meth:`from_noise_model`, :meth:`from_backend`, :meth:`from_target`,
    :meth:`from_calibration`, :meth:`preset`) or add channels by hand:

    >>> from qneuro.ptm import channels
    >>> noise = NoiseProfile().add_channel(channels.amplitude_damping(0.01), ["rx", "ry"])
    >>> noise.gate_channel("rx", (3,)).shape
    (4, 4)

    Simulators read a profile when they compile a circuit: change it before, not after.
    """

    def __init__(self, name: str = "custom") -> None:
        self.name = name
        self._default: dict[str, np.ndarray] = {}
        self._local: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}
        self._default_readout: tuple[float, float] | None = None
        self._readout: dict[int, tuple[float, float]] = {}

    # -- the NoiseSource protocol used by the simulator ---------------------------

    def gate_channel(self, gate: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        """PTM applied after ``gate`` on ``qubits``, or None when the gate is ideal."""
        channel = self._local.get((gate, tuple(qubits)))
        return self._default.get(gate) if channel is None else channel

    def readout(self, qubit: int) -> tuple[float, float] | None:
        """``(p(1|0), p(0|1))`` for ``qubit``, or None when its readout is ideal."""
        return self._readout.get(qubit, self._default_readout)

    # -- building -------------------------------------------------------------------

    def add_channel(
        self,
        channel,
        gates: str | Iterable[str],
        qubits: Sequence[int] | None = None,
    ) -> NoiseProfile:
        """Add ``channel`` after ``gates`` (on ``qubits`` only, or on any qubits).

        Args:
            channel: a PTM array, or anything :func:`qneuro.ptm.channels.from_qiskit`
                takes (``QuantumError``, ``QuantumChannel``, Kraus list).
            gates: gate name(s).
            qubits: the gate's qubits in argument order, or None for every placement.

        Returns:
            self, for chaining.
        """
        ptm = _as_ptm(channel)
        for gate in [gates] if isinstance(gates, str) else list(gates):
            arity = _arity(gate)
            if not arity:
                raise ValueError(
                    f"gate {gate!r} is not one the simulator runs; allowed: "
                    f"{', '.join(ONE_QUBIT_GATES + TWO_QUBIT_GATES)}"
                )
            width = (ptm.shape[0].bit_length() - 1) // 2
            if arity and width != arity:
                raise ValueError(
                    f"a {width}-qubit channel cannot follow {gate!r}, which acts on {arity} "
                    "qubit(s)"
                )
            if qubits is None:
                self._default[gate] = _then(self._default.get(gate), ptm)
            else:
                key = (gate, tuple(int(q) for q in qubits))
                if len(key[1]) != width:
                    raise ValueError(f"qubits {key[1]} do not match a {width}-qubit channel")
                self._local[key] = _then(self._local.get(key), ptm)
        return self

    def add_readout(
        self, p10: float, p01: float, qubits: Iterable[int] | None = None
    ) -> NoiseProfile:
        """Set readout error ``p10 = p(1|0)``, ``p01 = p(0|1)`` on ``qubits`` (None: all)."""
        for value, label in ((p10, "p(1|0)"), (p01, "p(0|1)")):
            if not 0 <= value <= 1:
                raise ValueError(f"readout error {label} = {value} is outside [0, 1]")
        error = (float(p10), float(p01))
        if qubits is None:
            self._default_readout = error
        else:
            for q in qubits:
                self._readout[int(q)] = error
        return self

    def subset(self, qubits: Sequence[int]) -> NoiseProfile:
        """The noise of physical ``qubits``, renumbered ``0..len(qubits)-1`` in that order.

        Channels on pairs with a qubit outside ``qubits`` are dropped (they can no
        longer occur); default channels and readout carry over.
        """
        mapping = {int(q): i for i, q in enumerate(qubits)}
        if len(mapping) != len(qubits):
            raise ValueError(f"qubits {list(qubits)} contain a repeat")
        result = NoiseProfile(f"{self.name}[{','.join(map(str, qubits))}]")
        result._default = dict(self._default)
        result._default_readout = self._default_readout
        for (gate, on), ptm in self._local.items():
            if all(q in mapping for q in on):
                result._local[(gate, tuple(mapping[q] for q in on))] = ptm
        for q, error in self._readout.items():
            if q in mapping:
                result._readout[mapping[q]] = error
        return result

    def folded(self, scale: int) -> NoiseProfile:
        """The same profile with every gate channel applied ``scale`` times (``N**scale``).

        Noise amplification for zero-noise extrapolation: the noise of locally folded
        gates ``G (G^dagger G)^((scale-1)/2)`` when each gate's channel commutes with the
        gate (depolarizing and other Pauli channels with Pauli rotations about their own
        axes), a model of stretched pulses otherwise. ``scale``: a positive odd integer.
        Readout is unchanged.
        """
        if isinstance(scale, bool) or not isinstance(scale, int | np.integer):
            raise ValueError(f"scale={scale!r}; allowed: a positive odd integer")
        if scale < 1 or scale % 2 == 0:
            raise ValueError(f"scale={scale}; allowed: a positive odd integer (1, 3, 5, ...)")
        result = self.without_readout()
        result.name = f"{self.name} x{scale}"
        result._default = {g: np.linalg.matrix_power(m, scale) for g, m in self._default.items()}
        result._local = {k: np.linalg.matrix_power(m, scale) for k, m in self._local.items()}
        result._default_readout = self._default_readout
        result._readout = dict(self._readout)
        return result

    def without_readout(self) -> NoiseProfile:
        """The same gate channels with ideal readout.

        For exact expectation values this equals readout-error mitigation by inverting
        each qubit's confusion matrix (exact for independent readout errors).
        """
        result = NoiseProfile(f"{self.name} without readout")
        result._default = dict(self._default)
        result._local = dict(self._local)
        return result

    @property
    def is_ideal(self) -> bool:
        """True when no channel and no readout error is set."""
        return not (self._default or self._local or self._readout or self._default_readout)

    def __repr__(self) -> str:
        gates = sorted({*self._default, *(gate for gate, _ in self._local)})
        if self._default_readout:
            readout = "readout error on all qubits"
        elif self._readout:
            readout = f"readout error on {len(self._readout)} qubit(s)"
        else:
            readout = "no readout error"
        return (
            f"NoiseProfile({self.name!r}: channels on {gates or 'no gates'}, "
            f"{len(self._local)} qubit-specific, {readout})"
        )

    # -- constructors ---------------------------------------------------------------

    @classmethod
    def ideal(cls) -> NoiseProfile:
        """No noise."""
        return cls("ideal")

    @classmethod
    def depolarizing(cls, p1: float, p2: float) -> NoiseProfile:
        """Depolarizing ``p1`` after one-qubit and ``p2`` after two-qubit gates (Aer convention)."""
        one, two = channels.depolarizing(p1, 1), channels.depolarizing(p2, 2)  # checks p1, p2
        profile = cls(f"depolarizing-{p1:g}-{p2:g}")
        profile.add_channel(one, ONE_QUBIT_GATES)
        profile.add_channel(two, TWO_QUBIT_GATES)
        return profile

    @classmethod
    def from_noise_model(cls, noise_model) -> NoiseProfile:
        """Every ``QuantumError`` and ``ReadoutError`` of a qiskit-aer ``NoiseModel``, exactly.

        Raises:
            ValueError: for what a PTM profile cannot represent: custom noise passes,
                quantum errors on measure, correlated multi-qubit readout errors.
        """
        from qiskit_aer.noise import NoiseModel

        if not isinstance(noise_model, NoiseModel):
            raise TypeError(f"expected a qiskit_aer NoiseModel, got {type(noise_model).__name__}")
        if noise_model._custom_noise_passes:
            raise ValueError("the NoiseModel has custom noise passes, which cannot be converted")
        profile = cls("noise-model")
        for gate, error in noise_model._default_quantum_errors.items():
            _check_gate_error(gate)
            profile._default[gate] = channels.from_qiskit(error)
        for gate, by_qubits in noise_model._local_quantum_errors.items():
            _check_gate_error(gate)
            for qubits, error in by_qubits.items():
                profile._local[(gate, tuple(qubits))] = channels.from_qiskit(error)
        if noise_model._default_readout_error is not None:
            profile._default_readout = _readout_pair(noise_model._default_readout_error)
        for qubits, error in noise_model._local_readout_errors.items():
            if len(qubits) != 1:
                raise ValueError(
                    f"readout error on qubits {qubits} is correlated; only one-qubit readout "
                    "errors are supported"
                )
            profile._readout[qubits[0]] = _readout_pair(error)
        return profile

    @classmethod
    def from_calibration(cls, calibration: Calibration | UniformCalibration) -> NoiseProfile:
        """Device noise as qiskit-aer's ``NoiseModel.from_backend`` builds it.

        A :class:`Calibration` gives per-qubit channels on exactly its calibrated gates;
        a :class:`UniformCalibration` gives the same channels on every qubit: its
        one-qubit gate numbers (``sx`` first, then ``x``) on every one-qubit gate, and
        its ``cx`` numbers (or ``ecr``/``cz``) on every two-qubit gate.
        """
        profile = cls(calibration.name)
        if isinstance(calibration, UniformCalibration):
            one = _first(calibration.gates, ("sx", "x", "id"))
            two = _first(calibration.gates, ("cx", "ecr", "cz"))
            for gates, props, width in ((ONE_QUBIT_GATES, one, 1), (TWO_QUBIT_GATES, two, 2)):
                if props is None:
                    continue
                ptm = device_gate_channel(
                    props.error,
                    props.duration,
                    (calibration.t1,) * width,
                    (calibration.t2,) * width,
                )
                if ptm is not None:
                    profile.add_channel(ptm, gates)
            if any(calibration.readout):
                profile.add_readout(*calibration.readout)
            return profile
        for (gate, qubits), props in calibration.gates.items():
            ptm = device_gate_channel(
                props.error,
                props.duration,
                tuple(calibration.t1[q] for q in qubits),
                tuple(calibration.t2[q] for q in qubits),
            )
            if ptm is not None:
                profile._local[(gate, qubits)] = ptm
        for q, error in enumerate(calibration.readout):
            if error is not None:
                profile._readout[q] = error
        return profile

    @classmethod
    def from_target(cls, target, name: str = "target") -> NoiseProfile:
        """Device noise from a qiskit ``Target`` (see :meth:`from_calibration`)."""
        return cls.from_calibration(Calibration.from_target(target, name))

    @classmethod
    def from_backend(cls, backend) -> NoiseProfile:
        """Device noise from a ``BackendV2`` such as ``FakeMumbaiV2()``.

        The channels are those of qiskit-aer's ``NoiseModel.from_backend``. Convert once,
        reuse often.
        """
        target = getattr(backend, "target", None)
        if target is None:
            raise TypeError(f"expected a qiskit BackendV2, got {type(backend).__name__}")
        return cls.from_target(target, getattr(backend, "name", "backend"))

    @classmethod
    def preset(cls, name: str) -> NoiseProfile:
        """A named profile; see :func:`qneuro.noise.presets.preset_names`."""
        meaning = presets.resolve(name)
        if meaning is None:
            return cls.ideal()
        if isinstance(meaning, tuple):
            return cls.depolarizing(*meaning)
        profile = cls.from_calibration(meaning)
        profile.name = name
        return profile


def _as_ptm(channel) -> np.ndarray:
    if isinstance(channel, np.ndarray):
        ptm = np.asarray(channel, dtype=float)
        channels.check_cptp(ptm)
        return ptm
    return channels.from_qiskit(channel)


def _then(first: np.ndarray | None, second: np.ndarray) -> np.ndarray:
    return second if first is None else second @ first


def _first(gates, names):
    return next((gates[n] for n in names if n in gates), None)


def _check_gate_error(gate: str) -> None:
    # Errors on reset or delay are kept: circuits with those instructions are rejected
    # when compiled. An error before measurement would change counts, not expectations.
    if gate == "measure":
        raise ValueError(
            "the NoiseModel has a quantum error on 'measure', which the PTM simulator cannot "
            "represent; model measurement noise as a readout error"
        )


def _readout_pair(error) -> tuple[float, float]:
    probabilities = np.asarray(error.probabilities, dtype=float)
    if probabilities.shape != (2, 2):
        raise ValueError(f"readout error has shape {probabilities.shape}; expected one qubit")
    return float(probabilities[0, 1]), float(probabilities[1, 0])
