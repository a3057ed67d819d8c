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

from functools import cached_property, lru_cache

import numpy as np
from qiskit.circuit import QuantumCircuit

from .blocks import Op, Schedule, check_memory, fuse
from .gates import fixed_gate_ptm, rotation_terms
from .pauli import zero_state
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

#: Default memory budget for the state vectors of one evaluation (bytes).
DEFAULT_MEMORY_BUDGET = 4 * 2**30


class CompiledCircuit:
    """A circuit with its noise, fused into PTM blocks; evaluate it many times.

    Args:
        circuit: a :class:`~qneuro.ptm.program.Program` or a ``QuantumCircuit`` (lowered
            with :meth:`Program.from_circuit`; parameters bind in ``circuit.parameters``
            order).
        noise: a noise source (a :class:`qneuro.noise.NoiseProfile`), or None.
        memory_budget: bytes the Pauli vectors of one evaluation may take.

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
        self.memory_budget = memory_budget
        check_memory(self.num_qubits, 1, memory_budget, 4, 8)
        self.parameters = program.parameters
        self.num_parameters = program.num_parameters
        self.noise = noise
        self.ops = lower(program, noise)
        self.num_gates = len(self.ops)
        self.angles = AngleMap(program)  # parameters (B, k) -> rotation angles (B, slots)
        self._initial = zero_state(self.num_qubits)

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

    def check_parameters(self, parameter_values) -> np.ndarray:
        """Validate and return parameter values as a float array of shape ``(B, k)``."""
        return self.program.check_parameters(parameter_values)

    def evolve(self, parameter_values: np.ndarray | None = None, reduce=None) -> np.ndarray:
        """Final Pauli vectors, shape ``(B, 4**n)``, starting from ``|0...0>``.

        Args:
            parameter_values: shape ``(B, k)`` (or ``(k,)``, giving ``B = 1``); may be
                None when the circuit has no parameters.
            reduce: None, or a function from states ``(b, 4**n)`` to an array ``(b, ...)``
                (e.g. expectation values); then its values for all ``B`` states are
                returned, and from :data:`ONE_BLAS_THREAD_FROM_QUBITS` qubits the states
                are evolved one at a time in two reused buffers (a batch costs what its
                single calls cost, and holds one state instead of ``B``).
        """
        values = self.check_parameters(parameter_values)
        batch = values.shape[0]
        if self.num_qubits < ONE_BLAS_THREAD_FROM_QUBITS:
            check_memory(self.num_qubits, batch, self.memory_budget, 4, 8)
            states = self._evolve(values)
            return states if reduce is None else reduce(states)
        size = 4**self.num_qubits
        scratch = np.empty((1, size))
        with blas_threads().limit(limits=1, user_api="blas"):
            if reduce is not None:
                check_memory(self.num_qubits, 1, self.memory_budget, 4, 8)
                state = np.empty((1, size))
                if batch == 0:
                    return reduce(np.empty((0, size)))
                first = reduce(self._evolve(values[:1], state, scratch))
                out = np.empty((batch,) + first.shape[1:], dtype=first.dtype)
                out[:1] = first  # copied: reduce may return a view of the reused buffer
                for row in range(1, batch):
                    out[row : row + 1] = reduce(
                        self._evolve(values[row : row + 1], state, scratch)
                    )
                return out
            # the results plus one scratch vector shared by the rows
            check_memory(self.num_qubits, batch, self.memory_budget, 4, 8, vectors=batch + 1)
            result = np.empty((batch, size))
            for row in range(batch):
                self._evolve(values[row : row + 1], result[row : row + 1], scratch)
            return result

    def _evolve(
        self, values: np.ndarray, result: np.ndarray | None = None,
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
        narrow = batch >= _NARROW_FROM_BATCH and self.num_qubits <= _NARROW_MAX_QUBITS
        schedule = self._narrow if narrow else self._wide
        # Chunks of the batch whose states and factors stay in cache.
        per_sample = 2 * 4**self.num_qubits + schedule.entries_per_sample
        chunk = max(1, _CHUNK_ENTRIES // per_sample)
        angles = self.angles(values)
        for start in range(0, batch, chunk):
            rows = slice(start, min(start + chunk, batch))
            out = result[rows]
            out[:] = self._initial
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


@lru_cache(maxsize=1)
def blas_threads():
    """The process's threadpoolctl controller (created once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
