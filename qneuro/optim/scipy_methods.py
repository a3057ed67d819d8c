"""scipy's COBYLA, L-BFGS-B and Nelder-Mead behind the qneuro optimiser interface.

The evaluation budget is enforced by the objective wrapper (the run stops at the first
evaluation past the budget and returns the best point seen). L-BFGS-B takes central
finite-difference gradients with step ``gradient_step``; for a batched objective the
``2k`` shifted points go out as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .objective import BudgetExhausted, Objective, OptimizeResult, check_start, is_batched

SCIPY_METHODS = ("COBYLA", "L-BFGS-B", "Nelder-Mead")


@dataclass(frozen=True)
class ScipyOptimizer:
    """A scipy.optimize.minimize method with a hard evaluation budget.

    Attributes:
        method: one of ``COBYLA``, ``L-BFGS-B``, ``Nelder-Mead``.
        rhobeg: COBYLA's initial trust-region radius and the Nelder-Mead initial simplex
            edge (radians).
        gradient_step: L-BFGS-B's central finite-difference step (radians).
        tol: scipy's ``tol`` (None: scipy's default).
    """

    method: str = "COBYLA"
    rhobeg: float = 0.5
    gradient_step: float = 1e-4
    tol: float | None = None

    def __post_init__(self):
        if self.method not in SCIPY_METHODS:
            raise ValueError(f"method={self.method!r}; allowed: {', '.join(SCIPY_METHODS)}")
        for field in ("rhobeg", "gradient_step"):
            value = getattr(self, field)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{field}={value!r}; allowed: a positive number")
        if self.tol is not None and not (np.isfinite(self.tol) and self.tol >= 0):
            raise ValueError(f"tol={self.tol!r}; allowed: None or a finite number >= 0")

    @property
    def name(self) -> str:
        """Lower-case method name, as :func:`qneuro.optim.minimize` spells it."""
        return self.method.lower()

    def minimize(
        self, fun, x0, *, budget: int, seed: int | None = None, batched: bool | None = None
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` within ``budget`` evaluations (``seed`` is unused)."""
        x = check_start(x0, budget)
        objective = Objective(fun, budget, is_batched(fun, batched))

        def value(point):
            out = objective.values(np.asarray(point)[None, :])[0]
            objective.record(point, out)
            return out

        def value_and_gradient(point):
            point = np.asarray(point, dtype=float)
            shifts = self.gradient_step * np.eye(point.size)
            values = objective.values(np.concatenate([point[None], point + shifts, point - shifts]))
            objective.record(point, values[0])
            n = point.size
            return values[0], (values[1 : n + 1] - values[n + 1 :]) / (2 * self.gradient_step)

        message = ""
        nit = 0
        try:
            if self.method == "L-BFGS-B":
                run = optimize.minimize(
                    value_and_gradient,
                    x,
                    jac=True,
                    method="L-BFGS-B",
                    tol=self.tol,
                    options={"maxfun": budget},
                )
            elif self.method == "COBYLA":
                run = optimize.minimize(
                    value,
                    x,
                    method="COBYLA",
                    tol=self.tol,
                    options={"maxiter": max(budget, x.size + 2), "rhobeg": self.rhobeg},
                )
            else:
                simplex = np.vstack([x, x + self.rhobeg * np.eye(x.size)])
                run = optimize.minimize(
                    value,
                    x,
                    method="Nelder-Mead",
                    tol=self.tol,
                    options={"maxfev": budget, "initial_simplex": simplex},
                )
            message = str(run.message)
            nit = int(getattr(run, "nit", 0) or 0)
        except BudgetExhausted:
            message = "budget used"
        return objective.result(x, nit, self.name, message)
