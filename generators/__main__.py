"""``python -m qneuro.generators ...``: the pillar's commands without the rest of ``qneuro``.

Same parser as ``qneuro generators ...`` / ``qneuro generate ...`` (used where only torch is
installed, e.g. to train on a bare GPU machine); options, refusals and exit status as
every qneuro command (:mod:`qneuro.commands`).
"""

from __future__ import annotations

import sys

from qneuro.commands import Parser, run
from qneuro.generators.cli import add_commands

PROGRAM = "python -m qneuro.generators"


def main(argv: list[str] | None = None) -> int:
    """Parse and run; returns the exit status (2 for bad input)."""
    parser = Parser(prog=PROGRAM)
    add_commands(parser.add_subparsers(title="commands", metavar="COMMAND"))
    return run(parser, argv, PROGRAM)


if __name__ == "__main__":
    sys.exit(main())
