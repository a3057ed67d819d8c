"""The Pauli basis: index order, normalisation, and conversions.

Conventions (the same as :class:`qiskit.quantum_info.PTM`):

* One-qubit Paulis are indexed ``I, X, Y, Z = 0, 1, 2, 3``.
* An n-qubit Pauli string ``P = P_{n-1} ... P_1 P_0`` has the little-endian index
  ``sum_q p_q 4**q`` (qubit 0 is the fastest-changing digit), so its label reads as
  qiskit's ``Pauli`` labels do (rightmost character = qubit 0).
* The state ``rho`` is held as its Pauli vector ``r`` with ``r_P = Tr(P rho)``
  (real, ``r_I = 1``), so ``<P> = r_P`` and ``rho = sum_P r_P P / 2**n``.
* A channel on k qubits is the real matrix ``R_ij = Tr(P_i E(P_j)) / 2**k``
  (column = input Pauli), so ``r' = R r``.

Viewed as an array of shape ``(4,) * n``, axis ``a`` of the Pauli vector belongs to
qubit ``n - 1 - a`` (numpy's C order makes the last axis the fastest).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

PAULI_LABELS = "IXYZ"

#: Most qubits a Pauli index (int64, ``4**n`` values) can address; no engine runs more.
MAX_QUBITS = 31

#: The one-qubit Pauli matrices in index order I, X, Y, Z; shape (4, 2, 2).
PAULI_MATRICES = np.array(
    [
        [[1, 0], [0, 1]],
        [[0, 1], [1, 0]],
        [[0, -1j], [1j, 0]],
        [[1, 0], [0, -1]],
    ],
    dtype=complex,
)


def pauli_index(label: str) -> int:
    """Index of a Pauli label such as ``"XIZ"`` (rightmost character = qubit 0)."""
    index = 0
    for q, char in enumerate(reversed(label.upper())):
        if char not in PAULI_LABELS:
            raise ValueError(f"Pauli label {label!r} has {char!r}; allowed: I, X, Y, Z")
        index += PAULI_LABELS.index(char) * 4**q
    return index


def pauli_label(index: int, num_qubits: int) -> str:
    """Label of the Pauli string with little-endian ``index`` on ``num_qubits`` qubits."""
    if not 0 <= index < 4**num_qubits:
        raise ValueError(f"Pauli index {index} is outside [0, 4**{num_qubits})")
    digits = [(index // 4**q) % 4 for q in range(num_qubits)]
    return "".join(PAULI_LABELS[d] for d in reversed(digits))


def symplectic_to_index(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Little-endian indices of Pauli strings given qiskit's ``z``/``x`` bit arrays.

    Args:
        z: boolean array of shape ``(terms, n)`` (column q = qubit q).
        x: boolean array of the same shape.

    Returns:
        Integer array of shape ``(terms,)``.
    """
    z = np.asarray(z, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    if z.shape[1] > MAX_QUBITS:
        raise ValueError(
            f"{z.shape[1]} qubits: Pauli indices are 64-bit integers; allowed: at most "
            f"{MAX_QUBITS} qubits"
        )
    digits = 3 * z + x - 2 * x * z  # I=0, X=1, Y=2, Z=3
    weights = 4 ** np.arange(z.shape[1], dtype=np.int64)
    return digits @ weights


def zero_state(num_qubits: int) -> np.ndarray:
    """Pauli vector of ``|0...0>``: 1 on every string of I and Z only, 0 elsewhere."""
    state = np.zeros(4**num_qubits)
    state[zero_state_support(num_qubits)] = 1.0
    return state


@lru_cache(maxsize=8)
def zero_state_support(num_qubits: int) -> np.ndarray:
    """Indices of the I/Z-only strings (``2**n`` of them), where ``|0...0>`` is 1; read-only.

    Writing the zero state through them needs no ``4**n`` template (8 bytes per entry
    here instead of a second Pauli vector).
    """
    support = np.zeros(1, dtype=np.int64)
    for q in range(num_qubits):
        support = np.concatenate([support, support + 3 * 4**q])
    support.setflags(write=False)
    return support


def density_to_pauli(rho: np.ndarray) -> np.ndarray:
    """Pauli vector ``r_P = Tr(P rho)`` of a ``2**n x 2**n`` density matrix.

    ``rho`` uses qiskit's ordering (qubit 0 is the least significant bit).
    """
    rho = np.asarray(rho, dtype=complex)
    dim = rho.shape[0]
    num_qubits = dim.bit_length() - 1
    if rho.shape != (dim, dim) or 2**num_qubits != dim:
        raise ValueError(f"density matrix must be 2**n x 2**n, got shape {rho.shape}")
    # Tr(P rho) = sum_{ab} prod_q sigma_{p_q}[b_q, a_q] rho[a, b]; axis k <-> qubit n-1-k.
    n = num_qubits
    paulis, rows, cols = range(n), range(n, 2 * n), range(2 * n, 3 * n)
    operands = [rho.reshape((2,) * (2 * n)), [*rows, *cols]]
    for k in range(n):
        operands += [PAULI_MATRICES, [paulis[k], cols[k], rows[k]]]
    return np.einsum(*operands, list(paulis)).real.reshape(-1).copy()


def pauli_to_density(state: np.ndarray) -> np.ndarray:
    """Density matrix ``rho = sum_P r_P P / 2**n`` of a Pauli vector (qiskit ordering)."""
    state = np.asarray(state, dtype=float)
    n = _num_qubits(state.shape[-1])
    paulis, rows, cols = range(n), range(n, 2 * n), range(2 * n, 3 * n)
    operands = [state.reshape((4,) * n).astype(complex), list(paulis)]
    for k in range(n):
        operands += [PAULI_MATRICES, [paulis[k], rows[k], cols[k]]]
    rho = np.einsum(*operands, [*rows, *cols]) if n else state.astype(complex)
    return rho.reshape(2**n, 2**n) / 2**n


def _num_qubits(length: int) -> int:
    num_qubits = (length.bit_length() - 1) // 2
    if 4**num_qubits != length:
        raise ValueError(f"a Pauli vector has length 4**n, got {length}")
    return num_qubits
