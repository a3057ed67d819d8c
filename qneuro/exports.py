"""How a package exports names whose modules load slowly (torch, brian2, SB3).

A package lists its light names as ordinary imports and its heavy ones in a mapping
``{public name: submodule}``; :func:`lazy_exports` returns the module-level
``__getattr__`` and ``__dir__`` that import a submodule on first use, so ``import
qneuro.rl`` (and ``qneuro --help``) stays fast::

    __getattr__, __dir__ = lazy_exports(__name__, {"train": "trainer"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps a name to its submodule.

    The first access imports ``package.<submodule>`` and caches the value in the package.
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
