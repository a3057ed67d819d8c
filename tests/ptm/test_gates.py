import numpy as np
import pytest
from qiskit.circuit.library import (
    PhaseGate,
    RXGate,
    RXXGate,
    RYGate,
    RYYGate,
    RZGate,
    RZXGate,
    RZZGate,
    UGate,
)
from qiskit.quantum_info import PTM, Operator

from qneuro.ptm.gates import (
    FIXED_GATES,
    ROTATION_GATES,
    fixed_gate_ptm,
    pauli_basis,
    rotation_ptm,
)
from qneuro.ptm.pauli import pauli_index

ROTATIONS = {
    "rx": RXGate,
    "ry": RYGate,
    "rz": RZGate,
    "p": PhaseGate,
    "rxx": RXXGate,
    "ryy": RYYGate,
    "rzz": RZZGate,
    "rzx": RZXGate,
}


@pytest.mark.parametrize("name", sorted(FIXED_GATES))
def test_fixed_gates_match_qiskit_ptm(name):
    expected = PTM(Operator(FIXED_GATES[name]())).data.real
    np.testing.assert_allclose(fixed_gate_ptm(name), expected, atol=1e-12)
    # A Clifford's PTM is a signed permutation.
    ptm = fixed_gate_ptm(name)
    if name not in ("t", "tdg"):
        assert set(np.unique(np.abs(ptm))) <= {0.0, 1.0}
        assert (np.abs(ptm).sum(axis=0) == 1).all()


@pytest.mark.parametrize("name", sorted(ROTATIONS))
@pytest.mark.parametrize("theta", [-2.1, 0.0, 0.37, np.pi])
def test_rotations_closed_form_match_qiskit(name, theta):
    expected = PTM(Operator(ROTATIONS[name](theta))).data.real
    np.testing.assert_allclose(rotation_ptm(ROTATION_GATES[name], theta), expected, atol=1e-12)


def test_reference_ptms_of_the_design_note():
    c, s = np.cos(0.3), np.sin(0.3)
    i, x, y, z = range(4)
    rx, ry, rz = (rotation_ptm(g, 0.3) for g in "XYZ")
    # Column = input Pauli.
    np.testing.assert_allclose(rx[:, y], [0, 0, c, s])
    np.testing.assert_allclose(rx[:, z], [0, 0, -s, c])
    np.testing.assert_allclose(ry[:, x], [0, c, 0, -s])
    np.testing.assert_allclose(ry[:, z], [0, s, 0, c])
    np.testing.assert_allclose(rz[:, x], [0, c, s, 0])
    np.testing.assert_allclose(rz[:, y], [0, -s, c, 0])
    h = fixed_gate_ptm("h")
    assert h[z, x] == 1 and h[x, z] == 1 and h[y, y] == -1 and h[i, i] == 1
    cx = fixed_gate_ptm("cx")  # control = qubit 0 (rightmost), target = qubit 1

    def image(label):
        column = cx[:, pauli_index(label)]
        (row,) = np.flatnonzero(column)
        return row, column[row]

    assert image("IX") == (pauli_index("XX"), 1)  # X_c -> X_c X_t
    assert image("ZI") == (pauli_index("ZZ"), 1)  # Z_t -> Z_c Z_t
    assert image("IY") == (pauli_index("XY"), 1)  # Y_c -> Y_c X_t
    assert image("YI") == (pauli_index("YZ"), 1)  # Y_t -> Z_c Y_t
    assert image("XI") == (pauli_index("XI"), 1)  # X_t fixed
    assert image("IZ") == (pauli_index("IZ"), 1)  # Z_c fixed
    assert image("YY") == (pauli_index("ZX"), -1)  # Y_c Y_t -> -X_c Z_t
    assert image("ZX") == (pauli_index("YY"), -1)  # X_c Z_t -> -Y_c Y_t
    assert (cx < 0).sum() == 2


def test_u_gate_is_rz_ry_rz():
    theta, phi, lam = 0.4, -1.1, 2.3
    composed = rotation_ptm("Z", phi) @ rotation_ptm("Y", theta) @ rotation_ptm("Z", lam)
    expected = PTM(Operator(UGate(theta, phi, lam))).data.real
    np.testing.assert_allclose(composed, expected, atol=1e-12)


def test_pauli_basis_is_orthogonal():
    basis = pauli_basis(2)
    gram = np.einsum("iab,jba->ij", basis, basis) / 4
    np.testing.assert_allclose(gram, np.eye(16), atol=1e-12)
