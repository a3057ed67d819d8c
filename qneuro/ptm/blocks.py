"""Gate fusion into blocks on at most two qubits, and the kernels that apply them.

Shared by both engines. A state is an array of shape ``(B, d**n)`` with ``d = 4`` (Pauli
vectors, real) or ``d = 2`` (statevectors, complex); viewed as ``(B,) + (d,) * n`` its
axis ``1 + a`` belongs to qubit ``n - 1 - a`` (little-endian, as qiskit). An operator on
qubits ``(q0, q1, ...)`` is a ``d**k x d**k`` matrix in *local* order: local qubit j is
``qubits[j]``, the least significant digit first.

A :class:`Op` is a fixed matrix or a rotation ``A + cos(phi) B + sin(phi) C`` with
``phi`` the angle in its slot (PTMs: ``phi = theta``; statevectors: ``phi = theta / 2``,
``A = 0``, ``B = 1``, ``C = -i Q``). :func:`fuse` groups ops greedily into blocks on at
most two qubits; :class:`Schedule` forms every block's matrix for a batch of angles in a
few batched matmuls; :func:`apply` applies one block to a batch of states as one BLAS
matmul on a strided view.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np


@dataclass
class Op:
    """One gate: a fixed matrix, or ``terms = (A, B, C)`` with the angle in ``slot``."""

    qubits: tuple[int, ...]
    fixed: np.ndarray | None = None
    terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    slot: int = -1

    def matrix(self, phi: float) -> np.ndarray:
        """The op's matrix for angle ``phi`` (the fixed matrix when it has none)."""
        if self.fixed is not None:
            return self.fixed
        a, b, c = self.terms
        return a + np.cos(phi) * b + np.sin(phi) * c


@dataclass
class Block:
    """Consecutive ops on at most two qubits (``qubits`` sorted)."""

    qubits: list[int]
    ops: list[Op] = field(default_factory=list)


def fuse(ops: Sequence[Op], fuse_rotations_into_pairs: bool) -> list[Block]:
    """Greedy, order-preserving fusion into blocks on at most two qubits.

    A one-qubit gate joins the latest block on its qubit; a two-qubit gate joins the
    latest block of its pair or absorbs the pending one-qubit blocks of its qubits. With
    ``fuse_rotations_into_pairs=False`` one-qubit rotations never enter two-qubit blocks,
    so those stay shared across a batch.
    """
    wide = fuse_rotations_into_pairs
    blocks: list[Block | None] = []
    latest: dict[int, int] = {}  # qubit -> index of the latest block touching it
    for op in ops:
        if len(op.qubits) == 1:
            (q,) = op.qubits
            block = blocks[latest[q]] if q in latest else None
            if block is not None and (wide or len(block.qubits) == 1 or op.fixed is not None):
                block.ops.append(op)
            else:
                latest[q] = len(blocks)
                blocks.append(Block([q], [op]))
            continue
        a, b = op.qubits
        ia, ib = latest.get(a), latest.get(b)
        if ia is not None and ia == ib:
            blocks[ia].ops.append(op)
            continue
        new = Block(sorted((a, b)))
        for i in sorted({i for i in (ia, ib) if i is not None}):
            pending = blocks[i]
            if len(pending.qubits) == 1 and (wide or all(o.fixed is not None for o in pending.ops)):
                new.ops.extend(pending.ops)
                blocks[i] = None
        new.ops.append(op)
        latest[a] = latest[b] = len(blocks)
        blocks.append(new)
    return [block for block in blocks if block is not None]


@dataclass
class Plan:
    """A block ready to run: its matrix when fixed, else its rotation factors."""

    qubits: tuple[int, ...]
    dim: int
    matrix: np.ndarray | None
    factors: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]


def plan_block(block: Block, local_dim: int) -> Plan:
    """Embed a block's ops into its space and fold fixed ops into rotation factors."""
    qubits = tuple(block.qubits)
    dim = local_dim ** len(qubits)
    pending = None  # fixed ops not yet absorbed (applied after the last factor)
    factors: list[list] = []
    for op in block.ops:
        if op.fixed is not None:
            fixed = embed(op.fixed, op.qubits, qubits, local_dim)
            pending = fixed if pending is None else fixed @ pending
            continue
        # Fixed ops since the previous factor act first: absorb them into this one.
        terms = [embed(t, op.qubits, qubits, local_dim) for t in op.terms]
        if pending is not None:
            terms = [t @ pending for t in terms]
        pending = None
        factors.append([*terms, op.slot])
    if not factors:
        return Plan(qubits, dim, pending, [])
    if pending is not None:
        factors[-1][:3] = [pending @ t for t in factors[-1][:3]]  # trailing fixed ops
    return Plan(qubits, dim, None, [tuple(f) for f in factors])


def embed(matrix: np.ndarray, op_qubits, block_qubits, local_dim: int) -> np.ndarray:
    """Matrix of an op on ``op_qubits`` in the space of ``block_qubits`` (local order)."""
    op_qubits, block_qubits = tuple(op_qubits), tuple(block_qubits)
    if op_qubits == block_qubits:
        return matrix
    d = local_dim
    if len(op_qubits) == 2:  # reversed pair
        return swap_qubits(matrix, d)
    identity = np.eye(d, dtype=matrix.dtype)
    if op_qubits[0] == block_qubits[0]:  # the lower qubit: kron(1, matrix)
        product = identity[:, None, :, None] * matrix[None, :, None, :]
    else:  # the higher qubit: kron(matrix, 1)
        product = matrix[:, None, :, None] * identity[None, :, None, :]
    return product.reshape(d * d, d * d)


class Schedule:
    """Blocks to apply in order, with their rotation factors stacked by dimension.

    The state's axes need not stay in qubit order: a two-qubit block on qubits whose axes
    are not neighbours first permutes the axes (one transposing copy) so that they are,
    and later blocks work in that layout; :meth:`run` returns the state in qubit order.
    Each block's matrix is stored in the order of its axes (``layout``), so no block is
    gathered into and scattered out of a copy.
    """

    def __init__(self, blocks: list[Block], local_dim: int, num_qubits: int) -> None:
        self.plan = [plan_block(block, local_dim) for block in blocks]
        self.local_dim, self.num_qubits = local_dim, num_qubits
        self.steps, self.final = _layout_steps(self.plan, num_qubits)
        for plan, step in zip(self.plan, self.steps, strict=True):
            if step.swap:  # the lower qubit sits on the more significant axis
                plan.matrix = None if plan.matrix is None else swap_qubits(plan.matrix, local_dim)
                plan.factors = [
                    (*(swap_qubits(t, local_dim) for t in factor[:3]), factor[3])
                    for factor in plan.factors
                ]
        self.banks = {}
        #: entries one sample needs for its factors (bank and products, at most).
        self.entries_per_sample = 0
        #: entries :meth:`block_matrices` allocates per sample at its peak, at most: each
        #: bank with the temporaries of ``a + cos b + sin c`` (3x), each padded product
        #: table with its pairwise halves (2x).
        self.work_entries_per_sample = 0
        for dim in (local_dim, local_dim**2):
            factors = [f for plan in self.plan if plan.dim == dim for f in plan.factors]
            if not factors:
                continue
            dtype = np.result_type(*(f[0] for f in factors), *(f[2] for f in factors))
            zero = np.zeros((dim, dim), dtype=dtype)
            factors.append((np.eye(dim, dtype=dtype), zero, zero, -1))  # identity pad
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
            padded = sum(table.size for _, table in groups)
            self.work_entries_per_sample += dim * dim * (3 * len(factors) + 2 * padded)

    def block_matrices(self, phi: np.ndarray) -> list[np.ndarray]:
        """The matrix of every block for slot angles ``phi`` of shape ``(B, slots)``.

        A block's matrix is ``(d, d)`` when fixed and ``(B, d, d)`` when it has rotations.
        """
        matrices: list[np.ndarray | None] = [plan.matrix for plan in self.plan]
        for a, b, c, slots, groups in self.banks.values():
            angle = np.where(slots >= 0, phi[:, np.maximum(slots, 0)], 0.0)
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

    def run(self, matrices: list[np.ndarray], state: np.ndarray, scratch: np.ndarray):
        """Apply every block to ``state`` ``(B, d**n)``, using ``scratch``.

        Returns the buffer that holds the result (``state`` or ``scratch``), in qubit order.
        """
        d, n = self.local_dim, self.num_qubits
        batch = state.shape[0]
        tensor = (batch,) + (d,) * n
        for step, matrix in zip(self.steps, matrices, strict=True):
            if matrix.ndim == 3 and matrix.shape[0] == 1:
                matrix = matrix[0]
            if step.permutation is not None:
                scratch.reshape(tensor)[...] = state.reshape(tensor).transpose(step.permutation)
                state, scratch = scratch, state
            apply_on_axes(matrix, step.axis, step.span, state, scratch, n, d)
            state, scratch = scratch, state
        if self.final is not None:
            scratch.reshape(tensor)[...] = state.reshape(tensor).transpose(self.final)
            state, scratch = scratch, state
        return state


@dataclass
class _Step:
    """Where a block acts in the current layout, and the axis permutation before it."""

    axis: int  # the block's most significant axis (1 + axis in a (B, d, ..., d) view)
    span: int  # 1 or 2 neighbouring axes
    swap: bool  # True when the lower qubit is on the more significant axis
    permutation: tuple[int, ...] | None  # transpose of the (B,) + (d,) * n view, or None


def _layout_steps(plans: list[Plan], num_qubits: int):
    """The layout walk of a schedule: one :class:`_Step` per block, the final permutation.

    ``layout[a]`` is the qubit on axis ``a``; qubit order is ``layout[a] = n - 1 - a``. A
    block on non-neighbouring axes moves its higher qubit's axis next to (just before)
    its lower qubit's axis.
    """
    n = num_qubits
    layout = [n - 1 - a for a in range(n)]
    steps = []
    for plan in plans:
        if len(plan.qubits) == 1:
            steps.append(_Step(layout.index(plan.qubits[0]), 1, False, None))
            continue
        lo, hi = plan.qubits
        permutation = None
        if abs(layout.index(lo) - layout.index(hi)) != 1:
            moved = [q for q in layout if q != hi]
            moved.insert(moved.index(lo), hi)
            permutation = (0, *(1 + layout.index(q) for q in moved))
            layout = moved
        top = min(layout.index(lo), layout.index(hi))
        steps.append(_Step(top, 2, layout[top] == lo, permutation))
    canonical = [n - 1 - a for a in range(n)]
    final = None if layout == canonical else (0, *(1 + layout.index(q) for q in canonical))
    return steps, final


def swap_qubits(matrix: np.ndarray, d: int) -> np.ndarray:
    """A two-qubit matrix with its local qubits exchanged."""
    return matrix.reshape(d, d, d, d).transpose(1, 0, 3, 2).reshape(d * d, d * d)


def apply_on_axes(matrix, axis, span, state, out, num_qubits, local_dim) -> None:
    """``out = (matrix on axes axis..axis+span-1) state`` for states ``(B, d**n)``.

    ``matrix`` is ``(m, m)`` or ``(B, m, m)`` with ``m = d**span``, its most significant
    local digit on ``axis``.
    """
    d = local_dim
    batch = state.shape[0]
    dim = d**span
    width = d ** (num_qubits - axis - span)
    if matrix.ndim == 3:
        if width == 1:
            np.matmul(
                state.reshape(batch, -1, dim),
                matrix.transpose(0, 2, 1),
                out=out.reshape(batch, -1, dim),
            )
        else:
            np.matmul(
                matrix[:, None],
                state.reshape(batch, -1, dim, width),
                out=out.reshape(batch, -1, dim, width),
            )
        return
    rows = batch * d**axis
    if width == 1:
        np.matmul(state.reshape(rows, dim), matrix.T, out=out.reshape(rows, dim))
    else:
        np.matmul(matrix, state.reshape(rows, dim, width), out=out.reshape(rows, dim, width))


def apply(matrix, qubits, state, out, num_qubits, local_dim) -> None:
    """``out = (matrix on qubits) state`` for states of shape ``(B, d**n)`` in qubit order.

    ``matrix`` is ``(m, m)`` (shared) or ``(B, m, m)`` (one per state), ``qubits`` sorted.
    For one block at a time (sweeps); :meth:`Schedule.run` applies a whole schedule
    without copies for distant pairs.
    """
    lo, hi = qubits[0], qubits[-1]
    if hi - lo > 1:
        _apply_distant(matrix, lo, hi, state, out, num_qubits, local_dim)
    else:  # neighbours: the axes of hi (more significant) and lo, in qubit order
        apply_on_axes(matrix, num_qubits - 1 - hi, hi - lo + 1, state, out, num_qubits, local_dim)


def _apply_distant(matrix, lo, hi, state, out, num_qubits, d) -> None:
    """Two-qubit block on non-neighbouring qubits: gather, matmul, scatter.

    The matmul writes straight into the scatter's layout: the gathered pair axis is the
    last one when ``lo = 0`` (one large matmul with ``matrix.T``), else it sits before
    the ``d**lo`` contiguous entries of the lower qubits.
    """
    batch = state.shape[0]
    outer, middle, width = d ** (num_qubits - 1 - hi), d ** (hi - lo - 1), d**lo
    shape = (batch, outer, d, middle, d, width)
    view = state.reshape(shape).transpose(0, 1, 3, 2, 4, 5)  # (B, x, y, p_hi, p_lo, w)
    gathered = np.ascontiguousarray(view)
    if width == 1:
        flat = gathered.reshape(batch, outer * middle, d * d)
        if matrix.ndim == 3:
            result = np.matmul(flat, matrix.transpose(0, 2, 1))
        else:
            result = np.matmul(flat.reshape(-1, d * d), matrix.T)
    else:
        flat = gathered.reshape(batch, outer * middle, d * d, width)
        result = np.matmul(matrix[:, None] if matrix.ndim == 3 else matrix, flat)
    result = result.reshape(batch, outer, middle, d, d, width)
    out.reshape(shape)[:] = result.transpose(0, 1, 3, 2, 4, 5)


@dataclass(frozen=True)
class Reduction:
    """A function of evolved states ``(b, ...) -> (b,)`` that states its memory needs.

    Attributes:
        apply: the function.
        memory: bytes it holds (e.g. a compiled observable) plus what one call on ``b``
            states allocates, as a function of ``b``.
    """

    apply: Callable[[np.ndarray], np.ndarray]
    memory: Callable[[int], int]

    def __call__(self, states: np.ndarray) -> np.ndarray:
        """``apply(states)``."""
        return self.apply(states)


class MemoryBudget:
    """Mixin of the engines: :meth:`check_memory` from ``evaluation_buffers``.

    An engine defines ``evaluation_buffers(batch, reduce) -> {purpose: bytes}``,
    ``memory_budget``, ``num_qubits`` and ``state_kind``; needs that fit are remembered
    per (batch, reduction, extra bytes, budget), so a repeated check is a dict lookup.
    """

    state_kind = "states"
    _FITTING_NEEDS_KEPT = 64

    def check_state_fits(self, vector_bytes: int) -> None:
        """At compile time: refuse a circuit whose state and scratch alone exceed the budget.

        Cheap (no fusion schedule is built); :meth:`check_memory` counts everything before
        each evaluation.
        """
        task = f"evolving {self.num_qubits} qubits on {self.state_kind}"
        buffers = {self.state_kind: vector_bytes, "scratch": vector_bytes}
        check_memory(buffers, self.memory_budget, task)

    def check_memory(self, batch: int, reduce=None, extra: dict[str, int] | None = None) -> int:
        """Refuse (``ValueError``) an evaluation that would exceed the memory budget.

        Counts ``evaluation_buffers(batch, reduce)`` plus ``extra`` (purpose -> bytes);
        returns the need.
        """
        extra_bytes = 0 if extra is None else sum(extra.values())
        key = (batch, id(reduce), extra_bytes, self.memory_budget)
        fitting = self.__dict__.setdefault("_fitting_needs", {})
        known = fitting.get(key)
        if known is not None:
            return known[0]
        buffers = {**self.evaluation_buffers(batch, reduce), **(extra or {})}
        task = f"evolving {self.num_qubits} qubits with batch {batch} on {self.state_kind}"
        need = check_memory(buffers, self.memory_budget, task)
        if len(fitting) < self._FITTING_NEEDS_KEPT:
            fitting[key] = (need, reduce)  # holding reduce keeps its id from being reused
        return need


def check_memory(buffers: dict[str, int], budget: int, task: str) -> int:
    """Refuse a task whose ``buffers`` (purpose -> bytes) need more than ``budget`` bytes.

    A need equal to the budget is allowed (the budget is what one evaluation may take).
    Called before anything is allocated; returns the total need.

    Raises:
        ValueError: naming the task, the total and its largest parts, and the budget.
    """
    need = sum(buffers.values())
    if need > budget:
        parts = sorted(buffers.items(), key=lambda item: -item[1])
        listed = ", ".join(f"{name} {_bytes(size)}" for name, size in parts[:4] if size)
        need_text, budget_text = _bytes(need), _bytes(budget)
        if need_text == budget_text:  # just over: say by how much
            need_text, budget_text = f"{need:,} bytes", f"{budget:,} bytes"
        raise ValueError(
            f"{task} needs {need_text} ({listed}), over the memory budget of {budget_text}; "
            "use fewer qubits, a smaller batch, or raise memory_budget"
        )
    return need


def check_budget(memory_budget) -> int:
    """``memory_budget`` as a positive number of bytes, or ``ValueError`` naming it."""
    if (
        isinstance(memory_budget, bool)
        or not isinstance(memory_budget, int | float | np.integer | np.floating)
        or not math.isfinite(memory_budget)
        or memory_budget < 1
    ):
        raise ValueError(f"memory_budget={memory_budget!r}; allowed: a positive number of bytes")
    return int(memory_budget)


def _bytes(count: int) -> str:
    """``count`` bytes for people: ``"4.0 GiB"`` (any size, no float overflow)."""
    count = int(count)
    for power, unit in enumerate(("B", "KiB", "MiB", "GiB", "TiB", "PiB")):
        if count < 1024 ** (power + 1):
            return f"{count / 1024**power:.1f} {unit}"
    exbibytes = count // 1024**6
    return f"{exbibytes:.1f} EiB" if exbibytes < 10**6 else f"{Decimal(exbibytes):.2E} EiB"
