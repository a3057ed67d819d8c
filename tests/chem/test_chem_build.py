"""Regeneration checks; they run only where the ``chem`` extra (pyscf, qiskit-nature) is."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from qneuro.chem import MoleculeSpec, from_molecule, load

pytest.importorskip("pyscf")
pytest.importorskip("qiskit_nature")


@pytest.mark.slow
def test_rebuilding_reproduces_every_shipped_file(tmp_path):
    from qneuro.chem.build import RECIPES, check

    assert check(out=tmp_path, progress=False) == []
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(RECIPES)


def test_compare_flags_a_changed_coefficient():
    from qneuro.chem.build import compare

    shipped = load("H2-2q")
    changed = load("H2-2q")
    changed.hamiltonian = (changed.hamiltonian + SparsePauliOp("XX", 1e-6)).simplify()
    assert compare(shipped, load("H2-2q")) == []
    assert any("XX" in line for line in compare(shipped, changed.copy()))


def test_h2_matches_qiskit_nature_driver_spectrum():
    from qiskit_nature.second_q.drivers import PySCFDriver
    from qiskit_nature.second_q.mappers import JordanWignerMapper

    problem = PySCFDriver(atom="H 0 0 0; H 0 0 0.7414", basis="sto3g").run()
    op = JordanWignerMapper().map(problem.hamiltonian.second_q_op())
    reference = np.linalg.eigvalsh(op.to_matrix()) + problem.nuclear_repulsion_energy
    ours = np.linalg.eigvalsh(load("H2-4q").hamiltonian.to_matrix())
    np.testing.assert_allclose(ours, reference, atol=1e-9)


def test_lih_4q_exact_matches_pyscf_casci():
    from pyscf import gto, mcscf, scf

    mol = gto.M(atom="Li 0 0 0; H 0 0 3.4", basis="sto-3g", verbose=0)
    mf = scf.RHF(mol).run(conv_tol=1e-12)
    cas = mcscf.CASCI(mf, 3, 2)
    energy = cas.kernel(cas.sort_mo([2, 3, 6]))[0]  # 1-based: orbitals 1, 2, 5
    assert load("LiH-4q").exact_energy == pytest.approx(energy, abs=1e-8)


def test_from_molecule_and_bad_specs():
    spec = MoleculeSpec(
        atoms=(("H", (0, 0, 0)), ("H", (0, 0, 0.7414))), mapping="parity", reduction="two-qubit"
    )
    problem = from_molecule(spec, name="h2")
    assert problem.num_qubits == 2 and problem.exact_energy == pytest.approx(-1.13727, abs=5e-6)
    with pytest.raises(ValueError, match="does not go with"):
        MoleculeSpec(atoms=spec.atoms, mapping="jordan_wigner", reduction="two-qubit")
    lih = (("Li", (0, 0, 0)), ("H", (0, 0, 1.6)))
    with pytest.raises(ValueError, match="neither core nor active"):
        from_molecule(MoleculeSpec(atoms=lih, core_orbitals=(0,), active_orbitals=(2, 3)))
    with pytest.raises(ValueError, match="does not exist"):
        from_molecule(MoleculeSpec(atoms=lih, core_orbitals=(0,), active_orbitals=(1, 9)))


def test_exact_energy_can_lie_in_another_sector_and_metadata_says_so():
    # H2+ (1 electron) under Jordan-Wigner: the operator also holds neutral H2, lower in energy.
    spec = MoleculeSpec(atoms=(("H", (0, 0, 0)), ("H", (0, 0, 1.0))), charge=1, spin=1)
    problem = from_molecule(spec, name="H2+")
    meta = problem.metadata
    assert meta["active_space"]["electrons"] == [1, 0]
    assert meta["exact_energy_sector"] == [[1, 1]]
    assert problem.exact_energy < meta["sector_ground_energy"] - 0.4
    assert meta["sector_ground_energy"] == pytest.approx(meta["casci_energy"], abs=1e-8)
    assert problem.hf_bitstring == "0001"
