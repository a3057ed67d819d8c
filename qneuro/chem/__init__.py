"""Molecular VQE problems: bundled qubit Hamiltonians with exact reference energies.

>>> from qneuro.chem import load, names
>>> p = load("LiH", qubits=4)          # or load("LiH-4q")
>>> p.num_qubits, p.hf_bitstring
(4, '0011')

Bundled problems load without any chemistry package (:func:`names` lists them); a user's
own operator becomes a problem with :meth:`Problem.from_operator`; a new molecule with
:func:`from_molecule` and a :class:`MoleculeSpec` (needs ``pip install "qneuro[chem]"``,
i.e. pyscf and qiskit-nature, imported only then). ``python -m qneuro.chem.build``
regenerates the bundled files.
"""

from __future__ import annotations

from .library import load, names, resolve
from .molecule import MoleculeSpec, from_molecule
from .problem import (
    CHEMICAL_ACCURACY,
    Problem,
    basis_energy,
    lowest_eigenvalue,
    within_chemical_accuracy,
)

__all__ = [
    "CHEMICAL_ACCURACY",
    "within_chemical_accuracy",
    "MoleculeSpec",
    "Problem",
    "basis_energy",
    "from_molecule",
    "load",
    "lowest_eigenvalue",
    "names",
    "resolve",
]
