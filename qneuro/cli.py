"""The ``qneuro`` command: a thin layer over the public API.

Conventions: ``--json`` makes a command print one JSON object as its last line; long
work shows a progress bar unless ``--quiet``; bad input exits with status 2 and a
one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from qneuro import __version__

#: Modules whose ``add_commands(commands, output_options)`` adds a command group.
PILLAR_COMMANDS = (
    "qneuro.chem.cli",
    "qneuro.rl.cli",
    "qneuro.generators.cli",
    "qneuro.sfq.cli",
    "qneuro.hlop.cli",
)


class UsageError(Exception):
    """Bad input from the command line (exit status 2)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        args.run(args)
    except (UsageError, ValueError, TypeError, FileNotFoundError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"qneuro: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qneuro: interrupted", file=sys.stderr)
        return 130
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qneuro",
        description="Quantum and neuromorphic circuit research: exact noisy PTM simulation, "
        "RL architecture search, circuit generation, neuromorphic models.",
    )
    parser.add_argument("--version", action="version", version=f"qneuro {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", help="a short tour of every pillar")
    _output_options(demo)
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
        "--engine", default="auto", choices=["auto", "ptm", "statevector"],
        help="auto: statevectors when the gates are ideal, Pauli vectors otherwise",
    )
    _output_options(expectation)
    expectation.set_defaults(run=_ptm_expectation)

    noise = commands.add_parser("noise", help="noise profiles and device calibrations")
    noise_commands = noise.add_subparsers(title="commands", metavar="COMMAND")
    listing = noise_commands.add_parser("list", help="the preset names")
    _output_options(listing)
    listing.set_defaults(run=_noise_list)
    snapshot = noise_commands.add_parser(
        "snapshot",
        help="rewrite the bundled device calibrations from qiskit-ibm-runtime (ibm extra)",
    )
    snapshot.add_argument("--out", type=Path, default=None, help="folder (default: the package)")
    snapshot.set_defaults(run=_noise_snapshot)

    for module in PILLAR_COMMANDS:
        importlib.import_module(module).add_commands(commands, _output_options)
    return parser


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _emit(args, result: dict) -> None:
    if args.json:
        print(json.dumps(result))


# -- commands ------------------------------------------------------------------------


def _demo(args) -> None:
    from qneuro.demo import run_demo

    result = run_demo(progress=not args.quiet, echo=print)
    _emit(args, result)


def _ptm_expectation(args) -> None:
    from qiskit import qasm2

    from qneuro.noise import NoiseProfile
    from qneuro.ptm import PTMSimulator

    try:
        text = args.qasm.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {args.qasm}: {exc.strerror}") from exc
    try:
        circuit = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:  # qiskit's parser errors carry the line number
        raise UsageError(f"{args.qasm} is not valid OpenQASM 2: {exc}") from exc
    if circuit.parameters:
        names = sorted(map(str, circuit.parameters))
        raise UsageError(f"{args.qasm} has unbound parameters {names}")
    observable = _parse_observable(args.observable)
    noise = NoiseProfile.preset(args.noise)
    simulator = PTMSimulator(
        noise, shots=args.shots, shot_model=args.shot_model, seed=args.seed, engine=args.engine
    )
    try:
        engine = simulator.compile(circuit).engine
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    start = time.perf_counter()
    value = simulator.expectation(circuit, observable)
    elapsed = time.perf_counter() - start
    print(f"<H> = {value:.12g}  ({circuit.num_qubits} qubits, noise {args.noise}, "
          f"{'exact' if args.shots is None else f'{args.shots} shots'}, {engine} engine, "
          f"{elapsed * 1e3:.2f} ms)")
    _emit(args, {"expectation": value, "num_qubits": circuit.num_qubits, "noise": args.noise,
                 "shots": args.shots, "engine": engine, "wall_s": elapsed})


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
    _emit(args, {"presets": names})


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

