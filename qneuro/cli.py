"""The ``qneuro`` command: a thin layer over the public API.

Options, output, refusals and exit status follow :mod:`qneuro.commands`. Files named on
the command line are checked before any long work starts
(:func:`qneuro.files.figure_file`, :func:`qneuro.files.output_folder`).
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from pathlib import Path

from qneuro import __version__
from qneuro.commands import Parser, UsageError, emit, output_options, positive_number, run

#: Modules whose ``add_commands(commands)`` adds a command group.
PILLAR_COMMANDS = (
    "qneuro.chem.cli",
    "qneuro.rl.cli",
    "qneuro.generators.cli",
    "qneuro.sfq.cli",
    "qneuro.hlop.cli",
    "qneuro.sweep.cli",
)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, one-line message)."""
    return run(_parser(), argv, "qneuro")


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="qneuro",
        description="Quantum and neuromorphic circuit research: exact noisy PTM simulation, "
        "RL architecture search, circuit generation, neuromorphic models.",
    )
    parser.add_argument("--version", action="version", version=f"qneuro {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", help="a short tour of every pillar")
    output_options(demo)
    demo.set_defaults(run=_demo)

    ptm = commands.add_parser("ptm", help="the PTM noisy simulator")
    ptm_commands = ptm.add_subparsers(title="commands", metavar="COMMAND")
    expectation = ptm_commands.add_parser(
        "expectation", help="noisy expectation value of an OpenQASM 2 circuit"
    )
    expectation.add_argument("qasm", type=Path, help="OpenQASM 2.0 file (no parameters)")
    expectation.add_argument(
        "--observable",
        required=True,
        help="Pauli terms 'LABEL:COEFF,...' (rightmost character = qubit 0), e.g. 'ZZ:1,XI:0.5'",
    )
    expectation.add_argument("--noise", default="ideal", help="noise preset (qneuro noise list)")
    expectation.add_argument("--shots", type=int, default=None, help="add shot noise")
    expectation.add_argument(
        "--shot-model", default="sampled", choices=["gaussian", "sampled"], help="shot noise model"
    )
    expectation.add_argument("--seed", type=int, default=None, help="shot-noise seed")
    expectation.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "ptm", "statevector"],
        help="auto: statevectors when the gates are ideal, Pauli vectors otherwise",
    )
    expectation.add_argument(
        "--memory-gib",
        type=positive_number,
        default=4.0,
        help="memory one evaluation may take, GiB (4); larger evaluations are refused",
    )
    output_options(expectation)
    expectation.set_defaults(run=_ptm_expectation)

    noise = commands.add_parser("noise", help="noise profiles and device calibrations")
    noise_commands = noise.add_subparsers(title="commands", metavar="COMMAND")
    listing = noise_commands.add_parser("list", help="the preset names")
    output_options(listing)
    listing.set_defaults(run=_noise_list)
    snapshot = noise_commands.add_parser(
        "snapshot",
        help="rewrite the bundled device calibrations from qiskit-ibm-runtime (ibm extra)",
    )
    snapshot.add_argument("--out", type=Path, default=None, help="folder (default: the package)")
    snapshot.set_defaults(run=_noise_snapshot)

    for module in PILLAR_COMMANDS:
        importlib.import_module(module).add_commands(commands)
    return parser


# -- commands ------------------------------------------------------------------------


def _demo(args) -> None:
    from qneuro.demo import run_demo

    result = run_demo(progress=not args.quiet, echo=print)
    emit(args, result)


def _ptm_expectation(args) -> None:
    from qneuro.noise import NoiseProfile
    from qneuro.ptm import PTMSimulator
    from qneuro.ptm.pauli import MAX_QUBITS
    from qneuro.qasm import read_qasm

    observable = _parse_observable(args.observable)
    noise = NoiseProfile.preset(args.noise)
    simulator = PTMSimulator(
        noise,
        shots=args.shots,
        shot_model=args.shot_model,
        seed=args.seed,
        engine=args.engine,
        memory_budget=int(args.memory_gib * 2**30),
    )
    circuit = read_qasm(args.qasm, max_qubits=MAX_QUBITS)  # only qelib1.inc, finite angles
    if circuit.parameters:
        names = sorted(map(str, circuit.parameters))
        raise UsageError(f"{args.qasm} has unbound parameters {names}")
    engine = simulator.compile(circuit).engine
    start = time.perf_counter()
    value = simulator.expectation(circuit, observable)
    elapsed = time.perf_counter() - start
    print(
        f"<H> = {value:.12g}  ({circuit.num_qubits} qubits, noise {args.noise}, "
        f"{'exact' if args.shots is None else f'{args.shots} shots'}, {engine} engine, "
        f"{elapsed * 1e3:.2f} ms)"
    )
    emit(
        args,
        {
            "expectation": value,
            "num_qubits": circuit.num_qubits,
            "noise": args.noise,
            "shots": args.shots,
            "engine": engine,
            "wall_s": elapsed,
        },
    )


def _parse_observable(text: str):
    from qiskit.quantum_info import SparsePauliOp

    terms = []
    for part in text.split(","):
        label, _, coeff = part.strip().partition(":")
        try:
            value = float(coeff) if coeff else 1.0
        except ValueError:
            raise UsageError(
                f"observable term {part!r}: coefficient {coeff!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise UsageError(
                f"observable term {part!r}: coefficient {coeff!r} is {value}; allowed: finite "
                "numbers"
            )
        if not label or set(label.upper()) - set("IXYZ"):
            raise UsageError(f"observable term {part!r}: label must use I, X, Y, Z")
        terms.append((label.upper(), value))
    if len({len(label) for label, _ in terms}) != 1:
        raise UsageError(f"observable {text!r}: all labels must have the same length")
    return SparsePauliOp.from_list(terms)


def _noise_list(args) -> None:
    from qneuro.noise.presets import preset_names

    names = preset_names()
    for name in names:
        print(name)
    print("depolarizing-P1-P2  (any probabilities)")
    emit(args, {"presets": names})


def _noise_snapshot(args) -> None:
    from qneuro.noise.presets import refresh_snapshots

    try:
        written = refresh_snapshots(args.out)
    except ImportError as exc:
        raise UsageError(str(exc)) from exc
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
