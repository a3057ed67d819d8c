"""A VQE problem: a qubit Hamiltonian with its exact and Hartree-Fock reference energies."""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse.linalg
from qiskit.quantum_info import SparsePauliOp

from qneuro import checks
from qneuro.files import atomic_write_text
from qneuro.ptm.observable import check_finite_coefficients

#: Data-file format written by :meth:`Problem.to_json`.
FORMAT = "qneuro.chem.problem/1"
#: Largest problem file :meth:`Problem.load` reads (bytes; the bundled ones are < 100 KiB).
MAX_PROBLEM_BYTES = 64 * 2**20
#: Largest register diagonalised with dense ``numpy.linalg.eigvalsh`` (2**10 = 1024 rows).
DENSE_MAX_QUBITS = 10
_LABEL = re.compile(r"^[IXYZ]+$")
_BITSTRING = re.compile(r"^[01]+$")


#: Chemical accuracy in hartree (1.6 mHa, about 1 kcal/mol): the target of VQE and of
#: architecture search, judged on the noiseless error ``E - E_exact``.
CHEMICAL_ACCURACY = 1.6e-3


def within_chemical_accuracy(error: float) -> bool:
    """Whether ``|error| < CHEMICAL_ACCURACY`` (``error`` in hartree)."""
    return bool(abs(error) < CHEMICAL_ACCURACY)


@dataclass
class Problem:
    """A Hamiltonian whose ground energy a variational circuit should reach.

    Energies are in Hartree for molecules (any unit for user operators).

    Attributes:
        name: the problem's name (``"LiH-4q"``).
        hamiltonian: the qubit operator, the constant ``shift`` included as an identity
            term, so ``<psi|H|psi>`` is the total energy.
        exact_energy: lowest eigenvalue of ``hamiltonian``. For mappings that keep more
            than the molecule's particle-number sector this can lie below the molecule's
            ground energy; ``metadata["sector_ground_energy"]`` is the latter (see
            :mod:`qneuro.chem.molecule`). For every bundled problem the two agree or the
            docs/vqe.md says which differ.
        hf_energy: Hartree-Fock total energy, ``<hf|H|hf>``; ``None`` when unknown.
        hf_bitstring: the Hartree-Fock computational basis state in qiskit order (the
            rightmost character is qubit 0); ``None`` when unknown.
        shift: the constant included in ``hamiltonian`` (nuclear repulsion plus frozen-core
            energy for molecules; what the caller said, default 0, for user operators).
        metadata: geometry, basis, mapping, active space, charge, spin, ``made_with``
            (package versions) and more; JSON-ready.

    Example:
        >>> from qneuro.chem import load
        >>> p = load("H2", qubits=2)
        >>> p.num_qubits, round(p.exact_energy, 5)
        (2, -1.13727)
    """

    name: str
    hamiltonian: SparsePauliOp
    exact_energy: float
    hf_energy: float | None = None
    hf_bitstring: str | None = None
    shift: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.hamiltonian, SparsePauliOp):
            raise TypeError(
                f"hamiltonian must be a qiskit SparsePauliOp, got {type(self.hamiltonian).__name__}"
            )
        _check_hermitian(self.hamiltonian)
        self.exact_energy = _finite(self.exact_energy, "exact_energy")
        self.shift = _finite(self.shift, "shift")
        if self.hf_energy is not None:
            self.hf_energy = _finite(self.hf_energy, "hf_energy")
        if self.hf_bitstring is not None:
            _check_bitstring(self.hf_bitstring, self.hamiltonian.num_qubits)

    @property
    def num_qubits(self) -> int:
        """Number of qubits of ``hamiltonian``."""
        return self.hamiltonian.num_qubits

    @property
    def num_terms(self) -> int:
        """Number of Pauli terms in ``hamiltonian`` (identity included)."""
        return len(self.hamiltonian)

    def energy_error(self, energy: float) -> float:
        """``energy - exact_energy`` (Ha for molecules); chemical accuracy is 1.6e-3 Ha."""
        return float(energy) - self.exact_energy

    def __repr__(self) -> str:
        hf = "None" if self.hf_energy is None else f"{self.hf_energy:.8f}"
        return (
            f"Problem({self.name!r}, num_qubits={self.num_qubits}, terms={self.num_terms}, "
            f"exact_energy={self.exact_energy:.8f}, hf_energy={hf})"
        )

    @classmethod
    def from_operator(
        cls,
        op: SparsePauliOp,
        exact_energy: float | None = None,
        *,
        name: str = "custom",
        hf_bitstring: str | None = None,
        max_qubits_exact: int = 14,
        shift: float = 0.0,
        metadata: dict[str, Any] | None = None,
    ) -> Problem:
        """A problem from any Hermitian ``SparsePauliOp``.

        Args:
            op: the Hamiltonian (coefficients must be real up to 1e-10).
            exact_energy: its ground energy; computed by exact diagonalisation when
                ``None`` (dense ``eigvalsh`` up to 10 qubits, sparse ``eigsh`` above).
            name: the problem's name.
            hf_bitstring: a reference basis state (qiskit order); ``hf_energy`` becomes
                ``<hf|op|hf>``.
            max_qubits_exact: largest qubit count diagonalised when ``exact_energy`` is
                not given.
            shift: informational: the constant already included in ``op``.
            metadata: extra JSON-ready information.

        Raises:
            TypeError: ``op`` is not a ``SparsePauliOp``.
            ValueError: ``op`` is not Hermitian, or it has more than ``max_qubits_exact``
                qubits and no ``exact_energy`` was given.
        """
        if not isinstance(op, SparsePauliOp):
            raise TypeError(f"op must be a qiskit SparsePauliOp, got {type(op).__name__}")
        _check_hermitian(op)
        if exact_energy is None:
            exact_energy = lowest_eigenvalue(op, max_qubits=max_qubits_exact)
        hf_energy = None
        if hf_bitstring is not None:
            _check_bitstring(hf_bitstring, op.num_qubits)
            hf_energy = basis_energy(op, hf_bitstring)
        return cls(
            name=name,
            hamiltonian=op,
            exact_energy=exact_energy,
            hf_energy=hf_energy,
            hf_bitstring=hf_bitstring,
            shift=shift,
            metadata=dict(metadata or {}),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the data-file format (inverse of :meth:`from_json`)."""
        labels = self.hamiltonian.paulis.to_labels()
        coeffs = np.real(self.hamiltonian.coeffs)
        data = {
            "format": FORMAT,
            "name": self.name,
            "num_qubits": self.num_qubits,
            "units": {"energy": "Hartree", "geometry": "Angstrom"},
            "shift": self.shift,
            "exact_energy": self.exact_energy,
            "hf_energy": self.hf_energy,
            "hf_bitstring": self.hf_bitstring,
            "metadata": self.metadata,
            "pauli_terms": [[label, float(c)] for label, c in zip(labels, coeffs, strict=True)],
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        """Read the data-file format, validating every field (safe on untrusted input)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a qneuro problem file: expected format {FORMAT!r}")
        try:
            num_qubits = data["num_qubits"]
            if isinstance(num_qubits, bool) or not isinstance(num_qubits, int) or num_qubits < 1:
                raise ValueError(f"num_qubits must be a positive integer, got {num_qubits!r}")
            terms = data["pauli_terms"]
            if not isinstance(terms, list) or not terms:
                raise ValueError("pauli_terms must be a non-empty list")
            labels, coeffs = [], []
            for index, term in enumerate(terms):
                if not isinstance(term, list) or len(term) != 2:
                    raise ValueError(
                        f"pauli_terms[{index}] must be [label, coefficient], got {term!r}"
                    )
                label, coeff = term
                good = isinstance(label, str) and _LABEL.match(label)
                if not good or len(label) != num_qubits:
                    raise ValueError(f"bad Pauli label {label!r} for {num_qubits} qubits")
                labels.append(label)
                coeffs.append(_finite(coeff, f"coefficient of {label}"))
            metadata = data.get("metadata", {})
            if not isinstance(metadata, dict):
                raise ValueError("metadata must be an object")
            return cls(
                name=str(data["name"]),
                hamiltonian=SparsePauliOp(labels, np.array(coeffs, dtype=complex)),
                exact_energy=data["exact_energy"],
                hf_energy=data.get("hf_energy"),
                hf_bitstring=data.get("hf_bitstring"),
                shift=data.get("shift", 0.0),
                metadata=metadata,
            )
        except KeyError as exc:
            raise ValueError(f"the problem lacks the field {exc.args[0]!r}") from None
        except TypeError as exc:
            raise ValueError(f"malformed problem: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Problem:
        """Read a problem written with :meth:`save` (``ValueError`` naming the file if bad).

        Only a regular file of at most :data:`MAX_PROBLEM_BYTES` is read.
        """
        data = checks.read_json_object(path, what="problem file", max_bytes=MAX_PROBLEM_BYTES)
        try:
            return cls.from_json(data)
        except ValueError as exc:
            raise ValueError(f"problem file {path}: {exc}") from None

    def save(self, path: str | Path) -> None:
        """Write the problem as JSON, atomically."""
        atomic_write_text(path, dumps(self.to_json()))

    def copy(self) -> Problem:
        """A deep copy."""
        return copy.deepcopy(self)


def dumps(data: dict[str, Any]) -> str:
    """Readable, diff-friendly JSON: one top-level and metadata key per line, one term a line."""
    lines = ["{"]
    items = list(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "metadata" and isinstance(value, dict) and value:
            inner = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()]
            lines.append(f" {json.dumps(key)}: {{\n" + ",\n".join(inner) + f"\n }}{comma}")
        elif key == "pauli_terms" and isinstance(value, list) and value:
            inner = [f"  {json.dumps(term)}" for term in value]
            lines.append(f" {json.dumps(key)}: [\n" + ",\n".join(inner) + f"\n ]{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def lowest_eigenvalue(op: SparsePauliOp, *, max_qubits: int = 14) -> float:
    """Lowest eigenvalue of a Hermitian ``SparsePauliOp`` by exact diagonalisation.

    Dense ``numpy.linalg.eigvalsh`` up to :data:`DENSE_MAX_QUBITS` qubits, scipy's sparse
    ``eigsh`` (Lanczos, ``which="SA"``) above, up to ``max_qubits``.

    Raises:
        ValueError: ``op`` has more than ``max_qubits`` qubits.
    """
    n = op.num_qubits
    if n > max_qubits:
        raise ValueError(
            f"exact diagonalisation of a {n}-qubit operator is above the limit of "
            f"{max_qubits} qubits (max_qubits_exact); pass exact_energy or raise the limit"
        )
    if n <= DENSE_MAX_QUBITS:
        return float(np.linalg.eigvalsh(op.to_matrix())[0])
    matrix = op.to_matrix(sparse=True)
    value = scipy.sparse.linalg.eigsh(matrix, k=1, which="SA", tol=1e-12)[0][0]
    return float(np.real(value))


def basis_energy(op: SparsePauliOp, bitstring: str) -> float:
    """``<b|op|b>`` for the computational basis state ``b`` (qiskit order: rightmost is q0).

    Only terms made of I and Z contribute; a Z on qubit q gives ``(-1)**b_q``.
    """
    _check_bitstring(bitstring, op.num_qubits)
    bits = np.array([c == "1" for c in reversed(bitstring)], dtype=bool)
    diagonal = ~np.any(op.paulis.x, axis=1)
    z = op.paulis.z[diagonal]
    signs = np.where(np.sum(z & bits, axis=1) % 2 == 1, -1.0, 1.0)
    phases = (-1j) ** op.paulis.phase[diagonal]
    return float(np.real(np.sum(op.coeffs[diagonal] * phases * signs)))


def _check_hermitian(op: SparsePauliOp) -> None:
    check_finite_coefficients(op)
    simplified = op.simplify(atol=1e-12)
    if np.max(np.abs(np.imag(simplified.coeffs)), initial=0.0) > 1e-10:
        raise ValueError("the operator is not Hermitian: some Pauli coefficients are complex")


def _check_bitstring(bitstring: str, num_qubits: int) -> None:
    if not isinstance(bitstring, str) or not _BITSTRING.match(bitstring):
        raise ValueError(f"bitstring {bitstring!r} must be a string of 0 and 1")
    if len(bitstring) != num_qubits:
        raise ValueError(
            f"bitstring {bitstring!r} has {len(bitstring)} bits; "
            f"the operator has {num_qubits} qubits"
        )


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    return value
