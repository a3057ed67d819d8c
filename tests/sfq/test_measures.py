from __future__ import annotations

import numpy as np
import pytest

from qneuro.sfq import binomial_ci, classification_margin, mean_ci, worst_case_margin


def test_binomial_ci_edges_and_coverage():
    assert binomial_ci(0, 10, 0.95)[0] == 0.0
    assert binomial_ci(10, 10, 0.95)[1] == 1.0
    # 0 of n: upper bound (alpha/2)^(1/n) rule of Clopper-Pearson
    assert binomial_ci(0, 20, 0.95)[1] == pytest.approx(1 - 0.025 ** (1 / 20))
    low, high = binomial_ci(50, 100, 0.95)
    assert low < 0.5 < high and high - low == pytest.approx(0.2, abs=0.01)
    with pytest.raises(ValueError):
        binomial_ci(5, 3)


def test_mean_ci():
    mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0]), 0.95)
    assert mean == 2.0 and low == pytest.approx(2 - 4.302653 / np.sqrt(3), rel=1e-5)
    assert high == pytest.approx(4 - low)


def test_margins():
    labels = [0, 1, 1, 0]
    assert classification_margin([0, 10, 8, 2], labels) == pytest.approx(0.6)
    assert classification_margin([5, 4, 6, 3], labels) < 0
    assert worst_case_margin([0, 10, 8, 2], [0, 9, 7, 1], [1, 11, 9, 3], labels) == pytest.approx(
        0.4
    )
    with pytest.raises(ValueError, match="both classes"):
        classification_margin([1, 2], [1, 1])
