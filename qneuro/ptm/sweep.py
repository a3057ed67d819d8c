r"""The exact energy along one rotation angle, for coordinate sweeps (Rotosolve).

If slot s's angle enters only its own rotation ``exp(-i theta Q / 2)`` and the noise does
not depend on the angles, the energy is a sinusoid in ``theta_s`` with the other angles
fixed: ``E(theta) = a + b cos(theta) + c sin(theta)``. A sweep visits the slots from the
last to the first (the order Rotosolve moves the newest angles first) and gives
``(a, b, c)`` for each, after the angles of the later slots have moved:

* :class:`PauliSweep` (any noise): with ``r_s`` the Pauli vector just before slot s's
  gate (cached by one forward pass) and ``h_s`` the observable carried back through the
  later gates in the Heisenberg picture (``h <- R^T h``, one block per gate, updated as
  the sweep moves back), ``E(theta) = h_s^T (K0 + cos(theta) Kc + sin(theta) Ks) r_s``
  with the gate's (noisy) rotation terms. A sweep costs one forward and one backward pass
  of block applications on ``4**n`` entries, O(gates), instead of three circuit
  evaluations per slot, O(gates**2).
* :class:`StatevectorSweep` (ideal gates): with ``psi_s`` the cached state before the
  rotation, ``alpha = U psi_s`` and ``beta = U Q psi_s`` (U the gates after it, angles
  current), ``E = A + B cos(theta) + C sin(theta)`` with ``A = (<H>_a + <H>_b) / 2``,
  ``B = (<H>_a - <H>_b) / 2``, ``C = Im <alpha|H|beta>``. Each slot re-runs the gates
  after it on two ``2**n`` amplitude vectors: O(gates**2) small operations, which on
  ``2**n`` instead of ``4**n`` numbers is the faster sweep from 7 qubits (measured, see
  :data:`STATEVECTOR_SWEEP_FROM_QUBITS`).

Both reproduce three evaluations of the circuit to rounding (tested against the PTM and
statevector engines).
"""

from __future__ import annotations

import numpy as np

from .blocks import Op, apply, swap_qubits
from .pauli import zero_state

#: Noiseless sweeps run on statevectors from this many qubits and on Pauli vectors below
#: (there the O(gates) backward pass on 4**n entries beats O(gates**2) small steps).
STATEVECTOR_SWEEP_FROM_QUBITS = 7


#: Working vectors of a sweep besides its cached states: for Pauli vectors the dense
#: observable, state and scratch, the carried observable and its scratch, and two
#: temporaries (distant blocks, local Gram matrices); for statevectors state and scratch,
#: the pair of evolved states with its scratch and temporaries, and ``H`` on the pair.
_PAULI_SWEEP_VECTORS = 7
_STATEVECTOR_SWEEP_VECTORS = 16
#: Rotation matrices, Gram matrices and bookkeeping of a sweep (bytes, measured < 5 KiB).
_SWEEP_OVERHEAD = 2**16


def sweep_memory(num_qubits: int, coordinates: int, statevector: bool) -> int:
    """Bytes a sweep over ``coordinates`` slots allocates at its peak, at most.

    One cached state per slot plus the working vectors; a statevector sweep's compiled
    observable is not included (the simulator holds it).
    """
    if statevector:
        vectors = (coordinates + _STATEVECTOR_SWEEP_VECTORS) * 16 * 2**num_qubits
    else:
        vectors = (coordinates + _PAULI_SWEEP_VECTORS) * 8 * 4**num_qubits
    return vectors + _SWEEP_OVERHEAD


class _Segments:
    """A compiled op list cut at its rotation slots: the fixed ops between them.

    ``blocks[i]`` are the ``(qubits, matrix)`` of the fixed ops before slot-op i
    (``i = slots``: after the last one); ``rotations[i]`` is slot i's op. Fixed ops are not
    fused: between two rotations there are rarely two that share their qubits.
    """

    def __init__(self, ops: list[Op], local_dim: int, num_slots: int) -> None:
        self.rotations: list[Op | None] = [None] * num_slots
        self.blocks: list[list[tuple[tuple[int, ...], np.ndarray]]] = []
        pending: list[Op] = []
        expected = 0
        for op in ops:
            if op.terms is None:
                pending.append(op)
                continue
            if op.slot != expected or self.rotations[op.slot] is not None:
                raise ValueError("slots must appear once each, in increasing order")
            self.blocks.append([(o.qubits, o.fixed) for o in pending])
            self.rotations[op.slot] = op
            pending = []
            expected += 1
        if expected != num_slots:
            raise ValueError("every slot needs its own rotation")
        self.blocks.append([(o.qubits, o.fixed) for o in pending])


def segments(compiled) -> _Segments:
    """The cached :class:`_Segments` of a compiled circuit (either engine)."""
    cached = getattr(compiled, "_sweep_segments", None)
    if cached is None:
        cached = _Segments(compiled.ops, compiled.local_dim, compiled.program.num_slots)
        compiled._sweep_segments = cached
    return cached


def _sorted(qubits, matrix, local_dim):
    """``(sorted qubits, matrix in their local order)`` for the kernels."""
    if len(qubits) == 1 or qubits[0] < qubits[1]:
        return tuple(qubits), matrix
    return (qubits[1], qubits[0]), swap_qubits(matrix, local_dim)


class PauliSweep:
    """Sinusoids of slots ``last, last-1, ..., first`` on Pauli vectors (any noise).

    Args:
        compiled: a :class:`~qneuro.ptm.liouville.CompiledCircuit`.
        observable: the observable as a dense Pauli-coefficient vector ``(4**n,)``
            (readout folded in), so that ``E = observable . r``.
        angles: the current slot angles, shape ``(slots,)``.
        first: the earliest slot the sweep will visit.
    """

    def __init__(self, compiled, observable: np.ndarray, angles: np.ndarray, first: int):
        self.n = compiled.num_qubits
        self.parts = segments(compiled)
        self.angles = np.array(angles, dtype=float)
        slots = len(self.parts.rotations)
        self.first = first
        size = 4**self.n
        # Forward: the state before every visited rotation.
        self.cache: dict[int, np.ndarray] = {}
        state, scratch = _zero_pauli(self.n), np.empty((1, size))
        for s in range(slots):
            state, scratch = self._run(self.parts.blocks[s], state, scratch, transpose=False)
            if s >= first:
                self.cache[s] = state.copy()
            if s < slots - 1:
                matrix = self.parts.rotations[s].matrix(self.angles[s])
                state, scratch = self._run(
                    [(self.parts.rotations[s].qubits, matrix)], state, scratch, transpose=False
                )
        # Backward: the observable carried back through the gates after the last slot.
        self.h, self._scratch = observable.reshape(1, size).copy(), np.empty((1, size))
        self._next = slots - 1
        self._back(self.parts.blocks[slots])

    def _run(self, blocks, state, scratch, transpose):
        for qubits, matrix in blocks:
            qubits, matrix = _sorted(qubits, matrix.T if transpose else matrix, 4)
            apply(matrix, qubits, state, scratch, self.n, 4)
            state, scratch = scratch, state
        return state, scratch

    def _back(self, blocks) -> None:
        self.h, self._scratch = self._run(list(reversed(blocks)), self.h, self._scratch, True)

    def sinusoid(self, slot: int) -> tuple[float, float, float]:
        """``(a, b, c)``: ``E(theta) = a + b cos(theta) + c sin(theta)`` along ``slot``."""
        if slot != self._next:
            raise ValueError(f"the sweep is at slot {self._next}, not {slot}")
        op = self.parts.rotations[slot]
        qubits = tuple(sorted(op.qubits))
        gram = _local_gram(self.h[0], self.cache[slot][0], qubits, self.n)
        a, b, c = (float(np.sum(_sorted(op.qubits, term, 4)[1] * gram)) for term in op.terms)
        return a, b, c

    def move(self, slot: int, angle: float) -> None:
        """Set ``slot``'s angle and step back to the previous slot."""
        if slot != self._next:
            raise ValueError(f"the sweep is at slot {self._next}, not {slot}")
        self.angles[slot] = angle
        op = self.parts.rotations[slot]
        self.cache.pop(slot, None)
        self._next -= 1
        if self._next >= self.first:  # carry the observable back to the previous slot
            self._back(self.parts.blocks[slot] + [(op.qubits, op.matrix(angle))])


def _zero_pauli(num_qubits: int) -> np.ndarray:
    return zero_state(num_qubits)[None, :]


def _local_gram(h: np.ndarray, r: np.ndarray, qubits, num_qubits: int) -> np.ndarray:
    """``G[i, j] = sum over the other qubits of h[.., i, ..] r[.., j, ..]`` (local order).

    Then ``h^T (M on qubits) r = sum_ij M[i, j] G[i, j]`` for any local matrix M.
    """
    n = num_qubits
    if len(qubits) == 1:
        (q,) = qubits
        shape = (4 ** (n - 1 - q), 4, 4**q)
        return np.tensordot(h.reshape(shape), r.reshape(shape), axes=([0, 2], [0, 2]))
    lo, hi = qubits
    shape = (4 ** (n - 1 - hi), 4, 4 ** (hi - lo - 1), 4, 4**lo)
    gram = np.tensordot(h.reshape(shape), r.reshape(shape), axes=([0, 2, 4], [0, 2, 4]))
    # gram[p_hi, p_lo, p'_hi, p'_lo] -> local index p_lo + 4 p_hi (hi is more significant).
    return gram.reshape(16, 16)


class StatevectorSweep:
    """Sinusoids of slots ``last, last-1, ..., first`` on statevectors (ideal gates).

    Args:
        compiled: a :class:`~qneuro.ptm.statevector.StatevectorCircuit`.
        observable: a :class:`~qneuro.ptm.statevector.StatevectorObservable`.
        angles: the current slot angles, shape ``(slots,)``.
        first: the earliest slot the sweep will visit.
    """

    def __init__(self, compiled, observable, angles: np.ndarray, first: int):
        self.n = compiled.num_qubits
        self.parts = segments(compiled)
        self.observable = observable
        self.angles = np.array(angles, dtype=float)
        slots = len(self.parts.rotations)
        self.first = first
        size = 2**self.n
        self.cache: dict[int, np.ndarray] = {}
        state = np.zeros((1, size), dtype=complex)
        state[0, 0] = 1.0
        scratch = np.empty_like(state)
        for s in range(slots):
            state, scratch = self._run(self.parts.blocks[s], state, scratch)
            if s >= first:
                self.cache[s] = state.copy()
            if s < slots - 1:
                state, scratch = self._run([self._rotation(s)], state, scratch)
        self._next = slots - 1

    def _rotation(self, slot: int):
        op = self.parts.rotations[slot]
        return op.qubits, op.matrix(0.5 * self.angles[slot])

    def _run(self, blocks, state, scratch):
        for qubits, matrix in blocks:
            qubits, matrix = _sorted(qubits, matrix, 2)
            apply(matrix, qubits, state, scratch, self.n, 2)
            state, scratch = scratch, state
        return state, scratch

    def sinusoid(self, slot: int) -> tuple[float, float, float]:
        """``(a, b, c)``: ``E(theta) = a + b cos(theta) + c sin(theta)`` along ``slot``."""
        if slot != self._next:
            raise ValueError(f"the sweep is at slot {self._next}, not {slot}")
        op = self.parts.rotations[slot]
        psi = self.cache[slot]
        pair = np.empty((2, psi.shape[1]), dtype=complex)
        pair[0] = psi[0]
        generator = 1j * op.terms[2]  # C = -i Q
        qubits, generator = _sorted(op.qubits, generator, 2)
        apply(generator, qubits, psi, pair[1:], self.n, 2)
        slots = len(self.parts.rotations)
        blocks = []  # every gate after the rotation, angles as they are now
        for later in range(slot + 1, slots):
            blocks += self.parts.blocks[later]
            blocks.append(self._rotation(later))
        blocks += self.parts.blocks[slots]
        pair, _ = self._run(blocks, pair, np.empty_like(pair))
        h_pair = self.observable.apply(pair)
        h_aa = float(np.vdot(pair[0], h_pair[0]).real)
        h_bb = float(np.vdot(pair[1], h_pair[1]).real)
        h_ab = np.vdot(pair[0], h_pair[1])
        return 0.5 * (h_aa + h_bb), 0.5 * (h_aa - h_bb), float(h_ab.imag)

    def move(self, slot: int, angle: float) -> None:
        """Set ``slot``'s angle and step back to the previous slot."""
        if slot != self._next:
            raise ValueError(f"the sweep is at slot {self._next}, not {slot}")
        self.angles[slot] = angle
        self.cache.pop(slot, None)
        self._next -= 1
