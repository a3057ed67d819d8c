"""Optimisers for noisy variational energies: SPSA, Adam-SPSA, Rotosolve, scipy wrappers.

Every optimiser has the same call, :func:`minimize` (or the configuration object's own
``minimize``), and returns an :class:`OptimizeResult`::

    >>> import numpy as np
    >>> from qneuro.optim import minimize
    >>> result = minimize(lambda x: float(np.sum(np.sin(x))), [0.5, 0.5], budget=300, seed=1)
    >>> bool(result.fun < -1.9)
    True
"""

from __future__ import annotations

from .objective import OptimizeResult
from .rotosolve import Rotosolve
from .scipy_methods import SCIPY_METHODS, ScipyOptimizer
from .spsa import SPSA, AdamSPSA

#: Names accepted by :func:`get_optimizer` and :func:`minimize`.
OPTIMIZERS = ("adam-spsa", "spsa", "rotosolve", "cobyla", "l-bfgs-b", "nelder-mead")

Optimizer = AdamSPSA | SPSA | Rotosolve | ScipyOptimizer


def get_optimizer(optimizer: str | Optimizer = "adam-spsa", **options) -> Optimizer:
    """An optimiser configuration from its name (case-insensitive) and field overrides.

    Args:
        optimizer: one of :data:`OPTIMIZERS`, or a configuration object (returned as is;
            ``options`` must then be empty).
        **options: fields of :class:`AdamSPSA`, :class:`SPSA`, :class:`Rotosolve` or
            :class:`ScipyOptimizer`.
    """
    if isinstance(optimizer, AdamSPSA | SPSA | Rotosolve | ScipyOptimizer):
        if options:
            raise ValueError(f"options {sorted(options)} given with a configured optimizer")
        return optimizer
    if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    name = optimizer.lower()
    try:
        if name == "adam-spsa":
            return AdamSPSA(**options)
        if name == "spsa":
            return SPSA(**options)
        if name == "rotosolve":
            return Rotosolve(**options)
        method = {m.lower(): m for m in SCIPY_METHODS}[name]
        return ScipyOptimizer(method=method, **options)
    except TypeError as exc:
        raise ValueError(f"bad option for {name}: {exc}") from None


def minimize(
    fun,
    x0,
    *,
    budget: int,
    seed: int | None = None,
    method: str | Optimizer = "adam-spsa",
    batched: bool | None = None,
    shots: int | None = None,
    **options,
) -> OptimizeResult:
    """Minimise ``fun`` from ``x0`` with at most ``budget`` evaluations.

    Args:
        fun: ``fun(x) -> float`` for ``x`` of shape ``(k,)``; batched objectives (see
            :mod:`qneuro.optim.objective`) receive several points at once.
        x0: starting parameters, shape ``(k,)``.
        budget: the most objective evaluations to spend (a batch of B points counts B).
        seed: seed of the optimiser's random perturbations.
        method: a name from :data:`OPTIMIZERS` or a configuration object.
        batched: whether ``fun`` takes ``(B, k)``; None reads ``fun.batched``.
        shots: base shot count for Adam-SPSA's shot stages (passed as ``fun(x, shots=...)``).
        **options: configuration fields of the chosen method, e.g. ``a=0.5``.

    Returns:
        An :class:`OptimizeResult` with the best iterate, its value, the evaluations spent
        and the history.
    """
    optimizer = get_optimizer(method, **options)
    if shots is not None:
        if not isinstance(optimizer, AdamSPSA):
            raise ValueError(f"shots= (a shot schedule) needs adam-spsa, not {optimizer.name}")
        return optimizer.minimize(fun, x0, budget=budget, seed=seed, batched=batched, shots=shots)
    return optimizer.minimize(fun, x0, budget=budget, seed=seed, batched=batched)


__all__ = [
    "OPTIMIZERS",
    "SPSA",
    "AdamSPSA",
    "OptimizeResult",
    "Rotosolve",
    "ScipyOptimizer",
    "get_optimizer",
    "minimize",
]
