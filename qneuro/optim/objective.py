"""The objective seen by every optimiser: evaluation counting, the budget, best-so-far.

An objective is a callable ``fun(x) -> float`` on a parameter vector of shape ``(k,)``.
It is *batched* when it also takes shape ``(B, k)`` and returns shape ``(B,)`` (the
simulator's energies are); optimisers then send the points they need at once. An
objective that takes a ``shots=`` keyword can follow a shot schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class BudgetExhausted(Exception):
    """Raised inside an optimiser when the evaluation budget is used up."""


@dataclass
class OptimizeResult:
    """What every optimiser returns.

    Attributes:
        x: best parameters, shape ``(k,)``: the iterate with the lowest evaluated value.
        fun: the objective's value at ``x`` when it was evaluated (noisy objectives: one
            noisy sample, so it is biased low when taken as a minimum of many).
        nfev: number of objective evaluations spent (a batch of B points counts B).
        nit: iterations of the method.
        history: value of every evaluated iterate in order, shape ``(m,)``.
        history_nfev: evaluations spent when each ``history`` entry was taken, shape ``(m,)``.
        history_x: the evaluated iterates, shape ``(m, k)``.
        method: the optimiser's name.
        message: why it stopped.
    """

    x: np.ndarray
    fun: float
    nfev: int
    nit: int
    history: np.ndarray
    history_nfev: np.ndarray
    history_x: np.ndarray
    method: str
    message: str = ""


@dataclass
class Objective:
    """A counted objective with a hard evaluation budget and a best-iterate record."""

    fun: Callable
    budget: int
    batched: bool
    nfev: int = 0
    best_x: np.ndarray | None = None
    best_value: float = np.inf
    history: list = field(default_factory=list)
    history_nfev: list = field(default_factory=list)
    history_x: list = field(default_factory=list)

    def remaining(self) -> int:
        """Evaluations left."""
        return self.budget - self.nfev

    def values(self, points: np.ndarray, **kwargs) -> np.ndarray:
        """Values at ``points`` (shape ``(B, k)``), one batch call when batched."""
        points = np.atleast_2d(points)
        if points.shape[0] > self.remaining():
            raise BudgetExhausted
        self.nfev += points.shape[0]
        if self.batched:
            out = np.asarray(self.fun(points, **kwargs), dtype=float).reshape(-1)
        else:
            out = np.array([float(self.fun(p, **kwargs)) for p in points])
        if out.shape != (points.shape[0],) or not np.all(np.isfinite(out)):
            raise ValueError(
                f"the objective returned {out!r} for {points.shape[0]} points; expected that "
                "many finite values"
            )
        return out

    def charge(self, evaluations: int) -> None:
        """Count ``evaluations`` done outside :meth:`values` (closed-form values)."""
        if evaluations > self.remaining():
            raise BudgetExhausted
        self.nfev += evaluations

    def record(self, x: np.ndarray, value: float) -> None:
        """Note an evaluated iterate; keep it when it is the best so far."""
        self.history.append(float(value))
        self.history_nfev.append(self.nfev)
        self.history_x.append(np.array(x, dtype=float))
        if value < self.best_value:
            self.best_value = float(value)
            self.best_x = np.array(x, dtype=float)

    def result(self, x_fallback: np.ndarray, nit: int, method: str, message: str):
        """The :class:`OptimizeResult` of the run."""
        x = self.best_x if self.best_x is not None else np.array(x_fallback, dtype=float)
        return OptimizeResult(
            x=x,
            fun=float(self.best_value),
            nfev=self.nfev,
            nit=nit,
            history=np.array(self.history),
            history_nfev=np.array(self.history_nfev, dtype=int),
            history_x=np.array(self.history_x).reshape(len(self.history_x), x.size),
            method=method,
            message=message,
        )


def check_start(x0, budget) -> np.ndarray:
    """Validate ``x0`` (1-D, finite) and ``budget`` (a positive int); returns ``x0`` as floats."""
    x = np.array(x0, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D vector, got shape {x.shape}")
    finite = np.isfinite(x)
    if not finite.all():
        at = int(np.argmin(finite))
        raise ValueError(f"x0[{at}] is {x[at]}; allowed: finite numbers")
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValueError(f"budget={budget!r}; allowed: a positive number of evaluations")
    return x


def is_batched(fun, batched: bool | None) -> bool:
    """``batched`` if given, else the objective's own ``batched`` attribute (default False)."""
    return bool(getattr(fun, "batched", False) if batched is None else batched)
