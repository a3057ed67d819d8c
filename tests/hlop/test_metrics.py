from __future__ import annotations

import numpy as np
import pytest

from qneuro.hlop.metrics import accuracy, average_accuracy, backward_transfer


def test_acc_and_bwt_by_hand():
    r = [[0.9, 0.1, 0.1], [0.7, 0.8, 0.1], [0.5, 0.6, 0.95]]
    assert average_accuracy(r) == pytest.approx((0.5 + 0.6 + 0.95) / 3)
    assert backward_transfer(r) == pytest.approx(((0.5 - 0.9) + (0.6 - 0.8)) / 2)
    assert backward_transfer([[0.7]]) == 0.0


def test_bad_matrix_raises():
    with pytest.raises(ValueError, match="square"):
        average_accuracy([[0.1, 0.2]])


def test_accuracy_restricted_to_classes():
    logits = np.array([[0.0, 5.0, 1.0, 2.0], [3.0, 0.0, 0.0, 1.0]])
    assert accuracy(logits, [1, 0]) == 1.0
    # among classes (2, 3) only: argmax -> 3 and 3
    assert accuracy(logits, [3, 2], classes=(2, 3)) == 0.5
