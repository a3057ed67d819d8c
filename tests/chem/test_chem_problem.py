from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector, random_pauli_list

from qneuro.chem import Problem, basis_energy, lowest_eigenvalue


def _random_hermitian(num_qubits: int, num_terms: int, seed: int) -> SparsePauliOp:
    rng = np.random.default_rng(seed)
    paulis = random_pauli_list(num_qubits, num_terms, seed=seed, phase=False)
    return SparsePauliOp(paulis, rng.normal(size=num_terms))


def test_from_operator_computes_exact_energy_by_diagonalisation():
    op = _random_hermitian(5, 30, seed=1)
    problem = Problem.from_operator(op, name="random")
    expected = np.linalg.eigvalsh(op.to_matrix())[0]
    assert problem.exact_energy == pytest.approx(expected, abs=1e-10)
    assert problem.name == "random" and problem.num_qubits == 5
    assert problem.hf_energy is None and problem.hf_bitstring is None


def test_from_operator_keeps_a_given_exact_energy():
    op = SparsePauliOp(["ZI", "IZ"], [1.0, 0.5])
    problem = Problem.from_operator(op, exact_energy=-7.0)
    assert problem.exact_energy == -7.0


def test_from_operator_sparse_path_matches_analytic_ground_energy():
    # 11 qubits goes through scipy's eigsh; sum_i c_i Z_i has ground energy -sum |c_i|.
    n = 11
    coeffs = np.linspace(0.1, 1.1, n)
    labels = ["I" * (n - 1 - i) + "Z" + "I" * i for i in range(n)]
    op = SparsePauliOp(labels + ["X" * n], list(coeffs) + [0.0])
    assert lowest_eigenvalue(op) == pytest.approx(-coeffs.sum(), abs=1e-9)
    # -sum_i c_i Z_i + 0.3 X_{n-1}: qubit n-1 alone sees a field (-c, 0.3), of lowest
    # eigenvalue -sqrt(c**2 + 0.09); every other qubit gives -c_i
    transverse = SparsePauliOp(labels + ["X" + "I" * (n - 1)], list(-coeffs) + [0.3])
    exact = -coeffs[:-1].sum() - np.hypot(coeffs[-1], 0.3)
    assert Problem.from_operator(transverse).exact_energy == pytest.approx(exact, abs=1e-9)


def test_from_operator_too_large_names_size_and_limit():
    op = SparsePauliOp(["Z" * 16])
    with pytest.raises(ValueError, match=r"16-qubit.*limit of 14"):
        Problem.from_operator(op)
    with pytest.raises(ValueError, match=r"16-qubit.*limit of 3"):
        Problem.from_operator(SparsePauliOp(["Z" * 16]), max_qubits_exact=3)
    assert Problem.from_operator(op, exact_energy=-1.0).exact_energy == -1.0


def test_from_operator_rejects_non_hermitian_and_wrong_types():
    with pytest.raises(ValueError, match="not Hermitian"):
        Problem.from_operator(SparsePauliOp(["XZ"], [1j]))
    with pytest.raises(TypeError, match="SparsePauliOp"):
        Problem.from_operator(np.eye(4))
    with pytest.raises(ValueError, match="bits"):
        Problem.from_operator(SparsePauliOp(["ZZ"]), hf_bitstring="010")


def test_hf_bitstring_energy_matches_statevector():
    op = _random_hermitian(4, 40, seed=3)
    for bitstring in ("0000", "0101", "1110"):
        problem = Problem.from_operator(op, hf_bitstring=bitstring)
        expected = Statevector.from_label(bitstring).expectation_value(op).real
        assert problem.hf_energy == pytest.approx(expected, abs=1e-12)
        assert basis_energy(op, bitstring) == pytest.approx(expected, abs=1e-12)


def test_save_load_round_trip(tmp_path):
    op = _random_hermitian(3, 10, seed=4)
    problem = Problem.from_operator(op, hf_bitstring="011", shift=0.25, metadata={"a": [1, 2]})
    path = tmp_path / "p.json"
    problem.save(path)
    back = Problem.load(path)
    assert back.hamiltonian.equiv(problem.hamiltonian)
    assert (back.exact_energy, back.hf_energy, back.hf_bitstring, back.shift, back.metadata) == (
        problem.exact_energy,
        problem.hf_energy,
        "011",
        0.25,
        {"a": [1, 2]},
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format": "other"}, "not a qneuro problem file"),
        ({"pauli_terms": [["ZQ", 1.0]]}, "bad Pauli label"),
        ({"pauli_terms": [["ZZZ", 1.0]]}, "bad Pauli label"),
        ({"pauli_terms": [["ZZ", "nan"]]}, "must be a number"),
        ({"pauli_terms": [["ZZ", float("inf")]]}, "finite"),
        ({"exact_energy": None}, "exact_energy"),
        ({"hf_bitstring": "0a"}, "bitstring"),
    ],
)
def test_from_json_rejects_malformed_files(change, message):
    data = Problem.from_operator(SparsePauliOp(["ZZ", "XI"], [1.0, 0.5])).to_json()
    data = json.loads(json.dumps({**data, **change}))
    with pytest.raises(ValueError, match=message):
        Problem.from_json(data)


def test_chemical_accuracy_is_one_threshold_for_every_pillar():
    from qneuro import chem, vqe

    assert chem.CHEMICAL_ACCURACY == vqe.CHEMICAL_ACCURACY == 1.6e-3
    assert chem.within_chemical_accuracy(-1.5e-3) and chem.within_chemical_accuracy(1.5e-3)
    assert not chem.within_chemical_accuracy(1.6e-3)
    assert not chem.within_chemical_accuracy(-2e-3)
