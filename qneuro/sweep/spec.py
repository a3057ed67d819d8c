"""A sweep file: the job kind, its fixed arguments and the grid, expanded to trials.

A sweep file is TOML::

    kind = "qas-train"            # a name of qneuro.sweep.jobs.JOBS

    [fixed]                       # arguments every trial gets
    timesteps = 3000
    env_kwargs = { optimizer_budget = 60 }

    [grid]                        # axes: the trials are their Cartesian product
    env = ["qneuro/QAS-H2-2q-v0", "qneuro/QAS-LiH-4q-v0"]
    seed = "0-9"                  # an inclusive integer range
    "env_kwargs.optimizer" = ["rotosolve", "adam-spsa"]   # a key inside a table

    [resources]                   # optional; the command line overrides them
    cpus_per_trial = 1
    max_concurrent = 4

An axis is a list of values, or a string ``"A-B"`` for the integers A to B. A value that
is a table sets several arguments at once (``task = [{env = "...", timesteps = 10000},
...]``: axes that move together). Trials are numbered in grid order, the last axis
varying fastest; trial ``i``'s arguments are ``fixed`` with the axis values merged in (a
dotted name sets a key inside a table). The sweep file is configuration, read as data:
nothing in it is executed.
"""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qneuro import checks, files

#: Largest grid a sweep may expand to.
MAX_TRIALS = 100_000

#: Row keys the sweep itself sets; no grid axis may be named so.
RESERVED_NAMES = ("trial", "status", "error", "node", "trial_wall_s")

#: Largest sweep file read.
MAX_SWEEP_FILE_BYTES = 1 << 20

_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class Trial:
    """One point of the grid.

    Attributes:
        index: position in grid order (0-based).
        name: its folder name inside ``SWEEP/trials/`` (``0000``, ``0001``, ...).
        axes: the axis values of this trial, by axis name (file order).
        args: the job's arguments: ``fixed`` with the axis values merged in.
    """

    index: int
    name: str
    axes: dict
    args: dict


@dataclass(frozen=True)
class SweepSpec:
    """A job kind, fixed arguments and grid axes (see the module docstring).

    Attributes:
        kind: job kind (a key of :data:`qneuro.sweep.jobs.JOBS`).
        fixed: arguments every trial gets (nested tables allowed).
        grid: axis name -> list of values, in file order.
        cpus_per_trial: CPUs Ray reserves for each trial (its thread count).
        max_concurrent: trials running at once (None: as many as the CPUs allow).
    """

    kind: str
    fixed: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    cpus_per_trial: int = 1
    max_concurrent: int | None = None

    def __post_init__(self) -> None:
        from .jobs import job

        if not isinstance(self.kind, str):
            raise ValueError(f'kind = {self.kind!r} must be a string, e.g. kind = "vqe"')
        outputs = job(self.kind).outputs  # refuses an unknown kind, naming the allowed ones
        if not isinstance(self.fixed, dict):
            raise ValueError(
                f"fixed must be a table of arguments, got {checks.json_kind(self.fixed)}"
            )
        if not isinstance(self.grid, dict):
            raise ValueError(f"grid must be a table of axes, got {checks.json_kind(self.grid)}")
        _check_values("fixed", self.fixed)
        object.__setattr__(self, "grid", _axes(self.grid))
        _check_values("grid", self.grid)
        clash = sorted(set(self.grid) & {*RESERVED_NAMES, *outputs})
        if clash:
            raise ValueError(
                f"grid axes {clash} share their names with values a {self.kind} trial reports; "
                "name the axis otherwise and set the argument in a table value, e.g. "
                "steps = [{ timesteps = 1000 }, { timesteps = 2000 }]"
            )
        checks.integer("cpus_per_trial", self.cpus_per_trial, low=1, high=1024)
        checks.integer("max_concurrent", self.max_concurrent, low=1, high=MAX_TRIALS, optional=True)
        size = 1
        for values in self.grid.values():
            size *= len(values)
        if size > MAX_TRIALS:
            raise ValueError(f"the grid has {size} trials; at most {MAX_TRIALS}")

    def trials(self) -> list[Trial]:
        """Every trial, in grid order (the last axis varies fastest)."""
        names = list(self.grid)
        out = []
        for index, values in enumerate(itertools.product(*self.grid.values())):
            args = copy.deepcopy(self.fixed)
            for name, value in zip(names, values, strict=True):
                if isinstance(value, dict):
                    for key, inner in _flatten(value).items():
                        _set(args, key, copy.deepcopy(inner))
                else:
                    _set(args, name, copy.deepcopy(value))
            out.append(Trial(index, f"{index:04d}", dict(zip(names, values, strict=True)), args))
        return out

    def to_dict(self) -> dict:
        """JSON-ready form (``from_dict`` reads it back)."""
        return {
            "kind": self.kind,
            "fixed": self.fixed,
            "grid": self.grid,
            "resources": {
                "cpus_per_trial": self.cpus_per_trial,
                "max_concurrent": self.max_concurrent,
            },
        }

    @classmethod
    def from_dict(cls, data: dict, where: str = "sweep") -> SweepSpec:
        """Build from the parsed file (or :meth:`to_dict`); unknown keys are a ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a table, got {checks.json_kind(data)}")
        unknown = sorted(set(data) - {"kind", "fixed", "grid", "resources"})
        if unknown:
            raise ValueError(
                f"{where}: unknown keys {unknown}; allowed: kind, fixed, grid, resources"
            )
        if "kind" not in data:
            raise ValueError(f"{where}: no 'kind' (the job kind, e.g. kind = \"qas-train\")")
        resources = data.get("resources") or {}
        if not isinstance(resources, dict):
            raise ValueError(f"{where}: resources must be a table")
        unknown = sorted(set(resources) - {"cpus_per_trial", "max_concurrent"})
        if unknown:
            raise ValueError(
                f"{where}: unknown resources {unknown}; allowed: cpus_per_trial, max_concurrent"
            )
        try:
            return cls(
                kind=data["kind"],
                fixed=data.get("fixed") or {},
                grid=data.get("grid") or {},
                cpus_per_trial=resources.get("cpus_per_trial", 1),
                max_concurrent=resources.get("max_concurrent"),
            )
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SweepSpec:
        """Read a TOML sweep file; a ValueError names the file and what is wrong."""
        text = files.read_text_limited(path, MAX_SWEEP_FILE_BYTES, what="sweep file")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from None
        return cls.from_dict(data, where=str(path))


def parse_range(text: str, name: str = "seeds") -> list[int]:
    """``"A-B"`` -> ``[A, ..., B]``, ``"A,B,C"`` -> ``[A, B, C]`` (non-negative integers)."""
    values: list[int] = []
    for part in str(text).split(","):
        match = _RANGE.fullmatch(part)
        if len(values) > MAX_TRIALS:
            raise ValueError(f"{name}={text[:40]!r}...: more than {MAX_TRIALS} values")
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if hi < lo or hi - lo >= MAX_TRIALS:
                raise ValueError(
                    f"{name}={text!r}: range {part.strip()!r} must run upwards, "
                    f"with at most {MAX_TRIALS} values"
                )
            values.extend(range(lo, hi + 1))
        elif part.strip().isdigit():
            values.append(int(part))
        else:
            raise ValueError(f"{name}={text!r}; allowed: integers A-B or A,B,C (e.g. 0-9)")
    return values


def _check_values(where: str, value) -> None:
    """Refuse what JSON cannot hold (TOML dates and times) and table keys that are no names."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if not _NAME.fullmatch(str(key)):
                raise ValueError(
                    f"{where}: key {key!r}; allowed: names like seed or env_kwargs.optimizer"
                )
            _check_values(f"{where}.{key}", inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _check_values(where, inner)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(
            f"{where} = {value!r}; allowed: strings, numbers, booleans, lists and tables"
        )


def _axes(grid: dict) -> dict:
    """Axis name -> list of values; nested tables become dotted names."""
    axes = {}
    for name, values in _flatten(grid).items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"grid axis {name!r}: use names like seed or env_kwargs.optimizer")
        if isinstance(values, str):
            values = parse_range(values, f"grid.{name}")
        if not isinstance(values, list) or not values:
            raise ValueError(
                f"grid.{name} = {values!r}; allowed: a non-empty list or an integer range 'A-B'"
            )
        axes[name] = values
    return axes


def _flatten(table: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists and other values are leaves)."""
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _set(args: dict, dotted: str, value) -> None:
    """``args[a][b] = value`` for ``dotted = "a.b"`` (tables created as needed)."""
    *path, last = dotted.split(".")
    target = args
    for key in path:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            raise ValueError(f"{dotted!r}: {key!r} is {inner!r}, not a table")
        target = inner
    target[last] = value
