"""scipy's COBYLA, L-BFGS-B and Nelder-Mead behind the qneuro optimiser interface.

The evaluation budget is enforced by the objective wrapper (the run stops at the first
evaluation past the budget and returns the best point seen). L-BFGS-B's gradient is

* ``"finite-difference"`` (default): central differences with step ``gradient_step``;
* ``"parameter-shift"``: for objectives whose every parameter is the angle of one Pauli
  rotation, ``dE/dx_d = (E(x + pi/2 e_d) - E(x - pi/2 e_d)) / 2`` exactly. An objective
  that offers ``value_and_gradient(x)`` (an exact :class:`qneuro.vqe.Energy`: one sweep
  of cached states, :mod:`qneuro.ptm.sweep`) gives it in closed form instead.

Either way a value with its gradient costs ``2k + 1`` evaluations of the budget (the
closed form is charged as the evaluations it replaces); for a batched objective the
``2k`` shifted points go out as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from qneuro import checks

from .objective import BudgetExhausted, Objective, OptimizeResult, check_start, is_batched

SCIPY_METHODS = ("COBYLA", "L-BFGS-B", "Nelder-Mead")

#: L-BFGS-B gradient rules (module docstring).
GRADIENTS = ("finite-difference", "parameter-shift")


@dataclass(frozen=True)
class ScipyOptimizer:
    """A scipy.optimize.minimize method with a hard evaluation budget.

    Attributes:
        method: one of ``COBYLA``, ``L-BFGS-B``, ``Nelder-Mead``.
        rhobeg: COBYLA's initial trust-region radius and the Nelder-Mead initial simplex
            edge (radians).
        gradient: L-BFGS-B's gradient rule, one of :data:`GRADIENTS`.
        gradient_step: L-BFGS-B's central finite-difference step (radians).
        tol: scipy's ``tol`` (None: scipy's default).
        maxiter: the most iterations (None: until the budget or scipy's convergence test;
            COBYLA takes at least ``k + 2``).
    """

    method: str = "COBYLA"
    rhobeg: float = 0.5
    gradient: str = "finite-difference"
    gradient_step: float = 1e-4
    tol: float | None = None
    maxiter: int | None = None

    def __post_init__(self):
        if self.method not in SCIPY_METHODS:
            raise ValueError(f"method={self.method!r}; allowed: {', '.join(SCIPY_METHODS)}")
        for field in ("rhobeg", "gradient_step"):
            value = getattr(self, field)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{field}={value!r}; allowed: a positive number")
        if self.tol is not None and not (np.isfinite(self.tol) and self.tol >= 0):
            raise ValueError(f"tol={self.tol!r}; allowed: None or a finite number >= 0")
        if self.gradient not in GRADIENTS:
            raise ValueError(f"gradient={self.gradient!r}; allowed: {', '.join(GRADIENTS)}")
        checks.integer("maxiter", self.maxiter, 1, optional=True)

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

        message = ""
        nit = 0
        try:
            if self.method == "L-BFGS-B":
                run = self.lbfgs(objective, x)
            elif self.method == "COBYLA":
                run = optimize.minimize(
                    value,
                    x,
                    method="COBYLA",
                    tol=self.tol,
                    options={
                        "maxiter": max(self.maxiter or budget, x.size + 2),
                        "rhobeg": self.rhobeg,
                    },
                )
            else:
                simplex = np.vstack([x, x + self.rhobeg * np.eye(x.size)])
                run = optimize.minimize(
                    value,
                    x,
                    method="Nelder-Mead",
                    tol=self.tol,
                    options={
                        "maxfev": budget,
                        "maxiter": self.maxiter,
                        "initial_simplex": simplex,
                    },
                )
            message = str(run.message)
            nit = int(getattr(run, "nit", 0) or 0)
        except BudgetExhausted:
            message = "budget used"
        return objective.result(x, nit, self.name, message)

    def lbfgs(self, objective: Objective, x: np.ndarray):
        """Run L-BFGS-B from ``x`` on a counted ``objective`` (scipy's result).

        Raises :class:`BudgetExhausted` when the budget runs out first; every value taken
        is recorded in ``objective``.
        """
        k = x.size
        exact = self.gradient == "parameter-shift" and hasattr(objective.fun, "value_and_gradient")

        def value_and_gradient(point):
            point = np.asarray(point, dtype=float)
            closed_form = objective.fun.value_and_gradient(point) if exact else None
            if closed_form is not None:
                objective.charge(2 * k + 1)
                value, gradient = closed_form
            else:
                shift = self.gradient == "parameter-shift"
                step = np.pi / 2 if shift else self.gradient_step
                shifted = step * np.eye(k)
                values = objective.values(
                    np.concatenate([point[None], point + shifted, point - shifted])
                )
                value = values[0]
                gradient = (values[1 : k + 1] - values[k + 1 :]) / (2.0 if shift else 2 * step)
            objective.record(point, value)
            return value, gradient

        options = {"maxfun": objective.remaining()}
        if self.maxiter is not None:
            options["maxiter"] = self.maxiter
        return optimize.minimize(
            value_and_gradient, x, jac=True, method="L-BFGS-B", tol=self.tol, options=options
        )
