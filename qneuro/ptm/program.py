"""A circuit lowered to what the engines run: fixed gates and Pauli rotations.

A :class:`Program` is the engine-independent form of a circuit. Each
:class:`Instruction` is a fixed gate of :data:`~qneuro.ptm.gates.FIXED_GATES` or a Pauli
rotation ``exp(-i theta Q / 2)`` (composite gates such as ``u`` are expanded, gates outside
:data:`~qneuro.ptm.gates.SUPPORTED_GATES` transpiled), with the gate name whose noise
channel follows it. Rotation angles are affine in the parameters:
``angles = offsets + values @ coefficients.T`` (one *slot* per parametric rotation).

:meth:`Program.from_circuit` lowers a ``QuantumCircuit``; code that builds circuits gate by
gate (the architecture-search environment) creates a program directly with
:meth:`Program.add_gate` and :meth:`Program.add_rotation`, with no qiskit objects on the
hot path. :class:`~qneuro.ptm.liouville.CompiledCircuit` (Pauli-transfer matrices, any
noise) and :class:`~qneuro.ptm.statevector.StatevectorCircuit` (ideal gates) compile it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np
from qiskit.circuit import ParameterExpression, QuantumCircuit

from .gates import COMPOSITE_GATES, FIXED_GATES, ROTATION_GATES, SUPPORTED_GATES
from .pauli import MAX_QUBITS

#: Instructions that do not change the state and are skipped.
IGNORED = {"barrier"}


class NoiseSource(Protocol):
    """What the simulator needs from a noise description (see :mod:`qneuro.noise`)."""

    def gate_channel(self, gate: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        """PTM applied after ``gate`` on ``qubits`` (local order = ``qubits``), or None."""

    def readout(self, qubit: int) -> tuple[float, float] | None:
        """``(p(1|0), p(0|1))`` of the qubit's measurement, or None when ideal."""


@dataclass(frozen=True)
class Instruction:
    """One gate: ``gate`` (a fixed gate's name) or a rotation about ``generator``.

    Attributes:
        qubits: the gate's qubits in argument order (local qubit j = ``qubits[j]``).
        gate: name in :data:`~qneuro.ptm.gates.FIXED_GATES`, or None for a rotation.
        generator: Pauli label of the rotation (rightmost character = local qubit 0).
        slot: index of a parametric rotation's angle, -1 for a bound one.
        angle: the angle of a bound rotation (radians).
        noise: the gate name whose noise channel follows this instruction, or None.
    """

    qubits: tuple[int, ...]
    gate: str | None = None
    generator: str | None = None
    slot: int = -1
    angle: float = 0.0
    noise: str | None = None


class Program:
    """A lowered circuit on ``num_qubits`` qubits with ``num_parameters`` parameters.

    Args:
        num_qubits: n >= 1.
        num_parameters: k, the length of a parameter vector.
        parameters: the qiskit parameters in binding order, when lowered from a circuit.

    Attributes:
        instructions: the gates in time order.
        num_slots: parametric rotations (angle slots).
    """

    def __init__(self, num_qubits: int, num_parameters: int = 0, parameters: tuple = ()):
        if num_qubits < 1:
            raise ValueError("the circuit has no qubits")
        if num_qubits > MAX_QUBITS:
            raise ValueError(
                f"the circuit has {num_qubits} qubits; allowed: at most {MAX_QUBITS} (the "
                "memory budget usually allows far fewer)"
            )
        self.num_qubits = int(num_qubits)
        self.num_parameters = int(num_parameters)
        self.parameters = tuple(parameters)
        self.instructions: list[Instruction] = []
        self._offsets: list[float] = []
        self._terms: list[tuple[tuple[int, float], ...]] = []  # per slot: (parameter, coeff)

    # -- building ---------------------------------------------------------------------

    def add_gate(self, name: str, qubits: tuple[int, ...], noise: str | None = "") -> None:
        """Append the fixed gate ``name`` on ``qubits``.

        ``noise`` names the gate whose noise channel follows it: ``""`` (default) means
        ``name`` itself, None means no channel.
        """
        if name not in FIXED_GATES:
            raise ValueError(
                f"gate {name!r} is not a fixed gate; allowed: {', '.join(FIXED_GATES)}"
            )
        qubits = self._check_qubits(name, qubits, _fixed_arity(name))
        self.instructions.append(
            Instruction(qubits, gate=name, noise=name if noise == "" else noise)
        )

    def add_rotation(
        self,
        name: str,
        qubits: tuple[int, ...],
        parameter: int | None = None,
        *,
        angle: float = 0.0,
        terms: tuple[tuple[int, float], ...] | None = None,
        noise: str | None = "",
    ) -> None:
        """Append the rotation gate ``name`` (e.g. ``"ry"``).

        Its angle is ``parameters[parameter]``, or ``angle + sum(c * parameters[i] for i, c
        in terms)``, or the bound ``angle`` when neither is given. ``noise`` names the gate
        whose channel follows it (``""``: ``name`` itself; None: no channel).
        """
        if name not in ROTATION_GATES:
            raise ValueError(
                f"gate {name!r} is not a rotation; allowed: {', '.join(ROTATION_GATES)}"
            )
        generator = ROTATION_GATES[name]
        qubits = self._check_qubits(name, qubits, len(generator))
        noise = name if noise == "" else noise
        _check_finite(angle, f"{name} on qubits {qubits}: angle")
        if parameter is not None:
            if terms is not None:
                raise ValueError("give the angle as parameter= or as terms=, not both")
            terms = ((int(parameter), 1.0),)
        if not terms:
            self.instructions.append(
                Instruction(tuple(qubits), generator=generator, angle=float(angle), noise=noise)
            )
            return
        for index, coefficient in terms:
            if not 0 <= index < self.num_parameters:
                raise ValueError(f"parameter index {index} is outside 0..{self.num_parameters - 1}")
            _check_finite(coefficient, f"{name} on qubits {qubits}: coefficient of {index}")
        self._offsets.append(float(angle))
        self._terms.append(tuple((int(i), float(c)) for i, c in terms))
        slot = len(self._offsets) - 1
        self.instructions.append(Instruction(qubits, generator=generator, slot=slot, noise=noise))

    def _check_qubits(self, name: str, qubits, arity: int) -> tuple[int, ...]:
        qubits = tuple(int(q) for q in qubits)
        if (
            len(qubits) != arity
            or len(set(qubits)) != arity
            or not all(0 <= q < self.num_qubits for q in qubits)
        ):
            raise ValueError(
                f"{name} on qubits {qubits}: needs {arity} distinct qubit(s) in "
                f"0..{self.num_qubits - 1}"
            )
        return qubits

    def copy(self) -> Program:
        """An independent copy (compiled forms keep one, so later additions do not leak)."""
        other = Program(self.num_qubits, self.num_parameters, self.parameters)
        other.instructions = list(self.instructions)
        other._offsets = list(self._offsets)
        other._terms = list(self._terms)
        return other

    # -- reading ----------------------------------------------------------------------

    @property
    def num_slots(self) -> int:
        """Parametric rotations."""
        return len(self._offsets)

    @property
    def offsets(self) -> np.ndarray:
        """Angle offsets, shape ``(slots,)``."""
        return np.array(self._offsets, dtype=float)

    @property
    def coefficients(self) -> np.ndarray:
        """Angle coefficients, shape ``(slots, k)``: ``angles = offsets + values @ C.T``."""
        matrix = np.zeros((self.num_slots, self.num_parameters))
        for slot, terms in enumerate(self._terms):
            for index, coefficient in terms:
                matrix[slot, index] += coefficient
        return matrix

    def slot_parameters(self) -> list[tuple[tuple[int, float], ...]]:
        """Per slot, the ``(parameter index, coefficient)`` pairs of its angle."""
        return list(self._terms)

    def is_identity_map(self) -> bool:
        """True when slot i is parameter i with coefficient 1 and offset 0, for every i."""
        return self.num_slots == self.num_parameters and all(
            terms == ((i, 1.0),) and offset == 0.0
            for i, (terms, offset) in enumerate(zip(self._terms, self._offsets, strict=True))
        )

    def check_parameters(self, parameter_values) -> np.ndarray:
        """Validate and return parameter values as a float array of shape ``(B, k)``."""
        if parameter_values is None:
            if self.num_parameters:
                raise ValueError(
                    f"the circuit has {self.num_parameters} parameters; pass parameter_values"
                )
            return np.zeros((1, 0))
        if np.asarray(parameter_values).dtype == bool:
            raise ValueError("parameter_values are booleans; allowed: finite numbers (angles)")
        values = np.asarray(parameter_values, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.shape[1] != self.num_parameters:
            names = [p.name for p in self.parameters] if self.parameters else None
            raise ValueError(
                f"parameter_values has shape {np.shape(parameter_values)}; expected "
                f"(B, {self.num_parameters}) or ({self.num_parameters},)"
                + (f" for parameters {names}" if names else "")
            )
        finite = np.isfinite(values)
        if not finite.all():
            row, column = (int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(
                f"parameter_values[{row}, {column}] is {values[row, column]}; allowed: finite "
                "numbers"
            )
        return values

    # -- from qiskit ------------------------------------------------------------------

    @classmethod
    def from_circuit(cls, circuit: QuantumCircuit, noise: NoiseSource | None = None) -> Program:
        """Lower ``circuit``; parameters bind in ``circuit.parameters`` order.

        Gates outside :data:`~qneuro.ptm.gates.SUPPORTED_GATES` are transpiled to them;
        barriers and measurements at the end are ignored. ``noise`` is only checked: a
        channel on a gate that transpiling would replace is refused (it would be lost).
        """
        if not isinstance(circuit, QuantumCircuit):
            raise TypeError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")
        if circuit.num_qubits < 1:
            raise ValueError("the circuit has no qubits")
        parameters = tuple(circuit.parameters)
        program = cls(circuit.num_qubits, len(parameters), parameters)
        _check_noise_survives_transpiling(circuit, noise)
        circuit = _to_supported_gates(circuit)
        index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
        position_of = {p: i for i, p in enumerate(parameters)}
        data = list(circuit.data)
        final = _final_measurements(data)
        for position, instruction in enumerate(data):
            name, params = _name_and_params(instruction)
            qubits = tuple(index[q] for q in instruction.qubits)
            if name in IGNORED or position in final:
                continue
            if name == "measure":
                raise ValueError(
                    "mid-circuit measurement is not supported; only measurements at the end "
                    "(which expectation values ignore) are allowed"
                )
            if instruction.clbits:
                raise ValueError(f"instruction {name!r} uses classical bits; not supported")
            if name in FIXED_GATES:
                program.add_gate(name, qubits)
            elif name in ROTATION_GATES:
                program._add_angle(name, qubits, params[0], position_of, noise=name)
            elif name in COMPOSITE_GATES:
                parts = COMPOSITE_GATES[name]
                for i, (rotation, angle_index) in enumerate(parts):
                    last = i == len(parts) - 1
                    program._add_angle(
                        rotation,
                        qubits,
                        params[angle_index],
                        position_of,
                        noise=name if last else None,
                    )
            else:  # reset, delay, ...: what transpiling leaves and a simulator cannot do
                raise ValueError(
                    f"instruction {name!r} is not supported: the simulator evolves unitary "
                    f"gates and their noise only ({', '.join(SUPPORTED_GATES)})"
                )
        return program

    def _add_angle(self, rotation, qubits, angle, position_of, noise) -> None:
        if not isinstance(angle, ParameterExpression) or not angle.parameters:
            self.add_rotation(rotation, qubits, angle=float(angle), noise=noise)
            return
        offset, terms = _affine(angle, position_of)
        self.add_rotation(rotation, qubits, angle=offset, terms=terms, noise=noise)


def _check_finite(value, what: str) -> None:
    """Raise ``ValueError`` naming ``what`` unless ``value`` is a finite number."""
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} is {value}; allowed: finite numbers")


@cache
def _fixed_arity(name: str) -> int:
    return FIXED_GATES[name]().num_qubits


def _affine(expression: ParameterExpression, position_of: dict) -> tuple[float, tuple]:
    """``(offset, ((index, coefficient), ...))`` with ``expression = offset + sum c p_i``."""
    terms = []
    for parameter in expression.parameters:
        gradient = expression.gradient(parameter)
        if isinstance(gradient, ParameterExpression):
            if gradient.parameters:
                raise ValueError(
                    f"angle {expression} is not affine in the circuit parameters; bind it "
                    "before simulating or rewrite it as offset + sum of coefficient * parameter"
                )
            gradient = complex(gradient)
        if abs(gradient.imag) > 1e-12:
            raise ValueError(f"angle {expression} has a complex coefficient")
        terms.append((position_of[parameter], gradient.real))
    offset = complex(expression.bind({p: 0.0 for p in expression.parameters}))
    return offset.real, tuple(sorted(terms))


def _name_and_params(instruction) -> tuple[str, list]:
    """The operation as the circuit holds it.

    A standard gate's name and angles as qiskit stores them (a Python object kept beside
    them, e.g. of a labelled gate, may be edited without reaching the circuit); any other
    operation's own name and parameters.
    """
    if instruction.is_standard_gate():
        return instruction.name, instruction.params
    return instruction.operation.name, instruction.operation.params


def _final_measurements(data) -> set[int]:
    """Positions of measurements that no later gate acts on (the ones to ignore)."""
    gated: set = set()  # qubits acted on by a gate later in time
    positions: set[int] = set()
    for position in range(len(data) - 1, -1, -1):
        instruction = data[position]
        name = instruction.operation.name
        if name == "measure":
            if not gated.intersection(instruction.qubits):
                positions.add(position)
        elif name != "barrier":
            gated.update(instruction.qubits)
    return positions


def _check_noise_survives_transpiling(circuit: QuantumCircuit, noise) -> None:
    """Refuse noise attached to a gate that transpiling would replace (it would be lost)."""
    if noise is None:
        return
    index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    allowed = set(SUPPORTED_GATES) | IGNORED | {"measure"}
    for instruction in circuit.data:
        name = instruction.operation.name
        qubits = tuple(index[q] for q in instruction.qubits)
        if name not in allowed and noise.gate_channel(name, qubits) is not None:
            raise ValueError(
                f"the noise has a channel for {name!r}, which the simulator runs as its "
                f"decomposition into {list(SUPPORTED_GATES)}; transpile the circuit to gates "
                "that carry the noise first"
            )


def _to_supported_gates(circuit: QuantumCircuit) -> QuantumCircuit:
    names = {instruction.operation.name for instruction in circuit.data}
    allowed = set(SUPPORTED_GATES) | IGNORED | {"measure"}
    if names <= allowed:
        return circuit
    from qiskit import transpile

    try:
        return transpile(
            circuit, basis_gates=sorted(set(SUPPORTED_GATES) | {"measure"}), optimization_level=0
        )
    except Exception as exc:
        raise ValueError(
            f"gates {sorted(names - allowed)} are not supported and could not be transpiled to "
            f"{list(SUPPORTED_GATES)}: {exc}"
        ) from exc


class AngleMap:
    """A program's rotation angles from its parameters: ``offsets + values @ C.T``.

    Maps parameter values ``(B, k)`` to angles ``(B, slots)``; the identity (slot i is
    parameter i) returns its input. Built once per compiled circuit.
    """

    def __init__(self, program: Program) -> None:
        self.offsets = program.offsets
        self.coefficients = program.coefficients
        self.identity = program.is_identity_map()

    def __call__(self, parameter_values: np.ndarray) -> np.ndarray:
        """Angles ``(B, slots)`` of parameter values ``(B, k)``."""
        if self.identity:
            return parameter_values
        return self.offsets + parameter_values @ self.coefficients.T
