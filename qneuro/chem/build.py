"""Regenerate (or check) the bundled problem files; needs ``pip install "qneuro[chem]"``.

Usage::

    python -m qneuro.chem.build                 # rewrite qneuro/chem/data/*.json
    python -m qneuro.chem.build --out DIR       # write the files into DIR instead
    python -m qneuro.chem.build --check         # rebuild in memory, compare with the shipped files

``--check`` compares numbers with an absolute tolerance (:data:`CHECK_ATOL`, Ha), not bytes:
the Pauli terms (a term missing on one side counts as coefficient 0), shift, exact, HF,
sector and CASCI energies, the HF bitstring, the molecule spec and the active space. The
``made_with`` versions are not compared. It exits with status 1 when anything differs.

Every recipe is STO-3G. Orbital indices are 0-based in order of increasing RHF orbital
energy; see :mod:`qneuro.chem.molecule` for the pipeline and the mappings.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qneuro.files import output_folder

from .molecule import MoleculeSpec, from_molecule
from .problem import Problem

#: Absolute tolerance (Ha) of ``--check``.
CHECK_ATOL = 1e-8
#: Where the bundled files live.
DATA_DIR = Path(__file__).parent / "data"


def _diatomic(a: str, b: str, distance: float) -> tuple:
    return ((a, (0.0, 0.0, 0.0)), (b, (0.0, 0.0, distance)))


def _water(r_oh: float, angle_deg: float) -> tuple:
    half = math.radians(angle_deg) / 2
    y, z = round(r_oh * math.sin(half), 6), round(r_oh * math.cos(half), 6)
    return (("O", (0.0, 0.0, 0.0)), ("H", (0.0, y, z)), ("H", (0.0, -y, z)))


@dataclass(frozen=True)
class Recipe:
    """How one bundled problem is made.

    Attributes:
        name: the bundled name (``"LiH-4q"``).
        molecule: the molecule's name (``"LiH"``).
        distance: bond length (Angstrom; for H2O the O-H length).
        spec: the molecule, active space and mapping.
        description: one line for humans (what the active space and mapping are).
    """

    name: str
    molecule: str
    distance: float
    spec: MoleculeSpec
    description: str


_H2 = _diatomic("H", "H", 0.7414)
_WATER_R, _WATER_ANGLE = 0.9584, 104.45  # experimental equilibrium (Angstrom, degrees)

#: Every bundled problem.
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "H2-2q",
            "H2",
            0.7414,
            MoleculeSpec(_H2, mapping="parity", reduction="two-qubit"),
            "H2, all 2 orbitals; parity mapping with two-qubit reduction",
        ),
        Recipe(
            "H2-3q",
            "H2",
            0.7414,
            MoleculeSpec(_H2, mapping="jordan_wigner", reduction="number-parity"),
            "H2, all 2 orbitals; Jordan-Wigner, electron-number parity Z0Z1Z2Z3 tapered "
            "off qubit 3 (even sector)",
        ),
        Recipe(
            "H2-4q",
            "H2",
            0.7414,
            MoleculeSpec(_H2, mapping="jordan_wigner"),
            "H2, all 2 orbitals; Jordan-Wigner",
        ),
        Recipe(
            "H2-4q-0.35A",
            "H2",
            0.35,
            MoleculeSpec(_diatomic("H", "H", 0.35), mapping="jordan_wigner"),
            "H2 compressed to 0.35 A (the QCAS comparison), all 2 orbitals; Jordan-Wigner",
        ),
        Recipe(
            "LiH-4q",
            "LiH",
            3.4,
            MoleculeSpec(
                _diatomic("Li", "H", 3.4),
                core_orbitals=(0,),
                active_orbitals=(1, 2, 5),
                mapping="parity",
                reduction="two-qubit",
            ),
            "LiH at 3.4 A; Li 1s frozen, the Li 2px/2py pair (orbitals 3, 4) removed: "
            "2 electrons in 3 orbitals; parity with two-qubit reduction",
        ),
        Recipe(
            "LiH-6q",
            "LiH",
            2.2,
            MoleculeSpec(
                _diatomic("Li", "H", 2.2),
                core_orbitals=(0,),
                active_orbitals=(1, 2, 5),
                mapping="jordan_wigner",
            ),
            "LiH at 2.2 A; Li 1s frozen, the Li 2px/2py pair (orbitals 3, 4) removed: "
            "2 electrons in 3 orbitals; Jordan-Wigner",
        ),
        Recipe(
            "H2O-8q",
            "H2O",
            _WATER_R,
            MoleculeSpec(
                _water(_WATER_R, _WATER_ANGLE),
                core_orbitals=(0, 1, 2),
                active_orbitals=(3, 4, 5, 6),
                mapping="jordan_wigner",
            ),
            "H2O at the experimental equilibrium (O-H 0.9584 A, 104.45 deg); orbitals 0-2 "
            "frozen, CAS(4e, 4o) = HOMO-1, HOMO, LUMO, LUMO+1; Jordan-Wigner",
        ),
    )
}


def build_problem(name: str) -> Problem:
    """Build the bundled problem ``name`` from its recipe (needs the ``chem`` extra)."""
    if name not in RECIPES:
        raise ValueError(f"no recipe {name!r}; recipes: {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    problem = from_molecule(recipe.spec, name=name)
    problem.metadata = {
        "molecule_name": recipe.molecule,
        "distance": recipe.distance,
        "description": recipe.description,
        **problem.metadata,
        "exact_energy_meaning": (
            "lowest eigenvalue of this qubit operator (every electron number the mapping "
            "keeps); sector_ground_energy is the lowest within the molecule's own "
            "(N_alpha, N_beta) sector"
        ),
    }
    return problem


def build(
    out: str | Path | None = None, names: list[str] | None = None, progress: bool = True
) -> list[Path]:
    """Write the bundled files (all recipes, or ``names``) into ``out``; returns the paths.

    Args:
        out: folder to write to (created if missing); default the package data folder.
        names: recipe names; default all.
        progress: show a tqdm progress bar.

    Raises:
        UnsafePathError: ``out`` is a file or lies under one (before anything is built).
    """
    from tqdm.auto import tqdm

    folder = DATA_DIR if out is None else output_folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in tqdm(names or list(RECIPES), desc="building problems", disable=not progress):
        path = folder / f"{name}.json"
        build_problem(name).save(path)
        written.append(path)
    return written


def check(
    reference: str | Path | None = None,
    out: str | Path | None = None,
    atol: float = CHECK_ATOL,
    progress: bool = True,
) -> list[str]:
    """Rebuild every recipe and compare with the files in ``reference``.

    Args:
        reference: folder holding the files to check; default the package data folder.
        out: also write the rebuilt files here (``None``: keep them in memory).
        atol: absolute tolerance on every compared number (Ha).
        progress: show a tqdm progress bar.

    Returns:
        One line per difference; empty when everything reproduces.
    """
    from tqdm.auto import tqdm

    if not (math.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol={atol!r}; allowed: a finite number >= 0 (Ha)")
    folder = DATA_DIR if reference is None else Path(reference)
    if not folder.is_dir():
        raise FileNotFoundError(f"reference folder {folder} does not exist or is not a folder")
    out = None if out is None else output_folder(out)
    differences = []
    shipped = {p.stem for p in folder.glob("*.json")}
    for extra in sorted(shipped - set(RECIPES)):
        differences.append(f"{extra}: shipped file has no recipe")
    for name in tqdm(list(RECIPES), desc="checking problems", disable=not progress):
        rebuilt = build_problem(name)
        if out is not None:
            rebuilt.save(out / f"{name}.json")
        path = folder / f"{name}.json"
        if not path.exists():
            differences.append(f"{name}: no shipped file {path}")
            continue
        differences += [f"{name}: {d}" for d in compare(Problem.load(path), rebuilt, atol)]
    return differences


def compare(a: Problem, b: Problem, atol: float = CHECK_ATOL) -> list[str]:
    """Differences between two problems beyond ``atol`` (``made_with`` is ignored)."""
    out = []
    if a.num_qubits != b.num_qubits:
        return [f"num_qubits {a.num_qubits} != {b.num_qubits}"]
    for attr in ("shift", "exact_energy", "hf_energy"):
        x, y = getattr(a, attr), getattr(b, attr)
        if (x is None) != (y is None) or (x is not None and abs(x - y) > atol):
            out.append(f"{attr} {x} != {y}")
    if a.hf_bitstring != b.hf_bitstring:
        out.append(f"hf_bitstring {a.hf_bitstring} != {b.hf_bitstring}")
    for key in ("sector_ground_energy", "casci_energy", "nuclear_repulsion", "distance"):
        x, y = a.metadata.get(key), b.metadata.get(key)
        if (x is None) != (y is None) or (x is not None and abs(x - y) > atol):
            out.append(f"metadata {key} {x} != {y}")
    for key in ("molecule", "active_space", "exact_energy_sector"):
        if _jsonish(a.metadata.get(key)) != _jsonish(b.metadata.get(key)):
            out.append(f"metadata {key} differs")
    terms_a = dict(zip(a.hamiltonian.paulis.to_labels(), a.hamiltonian.coeffs.real, strict=True))
    terms_b = dict(zip(b.hamiltonian.paulis.to_labels(), b.hamiltonian.coeffs.real, strict=True))
    worst, where = 0.0, None
    for label in set(terms_a) | set(terms_b):
        gap = abs(terms_a.get(label, 0.0) - terms_b.get(label, 0.0))
        if gap > worst:
            worst, where = gap, label
    if worst > atol:
        out.append(f"Pauli term {where} differs by {worst:.3g} (tolerance {atol:g})")
    return out


def _jsonish(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m qneuro.chem.build [--out DIR] [--check] [--quiet]``; returns the status."""
    parser = argparse.ArgumentParser(
        prog="python -m qneuro.chem.build",
        description="Regenerate the bundled qneuro.chem problem files (needs qneuro[chem]).",
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="rebuild and compare with the shipped files"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        if args.check:
            differences = check(out=args.out, progress=not args.quiet)
            for line in differences:
                print(line)
            print("reproduced" if not differences else f"{len(differences)} differences")
            return 1 if differences else 0
        for path in build(args.out, progress=not args.quiet):
            print(f"wrote {path}")
    except (ImportError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
