"""Simultaneous-perturbation optimisers: SPSA and the CRLQAS Adam-SPSA.

Both estimate the gradient from two evaluations at ``theta +- c_k Delta`` with a random
sign vector ``Delta in {+1, -1}^k``:
``g = [f(theta + c_k Delta) - f(theta - c_k Delta)] / (2 c_k) * Delta``.
Each iteration also evaluates the current iterate, so the returned parameters are the
iterate with the lowest measured value (not a perturbed point). The three points go to a
batched objective as one batch; every point counts against the budget.

References: J. C. Spall, IEEE Trans. Autom. Control 37, 332 (1992) and
IEEE Trans. Aerosp. Electron. Syst. 34, 817 (1998) for the gains; Patel et al., CRLQAS
(ICLR 2024) for Adam-SPSA and its shot stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .objective import BudgetExhausted, Objective, OptimizeResult, check_start, is_batched

_POINTS_PER_ITERATION = 3  # theta + c Delta, theta - c Delta, theta


@dataclass(frozen=True)
class SPSA:
    """Spall's SPSA with calibrated step size.

    ``a_k = a / (k + 1 + A)**alpha``, ``c_k = c / (k + 1)**gamma``,
    ``theta <- theta - a_k g``. The default ``a = 1`` suits energies of a few hartree over
    angles in radians. With ``a=None`` the gain is calibrated from
    ``calibration_points`` gradient samples at ``x0`` so that the first step moves each
    angle by about ``target_step`` radians (qiskit's SPSA calibration); the samples count
    against the budget (the calibration overshoots when ``x0`` is near a stationary point,
    as a small start near the all-zero angles often is).

    Attributes:
        a: step gain, or None to calibrate.
        c: perturbation size (radians).
        alpha: step decay exponent (Spall's 0.602).
        gamma: perturbation decay exponent (Spall's 0.101).
        stability: ``A`` as a fraction of the expected number of iterations. Spall suggests
            10% for very noisy objectives; 0 measured best on the bundled problems.
        target_step: first-step size (radians) the calibration aims at.
        calibration_points: gradient samples for the calibration.
    """

    a: float | None = 1.0
    c: float = 0.1
    alpha: float = 0.602
    gamma: float = 0.101
    stability: float = 0.0
    target_step: float = 0.2
    calibration_points: int = 5

    name = "spsa"

    def __post_init__(self):
        _check_positive(self, ("c", "alpha", "gamma", "target_step"))
        if self.a is not None and not (np.isfinite(self.a) and self.a > 0):
            raise ValueError(f"a={self.a!r}; allowed: None (calibrate) or a positive gain")
        if not (np.isfinite(self.stability) and self.stability >= 0):
            raise ValueError(f"stability={self.stability!r}; allowed: a finite number >= 0")
        points = self.calibration_points
        if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 1:
            raise ValueError(f"calibration_points={points!r}; allowed: an integer >= 1")

    def minimize(
        self, fun, x0, *, budget: int, seed: int | None = None, batched: bool | None = None
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` within ``budget`` evaluations (module docstring)."""
        x = check_start(x0, budget)
        objective = Objective(fun, budget, is_batched(fun, batched))
        rng = np.random.default_rng(seed)
        iterations = max(1, (budget - 2 * self.calibration_points) // _POINTS_PER_ITERATION)
        offset = self.stability * iterations
        k = 0
        message = "budget used"
        try:
            a = self.a
            if a is None:
                a = self._calibrate(objective, x, rng, offset)
            while True:
                ck = self.c / (k + 1) ** self.gamma
                g, value = _gradient(objective, x, ck, rng, {})
                objective.record(x, value)
                x = x - a / (k + 1 + offset) ** self.alpha * g
                k += 1
        except BudgetExhausted:
            _final(objective, x, {})
        return objective.result(x, k, self.name, message)

    def _calibrate(self, objective, x, rng, offset) -> float:
        deltas = rng.choice([-1.0, 1.0], size=(self.calibration_points, x.size))
        points = np.concatenate([x + self.c * deltas, x - self.c * deltas])
        values = objective.values(points)
        n = self.calibration_points
        magnitude = np.mean(np.abs(values[:n] - values[n:])) / (2 * self.c)
        if magnitude == 0:
            magnitude = 1.0  # flat at x0: any step size is as good as another
        return self.target_step * (1 + offset) ** self.alpha / magnitude


@dataclass(frozen=True)
class AdamSPSA:
    """CRLQAS Adam-SPSA: SPSA gradients fed to Adam with decaying gains.

    At iteration ``k``: ``a_k = a/(k+1)**alpha``, ``c_k = c/(k+1)**gamma``,
    ``beta1_k = beta1/(k+1)**lam``, ``m <- beta1_k m + (1 - beta1_k) g``,
    ``v <- beta2 v + (1 - beta2) g**2``,
    ``theta <- theta - a_k m_hat / (sqrt(v_hat) + eps)`` with the bias corrections
    ``m_hat = m / (1 - beta1**(k+1))``, ``v_hat = v / (1 - beta2**(k+1))``. Iteration 0 is
    a plain SPSA step when ``spsa_first_step`` (the reference's choice).

    Shot stages: with ``shots=N`` given to :meth:`minimize` and
    ``shot_stages=(0.01, 0.1, 1.0)`` (the reference's 3-stage schedule), the budget is
    split into equal parts measured with ``N/100``, ``N/10`` and ``N`` shots, without
    resetting ``k``; the objective must accept a ``shots=`` keyword. ``(1.0,)`` is the
    1-stage schedule.

    Defaults: the CRLQAS LiH-4 values.

    Attributes:
        a: step gain (radians).
        alpha: step decay exponent.
        c: perturbation size (radians).
        gamma: perturbation decay exponent.
        lam: decay exponent of ``beta1``.
        beta1: first-moment decay.
        beta2: second-moment decay.
        eps: Adam's denominator offset.
        spsa_first_step: take iteration 0 as a plain SPSA step.
        shot_stages: fractions of the shot count per equal share of the budget.
    """

    a: float = 1.8658
    alpha: float = 0.9451
    c: float = 0.046
    gamma: float = 0.1397
    lam: float = 0.0138
    beta1: float = 0.9658
    beta2: float = 0.8594
    eps: float = 1e-8
    spsa_first_step: bool = False
    shot_stages: tuple[float, ...] = (1.0,)

    name = "adam-spsa"

    def __post_init__(self):
        _check_positive(self, ("a", "alpha", "c", "gamma", "eps"))
        if not (np.isfinite(self.lam) and self.lam >= 0):
            raise ValueError(f"lam={self.lam!r}; allowed: a finite number >= 0")
        for field in ("beta1", "beta2"):
            if not 0 <= getattr(self, field) < 1:
                raise ValueError(f"{field}={getattr(self, field)!r}; allowed: 0 <= value < 1")
        if not self.shot_stages or any(not 0 < s <= 1 for s in self.shot_stages):
            raise ValueError(
                f"shot_stages={self.shot_stages!r}; allowed: fractions in (0, 1], at least one"
            )

    def minimize(
        self,
        fun,
        x0,
        *,
        budget: int,
        seed: int | None = None,
        batched: bool | None = None,
        shots: int | None = None,
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` within ``budget`` evaluations (class docstring)."""
        x = check_start(x0, budget)
        objective = Objective(fun, budget, is_batched(fun, batched))
        rng = np.random.default_rng(seed)
        stage_length = max(1, budget // len(self.shot_stages))
        m = np.zeros_like(x)
        v = np.zeros_like(x)
        k = 0
        kwargs: dict = {}
        try:
            while True:
                if shots is not None:
                    stage = min(objective.nfev // stage_length, len(self.shot_stages) - 1)
                    kwargs = {"shots": max(1, round(shots * self.shot_stages[stage]))}
                ak = self.a / (k + 1) ** self.alpha
                ck = self.c / (k + 1) ** self.gamma
                g, value = _gradient(objective, x, ck, rng, kwargs)
                objective.record(x, value)
                beta1k = self.beta1 / (k + 1) ** self.lam
                m = beta1k * m + (1 - beta1k) * g
                v = self.beta2 * v + (1 - self.beta2) * g**2
                if k == 0 and self.spsa_first_step:
                    x = x - ak * g
                else:
                    m_hat = m / (1 - self.beta1 ** (k + 1))
                    v_hat = v / (1 - self.beta2 ** (k + 1))
                    x = x - ak * m_hat / (np.sqrt(v_hat) + self.eps)
                k += 1
        except BudgetExhausted:
            _final(objective, x, kwargs)
        return objective.result(x, k, self.name, "budget used")


def _gradient(objective: Objective, x, ck, rng, kwargs):
    """SPSA gradient at ``x`` and the value at ``x``, from one batch of three points."""
    delta = rng.choice([-1.0, 1.0], size=x.size)
    plus, minus, value = objective.values(np.stack([x + ck * delta, x - ck * delta, x]), **kwargs)
    return (plus - minus) / (2 * ck) * delta, value


def _final(objective: Objective, x, kwargs) -> None:
    """Evaluate the last iterate when one evaluation is left."""
    if objective.remaining() >= 1:
        objective.record(x, objective.values(x[None, :], **kwargs)[0])


def _check_positive(config, fields) -> None:
    """Raise ``ValueError`` naming the first field that is not a finite number > 0."""
    for field in fields:
        value = getattr(config, field)
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ValueError(f"{field}={value!r}; allowed: a positive number")
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{field}={value!r}; allowed: a positive number")
