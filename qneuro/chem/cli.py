"""``qneuro chem list`` and ``qneuro chem build`` (wired into ``qneuro`` by the main CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from qneuro.commands import output_options


def add_commands(commands) -> None:
    """Register the ``chem`` command group on the top-level ``qneuro`` sub-parsers.

    Args:
        commands: the ``argparse`` sub-parsers object of ``qneuro``.
    """
    chem = commands.add_parser("chem", help="bundled molecular VQE problems")
    chem_commands = chem.add_subparsers(title="commands", metavar="COMMAND")

    listing = chem_commands.add_parser(
        "list", help="the bundled problems with their exact and Hartree-Fock energies"
    )
    output_options(listing)
    listing.set_defaults(run=_list)

    build = chem_commands.add_parser(
        "build", help='regenerate (or --check) the bundled files; needs pip install "qneuro[chem]"'
    )
    build.add_argument(
        "--out", type=Path, default=None, help="output folder (default: the package data folder)"
    )
    build.add_argument(
        "--check", action="store_true", help="rebuild and compare with the shipped files (1e-8 Ha)"
    )
    output_options(build)
    build.set_defaults(run=_build)


def problem_table() -> list[dict]:
    """One JSON-ready row per bundled problem: name, qubits, terms, energies, mapping."""
    from .library import load, names

    rows = []
    for name in names():
        problem = load(name)
        meta = problem.metadata
        mapping = meta.get("mapping", "")
        if meta.get("reduction", "none") != "none":
            mapping += f" ({meta['reduction']})"
        rows.append(
            {
                "name": name,
                "qubits": problem.num_qubits,
                "terms": problem.num_terms,
                "exact_energy": problem.exact_energy,
                "hf_energy": problem.hf_energy,
                "hf_bitstring": problem.hf_bitstring,
                "distance": meta.get("distance"),
                "mapping": mapping,
            }
        )
    return rows


def _list(args) -> None:
    rows = problem_table()
    header = f"{'name':<13}{'qubits':>7}{'terms':>7}{'exact (Ha)':>16}{'HF (Ha)':>16}  mapping"
    print(header)
    for row in rows:
        print(
            f"{row['name']:<13}{row['qubits']:>7}{row['terms']:>7}"
            f"{row['exact_energy']:>16.8f}{row['hf_energy']:>16.8f}  {row['mapping']}"
        )
    if getattr(args, "json", False):
        print(json.dumps({"problems": rows}))


def _build(args) -> None:
    from .build import build, check

    progress = not getattr(args, "quiet", False)
    try:
        if args.check:
            differences = check(out=args.out, progress=progress)
            for line in differences:
                print(line)
            if getattr(args, "json", False):
                print(json.dumps({"reproduced": not differences, "differences": differences}))
            if differences:
                raise ValueError(f"{len(differences)} differences from the shipped problem files")
            print("every bundled problem reproduced (tolerance 1e-8 Ha)")
            return
        written = build(args.out, progress=progress)
    except ImportError as exc:
        raise ValueError(str(exc)) from exc
    for path in written:
        print(f"wrote {path}")
    if getattr(args, "json", False):
        print(json.dumps({"written": [str(p) for p in written]}))
