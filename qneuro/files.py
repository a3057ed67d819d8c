"""Atomic file writes: a file appears complete under its name, or not at all.

Every writer goes to a temporary file in the same folder (same file system), flushes it
to disk and renames it over the target with ``os.replace``, so an interrupted run never
leaves a half-written file; the temporary file is removed on failure.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then rename it to ``path``.

    The parent folder is created when missing. Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(tmp)
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | Path, data, *, indent: int = 1, default=None) -> Path:
    """Write ``json.dumps(data, indent=indent)`` plus a newline to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(data, indent=indent, default=default) + "\n")


def atomic_save_figure(figure, path: str | Path, **savefig_options) -> Path:
    """``figure.savefig`` to ``path`` atomically; the format follows ``path``'s suffix."""
    path = Path(path)
    options = {"format": path.suffix.lstrip(".") or "png", **savefig_options}
    return atomic_write(path, lambda tmp: figure.savefig(tmp, **options))
