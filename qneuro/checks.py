"""Checks of untrusted settings and files: every error names the setting, value and what is allowed.

Each value check returns the value normalised (``int``, ``float``, ``bool``) or raises
``ValueError("name=value; allowed: ...")``. Booleans are not numbers here (``True`` is
not a count of gates), and real numbers must be finite (NaN passes every comparison
silently). JSON files are read through :func:`~qneuro.files.read_text_limited` (regular
files only, size-capped) and every error names the file (and line). Shared by every
pillar's configuration and command line.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Collection
from pathlib import Path

import numpy as np

from qneuro.files import read_text_limited

#: Largest settings file read (config.json, tokenizer.json, state.json ...), bytes.
MAX_SETTINGS_BYTES = 1 << 20
#: Largest JSON-lines file read (a manifest), bytes.
MAX_MANIFEST_BYTES = 1 << 30
#: Seeds are integers in ``[0, SEED_LIMIT)``.
SEED_LIMIT = 2**63


def _refuse(name: str, value, allowed: str, optional: bool):
    raise ValueError(f"{name}={value!r}; allowed: {allowed}{' or None' if optional else ''}")


def integer(
    name: str, value, low: int | None = None, high: int | None = None, *, optional: bool = False
) -> int | None:
    """``value`` as an ``int`` in ``[low, high]`` (a bound may be None; None if ``optional``)."""
    if value is None and optional:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    if low is not None and high is not None:
        allowed = f"an integer in {low:,}..{high:,}"
    elif low is not None:
        allowed = f"an integer >= {low:,}"
    elif high is not None:
        allowed = f"an integer <= {high:,}"
    else:
        allowed = "an integer"
    _refuse(name, value, allowed, optional)


def real(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    above: bool = False,
    below: bool = False,
    optional: bool = False,
) -> float | None:
    """``value`` as a finite ``float`` with ``low <= value <= high``.

    ``above`` / ``below`` make the bounds strict (``low < value``, ``value < high``); None
    is allowed when ``optional``.
    """
    if value is None and optional:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if above else value >= low
    if ok and high is not None:
        ok = value < high if below else value <= high
    if ok:
        return float(value)
    if low is not None and high is not None:
        left, right = "(" if above else "[", ")" if below else "]"
        allowed = f"a finite number in {left}{low:g}, {high:g}{right}"
    elif low is not None:
        allowed = f"a finite number {'>' if above else '>='} {low:g}"
    elif high is not None:
        allowed = f"a finite number {'<' if below else '<='} {high:g}"
    else:
        allowed = "a finite number"
    _refuse(name, value, allowed, optional)


def seed(name: str, value, *, limit: int = SEED_LIMIT) -> int:
    """A seed: an integer in ``[0, limit)``."""
    return integer(name, value, 0, limit - 1)


def flag(name: str, value) -> bool:
    """``value`` as a ``bool``; only ``True`` and ``False`` (numpy's too) are flags."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ValueError(f"{name}={value!r}; allowed: true or false")


def one_of(name: str, value, allowed: Collection[str]) -> str:
    """``value`` when it is one of the strings ``allowed``."""
    if isinstance(value, str) and value in allowed:
        return value
    raise ValueError(f"{name}={value!r}; allowed: {', '.join(map(str, allowed))}")


def keywords(name: str, value, allowed: Collection[str]) -> dict:
    """``value`` as a dict whose keys are among ``allowed`` (None is an empty dict)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name}={value!r}; allowed: a dict (JSON object) of {', '.join(allowed)}")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; allowed: {', '.join(allowed)}")
    return dict(value)


# --- JSON files ---------------------------------------------------------------------------


def json_kind(value) -> str:
    """The JSON name of a parsed value's type (for messages)."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def parse_json(text: str, source: str):
    """``json.loads(text)``; any refusal becomes a ``ValueError`` naming ``source``.

    Refused: syntax errors, nesting too deep for the parser, integers too long to convert.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{source} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ValueError(f"{source} is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ValueError(f"{source} is not valid JSON: {exc}") from None


def parse_json_object(text: str, source: str) -> dict:
    """:func:`parse_json` of text that must hold a JSON object (a ValueError otherwise)."""
    value = parse_json(text, source)
    if not isinstance(value, dict):
        raise ValueError(f"{source} must be a JSON object, got {json_kind(value)}")
    return value


def read_shipped_or_file(
    source: str | Path, *, default: str, package: str, resource: str, what: str
) -> tuple[dict, str]:
    """The JSON object of a data file and its name for messages.

    ``source == default`` reads the file shipped as ``resource`` (a path relative to
    ``package``); anything else is a path, read with :func:`read_json_object`.
    """
    if str(source) == default:
        from importlib import resources

        name = f"{what} {package.replace('.', '/')}/{resource}"
        text = resources.files(package).joinpath(*resource.split("/")).read_text()
        return parse_json_object(text, name), name
    return read_json_object(source, what=what), f"{what} {source}"


def read_json_object(path: str | Path, *, what: str, max_bytes: int = MAX_SETTINGS_BYTES) -> dict:
    """The JSON object in the file ``path`` (``what`` names the file's role in messages).

    Raises:
        FileNotFoundError: The file is missing.
        ValueError: It is not a regular UTF-8 file below ``max_bytes``, not JSON, or not
            a JSON object.
    """
    data = parse_json(read_text_limited(path, max_bytes, what=what), f"{what} {path}")
    if not isinstance(data, dict):
        raise ValueError(f"{what} {path} must hold a JSON object, got {json_kind(data)}")
    return data


def read_jsonl_objects(
    path: str | Path, *, what: str, torn_tail_ok: bool = False
) -> list[tuple[int, str, dict]]:
    """``(line number, line, object)`` for every non-blank line of a JSON-lines file.

    Args:
        path: The file.
        what: Its role, for messages.
        torn_tail_ok: Drop an unparsable last line that lacks its newline (the row an
            interrupted writer was appending) instead of refusing the file.

    Raises:
        ValueError: A line is not JSON or not a JSON object (the message names the line).
    """
    text = read_text_limited(path, MAX_MANIFEST_BYTES, what=what)
    lines = text.split("\n")
    rows = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = parse_json(line, f"{what} {path} line {line_number}")
        except ValueError:
            if torn_tail_ok and line_number == len(lines):
                break
            raise
        if not isinstance(row, dict):
            raise ValueError(
                f"{what} {path} line {line_number} must be a JSON object, got {json_kind(row)}"
            )
        rows.append((line_number, line, row))
    return rows


def field(where: str, data: dict, key: str):
    """``data[key]``, or a ``ValueError`` naming ``where`` when the key is missing."""
    if key not in data:
        raise ValueError(f"{where}: missing {key!r}")
    return data[key]
