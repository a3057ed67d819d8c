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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .objective import BudgetExhausted, Objective, OptimizeResult, check_start, is_batched


@dataclass(frozen=True)
class Rotosolve:
    """Sequential exact minimisation over each angle, three evaluations per coordinate.

    Each coordinate step sends one batch of three points (the current point and the
    coordinate shifted by ``+- pi/2``), records the current point's value and moves the
    coordinate to the sinusoid's minimum. Along a coordinate where the energy is flat
    (e.g. an RZ acting on ``|0>``) the fitted minimum is arbitrary and the angle may
    move by up to pi per sweep; the energy does not change. Sweeps run from the last
    coordinate to the first (a warm start appends the newest angle last). A step starts
    only while four evaluations remain, so the last move is always evaluated; the result
    is the best evaluated iterate.

    Attributes:
        tol: stop after a sweep that lowers the best evaluated value by less than this
            (0 spends the whole budget). The value after a move is measured at the next
            step, so the check lags one coordinate; with shot noise the best value is a
            minimum of noisy samples and may keep improving by chance.
    """

    tol: float = 0.0

    name = "rotosolve"

    def __post_init__(self):
        if not self.tol >= 0:
            raise ValueError(f"tol={self.tol!r}; allowed: a number >= 0")

    def minimize(
        self, fun, x0, *, budget: int, seed: int | None = None, batched: bool | None = None
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` within ``budget`` evaluations (``seed`` is unused)."""
        x = check_start(x0, budget)
        objective = Objective(fun, budget, is_batched(fun, batched))
        shift = np.zeros_like(x)
        sweeps = 0
        message = "budget used"
        try:
            while True:
                start = objective.best_value
                for d in reversed(range(x.size)):
                    if objective.remaining() < 4:
                        raise BudgetExhausted
                    shift[:] = 0.0
                    shift[d] = np.pi / 2
                    value, plus, minus = objective.values(np.stack([x, x + shift, x - shift]))
                    objective.record(x, value)
                    b, c = value - (plus + minus) / 2, (plus - minus) / 2
                    x[d] = x[d] + np.arctan2(-c, -b)
                sweeps += 1
                if self.tol > 0 and start - objective.best_value < self.tol:
                    message = f"a sweep improved by less than tol={self.tol}"
                    break
        except BudgetExhausted:
            pass
        if objective.remaining() >= 1:
            objective.record(x, objective.values(x[None, :])[0])
        return objective.result(x, sweeps, self.name, message)
