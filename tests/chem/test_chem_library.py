from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qneuro.chem import Problem, load, names

BUNDLED = ["H2-2q", "H2-3q", "H2-4q", "H2-4q-0.35A", "H2O-8q", "LiH-4q", "LiH-6q"]
# FCI of H2/STO-3G at 0.7414 A, total energy (Ha); the value every VQE paper quotes.
H2_EXACT = -1.13727


def test_names_lists_every_bundled_problem():
    assert sorted(names()) == sorted(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_exact_energy_is_lowest_eigenvalue_of_own_operator(name):
    problem = load(name)
    eigenvalues = np.linalg.eigvalsh(problem.hamiltonian.to_matrix())
    assert problem.exact_energy == pytest.approx(eigenvalues[0], abs=1e-9)
    # Every bundled problem's lowest eigenvalue lies in the molecule's own sector.
    assert problem.metadata["sector_ground_energy"] == pytest.approx(eigenvalues[0], abs=1e-9)
    assert problem.metadata["casci_energy"] == pytest.approx(eigenvalues[0], abs=1e-8)


@pytest.mark.parametrize("name", BUNDLED)
def test_hf_bitstring_gives_hf_energy(name):
    problem = load(name)
    energy = Statevector.from_label(problem.hf_bitstring).expectation_value(problem.hamiltonian)
    assert energy.real == pytest.approx(problem.hf_energy, abs=1e-8)
    assert problem.exact_energy < problem.hf_energy  # correlation energy is negative


@pytest.mark.parametrize("name", BUNDLED)
def test_metadata_and_shift(name):
    problem = load(name)
    meta = problem.metadata
    for key in ("geometry", "basis", "mapping", "active_space", "charge", "spin", "made_with"):
        assert key in meta
    assert meta["basis"] == "sto-3g"
    assert problem.shift == pytest.approx(
        meta["nuclear_repulsion"] + meta["frozen_core_energy"], abs=1e-10
    )
    assert len(problem.hf_bitstring) == problem.num_qubits
    if meta["mapping"] == "jordan_wigner" and meta["reduction"] == "none":
        # Jordan-Wigner: the HF state occupies N_alpha alpha and N_beta beta spin orbitals.
        n = problem.num_qubits // 2
        bits = problem.hf_bitstring[::-1]
        assert [bits[:n].count("1"), bits[n:].count("1")] == meta["active_space"]["electrons"]


@pytest.mark.parametrize("qubits", [2, 3, 4])
def test_h2_equilibrium_total_energy(qubits):
    problem = load("H2", qubits=qubits)
    assert problem.name == f"H2-{qubits}q"
    assert problem.exact_energy == pytest.approx(H2_EXACT, abs=5e-6)
    assert problem.num_qubits == qubits


def _sector_eigenvalues(problem, keep):
    n = problem.num_qubits
    idx = [b for b in range(2**n) if keep(b)]
    matrix = problem.hamiltonian.to_matrix()[np.ix_(idx, idx)]
    return np.sort(np.linalg.eigvalsh(matrix))


def test_h2_reductions_keep_the_right_sectors():
    full = load("H2-4q")
    # 3 qubits: the tapered number-parity symmetry keeps the even-electron-number sector.
    even = _sector_eigenvalues(full, lambda b: bin(b).count("1") % 2 == 0)
    tapered = np.linalg.eigvalsh(load("H2-3q").hamiltonian.to_matrix())
    np.testing.assert_allclose(np.sort(tapered), even, atol=1e-9)
    # 2 qubits: parity + two-qubit reduction keeps odd N_alpha and odd N_beta: (1, 1).
    one_one = _sector_eigenvalues(
        full, lambda b: bin(b & 0b11).count("1") == 1 and bin(b >> 2).count("1") == 1
    )
    reduced = np.linalg.eigvalsh(load("H2-2q").hamiltonian.to_matrix())
    np.testing.assert_allclose(np.sort(reduced), one_one, atol=1e-9)


def test_load_by_parts_and_by_name():
    assert load("LiH", qubits=4).name == "LiH-4q"
    assert load("LiH-4q").name == "LiH-4q"
    assert load("lih-6q").name == "LiH-6q"
    assert load("H2O").name == "H2O-8q"
    assert load("H2", qubits=4, distance=0.35).name == "H2-4q-0.35A"
    assert load("H2-4q-0.35A").name == "H2-4q-0.35A"
    assert load("H2", qubits=4, distance=0.7414).name == "H2-4q"
    assert load("LiH", qubits=4, distance=3.4).metadata["distance"] == 3.4
    assert load("H2-4q-0.35A").exact_energy != load("H2-4q").exact_energy


def test_unknown_or_ambiguous_names_list_what_exists():
    for bad in ("BeH2", "LiH-5q", "cheese!"):
        with pytest.raises(ValueError) as info:
            load(bad)
        for name in BUNDLED:
            assert name in str(info.value)
    with pytest.raises(ValueError, match="H2-4q-0.35A"):
        load("H2", qubits=4, distance=1.0)
    with pytest.raises(ValueError, match="ambiguous: H2-2q, H2-3q, H2-4q"):
        load("H2")
    with pytest.raises(ValueError, match="says 4 qubits"):
        load("LiH-4q", qubits=6)


def test_load_returns_independent_copies():
    first = load("H2-2q")
    first.metadata["basis"] = "changed"
    first.exact_energy = 0.0
    second = load("H2-2q")
    assert second.metadata["basis"] == "sto-3g" and second.exact_energy < -1
    assert isinstance(second, Problem)


def test_bundled_problems_load_without_chemistry_packages():
    code = (
        "import sys\n"
        "sys.modules['pyscf'] = None\n"
        "sys.modules['qiskit_nature'] = None\n"
        "from qneuro.chem import load, names, from_molecule, MoleculeSpec\n"
        "assert all(load(n).num_qubits > 0 for n in names())\n"
        "spec = MoleculeSpec(atoms=(('H', (0, 0, 0)), ('H', (0, 0, 0.74))))\n"
        "try:\n"
        "    from_molecule(spec)\n"
        "except ImportError as exc:\n"
        "    assert 'qneuro[chem]' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
