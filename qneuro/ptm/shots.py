"""Finite-shot estimates of expectation values from Pauli vectors.

Two models, both seeded through a ``numpy.random.Generator``:

* ``"gaussian"`` (the CRLQAS model): each non-identity term's expectation (readout error
  included) gets independent noise ``N(0, sigma**2)`` with ``sigma = shots**-0.5``:
  ``E = sum_P h_P (<P> + eps_P)``.
* ``"sampled"``: exact finite-shot estimation. Terms are grouped into qubit-wise commuting
  sets; each group is measured ``shots`` times in its product basis. The outcome
  distribution over the group's measured qubits S is
  ``p(m) = 2**-|S| sum_{T subset S} (-1)**(sum_{q in T} m_q) <P_T>``, independent readout
  error is applied as a confusion matrix per qubit, counts are drawn from the multinomial
  distribution, and each term is estimated as the mean of its eigenvalue over the shots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from .blocks import check_memory
from .observable import pauli_terms

SHOT_MODELS = ("gaussian", "sampled")


def gaussian_estimate(
    exact: np.ndarray, term_coeffs: np.ndarray, shots: int, rng: np.random.Generator
) -> np.ndarray:
    """CRLQAS shot noise on exact values ``(B,)``: ``+ sum_P h_P N(0, 1/shots)``.

    Args:
        exact: exact expectation values, shape ``(B,)``.
        term_coeffs: coefficients ``h_P`` of the non-identity terms (the identity is exact).
        shots: shots per term.
        rng: the generator.
    """
    noise = rng.normal(0.0, shots**-0.5, size=(exact.shape[0], term_coeffs.shape[0]))
    return exact + noise @ term_coeffs


def sampled_estimate(
    states: np.ndarray,
    observable: SparsePauliOp,
    shots: int,
    rng: np.random.Generator,
    readout: Callable[[int], tuple[float, float] | None] | None = None,
) -> np.ndarray:
    """Exact finite-shot estimate per Pauli vector ``(B, 4**n)`` (module docstring): ``(B,)``."""
    plan = measurement_plan(observable, readout)
    return sample(plan, lambda indices: states[:, indices], shots, rng)


@dataclass(frozen=True)
class _Group:
    """One qubit-wise commuting group measured in its product basis.

    ``<P_T>[:, correlators] @ outcome_map`` is the distribution of read outcomes, readout
    error included, shape ``(B, 2**w)``; ``term_values`` maps counts to the group's energy.
    """

    correlators: np.ndarray  # (2**w,) Pauli indices of the correlators P_T
    outcome_map: np.ndarray  # (2**w, 2**w): (-1)**(m.T) / 2**w, then the confusion matrices
    term_values: np.ndarray  # (2**w,): sum_P h_P * eigenvalue of P on outcome m


@dataclass(frozen=True)
class MeasurementPlan:
    """The measured groups of an observable and its constant (identity) part."""

    constant: float
    groups: tuple[_Group, ...]


#: Bytes per outcome-map entry while a group's maps are built (int64 exponents, signs,
#: the map, a bit-flip product and its copy).
_PLAN_BYTES_PER_ENTRY = 5 * 8


def measurement_plan(
    observable: SparsePauliOp,
    readout: Callable[[int], tuple[float, float] | None] | None = None,
    memory_budget: int | None = None,
) -> MeasurementPlan:
    """Group ``observable`` qubit-wise and precompute each group's outcome maps.

    A group measured on ``w`` qubits has a ``2**w x 2**w`` outcome map; with a
    ``memory_budget`` (bytes) a plan whose maps would not fit is refused (``ValueError``)
    before the group is built.
    """
    num_qubits = observable.num_qubits
    constant = 0.0
    groups = []
    held = 0  # bytes of the outcome maps built so far
    for group in observable.group_commuting(qubit_wise=True):
        indices, coeffs = pauli_terms(group, num_qubits)
        digits = (indices[:, None] // 4 ** np.arange(num_qubits)) % 4  # (terms, n)
        measured = np.flatnonzero(digits.any(axis=0))
        constant += float(coeffs[indices == 0].sum())
        nonconstant = indices != 0
        if measured.size == 0:
            continue
        basis = digits[:, measured].max(axis=0)  # the group's letter on each measured qubit
        width = measured.size
        if memory_budget is not None:
            building = {"outcome maps": held, "the next group": _PLAN_BYTES_PER_ENTRY * 4**width}
            task = (
                f"the shot-sampling plan of an observable with {len(observable)} terms (a "
                f"qubit-wise group measured on {width} qubits)"
            )
            check_memory(building, memory_budget, task)
            held += 8 * 4**width
        subsets = (np.arange(2**width)[:, None] >> np.arange(width)) & 1  # (2**w, w)
        correlators = (subsets * basis * 4**measured).sum(axis=1)
        parity = (-1.0) ** (subsets @ subsets.T)  # outcome m (bit j = m_j), subset T
        term_masks = (digits[nonconstant][:, measured] > 0).astype(int)  # (terms, w)
        term_signs = (-1.0) ** (subsets @ term_masks.T)  # (outcome, terms)
        outcome_map = parity / 2**width  # symmetric: rows subsets, columns outcomes
        for bit, matrix in _confusion(measured, readout):
            outcome_map = _apply_bit_flip(outcome_map, bit, matrix, width)
        groups.append(_Group(correlators, outcome_map, term_signs @ coeffs[nonconstant]))
    return MeasurementPlan(constant, tuple(groups))


def sample(
    plan: MeasurementPlan,
    pauli_values: Callable[[np.ndarray], np.ndarray],
    shots: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``shots`` outcomes per group and state; the estimated energies ``(B,)``.

    Args:
        plan: the observable's :func:`measurement_plan`.
        pauli_values: maps Pauli indices ``(m,)`` to the states' expectations ``(B, m)``.
        shots: shots per group.
        rng: the generator.
    """
    result = None
    for group in plan.groups:
        probabilities = pauli_values(group.correlators) @ group.outcome_map  # (B, 2**w)
        if result is None:
            result = np.full(probabilities.shape[0], plan.constant)
        probabilities = np.clip(probabilities, 0.0, None)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        counts = rng.multinomial(shots, probabilities)  # (B, 2**w)
        result += counts @ group.term_values / shots
    if result is None:  # only a constant term: as many states as the identity's values
        result = np.full(pauli_values(np.zeros(1, dtype=np.int64)).shape[0], plan.constant)
    return result


def _confusion(measured, readout):
    if readout is None:
        return []
    out = []
    for j, q in enumerate(measured.tolist()):
        error = readout(q)
        if error is not None and (error[0] or error[1]):
            p10, p01 = error
            out.append((j, np.array([[1 - p10, p01], [p10, 1 - p01]])))
    return out


def _apply_bit_flip(probabilities, bit, matrix, width):
    """Apply a 2x2 column-stochastic ``matrix[read, true]`` to bit ``bit`` of the outcomes.

    ``probabilities`` has shape ``(B, 2**width)``; each row is mapped linearly.
    """
    batch = probabilities.shape[0]
    tensor = probabilities.reshape((batch,) + (2,) * width)  # axis 1+k <-> bit width-1-k
    axis = 1 + width - 1 - bit
    tensor = np.moveaxis(np.tensordot(matrix, tensor, axes=([1], [axis])), 0, axis)
    return tensor.reshape(batch, -1)
