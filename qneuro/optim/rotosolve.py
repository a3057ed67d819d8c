"""Rotosolve: exact coordinate minimisation for circuits of single-angle Pauli rotations.

When every parameter is the angle of one Pauli rotation ``exp(-i theta P / 2)`` (and the
noise channels do not depend on the angles), the energy along one coordinate is a
sinusoid ``f(theta_d) = A + B cos(theta_d - phi) + C sin(theta_d - phi)``. Three values,
at ``phi`` and ``phi +- pi/2``, fix it: ``A = (f+ + f-)/2``, ``C = (f+ - f-)/2``,
``B = f(phi) - A``; its minimum ``A - sqrt(B**2 + C**2)`` lies at
``phi + atan2(-C, -B)``. Sweeping the coordinates in turn (Ostaszewski, Grant and
Benedetti, Quantum 5, 391 (2021); Nakanishi, Fujii and Todo, PRR 2, 043158 (2020)) needs
no step size and reaches noiseless minima to machine precision where gradient estimates
stall at the size of their perturbation.

Objectives that know their sinusoids in closed form (an exact
:class:`qneuro.vqe.Energy`, through its ``coordinate_sweep``) skip the three evaluations:
the sinusoid of each coordinate comes from a cached forward state and an observable
carried back through the later gates (:mod:`qneuro.ptm.sweep`), a whole sweep for the
price of about two circuit evaluations. The iterates, values and budget accounting are
those of the evaluation path (three evaluations per coordinate step, one at the end,
all charged to the budget; the final value also comes from the last sinusoid).

Coordinate steps crawl along narrow curved valleys, where a quasi-Newton method follows
them: ``polish=N`` ends the sweeps with up to N L-BFGS-B iterations on parameter-shift
gradients (closed form on an exact :class:`qneuro.vqe.Energy`). On the best LiH-6q
circuits of the architecture-search runs, one sweep per gate left 2.8e-3 Ha where 200
sweeps reach 8.5e-4 and the polish 4.4e-4 (``benchmarks/qas_polish.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qneuro import checks

from .objective import BudgetExhausted, Objective, OptimizeResult, check_start, is_batched
from .scipy_methods import ScipyOptimizer

#: A coordinate whose sinusoid has amplitude below this (relative to the value, at least
#: this absolute) is flat; it stays where it is. Rounding puts ~1e-14 relative into the
#: fitted amplitude, and freezing a flat angle costs at most twice its amplitude.
FLAT = 1e-10

#: A whole sweep that moves no angle by more than this (radians) is a fixed point: the
#: run stops there (every later sweep would evaluate the same points again).
FIXED_POINT = 1e-12


@dataclass(frozen=True)
class Rotosolve:
    """Sequential exact minimisation over each angle, three evaluations per coordinate.

    Each coordinate step sends one batch of three points (the current point and the
    coordinate shifted by ``+- pi/2``), records the current point's value and moves the
    coordinate to the sinusoid's minimum. A coordinate along which the energy is flat
    to rounding (e.g. an RZ acting on ``|0>``; amplitude below :data:`FLAT`) stays put.
    Sweeps run from the last coordinate to the first (a warm start appends the newest
    angle last). A step starts only while four evaluations remain, so the last move is
    always evaluated; the result is the best evaluated iterate. A sweep that moves no
    angle (:data:`FIXED_POINT`) ends the run early, since each later sweep would repeat it.

    Attributes:
        tol: stop after a sweep that lowers the best evaluated value by less than this
            (0: spend the budget, unless a sweep moves no angle). The value after a move
            is measured at the next step, so the check lags one coordinate; with shot
            noise the best value is a minimum of noisy samples and may keep improving by
            chance.
        incremental: ``None`` (default) uses the objective's exact sinusoids when it
            offers them (``fun.coordinate_sweep(x, coordinates)`` returning non-None);
            True requires them; False always evaluates the three points.
        max_sweeps: the most whole sweeps (None: until the budget, ``tol`` or a fixed
            point), leaving the rest of the budget to the polish.
        polish: after the sweeps, at most this many L-BFGS-B iterations with
            parameter-shift gradients (:class:`~qneuro.optim.ScipyOptimizer`, each value
            with its gradient charged ``2k + 1`` evaluations) on the remaining budget; 0:
            none.
    """

    tol: float = 0.0
    incremental: bool | None = None
    max_sweeps: int | None = None
    polish: int = 0

    name = "rotosolve"

    def __post_init__(self):
        if not (np.isfinite(self.tol) and self.tol >= 0):
            raise ValueError(f"tol={self.tol!r}; allowed: a finite number >= 0")
        if self.incremental not in (None, True, False):
            raise ValueError(f"incremental={self.incremental!r}; allowed: None, True, False")
        checks.integer("max_sweeps", self.max_sweeps, 1, optional=True)
        checks.integer("polish", self.polish, 0)

    def minimize(
        self, fun, x0, *, budget: int, seed: int | None = None, batched: bool | None = None
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` within ``budget`` evaluations (``seed`` is unused)."""
        x = check_start(x0, budget)
        objective = Objective(fun, budget, is_batched(fun, batched))
        exact = self.incremental is not False and hasattr(fun, "coordinate_sweep")
        if self.incremental and not exact:
            raise ValueError(_NO_SWEEP)
        sweeps = 0
        message = "budget used"
        steps = None
        while True:
            start = objective.best_value
            count = min(x.size, (objective.remaining() - 1) // 3)
            if count < 1:
                break
            steps = _SweepSteps.start(fun, x, count, objective) if exact else None
            if steps is None:
                if self.incremental:
                    raise ValueError(_NO_SWEEP)
                exact = False
                steps = _EvaluatedSteps(objective, x)
            largest_move = 0.0
            for d in range(x.size - 1, x.size - 1 - count, -1):
                value, plus, minus = steps.values(d)
                objective.record(x, value)
                b, c = value - (plus + minus) / 2, (plus - minus) / 2
                if np.hypot(b, c) > FLAT * max(1.0, abs(value)):
                    move = np.arctan2(-c, -b)
                    x[d] = x[d] + move
                    largest_move = max(largest_move, abs(move))
                steps.move(d, x[d])
            if count < x.size:
                break
            sweeps += 1
            if sweeps == self.max_sweeps:
                message = f"max_sweeps={self.max_sweeps} done"
                break
            if largest_move <= FIXED_POINT:
                message = "a whole sweep moved no angle: every later sweep would repeat it"
                break
            if self.tol > 0 and start - objective.best_value < self.tol:
                message = f"a sweep improved by less than tol={self.tol}"
                break
        if objective.remaining() >= 1:
            final = steps.final_value() if steps is not None else None
            if final is None:
                final = objective.values(x[None, :])[0]
            else:
                objective.charge(1)
            objective.record(x, final)
        if self.polish and objective.remaining() > 2 * x.size + 1:
            polish = ScipyOptimizer("L-BFGS-B", gradient="parameter-shift", maxiter=self.polish)
            try:
                start = x if objective.best_x is None else objective.best_x
                run = polish.lbfgs(objective, start)
                message = f"{message}; polish: {run.message}"
            except BudgetExhausted:
                message = f"{message}; polish: budget used"
        return objective.result(x, sweeps, self.name, message)


_NO_SWEEP = (
    "incremental=True needs an objective with exact coordinate sinusoids (an exact "
    "qneuro.vqe.Energy whose parameters are the angles of single rotations, whose cached "
    "states fit its memory budget)"
)


class _EvaluatedSteps:
    """Coordinate values by evaluating the objective at ``x`` and ``x +- pi/2 e_d``."""

    def __init__(self, objective: Objective, x: np.ndarray) -> None:
        self.objective, self.x = objective, x

    def values(self, d: int) -> tuple[float, float, float]:
        points = np.stack([self.x, self.x, self.x])
        points[1, d] += np.pi / 2
        points[2, d] -= np.pi / 2
        value, plus, minus = self.objective.values(points)
        return value, plus, minus

    def move(self, d: int, value: float) -> None:
        """Nothing to do: the caller moved ``x`` itself."""

    def final_value(self) -> None:
        """None: the final point is evaluated."""


class _SweepSteps:
    """Coordinate values from the objective's exact sinusoids (charged as evaluations)."""

    def __init__(self, sweep, x: np.ndarray, objective: Objective) -> None:
        self.sweep, self.x, self.objective = sweep, x, objective
        self.last: tuple[int, float, float, float] | None = None

    @classmethod
    def start(cls, fun, x, count, objective) -> _SweepSteps | None:
        sweep = fun.coordinate_sweep(x, count)
        return None if sweep is None else cls(sweep, x, objective)

    def values(self, d: int) -> tuple[float, float, float]:
        a, b, c = self.sweep.sinusoid(d)
        self.last = (d, a, b, c)
        self.objective.charge(3)
        phi = self.x[d]
        cos, sin = np.cos(phi), np.sin(phi)
        # f(phi), f(phi + pi/2), f(phi - pi/2), as three evaluations would give them.
        return a + b * cos + c * sin, a - b * sin + c * cos, a + b * sin - c * cos

    def move(self, d: int, value: float) -> None:
        self.sweep.move(d, value)

    def final_value(self) -> float | None:
        """The value at ``x`` from the last sinusoid (only its coordinate has moved since)."""
        if self.last is None:
            return None
        d, a, b, c = self.last
        return a + b * np.cos(self.x[d]) + c * np.sin(self.x[d])
