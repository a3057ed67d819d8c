"""Compiling a circuit and its noise into a reusable PTM program.

:class:`CompiledCircuit` turns a :class:`~qiskit.circuit.QuantumCircuit` plus a noise
source into fused blocks, once; :meth:`CompiledCircuit.evolve` then runs it for a batch
of parameter sets with no Python work per gate.

How it runs:

1. Each gate becomes a PTM with its noise channel composed after it
   (``R_noise @ R_gate``). A rotation stays symbolic as ``A + cos(theta) B + sin(theta) C``
   (the CRLQAS trick), with ``theta`` an affine function of the circuit parameters.
2. Gates are fused greedily into blocks on at most two qubits: a one-qubit gate joins
   the latest block on its qubit; a two-qubit gate absorbs the pending one-qubit blocks of
   its qubits. Fixed factors are multiplied into neighbouring rotation terms, so a block
   is a fixed matrix or a product of rotation factors.
3. Per evaluation, every rotation factor of every block is formed in one vectorised
   expression, the factors of all blocks are multiplied together in a few batched
   matmuls, and each block is applied to the ``(batch, 4**n)`` Pauli vectors as one
   BLAS matmul on a strided view (no transposes for neighbouring qubits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np
from qiskit.circuit import ParameterExpression, QuantumCircuit

from .gates import (
    COMPOSITE_GATES,
    FIXED_GATES,
    ROTATION_GATES,
    SUPPORTED_GATES,
    fixed_gate_ptm,
    rotation_terms,
)
from .pauli import zero_state

#: Instructions that do not change the state and are skipped.
_IGNORED = {"barrier"}

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
#: ~10 us it costs to switch.
_ONE_BLAS_THREAD_FROM_QUBITS = 7

#: Default memory budget for the Pauli vectors of one evaluation (bytes).
DEFAULT_MEMORY_BUDGET = 4 * 2**30


class NoiseSource(Protocol):
    """What the simulator needs from a noise description (see :mod:`qneuro.noise`)."""

    def gate_channel(self, gate: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        """PTM applied after ``gate`` on ``qubits`` (local order = ``qubits``), or None."""

    def readout(self, qubit: int) -> tuple[float, float] | None:
        """``(p(1|0), p(0|1))`` of the qubit's measurement, or None when ideal."""


@dataclass
class _Op:
    """One gate: a fixed PTM, or ``A + cos(angle) B + sin(angle) C``."""

    qubits: tuple[int, ...]
    fixed: np.ndarray | None = None
    terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    slot: int = -1  # index of the angle when parametric


@dataclass
class _Block:
    qubits: list[int]  # sorted
    ops: list[_Op] = field(default_factory=list)


class CompiledCircuit:
    """A circuit with its noise, fused into blocks; evaluate it many times.

    Args:
        circuit: the circuit; its parameters are bound in ``circuit.parameters`` order.
            Gates outside :data:`~qneuro.ptm.gates.SUPPORTED_GATES` are transpiled to
            them; barriers and measurements at the end are ignored.
        noise: a noise source (a :class:`qneuro.noise.NoiseProfile`), or None.
        memory_budget: bytes the Pauli vectors of one evaluation may take.

    Attributes:
        num_qubits: n; states have ``4**n`` entries.
        num_parameters: k; parameter arrays have shape ``(B, k)``.
        parameters: the circuit's parameters in binding order.
        num_blocks: fused blocks applied per evaluation.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        noise: NoiseSource | None = None,
        *,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
    ) -> None:
        if not isinstance(circuit, QuantumCircuit):
            raise TypeError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")
        self.num_qubits = circuit.num_qubits
        if self.num_qubits < 1:
            raise ValueError("the circuit has no qubits")
        self.memory_budget = memory_budget
        check_memory(self.num_qubits, 1, memory_budget)
        self.parameters = tuple(circuit.parameters)
        self.num_parameters = len(self.parameters)
        self.noise = noise
        _check_noise_survives_transpiling(circuit, noise)
        circuit = _to_supported_gates(circuit)
        self._offsets: list[float] = []
        self._coefficients: list[np.ndarray] = []
        ops = self._lower(circuit, noise)
        self.num_gates = len(ops)
        self._offsets_arr = np.array(self._offsets, dtype=float)
        self._coeff_matrix = np.array(self._coefficients, dtype=float).reshape(
            len(self._offsets), self.num_parameters
        )
        # Wide fusion for small batches (per-call overhead dominates); for batches,
        # rotations stay in one-qubit blocks, whose per-sample 4x4 matrices are cheap.
        self._wide = _Schedule(_fuse(ops, fuse_rotations_into_pairs=True))
        self._narrow = _Schedule(_fuse(ops, fuse_rotations_into_pairs=False))
        self.num_blocks = len(self._wide.plan)
        self._initial = zero_state(self.num_qubits)

    # -- compilation ---------------------------------------------------------------

    def _lower(self, circuit: QuantumCircuit, noise: NoiseSource | None) -> list[_Op]:
        index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
        ops: list[_Op] = []
        data = list(circuit.data)
        final = _final_measurements(data)
        for position, instruction in enumerate(data):
            name = instruction.operation.name
            qubits = tuple(index[q] for q in instruction.qubits)
            if name in _IGNORED or position in final:
                continue
            if name == "measure":
                raise ValueError(
                    "mid-circuit measurement is not supported; only measurements at the end "
                    "(which expectation values ignore) are allowed"
                )
            if instruction.clbits:
                raise ValueError(f"instruction {name!r} uses classical bits; not supported")
            params = instruction.operation.params
            channel = None if noise is None else noise.gate_channel(name, qubits)
            if channel is not None and channel.shape != (4 ** len(qubits),) * 2:
                raise ValueError(
                    f"noise channel for {name} on qubits {qubits} has shape {channel.shape}; "
                    f"it must act on {len(qubits)} qubit(s)"
                )
            if name in FIXED_GATES:
                ptm = fixed_gate_ptm(name)
                ops.append(_Op(qubits, fixed=ptm if channel is None else channel @ ptm))
            elif name in ROTATION_GATES:
                ops.append(self._rotation(ROTATION_GATES[name], qubits, params[0], channel))
            elif name in COMPOSITE_GATES:
                parts = COMPOSITE_GATES[name]
                for i, (rotation, angle_index) in enumerate(parts):
                    last = i == len(parts) - 1
                    ops.append(
                        self._rotation(
                            ROTATION_GATES[rotation],
                            qubits,
                            params[angle_index],
                            channel if last else None,
                        )
                    )
            else:  # reset, delay, ...: what transpiling leaves and a PTM run cannot do
                raise ValueError(
                    f"instruction {name!r} is not supported: the simulator evolves unitary "
                    f"gates and their noise only ({', '.join(SUPPORTED_GATES)})"
                )
        return ops

    def _rotation(
        self, generator: str, qubits: tuple[int, ...], angle, channel: np.ndarray | None
    ) -> _Op:
        k0, kc, ks = rotation_terms(generator)
        if channel is not None:
            k0, kc, ks = channel @ k0, channel @ kc, channel @ ks
        if not isinstance(angle, ParameterExpression) or not angle.parameters:
            theta = float(angle)
            return _Op(qubits, fixed=k0 + np.cos(theta) * kc + np.sin(theta) * ks)
        offset, coefficients = _affine(angle, self.parameters)
        self._offsets.append(offset)
        self._coefficients.append(coefficients)
        return _Op(qubits, terms=(k0, kc, ks), slot=len(self._offsets) - 1)

    # -- evaluation ----------------------------------------------------------------

    def angles(self, parameter_values: np.ndarray) -> np.ndarray:
        """Rotation angles, shape ``(B, slots)``, for parameters of shape ``(B, k)``."""
        return self._offsets_arr + parameter_values @ self._coeff_matrix.T

    def evolve(self, parameter_values: np.ndarray | None = None) -> np.ndarray:
        """Final Pauli vectors, shape ``(B, 4**n)``, starting from ``|0...0>``.

        Args:
            parameter_values: shape ``(B, k)`` (or ``(k,)``, giving ``B = 1``); may be
                None when the circuit has no parameters.
        """
        values = self.check_parameters(parameter_values)
        batch = values.shape[0]
        check_memory(self.num_qubits, batch, self.memory_budget)
        if self.num_qubits < _ONE_BLAS_THREAD_FROM_QUBITS:
            return self._evolve(values)
        with _blas_threads().limit(limits=1, user_api="blas"):
            return self._evolve(values)

    def _evolve(self, values: np.ndarray) -> np.ndarray:
        batch = values.shape[0]
        result = np.empty((batch, 4**self.num_qubits))
        narrow = batch >= _NARROW_FROM_BATCH and self.num_qubits <= _NARROW_MAX_QUBITS
        schedule = self._narrow if narrow else self._wide
        # Chunks of the batch whose states and factors stay in cache.
        per_sample = 2 * 4**self.num_qubits + schedule.entries_per_sample
        chunk = max(1, _CHUNK_ENTRIES // per_sample)
        for start in range(0, batch, chunk):
            rows = slice(start, min(start + chunk, batch))
            out = result[rows]
            out[:] = self._initial
            state, scratch = out, np.empty_like(out)
            matrices = schedule.block_matrices(self.angles(values[rows]))
            for plan, matrix in zip(schedule.plan, matrices, strict=True):
                _apply(matrix, plan.qubits, state, scratch, self.num_qubits)
                state, scratch = scratch, state
            if state is not out:
                out[:] = state
        return result

    def check_parameters(self, parameter_values) -> np.ndarray:
        """Validate and return parameter values as a float array of shape ``(B, k)``."""
        if parameter_values is None:
            if self.num_parameters:
                raise ValueError(
                    f"the circuit has {self.num_parameters} parameters; pass parameter_values"
                )
            return np.zeros((1, 0))
        values = np.asarray(parameter_values, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.shape[1] != self.num_parameters:
            raise ValueError(
                f"parameter_values has shape {np.shape(parameter_values)}; expected "
                f"(B, {self.num_parameters}) or ({self.num_parameters},) for parameters "
                f"{[p.name for p in self.parameters]}"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("parameter_values contains NaN or infinity")
        return values


class _Schedule:
    """Blocks to apply in order, with their rotation factors stacked by dimension."""

    def __init__(self, blocks: list[_Block]) -> None:
        self.plan = [_plan_block(block) for block in blocks]
        self.banks = {}
        #: float64 entries one sample needs for its factors (bank and products, at most).
        self.entries_per_sample = 0
        for dim in (4, 16):
            factors = [f for plan in self.plan if plan.dim == dim for f in plan.factors]
            if not factors:
                continue
            identity = (np.eye(dim), np.zeros((dim, dim)), np.zeros((dim, dim)), -1)
            factors.append(identity)
            a = np.stack([f[0] for f in factors])
            b = np.stack([f[1] for f in factors])
            c = np.stack([f[2] for f in factors])
            slots = np.array([f[3] for f in factors])
            # Blocks grouped by factor count rounded up to a power of two (for pairwise
            # products), so padding at most doubles the work of any block.
            first = np.cumsum([0] + [len(plan.factors) for plan in self.plan if plan.dim == dim])
            by_length: dict[int, list[tuple[int, int, int]]] = {}
            owned = (i for i, plan in enumerate(self.plan) if plan.dim == dim)
            for i, start in zip(owned, first[:-1], strict=False):
                count = len(self.plan[i].factors)
                if count:
                    by_length.setdefault(1 << (count - 1).bit_length(), []).append(
                        (i, int(start), count)
                    )
            groups = []
            for length, members in sorted(by_length.items()):
                table = np.full((len(members), length), len(factors) - 1)  # identity pads
                for row, (_, start, count) in enumerate(members):
                    # Factor 0 acts first, so it sits at the right of the product.
                    table[row, :count] = np.arange(start, start + count)
                groups.append(([i for i, _, _ in members], table))
            self.banks[dim] = (a, b, c, slots, groups)
            self.entries_per_sample += 2 * dim * dim * len(factors)  # bank + products

    def block_matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """The PTM of every block for angles ``theta`` of shape ``(B, slots)``.

        A block's PTM is ``(d, d)`` when fixed and ``(B, d, d)`` when it has rotations.
        """
        matrices: list[np.ndarray | None] = [plan.matrix for plan in self.plan]
        for a, b, c, slots, groups in self.banks.values():
            angle = np.where(slots >= 0, theta[:, np.maximum(slots, 0)], 0.0)
            cos = np.cos(angle)[:, :, None, None]
            sin = np.sin(angle)[:, :, None, None]
            bank = a + cos * b + sin * c  # (B, factors, d, d)
            for owners, table in groups:
                product = bank[:, table]  # (B, blocks, length, d, d), factor 0 acts first
                while product.shape[2] > 1:  # multiply neighbours pairwise: log2(length) steps
                    product = np.matmul(product[:, :, 1::2], product[:, :, 0::2])
                for row, i in enumerate(owners):
                    matrices[i] = product[:, row, 0]
        return matrices


@dataclass
class _Plan:
    qubits: tuple[int, ...]
    dim: int
    matrix: np.ndarray | None  # the block's PTM when it has no rotation factors
    factors: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]


def _plan_block(block: _Block) -> _Plan:
    """Embed a block's ops into its space and fold fixed ops into rotation factors."""
    qubits = tuple(block.qubits)
    dim = 4 ** len(qubits)
    pending = np.eye(dim)  # fixed ops not yet absorbed (applied after the last factor)
    factors: list[list] = []
    for op in block.ops:
        if op.fixed is not None:
            pending = _embed(op.fixed, op.qubits, qubits) @ pending
            continue
        # Fixed ops since the previous factor act first: absorb them into this one.
        terms = [_embed(t, op.qubits, qubits) @ pending for t in op.terms]
        pending = np.eye(dim)
        factors.append([*terms, op.slot])
    if not factors:
        return _Plan(qubits, dim, pending, [])
    factors[-1][:3] = [pending @ t for t in factors[-1][:3]]  # trailing fixed ops
    return _Plan(qubits, dim, None, [tuple(f) for f in factors])


def _embed(ptm: np.ndarray, op_qubits: tuple[int, ...], block_qubits: tuple[int, ...]):
    """PTM of an op on ``op_qubits`` in the space of ``block_qubits`` (sorted, local 0 first)."""
    if op_qubits == block_qubits:
        return ptm
    if len(op_qubits) == 2:  # reversed pair
        return ptm.reshape(4, 4, 4, 4).transpose(1, 0, 3, 2).reshape(16, 16)
    if op_qubits[0] == block_qubits[0]:
        return np.kron(np.eye(4), ptm)
    return np.kron(ptm, np.eye(4))


def _fuse(ops: Sequence[_Op], fuse_rotations_into_pairs: bool) -> list[_Block]:
    """Greedy, order-preserving fusion into blocks on at most two qubits.

    A one-qubit gate joins the latest block on its qubit; a two-qubit gate joins the
    latest block of its pair or absorbs the pending one-qubit blocks of its qubits. With
    ``fuse_rotations_into_pairs=False`` one-qubit rotations never enter two-qubit blocks,
    so those stay shared across a batch.
    """
    wide = fuse_rotations_into_pairs
    blocks: list[_Block | None] = []
    latest: dict[int, int] = {}  # qubit -> index of the latest block touching it
    for op in ops:
        if len(op.qubits) == 1:
            (q,) = op.qubits
            block = blocks[latest[q]] if q in latest else None
            if block is not None and (wide or len(block.qubits) == 1 or op.fixed is not None):
                block.ops.append(op)
            else:
                latest[q] = len(blocks)
                blocks.append(_Block([q], [op]))
            continue
        a, b = op.qubits
        ia, ib = latest.get(a), latest.get(b)
        if ia is not None and ia == ib:
            blocks[ia].ops.append(op)
            continue
        new = _Block(sorted((a, b)))
        for i in sorted({i for i in (ia, ib) if i is not None}):
            pending = blocks[i]
            if len(pending.qubits) == 1 and (wide or all(o.fixed is not None for o in pending.ops)):
                new.ops.extend(pending.ops)
                blocks[i] = None
        new.ops.append(op)
        latest[a] = latest[b] = len(blocks)
        blocks.append(new)
    return [block for block in blocks if block is not None]


def _apply(matrix, qubits, state, out, num_qubits) -> None:
    """``out = (matrix on qubits) state`` for states of shape ``(B, 4**n)``."""
    batch = state.shape[0]
    batched = matrix.ndim == 3
    lo, hi = qubits[0], qubits[-1]
    if hi - lo > 1:
        _apply_distant(matrix, lo, hi, state, out, num_qubits)
        return
    dim = matrix.shape[-1]
    rows = batch * 4 ** (num_qubits - 1 - hi)
    width = 4**lo
    if width == 1:
        if batched:
            np.matmul(
                state.reshape(batch, -1, dim), matrix.transpose(0, 2, 1),
                out=out.reshape(batch, -1, dim),
            )
        else:
            np.matmul(state.reshape(rows, dim), matrix.T, out=out.reshape(rows, dim))
    elif batched:
        np.matmul(
            matrix[:, None],
            state.reshape(batch, -1, dim, width),
            out=out.reshape(batch, -1, dim, width),
        )
    else:
        np.matmul(matrix, state.reshape(rows, dim, width), out=out.reshape(rows, dim, width))


def _apply_distant(matrix, lo, hi, state, out, num_qubits) -> None:
    """Two-qubit block on non-neighbouring qubits: gather, matmul, scatter."""
    batch = state.shape[0]
    shape = (batch, 4 ** (num_qubits - 1 - hi), 4, 4 ** (hi - lo - 1), 4, 4**lo)
    view = state.reshape(shape).transpose(0, 1, 3, 2, 4, 5)  # (B, x, y, p_hi, p_lo, w)
    gathered = np.ascontiguousarray(view).reshape(batch, shape[1] * shape[3], 16, shape[5])
    if matrix.ndim == 3:
        result = np.matmul(matrix[:, None], gathered)
    else:
        result = np.matmul(matrix, gathered)
    result = result.reshape(batch, shape[1], shape[3], 4, 4, shape[5])
    out.reshape(shape)[:] = result.transpose(0, 1, 3, 2, 4, 5)


@lru_cache(maxsize=1)
def _blas_threads():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def check_memory(num_qubits: int, batch: int, budget: int) -> None:
    """Raise ``ValueError`` (saying the size needed) when the states would exceed ``budget``."""
    need = 2 * batch * 8 * 4**num_qubits  # state + scratch, float64
    if need > budget:
        raise ValueError(
            f"simulating {num_qubits} qubits with batch {batch} needs {_bytes(need)} for the "
            f"Pauli vectors (2 x B x 4**n x 8 bytes), over the memory budget of "
            f"{_bytes(budget)}; use fewer qubits, a smaller batch, or raise memory_budget"
        )


def _bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if count < 1024 or unit == "EiB":
            return f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} EiB"  # pragma: no cover


def _affine(expression: ParameterExpression, parameters) -> tuple[float, np.ndarray]:
    """``(offset, coefficients)`` with ``expression = offset + coefficients . parameters``."""
    coefficients = np.zeros(len(parameters))
    position = {p: i for i, p in enumerate(parameters)}
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
        coefficients[position[parameter]] = gradient.real
    offset = complex(expression.bind({p: 0.0 for p in expression.parameters}))
    return offset.real, coefficients


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
    allowed = set(SUPPORTED_GATES) | _IGNORED | {"measure"}
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
    allowed = set(SUPPORTED_GATES) | _IGNORED | {"measure"}
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
