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

import numpy as np
from qiskit.quantum_info import SparsePauliOp

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
    """Exact finite-shot estimate per state (see module docstring); shape ``(B,)``."""
    num_qubits = observable.num_qubits
    result = np.zeros(states.shape[0])
    for group in observable.group_commuting(qubit_wise=True):
        indices, coeffs = pauli_terms(group, num_qubits)
        digits = (indices[:, None] // 4 ** np.arange(num_qubits)) % 4  # (terms, n)
        measured = np.flatnonzero(digits.any(axis=0))
        constant = coeffs[indices == 0].sum()
        result += constant
        if measured.size == 0:
            continue
        basis = digits[:, measured].max(axis=0)  # the group's letter on each measured qubit
        width = measured.size
        subsets = (np.arange(2**width)[:, None] >> np.arange(width)) & 1  # (2**w, w)
        correlator_index = (subsets * basis * 4 ** measured).sum(axis=1)
        outcomes = subsets  # bit j of outcome m = m_j (1 = eigenvalue -1)
        parity = (-1.0) ** (outcomes @ subsets.T)  # (outcome, subset)
        confusion = _confusion(measured, readout)
        term_masks = (digits[:, measured] > 0).astype(int)  # (terms, w)
        term_signs = (-1.0) ** (outcomes @ term_masks.T)  # (outcome, terms)
        for row in range(states.shape[0]):
            probabilities = parity @ states[row, correlator_index] / 2**width
            for j, matrix in confusion:
                probabilities = _apply_bit_flip(probabilities, j, matrix, width)
            probabilities = np.clip(probabilities, 0.0, None)
            counts = rng.multinomial(shots, probabilities / probabilities.sum())
            estimates = counts @ term_signs / shots
            nonconstant = indices != 0
            result[row] += estimates[nonconstant] @ coeffs[nonconstant]
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
    """Apply a 2x2 column-stochastic ``matrix[read, true]`` to bit ``bit`` of the outcomes."""
    tensor = probabilities.reshape((2,) * width)  # axis k <-> bit width-1-k
    axis = width - 1 - bit
    tensor = np.moveaxis(np.tensordot(matrix, tensor, axes=([1], [axis])), 0, axis)
    return tensor.reshape(-1)
