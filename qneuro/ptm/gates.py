"""Gate PTMs: fixed gates as signed permutations, rotations in closed form.

Basis order and normalisation are those of :mod:`qneuro.ptm.pauli`; a gate's local
qubit j is its j-th qubit argument (``qargs[j]``), little-endian, as in qiskit.

A Pauli rotation ``R_Q(theta) = exp(-i theta Q / 2)`` maps a Pauli P that commutes
with Q to itself and one that anticommutes to ``cos(theta) P + sin(theta) (i P Q)``,
so its PTM is ``K0 + cos(theta) Kc + sin(theta) Ks`` with three fixed matrices
(:func:`rotation_terms`). No matrix exponential is taken when a circuit runs.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from qiskit.circuit.library import (
    CXGate,
    CZGate,
    ECRGate,
    HGate,
    IGate,
    SdgGate,
    SGate,
    SwapGate,
    SXdgGate,
    SXGate,
    TdgGate,
    TGate,
    XGate,
    YGate,
    ZGate,
)

from .pauli import PAULI_MATRICES, pauli_index

#: Parameter-free gates, by qiskit name.
FIXED_GATES = {
    "id": IGate,
    "x": XGate,
    "y": YGate,
    "z": ZGate,
    "h": HGate,
    "s": SGate,
    "sdg": SdgGate,
    "t": TGate,
    "tdg": TdgGate,
    "sx": SXGate,
    "sxdg": SXdgGate,
    "cx": CXGate,
    "cz": CZGate,
    "swap": SwapGate,
    "ecr": ECRGate,
}

#: One-angle gates that are Pauli rotations up to a global phase: name -> generator Q
#: (label read little-endian over the gate's qubits, rightmost = local qubit 0).
ROTATION_GATES = {
    "rx": "X",
    "ry": "Y",
    "rz": "Z",
    "p": "Z",  # p(l) = exp(i l / 2) rz(l)
    "u1": "Z",
    "rxx": "XX",
    "ryy": "YY",
    "rzz": "ZZ",
    "rzx": "XZ",  # qiskit's RZXGate: Z on qargs[0], X on qargs[1]
}

#: Gates expanded into rotations: name -> [(rotation, index of its angle)], in time order.
#: u(theta, phi, lam) = rz(phi) ry(theta) rz(lam) up to a global phase.
COMPOSITE_GATES = {
    "u": [("rz", 2), ("ry", 0), ("rz", 1)],
    "u3": [("rz", 2), ("ry", 0), ("rz", 1)],
}

SUPPORTED_GATES = tuple(sorted({*FIXED_GATES, *ROTATION_GATES, *COMPOSITE_GATES}))


def unitary_ptm(unitary: np.ndarray) -> np.ndarray:
    """PTM ``R_ij = Tr(P_i U P_j U^dag) / 2**k`` of a ``2**k x 2**k`` unitary."""
    unitary = np.asarray(unitary, dtype=complex)
    basis = pauli_basis(unitary.shape[0].bit_length() - 1)
    images = unitary @ basis @ unitary.conj().T
    return _coefficients(basis, images)


@cache
def fixed_gate_ptm(name: str) -> np.ndarray:
    """PTM of a parameter-free gate from :data:`FIXED_GATES` (a signed permutation)."""
    ptm = np.round(unitary_ptm(FIXED_GATES[name]().to_matrix()), 12)
    ptm.setflags(write=False)
    return ptm


@cache
def rotation_terms(generator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(K0, Kc, Ks)`` with ``PTM(exp(-i theta Q / 2)) = K0 + cos(theta) Kc + sin(theta) Ks``.

    Args:
        generator: the Pauli label of Q (rightmost character = local qubit 0).
    """
    num_qubits = len(generator)
    basis = pauli_basis(num_qubits)
    q = basis[pauli_index(generator)]
    anticommutes = np.array(
        [not np.allclose(p @ q, q @ p) for p in basis],
    )
    k0 = np.diag((~anticommutes).astype(float))
    kc = np.diag(anticommutes.astype(float))
    ks = _coefficients(basis, 1j * basis @ q) * anticommutes[None, :]
    for matrix in (k0, kc, ks):
        matrix.setflags(write=False)
    return k0, kc, np.round(ks, 12)


def rotation_ptm(generator: str, theta: float) -> np.ndarray:
    """PTM of ``exp(-i theta Q / 2)`` for the Pauli label ``generator``."""
    k0, kc, ks = rotation_terms(generator)
    return k0 + np.cos(theta) * kc + np.sin(theta) * ks


@cache
def pauli_basis(num_qubits: int) -> np.ndarray:
    """All ``4**k`` Pauli matrices on k qubits in little-endian index order."""
    basis = np.ones((1, 1, 1), dtype=complex)
    for _ in range(num_qubits):
        # The new qubit is more significant: kron(new, old), index = old + 4**k * new.
        basis = np.einsum("pab,qcd->pqacbd", PAULI_MATRICES, basis).reshape(
            4 * basis.shape[0], 2 * basis.shape[1], 2 * basis.shape[2]
        )
    return basis


def _coefficients(basis: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Matrix ``R_ij = Tr(P_i images_j) / 2**k`` (real part)."""
    dim = basis.shape[1]
    return np.einsum("iab,jba->ij", basis, images).real / dim
