"""``python -m qneuro.generators ...``: the pillar's commands without the rest of ``qneuro``.

Same parser as ``qneuro generators ...`` / ``qneuro generate ...`` (used where only torch is
installed, e.g. to train on a bare GPU machine).
"""

from __future__ import annotations

import argparse
import sys

from qneuro.generators.cli import add_commands


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def main(argv: list[str] | None = None) -> int:
    """Parse and run; returns the exit status (2 for bad input)."""
    parser = argparse.ArgumentParser(prog="python -m qneuro.generators")
    add_commands(parser.add_subparsers(title="commands", metavar="COMMAND"), _output_options)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        args.run(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
