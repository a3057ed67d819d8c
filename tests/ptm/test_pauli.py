import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, Pauli, random_density_matrix

from qneuro.ptm.pauli import (
    density_to_pauli,
    pauli_index,
    pauli_label,
    pauli_to_density,
    zero_state,
)


def test_index_order_is_little_endian():
    assert pauli_index("I") == 0
    assert [pauli_index(c) for c in "IXYZ"] == [0, 1, 2, 3]
    assert pauli_index("XI") == 4  # X on qubit 1
    assert pauli_index("IX") == 1  # X on qubit 0
    assert pauli_label(pauli_index("ZYXI"), 4) == "ZYXI"


@pytest.mark.parametrize("num_qubits", [1, 2, 3])
def test_density_roundtrip_and_normalisation(num_qubits):
    rho = random_density_matrix(2**num_qubits, seed=num_qubits)
    r = density_to_pauli(rho.data)
    assert r[0] == pytest.approx(1.0)  # r_I = Tr(rho) = 1
    for index in range(4**num_qubits):
        label = pauli_label(index, num_qubits)
        assert r[index] == pytest.approx(rho.expectation_value(Pauli(label)).real, abs=1e-12)
    np.testing.assert_allclose(pauli_to_density(r), rho.data, atol=1e-12)


def test_zero_state_is_ones_on_iz_strings():
    state = zero_state(3)
    expected = density_to_pauli(DensityMatrix.from_label("000").data)
    np.testing.assert_array_equal(state, expected)
    for index in range(64):
        label = pauli_label(index, 3)
        assert state[index] == (1.0 if set(label) <= {"I", "Z"} else 0.0)


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError, match="'Q'"):
        pauli_index("XQ")
    with pytest.raises(ValueError, match="4\\*\\*n"):
        pauli_to_density(np.ones(5))
