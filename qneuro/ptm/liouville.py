"""The Pauli-Liouville engine: a program and its noise compiled into fused PTM blocks.

:class:`CompiledCircuit` turns a :class:`~qneuro.ptm.program.Program` (or a
``QuantumCircuit``) plus a noise source into fused blocks, once;
:meth:`CompiledCircuit.evolve` then runs it for a batch of parameter sets with no Python
work per gate.

How it runs:

1. Each gate becomes a PTM with its noise channel composed after it
   (``R_noise @ R_gate``). A rotation stays symbolic as ``A + cos(theta) B + sin(theta) C``
   (the CRLQAS trick), with ``theta`` an affine function of the circuit parameters.
2. Gates are fused greedily into blocks on at most two qubits (:mod:`qneuro.ptm.blocks`);
   fixed factors are multiplied into neighbouring rotation terms.
3. Per evaluation, every rotation factor of every block is formed in one vectorised
   expression, the factors of all blocks are multiplied together in a few batched
   matmuls, and each block is applied to the ``(batch, 4**n)`` Pauli vectors as one
   BLAS matmul on a strided view (no transposes for neighbouring qubits). From 7 qubits,
   where one Pauli vector no longer fits in cache, a batch runs as single evaluations.
"""

from __future__ import annotations

import threading
from functools import cached_property, lru_cache

import numpy as np
from qiskit.circuit import QuantumCircuit

from .blocks import MemoryBudget, Op, Schedule, check_budget, fuse
from .gates import fixed_gate_ptm, rotation_terms
from .pauli import zero_state_support
from .program import AngleMap, NoiseSource, Program

#: float64 entries one chunk of a batch may use (states, scratch, rotation factors):
#: 4 MiB, which stays in cache (measured best of 1, 2 and 4 MiB for 2-8 qubits).
_CHUNK_ENTRIES = 2**19

#: Rotations stay unfused for batches of at least this size on at most
#: _NARROW_MAX_QUBITS qubits (measured faster there; see CompiledCircuit.__init__).
_NARROW_FROM_BATCH = 4
_NARROW_MAX_QUBITS = 5

#: From this many qubits evaluations run with one BLAS thread: the 16-column matmuls gain
#: nothing from a second thread, and a busy core makes OpenBLAS's threads wait many times
#: longer (measured 2.3 ms -> 48 ms at 8 qubits on 2 cores). Smaller sizes skip the
#: ~10 us it costs to switch. From the same size a batch is evolved one parameter set at a
#: time with shared block matrices: a state no longer fits in cache, so batching saves no
#: memory traffic, and per-set matrices cost more than shared ones.
ONE_BLAS_THREAD_FROM_QUBITS = 7

#: Default memory budget of one evaluation (bytes): every buffer it allocates counts.
DEFAULT_MEMORY_BUDGET = 4 * 2**30

#: Bytes of one reduced value (an expectation value, float64).
_RESULT_BYTES = 8


class CompiledCircuit(MemoryBudget):
    """A circuit with its noise, fused into PTM blocks; evaluate it many times.

    Args:
        circuit: a :class:`~qneuro.ptm.program.Program` or a ``QuantumCircuit`` (lowered
            with :meth:`Program.from_circuit`; parameters bind in ``circuit.parameters``
            order).
        noise: a noise source (a :class:`qneuro.noise.NoiseProfile`), or None.
        memory_budget: bytes one evaluation may allocate (:meth:`evaluation_buffers`);
            an evaluation that needs more is refused before anything is allocated.

    Attributes:
        num_qubits: n; states have ``4**n`` real entries (Pauli vectors).
        num_parameters: k; parameter arrays have shape ``(B, k)``.
        parameters: the circuit's parameters in binding order (empty for a bare program).
        num_gates: lowered gates (composite gates count once per rotation).
        num_blocks: fused blocks applied per evaluation.
        program: the lowered program.
    """

    engine = "ptm"
    local_dim = 4
    state_kind = "Pauli vectors"

    def __init__(
        self,
        circuit: Program | QuantumCircuit,
        noise: NoiseSource | None = None,
        *,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
    ) -> None:
        program = (
            circuit.copy() if isinstance(circuit, Program) else Program.from_circuit(circuit, noise)
        )
        self.program = program
        self.num_qubits = program.num_qubits
        self.memory_budget = check_budget(memory_budget)
        self.parameters = program.parameters
        self.num_parameters = program.num_parameters
        self.noise = noise
        self.ops = lower(program, noise)
        self.num_gates = len(self.ops)
        self.angles = AngleMap(program)  # parameters (B, k) -> rotation angles (B, slots)
        self.check_state_fits(8 * 4**self.num_qubits)

    @cached_property
    def _wide(self) -> Schedule:
        # Wide fusion for small batches (per-call overhead dominates); for batches,
        # rotations stay in one-qubit blocks, whose per-sample 4x4 matrices are cheap.
        return Schedule(fuse(self.ops, fuse_rotations_into_pairs=True), 4, self.num_qubits)

    @cached_property
    def _narrow(self) -> Schedule:
        return Schedule(fuse(self.ops, fuse_rotations_into_pairs=False), 4, self.num_qubits)

    @property
    def num_blocks(self) -> int:
        """Fused blocks applied per single evaluation."""
        return len(self._wide.plan)

    # -- evaluation ----------------------------------------------------------------

    def _one_at_a_time(self) -> bool:
        """True from :data:`ONE_BLAS_THREAD_FROM_QUBITS`: batches run row by row."""
        return self.num_qubits >= ONE_BLAS_THREAD_FROM_QUBITS

    def _schedule(self, batch: int) -> Schedule:
        narrow = batch >= _NARROW_FROM_BATCH and self.num_qubits <= _NARROW_MAX_QUBITS
        return self._narrow if narrow else self._wide

    def _chunk_rows(self, schedule: Schedule) -> int:
        """Rows of a batch evolved together: their states and factors stay in cache."""
        per_sample = 2 * 4**self.num_qubits + schedule.entries_per_sample
        return max(1, _CHUNK_ENTRIES // per_sample)

    def evaluation_buffers(self, batch: int, reduce=None) -> dict[str, int]:
        """Bytes of every buffer :meth:`evolve` allocates for ``batch`` parameter sets.

        ``reduce`` as in :meth:`evolve`: None keeps every state; a
        :class:`~qneuro.ptm.blocks.Reduction` adds what it holds and allocates; any other
        function is counted as one float per state.
        """
        vector = 8 * 4**self.num_qubits
        schedule = self._schedule(batch)
        rows = 1 if self._one_at_a_time() else min(batch, self._chunk_rows(schedule))
        reduced = 1 if self._one_at_a_time() else batch  # states reduced at once
        held = reduced if reduce is not None else batch  # states alive at once
        buffers = {
            "Pauli vectors": held * vector,
            "scratch": rows * vector,
            "block matrices": rows * 8 * schedule.work_entries_per_sample,
            "angles": batch * 8 * (self.num_parameters + 2 * self.program.num_slots),
            "zero-state support": 8 * 2**self.num_qubits,
        }
        if reduce is not None:
            buffers.update(reduction_buffers(reduce, batch, reduced))
        return buffers

    def check_parameters(self, parameter_values) -> np.ndarray:
        """Validate and return parameter values as a float array of shape ``(B, k)``."""
        return self.program.check_parameters(parameter_values)

    def evolve(self, parameter_values: np.ndarray | None = None, reduce=None) -> np.ndarray:
        """Final Pauli vectors, shape ``(B, 4**n)``, starting from ``|0...0>``.

        Args:
            parameter_values: shape ``(B, k)`` (or ``(k,)``, giving ``B = 1``); may be
                None when the circuit has no parameters.
            reduce: None, or a function from states ``(b, 4**n)`` to an array ``(b, ...)``
                (e.g. expectation values, a :class:`~qneuro.ptm.blocks.Reduction`); then
                its values for all ``B`` states are returned, and from
                :data:`ONE_BLAS_THREAD_FROM_QUBITS` qubits the states are evolved one at a
                time in two reused buffers (a batch costs what its single calls cost, and
                holds one state instead of ``B``).

        Raises:
            ValueError: bad parameter values, or buffers over the memory budget
                (:meth:`check_memory`, before anything is allocated).
        """
        values = self.check_parameters(parameter_values)
        batch = values.shape[0]
        self.check_memory(batch, reduce)
        if not self._one_at_a_time():
            states = self._evolve(values)
            return states if reduce is None else reduce(states)
        size = 4**self.num_qubits
        scratch = np.empty((1, size))
        with ONE_BLAS_THREAD:
            if reduce is not None:
                state = np.empty((1, size))
                if batch == 0:
                    return reduce(np.empty((0, size)))
                first = reduce(self._evolve(values[:1], state, scratch))
                out = np.empty((batch,) + first.shape[1:], dtype=first.dtype)
                out[:1] = first  # copied: reduce may return a view of the reused buffer
                for row in range(1, batch):
                    out[row : row + 1] = reduce(self._evolve(values[row : row + 1], state, scratch))
                return out
            result = np.empty((batch, size))  # the results plus one scratch vector
            for row in range(batch):
                self._evolve(values[row : row + 1], result[row : row + 1], scratch)
            return result

    def _evolve(
        self,
        values: np.ndarray,
        result: np.ndarray | None = None,
        scratch: np.ndarray | None = None,
    ) -> np.ndarray:
        """Evolve ``values`` ``(B, k)`` into ``result`` ``(B, 4**n)`` (new if None).

        ``scratch`` (shape ``(1, 4**n)``, only with ``B = 1``) is reused as the second
        buffer instead of a fresh one.
        """
        batch = values.shape[0]
        if scratch is not None and batch != 1:
            raise ValueError(f"a shared scratch buffer takes one parameter set, not {batch}")
        if result is None:
            result = np.empty((batch, 4**self.num_qubits))
        schedule = self._schedule(batch)
        chunk = self._chunk_rows(schedule)
        support = zero_state_support(self.num_qubits)
        angles = self.angles(values)
        for start in range(0, batch, chunk):
            rows = slice(start, min(start + chunk, batch))
            out = result[rows]
            out[:] = 0.0
            out[:, support] = 1.0  # |0...0>
            matrices = schedule.block_matrices(angles[rows])
            spare = scratch if scratch is not None else np.empty_like(out)
            state = schedule.run(matrices, out, spare)
            if state is not out:
                out[:] = state
        return result

    def pauli_vectors(self, states: np.ndarray) -> np.ndarray:
        """The Pauli vectors of evolved states (the states themselves), ``(B, 4**n)``."""
        return states


def lower(program: Program, noise: NoiseSource | None) -> list[Op]:
    """PTM ops of a program: each gate's PTM with its noise channel composed after it."""
    cache: dict = {}
    ops = []
    for instruction in program.instructions:
        key = (instruction.gate, instruction.generator, instruction.qubits, instruction.noise)
        if instruction.gate is None and instruction.slot < 0:
            key += (instruction.angle,)
        matrices = cache.get(key)
        if matrices is None:
            matrices = cache[key] = _ptm_matrices(instruction, noise)
        if isinstance(matrices, tuple):
            ops.append(Op(instruction.qubits, terms=matrices, slot=instruction.slot))
        else:
            ops.append(Op(instruction.qubits, fixed=matrices))
    return ops


def _ptm_matrices(instruction, noise):
    """The fixed PTM, or the three rotation terms, of one instruction with its channel."""
    qubits = instruction.qubits
    channel = None
    if noise is not None and instruction.noise is not None:
        channel = noise.gate_channel(instruction.noise, qubits)
        if channel is not None and channel.shape != (4 ** len(qubits),) * 2:
            raise ValueError(
                f"noise channel for {instruction.noise} on qubits {qubits} has shape "
                f"{channel.shape}; it must act on {len(qubits)} qubit(s)"
            )
    if instruction.gate is not None:
        ptm = fixed_gate_ptm(instruction.gate)
        return ptm if channel is None else channel @ ptm
    k0, kc, ks = rotation_terms(instruction.generator)
    if channel is not None:
        k0, kc, ks = channel @ k0, channel @ kc, channel @ ks
    if instruction.slot < 0:
        theta = instruction.angle
        return k0 + np.cos(theta) * kc + np.sin(theta) * ks
    return (k0, kc, ks)


def has_gate_noise(program: Program, noise: NoiseSource | None) -> bool:
    """True when some instruction of ``program`` carries a channel other than identity."""
    if noise is None:
        return False
    seen = set()
    for instruction in program.instructions:
        key = (instruction.noise, instruction.qubits)
        if instruction.noise is None or key in seen:
            continue
        seen.add(key)
        channel = noise.gate_channel(instruction.noise, instruction.qubits)
        if channel is not None and not np.array_equal(channel, np.eye(channel.shape[0])):
            return True
    return False


def reduction_buffers(reduce, batch: int, reduced: int) -> dict[str, int]:
    """Bytes of a reduction of ``batch`` states, ``reduced`` of them at once.

    A :class:`~qneuro.ptm.blocks.Reduction` states what it holds and allocates; any
    other function is counted as its results only (one float per state).
    """
    memory = getattr(reduce, "memory", None)
    return {
        "observable and reduction": 0 if memory is None else memory(reduced),
        "results": batch * _RESULT_BYTES,
    }


@lru_cache(maxsize=1)
def blas_threads():
    """The process's threadpoolctl controller (created once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class _OneBlasThread:
    """Context: BLAS runs one thread while any evaluation inside it runs (thread-safe).

    threadpoolctl's limit is process-wide: two threads that each set and restore it
    would restore out of order and leave BLAS at one thread for good. Here the first
    evaluation to enter sets the limit and the last to leave restores it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                self._limiter = blas_threads().limit(limits=1, user_api="blas")
            self._users += 1

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._limiter.restore_original_limits()
                self._limiter = None


#: The shared :class:`_OneBlasThread` of every Pauli-vector evaluation.
ONE_BLAS_THREAD = _OneBlasThread()
