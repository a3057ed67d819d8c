"""Continual-learning metrics from the accuracy matrix.

``R[i, j]`` is the test accuracy on task ``j`` after training on tasks ``0..i``.
ACC = mean over tasks of the final row, ``mean_j R[T-1, j]``; BWT (backward transfer)
= ``mean_{j < T-1} (R[T-1, j] - R[j, j])``: how much learning later tasks changed the
accuracy on each earlier task right after it was learned (negative: forgetting).
"""

from __future__ import annotations

import numpy as np


def _matrix(accuracy_matrix) -> np.ndarray:
    r = np.asarray(accuracy_matrix, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 1:
        raise ValueError(f"accuracy matrix must be square (T, T), got shape {r.shape}")
    return r


def average_accuracy(accuracy_matrix) -> float:
    """ACC: mean accuracy over all tasks after the last task."""
    return float(np.mean(_matrix(accuracy_matrix)[-1]))


def backward_transfer(accuracy_matrix) -> float:
    """BWT: mean final-minus-just-learned accuracy over the earlier tasks (0.0 for T = 1)."""
    r = _matrix(accuracy_matrix)
    t = r.shape[0]
    if t == 1:
        return 0.0
    return float(np.mean(r[-1, :-1] - np.diag(r)[:-1]))


def accuracy(logits: np.ndarray, labels: np.ndarray, classes=None) -> float:
    """Fraction of samples whose argmax over ``classes`` (default: all) is the label."""
    logits = np.asarray(logits, dtype=float)
    if classes is not None:
        classes = np.asarray(classes)
        predicted = classes[np.argmax(logits[:, classes], axis=1)]
    else:
        predicted = np.argmax(logits, axis=1)
    return float(np.mean(predicted == np.asarray(labels)))
