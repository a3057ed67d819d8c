"""Noise channels as Pauli transfer matrices.

Every function returns a real ``4**k x 4**k`` array ``R_ij = Tr(P_i E(P_j)) / 2**k``
in the little-endian Pauli order of :mod:`qneuro.ptm.pauli` (the convention of
:class:`qiskit.quantum_info.PTM`), acting as ``r' = R r`` on a Pauli vector.
Invalid parameters raise :class:`ValueError` naming the value.

References: Nielsen & Chuang, ch. 8; Greenbaum, "Introduction to quantum gate set
tomography" (2015) for the PTM; qiskit-aer's ``standard_errors`` for conventions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .gates import pauli_basis, unitary_ptm
from .pauli import pauli_index

_CPTP_ATOL = 1e-8


def depolarizing(lam: float, num_qubits: int = 1) -> np.ndarray:
    """Depolarizing channel ``E(rho) = (1 - lam) rho + lam Tr(rho) I / 2**k``.

    qiskit-aer's ``depolarizing_error(lam, k)`` convention: the PTM is diagonal with
    1 on the identity and ``1 - lam`` on every other Pauli. ``lam`` may go up to
    ``4**k / (4**k - 1)`` (the fully depolarizing Pauli channel).
    """
    _check_qubits(num_qubits)
    if isinstance(lam, bool) or not isinstance(lam, int | float | np.integer | np.floating):
        raise TypeError(f"depolarizing parameter {lam!r} must be a number")
    lam_max = 4**num_qubits / (4**num_qubits - 1)
    if not 0 <= lam <= lam_max:
        raise ValueError(f"depolarizing parameter {lam} is outside [0, {lam_max:.6g}]")
    diagonal = np.full(4**num_qubits, 1.0 - lam)
    diagonal[0] = 1.0
    return np.diag(diagonal)


def pauli_channel(probabilities: Mapping[str, float]) -> np.ndarray:
    """Pauli channel ``E(rho) = sum_P p_P P rho P`` from ``{label: probability}``.

    Labels have one character per qubit (rightmost = qubit 0); the probabilities must be
    in [0, 1] and sum to 1 (the identity's probability may be left out: it is
    ``1 - sum``). ``R`` is diagonal with ``R_QQ = sum_P p_P (+1 if [P,Q]=0 else -1)``.
    """
    if not probabilities:
        raise ValueError("pauli_channel needs at least one {label: probability}")
    probabilities = {label.upper(): p for label, p in probabilities.items()}
    sizes = {len(label) for label in probabilities}
    if len(sizes) != 1:
        raise ValueError(f"Pauli labels {sorted(probabilities)} have different lengths")
    num_qubits = sizes.pop()
    probs = np.zeros(4**num_qubits)
    for label, p in probabilities.items():
        if not 0 <= p <= 1:
            raise ValueError(f"probability {p} of Pauli {label!r} is outside [0, 1]")
        probs[pauli_index(label)] += p
    if "I" * num_qubits not in probabilities:
        probs[0] = 1 - probs.sum()
    if probs[0] < -_CPTP_ATOL or not math.isclose(probs.sum(), 1, abs_tol=1e-9):
        given = sum(probabilities.values())
        raise ValueError(
            f"Pauli probabilities sum to {given:.12g}; they must sum to 1 "
            "(or to at most 1 without the identity)"
        )
    signs = _commutation_signs(num_qubits)
    return np.diag(signs @ probs)


def amplitude_damping(gamma: float) -> np.ndarray:
    """Amplitude damping towards ``|0>`` with decay probability ``gamma``.

    Rows I = [1, 0, 0, 0], X = [0, sqrt(1-g), 0, 0], Y = [0, 0, sqrt(1-g), 0],
    Z = [g, 0, 0, 1-g] (non-unital: Z picks up g from I).
    """
    _check_probability("amplitude damping parameter", gamma)
    root = math.sqrt(1 - gamma)
    return np.array(
        [[1, 0, 0, 0], [0, root, 0, 0], [0, 0, root, 0], [gamma, 0, 0, 1 - gamma]],
        dtype=float,
    )


def phase_damping(lam: float) -> np.ndarray:
    """Phase damping: ``diag(1, sqrt(1-lam), sqrt(1-lam), 1)`` (qiskit-aer's convention)."""
    _check_probability("phase damping parameter", lam)
    root = math.sqrt(1 - lam)
    return np.diag([1.0, root, root, 1.0])


def thermal_relaxation(t1: float, t2: float, time: float) -> np.ndarray:
    """Thermal relaxation for ``time`` with ``T1``, ``T2 <= 2 T1`` (no excited population).

    ``R_XX = R_YY = exp(-t/T2)``, ``R_ZZ = exp(-t/T1)``, ``R_ZI = 1 - exp(-t/T1)``.
    Times share one unit; ``math.inf`` switches a process off.
    """
    if not t1 > 0:
        raise ValueError(f"T1 = {t1} must be positive")
    if not t2 > 0:
        raise ValueError(f"T2 = {t2} must be positive")
    if t2 > 2 * t1 * (1 + 1e-12):
        raise ValueError(f"T2 = {t2} exceeds 2 * T1 = {2 * t1}")
    if not time >= 0:
        raise ValueError(f"gate time {time} must be non-negative")
    decay_1 = math.exp(-time / t1)
    decay_2 = math.exp(-time / t2)
    return np.array(
        [[1, 0, 0, 0], [0, decay_2, 0, 0], [0, 0, decay_2, 0], [1 - decay_1, 0, 0, decay_1]],
        dtype=float,
    )


def kraus(operators: Sequence[np.ndarray]) -> np.ndarray:
    """PTM of the map ``rho -> sum_k K_k rho K_k^dag``; raises if it is not CPTP."""
    ops = [np.asarray(op, dtype=complex) for op in operators]
    if not ops:
        raise ValueError("a Kraus channel needs at least one operator")
    dim = ops[0].shape[0]
    num_qubits = dim.bit_length() - 1
    for op in ops:
        if op.shape != (dim, dim) or 2**num_qubits != dim:
            raise ValueError(f"Kraus operators must all be 2**k x 2**k, got shape {op.shape}")
    completeness = sum(op.conj().T @ op for op in ops)
    deviation = np.abs(completeness - np.eye(dim)).max()
    if deviation > _CPTP_ATOL:
        raise ValueError(
            f"Kraus operators are not trace preserving: |sum K^dag K - I| = {deviation:.3g}"
        )
    return sum(unitary_ptm(op) for op in ops)  # R(A rho A^dag) for any operator A


def from_qiskit(channel: object) -> np.ndarray:
    """PTM of a qiskit channel; raises ``ValueError`` if it is not CPTP.

    Accepts a ``QuantumError``, any ``QuantumChannel``, an ``Operator``, a gate, or a
    list of Kraus matrices.
    """
    from qiskit.quantum_info import PTM

    if isinstance(channel, (list, tuple)):
        return kraus(channel)
    try:
        ptm = PTM(channel)
    except Exception as exc:
        raise TypeError(
            f"cannot convert {type(channel).__name__} to a PTM; pass a qiskit QuantumError, "
            "QuantumChannel, Operator, gate or a list of Kraus matrices"
        ) from exc
    if ptm.num_qubits is None:
        raise ValueError(f"channel {channel!r} does not act on qubits")
    data = np.asarray(ptm.data)
    if np.abs(data.imag).max(initial=0) > _CPTP_ATOL:
        raise ValueError("channel is not Hermiticity preserving (complex PTM)")
    data = data.real.copy()
    check_cptp(data)
    return data


def check_cptp(ptm: np.ndarray, atol: float = _CPTP_ATOL) -> None:
    """Raise :class:`ValueError` unless ``ptm`` is completely positive and trace preserving.

    Trace preservation: the first row is ``[1, 0, ..., 0]``. Complete positivity: the
    Choi matrix ``sum_ij R_ij P_j^T (x) P_i / 4**k`` is positive semidefinite.
    """
    ptm = np.asarray(ptm, dtype=float)
    dim = ptm.shape[0]
    num_qubits = (dim.bit_length() - 1) // 2
    if ptm.shape != (dim, dim) or 4**num_qubits != dim:
        raise ValueError(f"a PTM must be 4**k x 4**k, got shape {ptm.shape}")
    first_row = np.zeros(dim)
    first_row[0] = 1
    deviation = np.abs(ptm[0] - first_row).max()
    if deviation > atol:
        raise ValueError(
            f"channel is not trace preserving: first PTM row deviates by {deviation:.3g}"
        )
    basis = pauli_basis(num_qubits)
    choi = np.einsum("ij,jab,icd->acbd", ptm, basis.transpose(0, 2, 1), basis)
    choi = choi.reshape(dim, dim) / 2**num_qubits
    lowest = np.linalg.eigvalsh((choi + choi.conj().T) / 2).min()
    if lowest < -atol:
        raise ValueError(f"channel is not completely positive: Choi eigenvalue {lowest:.3g} < 0")


def compose(*ptms: np.ndarray) -> np.ndarray:
    """PTM of applying ``ptms`` in order (first argument first): ``R_last @ ... @ R_first``."""
    result = np.asarray(ptms[0], dtype=float)
    for ptm in ptms[1:]:
        result = np.asarray(ptm, dtype=float) @ result
    return result


def tensor(*ptms: np.ndarray) -> np.ndarray:
    """PTM of independent channels on consecutive qubits; ``ptms[0]`` acts on qubit 0."""
    result = np.ones((1, 1))
    for ptm in ptms:
        result = np.kron(np.asarray(ptm, dtype=float), result)
    return result


def average_gate_fidelity(ptm: np.ndarray) -> float:
    """Average gate fidelity to the identity: ``(Tr(R) / 2**k + 1) / (2**k + 1)``."""
    dim = math.isqrt(ptm.shape[0])
    return float((np.trace(ptm) / dim + 1) / (dim + 1))


def _commutation_signs(num_qubits: int) -> np.ndarray:
    """Matrix ``S_QP = +1`` if Paulis Q and P commute, ``-1`` otherwise."""
    basis = pauli_basis(num_qubits)
    product = np.einsum("pab,qbc->pqac", basis, basis)
    commutator = np.abs(product - product.transpose(1, 0, 2, 3)).max(axis=(2, 3))
    return np.where(commutator < 1e-12, 1.0, -1.0)


def _check_probability(what: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{what} {value} is outside [0, 1]")


def _check_qubits(num_qubits: int) -> None:
    if num_qubits < 1:
        raise ValueError(f"a channel acts on at least 1 qubit, got {num_qubits}")
