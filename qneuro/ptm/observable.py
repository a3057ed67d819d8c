r"""Observables on Pauli vectors, with readout error folded in.

A Hermitian ``SparsePauliOp`` ``H = sum_P h_P P`` has expectation ``sum_P h_P r_P``.

Readout error: with ``p10 = P(read 1 | 0)`` and ``p01 = P(read 0 | 1)`` a measured bit's
eigenvalue ``z`` reads as ``z~`` with ``E[z~ | z] = a + b z``, ``a = p01 - p10``,
``b = 1 - p01 - p10``. For independent readout on the support S of P (each qubit measured
in the basis of its Pauli) ``<P>_noisy = sum_{T subset S} prod_{S \ T} a_q prod_T b_q <P_T>``,
where ``P_T`` keeps the letters of P on T. This is a fixed linear map on the observable,
applied once at compile time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from .pauli import symplectic_to_index

#: Relative size of an imaginary coefficient that makes an observable non-Hermitian.
HERMITIAN_TOL = 1e-10


def pauli_terms(observable: SparsePauliOp, num_qubits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, real coefficients)`` of a Hermitian ``SparsePauliOp``.

    Raises:
        TypeError: if ``observable`` is not a ``SparsePauliOp`` (or convertible).
        ValueError: if its size differs from the circuit's, a coefficient is not finite,
            the coefficients' magnitudes sum beyond the largest float, or it is not Hermitian.
    """
    observable = as_sparse_pauli_op(observable)
    if observable.num_qubits != num_qubits:
        raise ValueError(
            f"observable acts on {observable.num_qubits} qubits, the circuit on {num_qubits}"
        )
    check_finite_coefficients(observable)
    paulis = observable.paulis
    coeffs = np.asarray(observable.coeffs, dtype=complex) * (-1j) ** paulis.phase
    indices = symplectic_to_index(paulis.z, paulis.x)
    indices, inverse = np.unique(indices, return_inverse=True)
    coeffs = np.bincount(inverse, coeffs.real, len(indices)) + 1j * np.bincount(
        inverse, coeffs.imag, len(indices)
    )
    with np.errstate(over="ignore"):
        total = np.abs(coeffs).sum()
    if not np.isfinite(total):  # merged terms, or the expectation itself, would overflow
        raise ValueError(
            f"observable coefficients sum (in magnitude) beyond {np.finfo(float).max:.3g}; "
            "allowed: coefficients whose magnitudes sum to a finite number"
        )
    scale = max(np.abs(coeffs).max(initial=0.0), 1.0)
    worst = np.abs(coeffs.imag).max(initial=0.0)
    if worst > HERMITIAN_TOL * scale:
        at = int(np.argmax(np.abs(coeffs.imag)))
        raise ValueError(
            f"observable is not Hermitian: a Pauli term has coefficient {coeffs[at]:.6g} "
            "(expectation values need real coefficients)"
        )
    return indices, coeffs.real.copy()


def check_finite_coefficients(observable: SparsePauliOp) -> None:
    """Raise ``ValueError`` naming the first term whose coefficient is NaN or infinite."""
    coeffs = np.asarray(observable.coeffs, dtype=complex)
    finite = np.isfinite(coeffs)
    if not finite.all():
        at = int(np.argmin(finite))
        value = coeffs[at] if np.isfinite(coeffs[at].real) else coeffs[at].real
        raise ValueError(
            f"observable term {observable.paulis[at].to_label()} has coefficient {value}; "
            "allowed: finite numbers"
        )


def as_sparse_pauli_op(observable) -> SparsePauliOp:
    """``observable`` as a ``SparsePauliOp`` (labels and Pauli lists convert too)."""
    if isinstance(observable, SparsePauliOp):
        return observable
    try:
        return SparsePauliOp(observable)
    except Exception as exc:
        raise TypeError(
            f"observable must be a qiskit SparsePauliOp, got {type(observable).__name__}"
        ) from exc


def with_readout(
    indices: np.ndarray,
    coeffs: np.ndarray,
    num_qubits: int,
    readout: Callable[[int], tuple[float, float] | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Fold independent readout errors into ``(indices, coeffs)`` (see module docstring)."""
    errors = {q: readout(q) for q in range(num_qubits)}
    errors = {q: e for q, e in errors.items() if e is not None and (e[0] or e[1])}
    if not errors:
        return indices, coeffs
    out_indices, out_coeffs = [], []
    for index, coeff in zip(indices.tolist(), coeffs.tolist(), strict=True):
        terms_i = np.array([index], dtype=np.int64)
        terms_c = np.array([coeff])
        for q, (p10, p01) in errors.items():
            digit = (index // 4**q) % 4
            if digit == 0:
                continue
            a, b = p01 - p10, 1 - p01 - p10
            # Digits 1 and 2 (X, Y) are measured after a basis change: same rule.
            terms_i = np.concatenate([terms_i - digit * 4**q, terms_i])
            terms_c = np.concatenate([terms_c * a, terms_c * b])
        out_indices.append(terms_i)
        out_coeffs.append(terms_c)
    all_i = np.concatenate(out_indices)
    all_c = np.concatenate(out_coeffs)
    unique, inverse = np.unique(all_i, return_inverse=True)
    return unique, np.bincount(inverse, all_c, len(unique))
