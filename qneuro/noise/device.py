"""Device calibrations and the noise channels qiskit-aer derives from them.

A :class:`Calibration` holds what a backend reports: per qubit T1, T2 and readout
errors, per gate and qubits an error (1 - average gate fidelity) and a duration. Times
are in seconds.

:func:`device_gate_channel` is the model of qiskit-aer's ``NoiseModel.from_backend``
(temperature 0): thermal relaxation for the gate's duration on each qubit (T2 truncated
to 2 T1), preceded by a depolarizing channel whose strength makes the average gate
fidelity of the composition equal to the reported error,
``p = d (e - e_relax) / (d F_relax - 1)`` with ``d = 2**k``, ``e`` capped at
``d / (d + 1)`` and ``p`` at ``4**k / (4**k - 1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qneuro import checks
from qneuro.files import atomic_write_json
from qneuro.ptm import channels

#: Largest calibration file :meth:`Calibration.load` reads (bytes).
MAX_CALIBRATION_BYTES = 16 * 2**20


@dataclass(frozen=True)
class GateCalibration:
    """Reported properties of one gate on specific qubits."""

    error: float | None  #: 1 - average gate fidelity, or None when not reported
    duration: float | None  #: seconds, or None


@dataclass(frozen=True)
class Calibration:
    """A device calibration snapshot.

    Attributes:
        name: device name.
        t1, t2: per-qubit relaxation and dephasing times (s); None when unknown.
        readout: per-qubit ``(p(1|0), p(0|1))``.
        gates: ``{(gate name, qubits): GateCalibration}`` for every calibrated gate.
        source: where the numbers came from.
    """

    name: str
    t1: tuple[float | None, ...]
    t2: tuple[float | None, ...]
    readout: tuple[tuple[float, float] | None, ...]
    gates: dict[tuple[str, tuple[int, ...]], GateCalibration] = field(default_factory=dict)
    source: str = ""

    @property
    def num_qubits(self) -> int:
        """Number of qubits of the device."""
        return len(self.t1)

    @classmethod
    def from_target(cls, target, name: str = "target", source: str = "") -> Calibration:
        """Read a qiskit ``Target``: qubit properties, gate errors/durations, measure errors.

        Only instructions that are unitary gates are kept (measure gives the readout;
        reset and delay are not simulated). Readout uses ``prob_meas1_prep0`` and
        ``prob_meas0_prep1`` when the target has them, else the symmetric measure error,
        as qiskit-aer does.
        """
        from qiskit.circuit import Gate

        properties = target.qubit_properties or [None] * target.num_qubits
        t1 = tuple(getattr(p, "t1", None) for p in properties)
        t2 = tuple(getattr(p, "t2", None) for p in properties)
        readout: list[tuple[float, float] | None] = [None] * target.num_qubits
        gates: dict[tuple[str, tuple[int, ...]], GateCalibration] = {}
        for op_name, by_qubits in target.items():
            if by_qubits is None:
                continue
            operation = target.operation_from_name(op_name)
            for qubits, props in by_qubits.items():
                if props is None or qubits is None:
                    continue
                if op_name == "measure":
                    p10 = getattr(props, "prob_meas1_prep0", None)
                    p01 = getattr(props, "prob_meas0_prep1", None)
                    if p10 is None or p01 is None:
                        p10 = p01 = props.error
                    if p10 is not None:
                        readout[qubits[0]] = (float(p10), float(p01))
                elif isinstance(operation, Gate):
                    gates[(op_name, tuple(qubits))] = GateCalibration(props.error, props.duration)
        return cls(name, t1, t2, tuple(readout), gates, source)

    def summary(self, statistic: str, scale: float = 1.0) -> UniformCalibration:
        """One set of numbers for every qubit: the ``"median"`` or worst (``"max"``) value.

        ``"max"`` takes the largest errors and durations and the shortest T1 and T2.
        ``scale`` multiplies the gate errors (capped at ``d / (d + 1)``, the fully
        depolarizing value); T1, T2 and readout stay as they are, so ``scale=10`` is the
        CRLQAS paper's "10 x max" setting of IBM Mumbai.
        """
        if statistic not in ("median", "max"):
            raise ValueError(f"statistic={statistic!r}; allowed: 'median', 'max'")
        if not scale > 0:
            raise ValueError(f"scale={scale} must be positive")
        pick = np.median if statistic == "median" else np.max
        pick_time = np.median if statistic == "median" else np.min

        def known(values):
            return [v for v in values if v is not None]

        by_gate: dict[str, list[GateCalibration]] = {}
        for (name, _), props in self.gates.items():
            by_gate.setdefault(name, []).append(props)
        gates = {}
        for name, props in by_gate.items():
            errors = known(p.error for p in props)
            durations = known(p.duration for p in props)
            error = float(pick(errors)) * scale if errors else None
            gates[name] = GateCalibration(error, float(pick(durations)) if durations else None)
        readout = [r for r in self.readout if r is not None]
        p10 = float(pick([r[0] for r in readout])) if readout else 0.0
        p01 = float(pick([r[1] for r in readout])) if readout else 0.0
        t1 = known(self.t1)
        t2 = known(self.t2)
        return UniformCalibration(
            name=f"{self.name}-{'' if scale == 1 else f'{scale:g}x-'}{statistic}",
            t1=float(pick_time(t1)) if t1 else None,
            t2=float(pick_time(t2)) if t2 else None,
            readout=(p10, p01),
            gates=gates,
        )

    def to_json(self) -> dict:
        """A JSON-serialisable dict (see :meth:`from_json`)."""
        return {
            "name": self.name,
            "source": self.source,
            "units": {"t1": "s", "t2": "s", "duration": "s"},
            "t1": list(self.t1),
            "t2": list(self.t2),
            "readout": [list(r) if r else None for r in self.readout],
            "gates": [
                [name, list(qubits), props.error, props.duration]
                for (name, qubits), props in sorted(self.gates.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        """Inverse of :meth:`to_json`, validating every field (``ValueError`` names it).

        Times are None or finite and > 0 (durations >= 0), errors and readout
        probabilities None or in [0, 1], gate qubits distinct indices of the device.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a calibration is a JSON object, got {type(data).__name__}")
        try:
            t1 = _entries(data, "t1", lambda value, what: _number(value, what, positive=True))
            t2 = _entries(data, "t2", lambda value, what: _number(value, what, positive=True))
            readout = _entries(data, "readout", _readout)
            if not len(t1) == len(t2) == len(readout):
                raise ValueError(
                    f"t1, t2 and readout have {len(t1)}, {len(t2)} and {len(readout)} entries; "
                    "they need one per qubit"
                )
            gates = dict(_entries(data, "gates", lambda entry, what: _gate(entry, what, len(t1))))
            name, source = data["name"], data.get("source", "")
        except KeyError as exc:
            raise ValueError(f"the calibration lacks the field {exc.args[0]!r}") from None
        if not isinstance(name, str) or not isinstance(source, str):
            raise ValueError(f"name and source must be strings, got {name!r} and {source!r}")
        return cls(name=name, t1=t1, t2=t2, readout=readout, gates=gates, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration written with :meth:`save` (``ValueError`` naming the file if bad).

        Only a regular file of at most :data:`MAX_CALIBRATION_BYTES` is read.
        """
        data = checks.read_json_object(
            path, what="calibration file", max_bytes=MAX_CALIBRATION_BYTES
        )
        try:
            return cls.from_json(data)
        except ValueError as exc:
            raise ValueError(f"calibration file {path}: {exc}") from None

    def save(self, path: str | Path) -> None:
        """Write the calibration as JSON, atomically."""
        atomic_write_json(path, self.to_json())


@dataclass(frozen=True)
class UniformCalibration:
    """The same calibration on every qubit and every pair (see :meth:`Calibration.summary`)."""

    name: str
    t1: float | None
    t2: float | None
    readout: tuple[float, float]
    gates: dict[str, GateCalibration]


def device_gate_channel(
    error: float | None,
    duration: float | None,
    t1: tuple[float | None, ...],
    t2: tuple[float | None, ...],
) -> np.ndarray | None:
    """PTM of qiskit-aer's device noise for one gate (see the module docstring).

    Args:
        error: reported gate error (1 - average gate fidelity), or None.
        duration: gate time in seconds, or None/0 for no relaxation.
        t1: per gate qubit (local order), seconds; None means infinite.
        t2: the same for T2 (truncated to 2 T1; None means 2 T1).

    Returns:
        The ``4**k x 4**k`` PTM, or None when the gate is ideal.
    """
    num_qubits = len(t1)
    relax = None
    if duration:
        relax = channels.tensor(
            *(
                channels.thermal_relaxation(*_relaxation_times(a, b), duration)
                for a, b in zip(t1, t2, strict=True)
            )
        )
    relax_fidelity = 1.0 if relax is None else channels.average_gate_fidelity(relax)
    depol = None
    if error and error > 1 - relax_fidelity:
        dim = 2**num_qubits
        error = min(error, dim / (dim + 1))
        p = dim * (error - (1 - relax_fidelity)) / (dim * relax_fidelity - 1)
        p = min(p, 4**num_qubits / (4**num_qubits - 1))
        depol = channels.depolarizing(p, num_qubits)
    if depol is None:
        return relax
    return depol if relax is None else relax @ depol


def _entries(data: dict, key: str, parse) -> tuple:
    """``parse(entry, "key[i]")`` for every entry of the list ``data[key]``."""
    values = data[key]
    if not isinstance(values, list):
        raise ValueError(f"{key} must be a list, got {type(values).__name__}")
    return tuple(parse(value, f"{key}[{index}]") for index, value in enumerate(values))


def _number(value, what: str, *, positive: bool = False, unit_interval: bool = False):
    """``value`` as a float (None stays None), or ``ValueError`` naming ``what``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number or null, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} is {value}; allowed: finite numbers")
    if positive and not value > 0:
        raise ValueError(f"{what} is {value}; allowed: > 0 (seconds)")
    if unit_interval and not 0 <= value <= 1:
        raise ValueError(f"{what} is {value}; allowed: a probability in [0, 1]")
    if value < 0:
        raise ValueError(f"{what} is {value}; allowed: >= 0")
    return value


def _readout(value, what: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{what} must be [p(1|0), p(0|1)] or null, got {value!r}")
    return tuple(_number(p, what, unit_interval=True) for p in value)


def _gate(entry, what: str, num_qubits: int) -> tuple[tuple[str, tuple[int, ...]], GateCalibration]:
    if not isinstance(entry, list) or len(entry) != 4:
        raise ValueError(f"{what} must be [name, qubits, error, duration], got {entry!r}")
    name, qubits, error, duration = entry
    if not isinstance(name, str) or not isinstance(qubits, list):
        raise ValueError(f"{what} must be [name, qubits, error, duration], got {entry!r}")
    indices = all(not isinstance(q, bool) and isinstance(q, int) for q in qubits)
    if (
        not qubits
        or not indices
        or not all(0 <= q < num_qubits for q in qubits)
        or (len(set(qubits)) != len(qubits))
    ):
        raise ValueError(
            f"{what}: qubits {qubits!r}; allowed: distinct indices in 0..{num_qubits - 1}"
        )
    calibration = GateCalibration(
        _number(error, f"{what} error", unit_interval=True), _number(duration, f"{what} duration")
    )
    return (name, tuple(qubits)), calibration


def _relaxation_times(t1: float | None, t2: float | None) -> tuple[float, float]:
    """qiskit-aer's rule: T2 is truncated to 2 T1 (and is 2 T1 when unknown)."""
    if t1 is not None:
        t2 = 2 * t1 if t2 is None else min(t2, 2 * t1)
    return (math.inf if t1 is None else t1), (math.inf if t2 is None else t2)
