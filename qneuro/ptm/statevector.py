r"""The statevector engine: exact noiseless evolution on ``2**n`` amplitudes.

Where every gate is ideal (no noise, or readout error only), a pure state
``|psi> = U(theta) |0...0>`` carries the same expectation values as its Pauli vector at
``2**n`` instead of ``4**n`` numbers. :class:`StatevectorCircuit` runs a
:class:`~qneuro.ptm.program.Program` with the same fusion and kernels as the PTM engine
(:mod:`qneuro.ptm.blocks`) on complex amplitudes: a rotation
``exp(-i theta Q / 2) = cos(theta/2) 1 - i sin(theta/2) Q`` is the factor
``A + cos(phi) B + sin(phi) C`` with ``phi = theta / 2``, ``A = 0``, ``B = 1``,
``C = -i Q``.

Amplitudes use qiskit's little-endian order (index ``sum_q b_q 2**q``), so
:meth:`StatevectorCircuit.evolve` equals ``qiskit.quantum_info.Statevector`` of the bound
circuit up to a global phase (``p``, ``u1`` and ``u`` run as rotations).

Expectation values (:class:`StatevectorObservable`): write each Pauli string as
``P = i**y X^x Z^z`` (bit masks ``x``, ``z``; ``y`` the number of Y letters). Then
``<psi|P|psi> = i**y sum_j conj(psi[j ^ x]) (-1)**popcount(j & z) psi[j]``, and for
``H = sum_P h_P P`` the terms sharing a mask ``x`` fold into one weight vector
``w_x[j] = sum_P h_P i**y (-1)**popcount(j & z)``:
``<H> = sum_x sum_j conj(psi[j ^ x]) w_x[j] psi[j]``, ``O(#masks * 2**n)`` per state.
"""

from __future__ import annotations

from functools import cache, cached_property

import numpy as np
from qiskit.circuit import QuantumCircuit
from qiskit.quantum_info import Pauli

from .blocks import MemoryBudget, Op, Schedule, check_budget, check_memory, fuse
from .gates import FIXED_GATES
from .liouville import DEFAULT_MEMORY_BUDGET, reduction_buffers
from .pauli import PAULI_MATRICES
from .program import AngleMap, Program

#: complex128 entries one chunk of a batch may use (states and scratch): 2 MiB.
_CHUNK_ENTRIES = 2**17

#: Up to this many complex entries, an observable gathers every flipped state at once;
#: beyond it (large batches), it reads them as strided views mask by mask (measured
#: faster from 8 qubits at batch 64: no copy of B x masks x 2**n amplitudes).
_GATHER_ENTRIES = 2**16

#: Entries (terms x 2**n) of sign tables formed at once while compiling an observable.
_BUILD_ENTRIES = 2**18

#: Bytes per entry of a sign-table chunk and its temporaries (int64 overlap, parity and
#: two shift temporaries, float signs, complex products).
_BUILD_BYTES_PER_ENTRY = 4 * 8 + 8 + 16


class StatevectorCircuit(MemoryBudget):
    """An ideal-gate circuit compiled for statevector evolution; evaluate it many times.

    Args:
        circuit: a :class:`~qneuro.ptm.program.Program` or a ``QuantumCircuit``.
        memory_budget: bytes one evaluation may allocate (:meth:`evaluation_buffers`);
            an evaluation that needs more is refused before anything is allocated.

    Attributes:
        num_qubits: n; states have ``2**n`` complex amplitudes.
        num_parameters: k; parameter arrays have shape ``(B, k)``.
        parameters: the circuit's parameters in binding order (empty for a bare program).
        num_gates: lowered gates.
        num_blocks: fused blocks applied per evaluation.
        program: the lowered program.
        noise: always None (the engine has no gate noise; readout error, if any, is
            folded into the observable by the simulator).
    """

    engine = "statevector"
    local_dim = 2
    state_kind = "statevectors"

    def __init__(
        self, circuit: Program | QuantumCircuit, *, memory_budget: int = DEFAULT_MEMORY_BUDGET
    ) -> None:
        program = circuit.copy() if isinstance(circuit, Program) else Program.from_circuit(circuit)
        self.program = program
        self.num_qubits = program.num_qubits
        self.memory_budget = check_budget(memory_budget)
        self.parameters = program.parameters
        self.num_parameters = program.num_parameters
        self.noise = None
        self.ops = lower(program)
        self.num_gates = len(self.ops)
        self.angles = AngleMap(program)  # parameters (B, k) -> rotation angles (B, slots)
        self.check_state_fits(16 * 2**self.num_qubits)

    @cached_property
    def _schedule(self) -> Schedule:
        return Schedule(fuse(self.ops, fuse_rotations_into_pairs=True), 2, self.num_qubits)

    @property
    def num_blocks(self) -> int:
        """Fused blocks applied per evaluation."""
        return len(self._schedule.plan)

    def _chunk_rows(self) -> int:
        """Rows of a batch evolved together (their states stay in cache)."""
        return max(1, _CHUNK_ENTRIES // (2 * 2**self.num_qubits))

    def evaluation_buffers(self, batch: int, reduce=None) -> dict[str, int]:
        """Bytes of every buffer :meth:`evolve` allocates for ``batch`` parameter sets.

        ``reduce`` as in :meth:`qneuro.ptm.liouville.CompiledCircuit.evaluation_buffers`.
        """
        vector = 16 * 2**self.num_qubits
        rows = min(batch, self._chunk_rows())
        buffers = {
            "statevectors": batch * vector,
            "scratch": rows * vector,
            "block matrices": rows * 16 * self._schedule.work_entries_per_sample,
            "angles": batch * 8 * (self.num_parameters + 3 * self.program.num_slots),
        }
        if reduce is not None:
            buffers.update(reduction_buffers(reduce, batch, batch))
        return buffers

    def check_parameters(self, parameter_values) -> np.ndarray:
        """Validate and return parameter values as a float array of shape ``(B, k)``."""
        return self.program.check_parameters(parameter_values)

    def evolve(self, parameter_values: np.ndarray | None = None, reduce=None) -> np.ndarray:
        """Final statevectors, shape ``(B, 2**n)`` complex, starting from ``|0...0>``.

        ``reduce`` (None or a function of the states, as in
        :meth:`qneuro.ptm.liouville.CompiledCircuit.evolve`) is applied to the batch.
        Buffers over the memory budget are refused (``ValueError``) before allocating.
        """
        values = self.check_parameters(parameter_values)
        batch = values.shape[0]
        self.check_memory(batch, reduce)
        size = 2**self.num_qubits
        result = np.empty((batch, size), dtype=complex)
        schedule = self._schedule
        phi = 0.5 * self.angles(values)
        chunk = self._chunk_rows()
        for start in range(0, batch, chunk):
            rows = slice(start, min(start + chunk, batch))
            out = result[rows]
            out[:] = 0.0
            out[:, 0] = 1.0
            matrices = schedule.block_matrices(phi[rows])
            state = schedule.run(matrices, out, np.empty_like(out))
            if state is not out:
                out[:] = state
        return result if reduce is None else reduce(result)

    def pauli_vectors(self, states: np.ndarray) -> np.ndarray:
        """Pauli vectors ``r_P = <psi|P|psi>`` of statevectors ``(B, 2**n)``: ``(B, 4**n)``.

        Refused (``ValueError``) when they and the work of :func:`pauli_vector` (three
        complex ``4**n`` tensors) exceed the memory budget.
        """
        entries = 4**self.num_qubits
        buffers = {"Pauli vectors": 2 * len(states) * 8 * entries, "work": 3 * 16 * entries}
        task = f"Pauli vectors of {len(states)} statevectors of {self.num_qubits} qubits"
        check_memory(buffers, self.memory_budget, task)
        return np.stack([pauli_vector(state, self.num_qubits) for state in states])


def pauli_vector(state: np.ndarray, num_qubits: int) -> np.ndarray:
    """``r_P = <psi|P|psi>`` for every Pauli string, ``(4**n,)``: one qubit at a time.

    ``rho = |psi><psi|`` as a tensor of row axes ``a_k`` and column axes ``b_k`` (axis k
    holds qubit ``n - 1 - k``); contracting ``sigma_p[b_k, a_k]`` qubit by qubit leaves the
    Pauli axes in the same order, i.e. the little-endian index. O(n 4**n) time, 4**n memory.
    """
    n = num_qubits
    tensor = np.outer(state, state.conj()).reshape((2,) * (2 * n))
    sigma = PAULI_MATRICES  # (p, row, column)
    for k in range(n):  # row axis of qubit n-1-k is axis 0, its column axis is n - k
        tensor = np.tensordot(tensor, sigma, axes=([0, n - k], [2, 1]))
    return tensor.real.reshape(-1).copy()


def lower(program: Program) -> list[Op]:
    """Statevector ops of a program (noise labels are ignored: the gates are ideal)."""
    ops = []
    for instruction in program.instructions:
        if instruction.gate is not None:
            ops.append(Op(instruction.qubits, fixed=gate_unitary(instruction.gate)))
            continue
        terms = rotation_unitary_terms(instruction.generator)
        if instruction.slot < 0:
            half = 0.5 * instruction.angle
            fixed = np.cos(half) * terms[1] + np.sin(half) * terms[2]
            ops.append(Op(instruction.qubits, fixed=fixed))
        else:
            ops.append(Op(instruction.qubits, terms=terms, slot=instruction.slot))
    return ops


@cache
def gate_unitary(name: str) -> np.ndarray:
    """Unitary of a fixed gate (qiskit's matrix: local qubit 0 least significant)."""
    matrix = np.asarray(FIXED_GATES[name]().to_matrix(), dtype=complex)
    matrix.setflags(write=False)
    return matrix


@cache
def rotation_unitary_terms(generator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(0, 1, -i Q)``: ``exp(-i theta Q / 2) = cos(theta/2) 1 + sin(theta/2) (-i Q)``."""
    q = Pauli(generator).to_matrix()
    terms = (np.zeros_like(q), np.eye(q.shape[0], dtype=complex), -1j * q)
    for matrix in terms:
        matrix.setflags(write=False)
    return terms


def _masks(indices: np.ndarray, num_qubits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, z, y)`` bit masks and Y counts of little-endian Pauli indices."""
    digits = (np.asarray(indices, dtype=np.int64)[:, None] // 4 ** np.arange(num_qubits)) % 4
    weights = 2 ** np.arange(num_qubits, dtype=np.int64)
    x = ((digits == 1) | (digits == 2)) @ weights
    z = ((digits == 2) | (digits == 3)) @ weights
    y = (digits == 2).sum(axis=1)
    return x, z, y


def _parity_signs(z_masks: np.ndarray, num_qubits: int) -> np.ndarray:
    """``(-1)**popcount(j & z)`` for every mask z and basis index j: shape ``(m, 2**n)``."""
    j = np.arange(2**num_qubits, dtype=np.int64)
    overlap = z_masks[:, None] & j[None, :]
    parity = np.zeros(overlap.shape, dtype=np.int64)
    for q in range(num_qubits):
        parity ^= (overlap >> q) & 1
    return 1.0 - 2.0 * parity


def _expectation_step(batch: int, num_qubits: int) -> int:
    """Pauli strings :func:`pauli_expectations` takes at once (bounded memory)."""
    return max(1, 2**20 // max(1, batch * 2**num_qubits))


def pauli_expectations_bytes(batch: int, count: int, num_qubits: int) -> int:
    """Bytes :func:`pauli_expectations` allocates for ``count`` strings of ``batch`` states.

    Per step of strings: the flipped states and their conjugate (complex, ``B x m' x
    2**n``) and the sign tables (:data:`_BUILD_BYTES_PER_ENTRY` per entry); the output.
    """
    size = 2**num_qubits
    step = min(count, _expectation_step(batch, num_qubits))
    return step * size * (2 * 16 * batch + _BUILD_BYTES_PER_ENTRY) + 8 * (size + batch * count)


def pauli_expectations(states: np.ndarray, indices: np.ndarray, num_qubits: int) -> np.ndarray:
    """``<psi|P|psi>`` for Pauli indices ``(m,)`` and states ``(B, 2**n)``: ``(B, m)``."""
    x, z, y = _masks(indices, num_qubits)
    j = np.arange(2**num_qubits, dtype=np.int64)
    out = np.empty((states.shape[0], len(indices)))
    step = _expectation_step(states.shape[0], num_qubits)
    for start in range(0, len(indices), step):
        part = slice(start, start + step)
        signs = _parity_signs(z[part], num_qubits) * (1j ** y[part])[:, None]  # (m', 2**n)
        flipped = states[:, j[None, :] ^ x[part, None]]  # (B, m', 2**n)
        out[:, part] = np.einsum("bmj,mj,bj->bm", flipped.conj(), signs, states).real
    return out


class StatevectorObservable:
    """A Hermitian Pauli sum in the form :class:`StatevectorCircuit` states need.

    Args:
        indices: little-endian Pauli indices, shape ``(m,)``.
        coeffs: real coefficients, shape ``(m,)``.
        num_qubits: n.
    """

    def __init__(self, indices: np.ndarray, coeffs: np.ndarray, num_qubits: int) -> None:
        x, z, y = _masks(indices, num_qubits)
        phases = np.asarray(coeffs, dtype=float) * 1j**y
        masks, group = np.unique(x, return_inverse=True)  # sorted: mask 0 (diagonal) first
        weights = np.zeros((len(masks), 2**num_qubits), dtype=complex)
        step = max(1, _BUILD_ENTRIES // 2**num_qubits)  # bounded sign tables
        for start in range(0, len(z), step):
            part = slice(start, start + step)
            np.add.at(weights, group[part], phases[part, None] * _parity_signs(z[part], num_qubits))
        j = np.arange(2**num_qubits, dtype=np.int64)
        first = int(len(masks) > 0 and masks[0] == 0)
        #: ``<H>`` restricted to the diagonal terms: ``sum_j |psi_j|**2 d[j]``.
        self.diagonal = weights[0].real.copy() if first else None
        self.flips = j[None, :] ^ masks[first:, None]  # (g, 2**n)
        self.weights = weights[first:]  # (g, 2**n), a view: no second copy
        #: bytes of the weights, flips and diagonal.
        self.held_bytes = weights.nbytes + self.flips.nbytes + 8 * 2**num_qubits
        # The same flips as reversed axes of the (2,) * n view: j ^ x reverses the axis of
        # every qubit in x (axis a holds qubit n - 1 - a).
        self._reversals = [
            (slice(None),)
            + tuple(
                slice(None, None, -1) if (x >> (num_qubits - 1 - a)) & 1 else slice(None)
                for a in range(num_qubits)
            )
            for x in masks[first:].tolist()
        ]
        self.num_qubits = num_qubits

    @staticmethod
    def memory_needed(indices: np.ndarray, num_qubits: int) -> int:
        """Bytes the observable of Pauli ``indices`` needs to build and hold (no allocation).

        Its weights and flips (``masks x 2**n``), its diagonal, and the largest chunk of
        sign tables formed while building it.
        """
        masks = len(np.unique(_masks(indices, num_qubits)[0]))
        size = 2**num_qubits
        chunk = min(len(indices), max(1, _BUILD_ENTRIES // size)) * size
        return masks * size * (16 + 8) + 8 * size + chunk * _BUILD_BYTES_PER_ENTRY

    def memory(self, batch: int) -> int:
        """Bytes held plus what :meth:`values` allocates for ``batch`` states at once.

        The diagonal part (three real ``B x 2**n`` temporaries), then either the gathered
        flipped states and their conjugate or two complex ``B x 2**n`` temporaries.
        """
        size = 2**self.num_qubits
        gathered = batch * self.flips.size
        flipped = gathered if gathered <= _GATHER_ENTRIES else batch * size
        return self.held_bytes + 8 * batch + max(3 * 8 * batch * size, 2 * 16 * flipped)

    def values(self, states: np.ndarray) -> np.ndarray:
        """``<psi|H|psi>`` per state, ``(B,)``."""
        batch = states.shape[0]
        total = np.zeros(batch)
        if self.diagonal is not None:
            total += (states.real**2 + states.imag**2) @ self.diagonal
        if not len(self.flips):
            return total
        if batch * self.flips.size <= _GATHER_ENTRIES:  # one gather of every flipped state
            flipped = states[:, self.flips]  # (B, g, 2**n)
            total += np.einsum("bgj,gj,bj->b", flipped.conj(), self.weights, states).real
            return total
        # Large batches: flipped states as strided views, one mask at a time.
        view = states.reshape((batch,) + (2,) * self.num_qubits)
        for reversal, weight in zip(self._reversals, self.weights, strict=True):
            total += ((view[reversal].conj() * view).reshape(batch, -1) @ weight).real
        return total

    def apply(self, states: np.ndarray) -> np.ndarray:
        """``H |psi>`` per state, ``(B, 2**n)`` (for overlaps ``<phi|H|psi>``)."""
        result = np.zeros_like(states)
        if self.diagonal is not None:
            result += states * self.diagonal
        for flip, weight in zip(self.flips, self.weights, strict=True):
            # (H psi)[k] = sum_x w_x[k ^ x] psi[k ^ x]: the term X^x Z^z maps |j> to |j ^ x>.
            result += (weight * states)[:, flip]
        return result
