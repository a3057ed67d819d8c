"""Measures of rate-coded SFQ networks: confidence intervals, margins, latency.

Definitions used throughout:

* **rate** of a trial: output pulses counted over the trial window / window length;
* **firing range**: highest minus lowest mean rate over the input patterns;
* **classification margin**: ``(lowest class-1 mean rate - highest class-0 mean rate) /
  firing range``; 1 means the classes sit at the two ends of the range, a value <= 0 means
  the classes overlap (the network misclassifies some pattern);
* **worst-case margin**: the same with each class-1 rate replaced by the lower end of its
  confidence interval and each class-0 rate by the upper end.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "binomial_ci",
    "mean_ci",
    "classification_margin",
    "worst_case_margin",
]


def binomial_ci(successes: int, trials: int, level: float = 0.99) -> tuple[float, float]:
    """Clopper-Pearson (exact) confidence interval of a binomial proportion.

    Args:
        successes: observed successes, ``0 <= successes <= trials``.
        trials: number of trials (>= 1).
        level: confidence level in (0, 1).

    Returns:
        ``(low, high)`` bounds of the proportion.
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} must lie in (0, 1)")
    alpha = 1 - level
    low = 0.0 if successes == 0 else stats.beta.ppf(alpha / 2, successes, trials - successes + 1)
    high = (
        1.0
        if successes == trials
        else stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes)
    )
    return float(low), float(high)


def mean_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean of ``samples`` (1-d).

    Returns:
        ``(mean, low, high)``; with one sample (or zero spread) the interval is the mean.
    """
    samples = np.asarray(samples, dtype=float).ravel()
    if samples.size < 1:
        raise ValueError("mean_ci needs at least one sample")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} must lie in (0, 1)")
    mean = float(samples.mean())
    if samples.size < 2:
        return mean, mean, mean
    half = float(
        stats.t.ppf(0.5 + level / 2, samples.size - 1) * samples.std(ddof=1) / np.sqrt(samples.size)
    )
    return mean, mean - half, mean + half


def _split(values, labels):
    values = np.asarray(values, dtype=float)
    labels = np.asarray(labels)
    if values.shape != labels.shape or values.ndim != 1:
        raise ValueError(
            f"values {values.shape} and labels {labels.shape} must be equal 1-d shapes"
        )
    if not np.all(np.isin(labels, (0, 1))) or labels.min() == labels.max():
        raise ValueError("labels must be 0 or 1, with both classes present")
    return values, labels


def classification_margin(mean_rates, labels) -> float:
    """``(min class-1 rate - max class-0 rate) / (max rate - min rate)`` (see module doc).

    Returns 0.0 when every rate is equal (no firing range).
    """
    rates, labels = _split(mean_rates, labels)
    span = rates.max() - rates.min()
    if span <= 0:
        return 0.0
    return float((rates[labels == 1].min() - rates[labels == 0].max()) / span)


def worst_case_margin(mean_rates, low, high, labels) -> float:
    """The margin with class 1 at its CI lower bounds and class 0 at its upper bounds."""
    rates, labels = _split(mean_rates, labels)
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    span = rates.max() - rates.min()
    if span <= 0:
        return 0.0
    return float((low[labels == 1].min() - high[labels == 0].max()) / span)
