"""Molecule specifications and their qubit Hamiltonians (needs the ``chem`` extra).

A :class:`MoleculeSpec` names a molecule (atoms in Angstrom, basis, charge, spin), an
active space (frozen doubly occupied core orbitals and active spatial orbitals, by
0-based index in order of increasing RHF/ROHF orbital energy) and a fermion-to-qubit
mapping. :func:`from_molecule` turns it into a :class:`~qneuro.chem.problem.Problem`:

1. pyscf runs RHF (ROHF when ``spin != 0``) with a tight convergence (1e-12 Ha). Each
   molecular orbital's sign is fixed so that its first AO coefficient with magnitude above
   1e-4 is positive, so the operator does not depend on LAPACK's arbitrary phases.
2. pyscf's CASCI machinery gives the active-space one- and two-electron integrals and the
   constant ``shift`` = nuclear repulsion + frozen-core energy (Ha).
3. qiskit-nature builds the fermionic Hamiltonian (spin orbitals: alpha 0..n-1, beta
   n..2n-1) and maps it with the chosen mapping and reduction:

   ============================  =============================================================
   ``mapping`` / ``reduction``   qubits and what is encoded
   ============================  =============================================================
   ``jordan_wigner`` / ``none``  ``2n``: the whole Fock space of the active orbitals
   ``jordan_wigner`` /           ``2n - 1``: the Z2 symmetry ``Z...Z`` (total electron-number
   ``number-parity``             parity) is tapered off qubit ``2n - 1`` (qiskit's
                                 ``Z2Symmetries`` with the Clifford ``(X_{2n-1} + Z...Z)/√2``),
                                 keeping the sector of the molecule's electron-number parity
   ``parity`` / ``none``         ``2n``: the whole Fock space
   ``parity`` / ``two-qubit``    ``2n - 2``: qubits ``n - 1`` and ``2n - 1`` (the alpha and
                                 total number parities) are fixed to the molecule's values
                                 (qiskit-nature's ``ParityMapper(num_particles=...)``)
   ============================  =============================================================

4. The constant ``shift`` is added as an identity term, terms with ``|c| < 1e-10`` are
   dropped, coefficients are rounded to 12 decimals and sorted by label.
5. ``exact_energy`` is the lowest eigenvalue of that operator. Because mappings without
   particle-number restriction also encode other electron counts, it can lie below the
   molecule's ground energy; ``metadata["sector_ground_energy"]`` is the lowest eigenvalue
   within the molecule's own (N_alpha, N_beta) sector (checked against pyscf's CASCI), and
   ``metadata["exact_energy_sector"]`` says in which sector the lowest eigenvalue lies.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
from qiskit.quantum_info import Pauli, SparsePauliOp

from .problem import Problem, basis_energy

#: Mappings and the reductions each accepts.
MAPPINGS = {
    "jordan_wigner": ("none", "number-parity"),
    "parity": ("none", "two-qubit"),
}

_CHEM_EXTRA_HINT = 'building molecules needs pyscf and qiskit-nature: pip install "qneuro[chem]"'

#: Coefficients below this magnitude (Ha) are dropped from built operators.
DROP_BELOW = 1e-10
#: Decimals kept in built coefficients and energies (Ha).
DECIMALS = 12
#: SCF convergence threshold (Ha).
SCF_CONV_TOL = 1e-12


@dataclass(frozen=True)
class MoleculeSpec:
    """A molecule, its active space and its qubit mapping.

    Attributes:
        atoms: ``((symbol, (x, y, z)), ...)`` with coordinates in Angstrom.
        basis: pyscf basis name (``"sto-3g"``).
        charge: total charge (e).
        spin: ``N_alpha - N_beta`` (pyscf's ``spin``, i.e. 2S).
        core_orbitals: frozen, doubly occupied spatial orbitals (0-based, energy order);
            they must be occupied in the mean-field reference.
        active_orbitals: active spatial orbitals (0-based, energy order); ``None`` means
            every orbital not in ``core_orbitals``. Every occupied orbital must be either
            core or active; virtual orbitals left out are discarded.
        mapping: ``"jordan_wigner"`` or ``"parity"``.
        reduction: ``"none"``; ``"number-parity"`` (Jordan-Wigner, one qubit fewer);
            ``"two-qubit"`` (parity, two qubits fewer). See the module docstring.
    """

    atoms: tuple[tuple[str, tuple[float, float, float]], ...]
    basis: str = "sto-3g"
    charge: int = 0
    spin: int = 0
    core_orbitals: tuple[int, ...] = ()
    active_orbitals: tuple[int, ...] | None = None
    mapping: str = "jordan_wigner"
    reduction: str = "none"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        atoms = tuple(
            (str(symbol), tuple(float(x) for x in position)) for symbol, position in self.atoms
        )
        if not atoms:
            raise ValueError("a molecule needs at least one atom")
        for symbol, position in atoms:
            if len(position) != 3 or not all(math.isfinite(x) for x in position):
                raise ValueError(
                    f"atom {symbol!r}: position {position}; allowed: 3 finite numbers (Angstrom)"
                )
        object.__setattr__(self, "atoms", atoms)
        object.__setattr__(self, "core_orbitals", tuple(int(i) for i in self.core_orbitals))
        if self.active_orbitals is not None:
            object.__setattr__(self, "active_orbitals", tuple(int(i) for i in self.active_orbitals))
        if self.mapping not in MAPPINGS:
            raise ValueError(f"unknown mapping {self.mapping!r}; allowed: {', '.join(MAPPINGS)}")
        if self.reduction not in MAPPINGS[self.mapping]:
            raise ValueError(
                f"reduction {self.reduction!r} does not go with mapping {self.mapping!r}; "
                f"allowed: {', '.join(MAPPINGS[self.mapping])}"
            )
        if len(set(self.core_orbitals)) != len(self.core_orbitals):
            raise ValueError(f"core_orbitals {self.core_orbitals} repeat an orbital")
        if self.active_orbitals is not None:
            if len(set(self.active_orbitals)) != len(self.active_orbitals):
                raise ValueError(f"active_orbitals {self.active_orbitals} repeat an orbital")
            if set(self.active_orbitals) & set(self.core_orbitals):
                raise ValueError("an orbital cannot be both core and active")
            if not self.active_orbitals:
                raise ValueError("active_orbitals must not be empty")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (inverse of :meth:`from_dict`)."""
        data = asdict(self)
        data.pop("extra")
        data["atoms"] = [[symbol, list(position)] for symbol, position in self.atoms]
        data["core_orbitals"] = list(self.core_orbitals)
        if self.active_orbitals is not None:
            data["active_orbitals"] = list(self.active_orbitals)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MoleculeSpec:
        """Inverse of :meth:`to_dict`."""
        known = {
            "atoms",
            "basis",
            "charge",
            "spin",
            "core_orbitals",
            "active_orbitals",
            "mapping",
            "reduction",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown molecule fields {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**{key: data[key] for key in data})


def made_with() -> dict[str, str]:
    """Versions of the packages that build operators (``"missing"`` when absent)."""
    versions = {}
    for package in ("qneuro", "pyscf", "qiskit-nature", "qiskit", "numpy", "scipy"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "missing"
    return versions


def _require_chem():
    try:
        import pyscf  # noqa: F401
        import qiskit_nature  # noqa: F401
    except ImportError as exc:
        raise ImportError(_CHEM_EXTRA_HINT) from exc


def _fix_phases(mo_coeff: np.ndarray) -> np.ndarray:
    """Flip each column so its first coefficient with ``|c| > 1e-4`` is positive."""
    mo_coeff = np.array(mo_coeff, dtype=float, copy=True)
    for j in range(mo_coeff.shape[1]):
        column = mo_coeff[:, j]
        first = int(np.flatnonzero(np.abs(column) > 1e-4)[0])
        if column[first] < 0:
            mo_coeff[:, j] = -column
    return mo_coeff


def _clean(op: SparsePauliOp) -> SparsePauliOp:
    """Real, rounded, sorted coefficients; drop ``|c| < DROP_BELOW``."""
    op = op.simplify(atol=0.0)
    coeffs = np.asarray(op.coeffs)
    if np.max(np.abs(coeffs.imag), initial=0.0) > 1e-10:
        raise ValueError("the mapped Hamiltonian has complex coefficients; it is not Hermitian")
    terms = {}
    for label, c in zip(op.paulis.to_labels(), coeffs.real, strict=True):
        if abs(c) >= DROP_BELOW:
            terms[label] = round(float(c), DECIMALS) + 0.0
    if not terms:
        terms["I" * op.num_qubits] = 0.0
    labels = sorted(terms)
    return SparsePauliOp(labels, np.array([terms[label] for label in labels]))


def _mean_field(spec: MoleculeSpec):
    from pyscf import gto, scf

    mol = gto.M(
        atom=[[symbol, list(position)] for symbol, position in spec.atoms],
        basis=spec.basis,
        charge=spec.charge,
        spin=spec.spin,
        unit="Angstrom",
        verbose=0,
    )
    mf = scf.RHF(mol) if spec.spin == 0 else scf.ROHF(mol)
    mf.conv_tol = SCF_CONV_TOL
    mf.kernel()
    if not mf.converged:
        raise RuntimeError("the mean-field (SCF) calculation did not converge")
    return mol, mf


def _active_space(spec: MoleculeSpec, mol, mf):
    norb = mf.mo_coeff.shape[1]
    n_alpha, n_beta = mol.nelec
    occupied = set(range(max(n_alpha, n_beta)))
    core = list(spec.core_orbitals)
    active = (
        [i for i in range(norb) if i not in core]
        if spec.active_orbitals is None
        else list(spec.active_orbitals)
    )
    for index in core + active:
        if not 0 <= index < norb:
            raise ValueError(
                f"orbital {index} does not exist; the basis has {norb} (0..{norb - 1})"
            )
    if not set(core) <= set(range(n_beta)):
        raise ValueError(f"core_orbitals {core} must be doubly occupied orbitals (0..{n_beta - 1})")
    missing = sorted(occupied - set(core) - set(active))
    if missing:
        raise ValueError(f"occupied orbitals {missing} are neither core nor active")
    nelecas = (n_alpha - len(core), n_beta - len(core))
    return core, active, nelecas


def _integrals(spec: MoleculeSpec):
    from pyscf import ao2mo, mcscf

    mol, mf = _mean_field(spec)
    core, active, nelecas = _active_space(spec, mol, mf)
    mo = _fix_phases(mf.mo_coeff)
    rest = [i for i in range(mo.shape[1]) if i not in core and i not in active]
    order = core + active + rest
    cas = mcscf.CASCI(mf, len(active), nelecas)
    mo = mo[:, order]
    h1, ecore = cas.get_h1eff(mo)
    h2 = ao2mo.restore(1, cas.get_h2eff(mo), len(active))
    casci_energy = float(cas.kernel(mo)[0])
    return mol, mf, core, active, nelecas, h1, h2, float(ecore), casci_energy


def _mapper(spec: MoleculeSpec, num_spatial: int, nelecas: tuple[int, int]):
    from qiskit_nature.second_q.mappers import (
        JordanWignerMapper,
        ParityMapper,
        TaperedQubitMapper,
    )

    if spec.mapping == "parity":
        if spec.reduction == "two-qubit":
            return ParityMapper(num_particles=nelecas)
        return ParityMapper()
    if spec.reduction == "number-parity":
        from qiskit.quantum_info.analysis.z2_symmetries import Z2Symmetries

        n = 2 * num_spatial
        last = n - 1
        x_last = Pauli((np.zeros(n, dtype=bool), np.arange(n) == last))  # X on qubit n-1
        symmetry = Pauli("Z" * n)
        sector = 1 if sum(nelecas) % 2 == 0 else -1  # <Z...Z> = (-1)^N under Jordan-Wigner
        z2 = Z2Symmetries([symmetry], [x_last], [last], [sector])
        return TaperedQubitMapper(JordanWignerMapper(), z2)
    return JordanWignerMapper()


def _map(mapper, fermionic_op) -> SparsePauliOp:
    from qiskit_nature.second_q.mappers import TaperedQubitMapper

    if isinstance(mapper, TaperedQubitMapper):
        return mapper.taper_clifford(mapper.map_clifford(fermionic_op), check_commutes=False)
    return mapper.map(fermionic_op)


def _number_operators(num_spatial: int):
    from qiskit_nature.second_q.operators import FermionicOp

    n = 2 * num_spatial
    alpha = FermionicOp({f"+_{i} -_{i}": 1.0 for i in range(num_spatial)}, num_spin_orbitals=n)
    beta = FermionicOp({f"+_{i} -_{i}": 1.0 for i in range(num_spatial, n)}, num_spin_orbitals=n)
    return alpha, beta


def _diagonal(op: SparsePauliOp) -> np.ndarray:
    if np.any(op.paulis.x):
        raise RuntimeError("a number operator did not map to a diagonal operator")
    return np.rint(np.real(op.to_matrix(sparse=True).diagonal())).astype(int)


def build_operator(spec: MoleculeSpec) -> dict[str, Any]:
    """Build everything a bundled data file holds for ``spec`` (needs the ``chem`` extra).

    Returns:
        A dict with ``hamiltonian`` (cleaned ``SparsePauliOp``, shift included), ``shift``,
        ``nuclear_repulsion``, ``exact_energy``, ``exact_energy_sector``,
        ``sector_ground_energy``, ``casci_energy``, ``hf_energy``, ``hf_bitstring``,
        ``active_space`` and ``made_with``.

    Raises:
        ImportError: pyscf or qiskit-nature is missing.
        RuntimeError: a consistency check failed (SCF, HF energy, CASCI energy).
    """
    _require_chem()
    from qiskit_nature.second_q.circuit.library.initial_states.hartree_fock import (
        hartree_fock_bitstring_mapped,
    )
    from qiskit_nature.second_q.hamiltonians import ElectronicEnergy
    from qiskit_nature.second_q.operators.tensor_ordering import to_physicist_ordering

    mol, mf, core, active, nelecas, h1, h2, ecore, casci_energy = _integrals(spec)
    num_spatial = len(active)
    energy = ElectronicEnergy.from_raw_integrals(
        h1, to_physicist_ordering(h2, index_order=_chemist()), auto_index_order=False
    )
    mapper = _mapper(spec, num_spatial, nelecas)
    electronic = _map(mapper, energy.second_q_op())
    n = electronic.num_qubits
    hamiltonian = _clean(electronic + SparsePauliOp("I" * n, [ecore]))

    bits = hartree_fock_bitstring_mapped(num_spatial, nelecas, mapper)
    hf_bitstring = "".join("1" if b else "0" for b in reversed(bits))
    hf_energy = float(mf.e_tot)
    hf_check = basis_energy(hamiltonian, hf_bitstring)
    if abs(hf_check - hf_energy) > 1e-7:
        raise RuntimeError(
            f"<hf|H|hf> = {hf_check:.10f} Ha differs from the SCF energy {hf_energy:.10f} Ha"
        )

    exact, sector_of_exact, sector_ground, sectors = _spectrum(
        hamiltonian, mapper, num_spatial, nelecas
    )
    if abs(sector_ground - casci_energy) > 1e-7:
        raise RuntimeError(
            f"ground energy in the {nelecas} sector {sector_ground:.10f} Ha differs from "
            f"pyscf CASCI {casci_energy:.10f} Ha"
        )
    return {
        "hamiltonian": hamiltonian,
        "shift": round(ecore, DECIMALS),
        "nuclear_repulsion": round(float(mol.energy_nuc()), DECIMALS),
        "exact_energy": round(exact, DECIMALS),
        "exact_energy_sector": sector_of_exact,
        "sector_ground_energy": round(sector_ground, DECIMALS),
        "sector_ground_energies": [
            [a, b, round(e, DECIMALS)] for (a, b), e in sorted(sectors.items())
        ],
        "casci_energy": round(casci_energy, DECIMALS),
        "hf_energy": round(hf_energy, DECIMALS),
        "hf_bitstring": hf_bitstring,
        "active_space": {
            "core_orbitals": core,
            "active_orbitals": active,
            "electrons": list(nelecas),
            "spatial_orbitals": num_spatial,
            "spin_orbitals": 2 * num_spatial,
        },
        "made_with": made_with(),
    }


def _chemist():
    from qiskit_nature.second_q.operators.tensor_ordering import IndexType

    return IndexType.CHEMIST


def _spectrum(hamiltonian, mapper, num_spatial, nelecas):
    """Lowest eigenvalue, the sectors where it lies, the target sector's and every sector's.

    Sectors are ``(N_alpha, N_beta)``; the number operators are mapped (and reduced) like
    the Hamiltonian, which stays diagonal in the computational basis for these mappings.
    """
    alpha, beta = (_diagonal(_clean(_map(mapper, op))) for op in _number_operators(num_spatial))
    matrix = hamiltonian.to_matrix()
    exact = float(np.linalg.eigvalsh(matrix)[0])
    energies = {}
    for a, b in sorted(set(zip(alpha.tolist(), beta.tolist(), strict=True))):
        idx = np.flatnonzero((alpha == a) & (beta == b))
        energies[(a, b)] = float(np.linalg.eigvalsh(matrix[np.ix_(idx, idx)])[0])
    lowest = [[a, b] for (a, b), e in energies.items() if e - exact < 1e-9]
    return exact, lowest, energies[tuple(nelecas)], energies


def from_molecule(spec: MoleculeSpec, *, name: str = "molecule") -> Problem:
    """Build a :class:`Problem` for ``spec`` (needs ``pip install "qneuro[chem]"``).

    Args:
        spec: the molecule, active space and mapping.
        name: the problem's name.

    Returns:
        The problem; its ``metadata`` holds the spec, active space, energies and versions.

    Raises:
        ImportError: pyscf or qiskit-nature is missing (names the ``chem`` extra).
        ValueError: the active space does not fit the molecule.

    Example:
        >>> spec = MoleculeSpec(atoms=(("H", (0, 0, 0)), ("H", (0, 0, 0.7414))),
        ...                     mapping="parity", reduction="two-qubit")
        >>> round(from_molecule(spec).exact_energy, 5)  # doctest: +SKIP
        -1.13727
    """
    built = build_operator(spec)
    return Problem(
        name=name,
        hamiltonian=built["hamiltonian"],
        exact_energy=built["exact_energy"],
        hf_energy=built["hf_energy"],
        hf_bitstring=built["hf_bitstring"],
        shift=built["shift"],
        metadata=_metadata(spec, built),
    )


def _metadata(spec: MoleculeSpec, built: dict[str, Any]) -> dict[str, Any]:
    return {
        "molecule": spec.to_dict(),
        "geometry": [[symbol, list(position)] for symbol, position in spec.atoms],
        "basis": spec.basis,
        "charge": spec.charge,
        "spin": spec.spin,
        "mapping": spec.mapping,
        "reduction": spec.reduction,
        "active_space": built["active_space"],
        "nuclear_repulsion": built["nuclear_repulsion"],
        "frozen_core_energy": round(built["shift"] - built["nuclear_repulsion"], DECIMALS),
        "exact_energy_sector": built["exact_energy_sector"],
        "sector_ground_energy": built["sector_ground_energy"],
        "sector_ground_energies": built["sector_ground_energies"],
        "casci_energy": built["casci_energy"],
        "made_with": built["made_with"],
    }


__all__ = ["MAPPINGS", "MoleculeSpec", "build_operator", "from_molecule", "made_with"]
