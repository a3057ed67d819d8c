"""The gate actions of architecture search, their legality rule and the state tensor.

Actions (CRLQAS): every allowed ordered CNOT pair ``(control, target)`` first, in the
order of ``cnot_pairs``, then one rotation per qubit and axis,
``index = len(cnot_pairs) + 3 * qubit + axis`` with axis 0, 1, 2 = X, Y, Z. Without a
coupling map there are ``N(N-1)`` pairs, so ``N(N+2)`` actions.

Legality: repeating the previous gate on the same qubits is illegal until another gate
touches one of them (the same CNOT pair again; the same rotation axis on a qubit whose
last gate was that rotation). Such a repeat cancels (CNOT) or merges (rotation) and only
wastes the budget.

State tensor, shape ``(L, N+3, N)``: a CNOT in moment ``m`` is a 1 at
``[m, target, control]``; a rotation about axis ``a`` on qubit ``q`` is a 1 at
``[m, N + a, q]``. A rotation goes into its qubit's next free moment; a CNOT into the
later of its two qubits' next free moments, after which both advance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector

from qneuro import checks
from qneuro.ptm import Program

AXES = "xyz"


@dataclass(frozen=True)
class Gate:
    """One action's gate: ``kind`` is ``"cx"`` (qubits control, target) or ``"rx|ry|rz"``."""

    kind: str
    qubits: tuple[int, ...]

    @property
    def is_rotation(self) -> bool:
        """True for RX, RY, RZ."""
        return self.kind != "cx"


class ActionSet:
    """The actions on ``num_qubits`` qubits, optionally restricted to a coupling map.

    Args:
        num_qubits: N >= 1.
        coupling_map: None (all ordered pairs) or a sequence of directed
            ``(control, target)`` pairs; a qiskit ``CouplingMap`` works too.
        rotations: the rotation axes offered, a subset of ``"xyz"`` in that order.
    """

    def __init__(self, num_qubits: int, coupling_map=None, rotations: str = "xyz") -> None:
        num_qubits = checks.integer("num_qubits", num_qubits, 1)
        if (
            not isinstance(rotations, str)
            or not rotations
            or any(a not in AXES for a in rotations)
            or len(set(rotations)) != len(rotations)
        ):
            raise ValueError(f"rotations={rotations!r}; allowed: distinct letters from 'xyz'")
        self.num_qubits = num_qubits
        self.rotations = "".join(a for a in AXES if a in rotations)
        if coupling_map is None:
            pairs = [(c, t) for c in range(num_qubits) for t in range(num_qubits) if c != t]
        else:
            pairs = []
            for edge in _edges(coupling_map):
                pair = _cnot_pair(edge, num_qubits)
                if pair not in pairs:
                    pairs.append(pair)
        self.cnot_pairs: tuple[tuple[int, int], ...] = tuple(pairs)
        self.gates: tuple[Gate, ...] = tuple(Gate("cx", p) for p in self.cnot_pairs) + tuple(
            Gate("r" + a, (q,)) for q in range(num_qubits) for a in self.rotations
        )

    def __len__(self) -> int:
        return len(self.gates)

    def index(self, gate: Gate) -> int:
        """The action number of ``gate``."""
        return self.gates.index(gate)

    def legal_mask(self, last_gate_on: list[Gate | None]) -> np.ndarray:
        """Boolean mask ``(len(self),)``: False for repeats (module docstring).

        Args:
            last_gate_on: per qubit, the last gate that touched it (None if none).
        """
        mask = np.ones(len(self.gates), dtype=bool)
        for i, gate in enumerate(self.gates):
            if all(last_gate_on[q] == gate for q in gate.qubits):
                mask[i] = False
        return mask


def _edges(coupling_map) -> list:
    edges = coupling_map.get_edges() if hasattr(coupling_map, "get_edges") else coupling_map
    if isinstance(edges, str | bytes | dict) or not hasattr(edges, "__iter__"):
        raise ValueError(
            f"coupling_map={coupling_map!r}; allowed: None or a list of [control, target] pairs"
        )
    return list(edges)


def _cnot_pair(edge, num_qubits: int) -> tuple[int, int]:
    """``edge`` as ``(control, target)``: two distinct qubit indices (integers)."""
    ok = (
        isinstance(edge, list | tuple)
        and len(edge) == 2
        and all(
            isinstance(q, int | np.integer) and not isinstance(q, bool) and 0 <= q < num_qubits
            for q in edge
        )
    )
    if not ok or edge[0] == edge[1]:
        raise ValueError(
            f"coupling-map edge {edge!r}; allowed: (control, target) of distinct qubits in "
            f"0..{num_qubits - 1}"
        )
    return int(edge[0]), int(edge[1])


class CircuitState:
    """The circuit built so far: gates, the ``(L, N+3, N)`` tensor, moments, angles.

    Args:
        num_qubits: N.
        max_gates: L, the action budget and the tensor's first dimension.
        initial_bits: a bitstring (qiskit order, rightmost = qubit 0) prepared with X gates
            before the searched gates (e.g. the Hartree-Fock state); not encoded, not
            counted as actions.
    """

    def __init__(self, num_qubits: int, max_gates: int, initial_bits: str | None = None):
        self.num_qubits = num_qubits
        self.max_gates = max_gates
        self.initial_bits = initial_bits
        self.tensor = np.zeros((max_gates, num_qubits + 3, num_qubits), dtype=np.float32)
        self.gates: list[Gate] = []
        self.next_moment = [0] * num_qubits
        self.last_gate_on: list[Gate | None] = [None] * num_qubits

    def add(self, gate: Gate) -> None:
        """Append ``gate``: update the tensor, moments and last-gate record."""
        n = self.num_qubits
        if gate.kind == "cx":
            control, target = gate.qubits
            moment = max(self.next_moment[control], self.next_moment[target])
            if moment < self.max_gates:
                self.tensor[moment, target, control] = 1.0
            self.next_moment[control] = self.next_moment[target] = moment + 1
        else:
            (qubit,) = gate.qubits
            moment = self.next_moment[qubit]
            if moment < self.max_gates:
                self.tensor[moment, n + AXES.index(gate.kind[1]), qubit] = 1.0
            self.next_moment[qubit] = moment + 1
        for q in gate.qubits:
            self.last_gate_on[q] = gate
        self.gates.append(gate)

    @property
    def num_parameters(self) -> int:
        """Rotations so far (one angle each)."""
        return sum(g.is_rotation for g in self.gates)

    @property
    def num_cnots(self) -> int:
        """CNOTs so far."""
        return sum(not g.is_rotation for g in self.gates)

    @property
    def depth(self) -> int:
        """Moments used by the searched gates (the initial X layer not counted)."""
        return max(self.next_moment) if self.gates else 0

    def program(self) -> Program:
        """The parameterised circuit as a :class:`qneuro.ptm.Program`, without qiskit objects.

        Parameter i is the i-th rotation's angle, as in :meth:`circuit`.
        """
        program = Program(self.num_qubits, self.num_parameters)
        if self.initial_bits:
            for q, bit in enumerate(reversed(self.initial_bits)):
                if bit == "1":
                    program.add_gate("x", (q,))
        index = 0
        for gate in self.gates:
            if gate.kind == "cx":
                program.add_gate("cx", gate.qubits)
            else:
                program.add_rotation(gate.kind, gate.qubits, index)
                index += 1
        return program

    def circuit(self, angles=None) -> QuantumCircuit:
        """The circuit: parameterised (``θ[i]`` per rotation) or bound to ``angles``."""
        circuit = QuantumCircuit(self.num_qubits)
        if self.initial_bits:
            for q, bit in enumerate(reversed(self.initial_bits)):
                if bit == "1":
                    circuit.x(q)
        theta = ParameterVector("θ", self.num_parameters) if angles is None else angles
        index = 0
        for gate in self.gates:
            if gate.kind == "cx":
                circuit.cx(*gate.qubits)
                continue
            angle = theta[index] if angles is None else float(theta[index])
            getattr(circuit, gate.kind)(angle, gate.qubits[0])
            index += 1
        return circuit
