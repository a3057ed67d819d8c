"""The bundled problems: ``load("LiH", qubits=4)``, ``load("H2-4q-0.35A")``, ``names()``.

Each problem is a JSON file in ``qneuro/chem/data`` (written by :mod:`qneuro.chem.build`)
and loads without any chemistry package. Names read ``<molecule>-<n>q`` for the default
geometry and ``<molecule>-<n>q-<d>A`` for another bond length ``d`` in Angstrom.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from .problem import Problem

_NAME = re.compile(
    r"^(?P<molecule>[A-Za-z0-9]+?)(?:-(?P<qubits>\d+)q)?(?:-(?P<distance>[0-9.]+)A)?$"
)
#: Two bond lengths closer than this (Angstrom) are the same geometry.
DISTANCE_TOL = 5e-5


@cache
def _files() -> dict[str, str]:
    """Bundled problem name -> file name."""
    folder = resources.files("qneuro.chem").joinpath("data")
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            found[entry.name[: -len(".json")]] = entry.name
    return dict(sorted(found.items(), key=lambda item: _sort_key(item[0])))


def _sort_key(name: str):
    match = _NAME.match(name)
    if not match:
        return (name, 0, 0.0)
    return (
        match["molecule"],
        int(match["qubits"] or 0),
        float(match["distance"]) if match["distance"] else 0.0,
    )


@cache
def _raw(name: str) -> str:
    return resources.files("qneuro.chem").joinpath("data", _files()[name]).read_text()


def names() -> list[str]:
    """Every bundled problem name, e.g. ``["H2-2q", "H2-3q", ...]``."""
    return list(_files())


def load(name: str, qubits: int | None = None, distance: float | None = None) -> Problem:
    """A bundled problem, by full name or by molecule plus qubit count and bond length.

    Args:
        name: a full name (``"LiH-4q"``, ``"H2-4q-0.35A"``) or a molecule (``"LiH"``);
            case-insensitive.
        qubits: qubit count, when ``name`` does not give it.
        distance: bond length in Angstrom (for H2O the O-H length); ``None`` picks the
            default geometry.

    Returns:
        A fresh :class:`~qneuro.chem.problem.Problem` (safe to modify).

    Raises:
        ValueError: no bundled problem matches (the message lists them all), or several do.

    Example:
        >>> load("LiH", qubits=4).name
        'LiH-4q'
    """
    if not isinstance(name, str):
        raise TypeError(f"problem name must be a string, got {type(name).__name__}")
    return Problem.from_json(json.loads(_raw(resolve(name, qubits, distance))))


def resolve(name: str, qubits: int | None = None, distance: float | None = None) -> str:
    """The bundled name that :func:`load` would load (see there)."""
    available = names()
    listing = ", ".join(available)
    match = _NAME.match(name.strip())
    if not match:
        raise ValueError(f"cannot read problem name {name!r}; bundled: {listing}")
    if match["qubits"] is not None:
        if qubits is not None and int(qubits) != int(match["qubits"]):
            raise ValueError(f"name {name!r} says {match['qubits']} qubits but qubits={qubits}")
        qubits = int(match["qubits"])
    if match["distance"] is not None:
        given = float(match["distance"])
        if distance is not None and abs(float(distance) - given) > DISTANCE_TOL:
            raise ValueError(f"name {name!r} says {given} A but distance={distance}")
        distance = given
    candidates = []
    for candidate in available:
        info = _NAME.match(candidate)
        if info["molecule"].lower() != match["molecule"].lower():
            continue
        if qubits is not None and int(info["qubits"]) != int(qubits):
            continue
        if distance is not None:
            meta = json.loads(_raw(candidate))["metadata"]
            if abs(float(meta["distance"]) - float(distance)) > DISTANCE_TOL:
                continue
        elif info["distance"] is not None:  # default geometry unless a distance is asked for
            continue
        candidates.append(candidate)
    if len(candidates) == 1:
        return candidates[0]
    wanted = match["molecule"]
    if qubits is not None:
        wanted += f" on {qubits} qubits"
    if distance is not None:
        wanted += f" at {distance} A"
    if not candidates:
        raise ValueError(
            f"no bundled problem {wanted}; bundled: {listing} "
            "(build others with qneuro.chem.from_molecule)"
        )
    raise ValueError(f"{wanted} is ambiguous: {', '.join(candidates)}; pass qubits=")
