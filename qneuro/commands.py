"""What every qneuro command line shares: options, output, refusals and exit status.

Conventions: ``--json`` makes a command print one JSON object as its last line; long
work shows a progress bar unless ``--quiet``; bad input (options argparse refuses,
``ValueError``, ``TypeError``, ``OSError`` such as a missing or unwritable file) exits
with status 2 and one line ``PROG: error: <message>`` on stderr, never a traceback;
Ctrl-C exits with status 130. ``qneuro`` (:mod:`qneuro.cli`) and
``python -m qneuro.generators`` both run through :func:`run`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable


class UsageError(Exception):
    """Bad input from the command line (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """``argparse`` whose refusals are a :class:`UsageError` naming the (sub)command.

    :func:`run` prints it as one line ``PROGRAM: error: ...`` with status 2.
    """

    def error(self, message: str):
        """Raise ``UsageError("<command>: <message> (see <command> --help)")``."""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def output_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` (one JSON object printed last) and ``--quiet`` (no progress bars)."""
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def emit(args, result: dict) -> None:
    """Print ``result`` as one JSON line when ``--json`` was given."""
    if args.json:
        print(json.dumps(result))


def finish(
    args,
    result: dict,
    *,
    text: str | None = None,
    plot: Callable[[str], object] | None = None,
) -> None:
    """End a command: print ``text``, draw the optional plot, then :func:`emit` ``result``.

    ``plot(path)`` runs only when ``args.plot`` is set; it writes the figure and returns
    its path, which goes into ``result["plot"]`` and a line ``wrote PATH``.
    """
    if text is not None:
        print(text)
    if plot is not None and args.plot is not None:
        result["plot"] = str(plot(args.plot))
        print(f"wrote {result['plot']}")
    emit(args, result)


def positive_number(text: str) -> float:
    """``argparse`` type: a finite number > 0 (refusals name the value)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: a finite number > 0")
    return value


def error_message(exc: Exception) -> str:
    """One line for ``exc``; an ``OSError`` names its file(s) and the system's reason."""
    if isinstance(exc, OSError) and exc.filename is not None:
        files = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
        return f"{files}: {exc.strerror or type(exc).__name__}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run(parser: argparse.ArgumentParser, argv: list[str] | None, program: str) -> int:
    """Parse ``argv`` and run the chosen command's ``args.run(args)``; the exit status.

    No command prints the help (status 0); refusals are one line ``PROGRAM: error: ...``
    with status 2 (module docstring).
    """
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:  # an option argparse refused
        print(f"{program}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 2
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        args.run(args)
    except (UsageError, ValueError, TypeError, OSError) as exc:
        print(f"{program}: error: {error_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        return 130
    return 0
