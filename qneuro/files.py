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

import numpy as np

_UMASK = os.umask(0)  # the process umask, read once (os.umask can only be read by setting it)
os.umask(_UMASK)


#: Temporary files and folders are named ``.NAME.qneuro-XXXXXXXX.tmp``: hidden, next to
#: their target, and marked so that a cleanup never touches a user's own ``.tmp`` files.
TEMPORARY_SUFFIX = ".tmp"


def temporary_prefix(name: str) -> str:
    """The name prefix of qneuro's temporaries for the file or folder ``name``."""
    return f".{name}.qneuro-"


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then rename it to ``path``.

    The parent folder is created when missing. Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=temporary_prefix(path.name), suffix=TEMPORARY_SUFFIX
    )
    os.close(handle)
    try:
        write(tmp)
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 -> what open() would have made
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | Path, data, *, indent: int = 1, default=None) -> Path:
    """Write ``json.dumps(data, indent=indent)`` plus a newline to ``path`` atomically.

    numpy scalars and arrays are written as numbers and lists; other objects json cannot
    write go to ``default`` (json's meaning; None: a TypeError).
    """

    def encode(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        if default is None:
            raise TypeError(f"not JSON serialisable: {type(value).__name__}")
        return default(value)

    return atomic_write_text(path, json.dumps(data, indent=indent, default=encode) + "\n")


def atomic_save_figure(figure, path: str | Path, **savefig_options) -> Path:
    """``figure.savefig`` to ``path`` atomically; the format follows ``path``'s suffix."""
    path = Path(path)
    options = {"format": path.suffix.lstrip(".") or "png", **savefig_options}
    return atomic_write(path, lambda tmp: figure.savefig(tmp, **options))


# --- Untrusted folders: stay inside, never follow links out, one writer at a time ---------


class UnsafePathError(ValueError):
    """A path that leaves its folder, is a symbolic link, or is not a regular file."""


def output_folder(path: str | Path, *, what: str = "--out") -> Path:
    """Create (if needed) and return the output folder ``path``.

    Raises:
        UnsafePathError: ``path`` or one of its parents is an existing non-folder, or
            ``path`` is a symbolic link.
    """
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise UnsafePathError(f"{what} {path}: {parent} is a file, not a folder")
    if path.is_symlink():
        raise UnsafePathError(f"{what} {path} is a symbolic link; give the folder itself")
    path.mkdir(parents=True, exist_ok=True)
    return path


def inside(folder: str | Path, name: str | Path, *, what: str = "file") -> Path:
    """``folder / name``, refused unless it stays inside ``folder`` without symbolic links.

    ``name`` must be relative (no ``..`` leaving the folder, no absolute path); no link
    is followed below ``folder``. The returned path need not exist.
    """
    folder = Path(folder)
    name = Path(name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise UnsafePathError(
            f"{what} {str(name)!r} in {folder}: allowed is a relative path inside the folder"
        )
    path = folder
    for part in name.parts:
        path = path / part
        if path.is_symlink():
            raise UnsafePathError(f"{what} {path} is a symbolic link; links are not followed")
    return path


def open_append(path: str | Path, *, newline: str | None = ""):
    """Open ``path`` for appending text (UTF-8), refusing a symbolic link.

    ``O_NOFOLLOW`` makes the refusal atomic: a link put in place between a check and the
    open cannot redirect the write.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():
            raise UnsafePathError(f"{path} is a symbolic link; links are not followed") from exc
        raise
    return os.fdopen(descriptor, "a", newline=newline, encoding="utf-8")


def read_text_limited(path: str | Path, max_bytes: int, *, what: str = "file") -> str:
    """Text (UTF-8) of the regular file ``path``, refused beyond ``max_bytes``.

    Devices, FIFOs and folders are refused (``/dev/zero`` would never end); at most
    ``max_bytes + 1`` bytes are read whatever the file reports as its size.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise UnsafePathError(f"{what} {path} is {kind}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UnsafePathError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise UnsafePathError(f"{what} {path} is larger than the {max_bytes:,}-byte limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafePathError(f"{what} {path} is not UTF-8 text") from None


def remove_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files :func:`atomic_write` leaves when killed (only those)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.glob(f"{temporary_prefix('*')}*{TEMPORARY_SUFFIX}"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class FolderLock:
    """An exclusive, non-blocking lock on a folder (``fcntl.flock`` on ``FOLDER/.lock``).

    A second process that tries to write into the same folder gets a clear error instead
    of interleaving its output; the lock is released on exit, also when the process is
    killed (the kernel drops it with the file descriptor).

    Example:
        >>> with FolderLock(out):  # doctest: +SKIP
        ...     write_files(out)
    """

    NAME = ".lock"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._descriptor: int | None = None

    def __enter__(self) -> FolderLock:
        import fcntl

        path = self.folder / self.NAME
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(path, flags, 0o644)
        except OSError as exc:
            raise UnsafePathError(f"cannot lock {self.folder}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise UnsafePathError(
                f"{self.folder} is in use by another qneuro process; wait for it to finish "
                "or choose another folder"
            ) from None
        self._descriptor = descriptor
        return self

    def __exit__(self, *exc_info) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing releases the flock
            self._descriptor = None


def figure_file(path: str | Path | None, what: str = "--plot") -> Path | None:
    """Check an image file to write, before the work that makes it; None passes through.

    Returns ``path`` as a ``Path``.

    Refused with ``ValueError``: an empty name, an existing folder, a folder that does
    not exist or is a file, a suffix matplotlib cannot write (no suffix means PNG).
    """
    if path is None:
        return None
    if not str(path).strip():
        raise ValueError(f"{what} is empty; give an image file name such as figure.png")
    path = Path(path)
    if path.is_dir():
        example = path / "figure.png"
        raise ValueError(f"{what} {path} is a folder; give a file name such as {example}")
    folder = path.parent
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"{what} {path}: folder {folder} {problem}")
    if path.suffix:
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        if path.suffix.lstrip(".").lower() not in formats:
            raise ValueError(
                f"{what} {path}: format {path.suffix!r} is not supported; allowed: "
                f"{', '.join('.' + name for name in sorted(formats))}"
            )
    return path
