"""Continual-learning methods on the spiking network: HLOP, fine-tuning, multitask, EWC.

Learning rule (all methods): after each presentation window, a rate-based surrogate
gradient of the softmax cross-entropy of the readout (the DSR idea: differentiate the
spike representation, i.e. the firing rates) built from presynaptic traces and an error
signal only:

* readout error ``delta = softmax(z) - onehot(y)`` over the task's classes,
  ``z = W_out^T r_hidden``; ``g_out = r_hidden^T delta / B``;
* hidden error ``delta_h = (delta W_out^T) * phi'(a)`` with the rate surrogate
  ``phi'(a) = 1`` for ``0 < a < theta`` (the IF rate ``clip(a / theta, 0, 1)``) and
  ``surrogate_floor`` elsewhere (so silent neurons do not die), ``a`` the mean input
  current per step; ``g_in = r_input^T delta_h / B``;
* SGD ``W -= learning_rate * g``.

Any rule that produces ``(g_in, g_out)`` from presynaptic traces plugs in the same way.

The methods:

* ``finetune``: the rule above, task after task.
* ``hlop``: after each task the lateral neurons of each layer learn (Oja, Brian2) the
  principal subspace of that task's presynaptic traces (new neurons on the residual of
  the frozen ones) and are merged into the frozen subspace; every later update is
  projected, ``g -> (I - Q Q^T) g`` per layer. In a multi-head stream the readout
  columns are private to their task and are not projected. The paper learns the new
  neurons while the task trains; here they learn in a Hebbian phase over the final
  traces of the task (same rule, traces of the trained network).
* ``multitask``: after task ``i`` the network has trained jointly on tasks ``0..i``
  (``multitask_epochs`` passes over their union): the upper bound.
* ``ewc``: online elastic weight consolidation: the penalty
  ``lambda / 2 * sum F (W - W*)^2`` with the diagonal Fisher ``F`` of the model's own
  predictive distribution (exact expectation over labels) summed over tasks and ``W*``
  the weights after the previous task. The penalty's pull towards ``W*`` is applied
  after each SGD step as the exact solution of its gradient flow over one step,
  ``W <- W* + (W - W*) exp(-learning_rate * lambda * F)`` (stable for stiff ``F``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import METHODS, HLOPConfig
from .metrics import accuracy, average_accuracy, backward_transfer
from .network import Activity, SpikingMLP
from .streams import TaskStream, make_stream
from .subspace import (
    Subspace,
    learn_subspace,
    orthonormality_error,
    pca_basis,
    principal_angles,
)

EVAL_BATCH = 400


@dataclass
class ContinualResult:
    """The outcome of one method on one stream.

    Attributes:
        method, stream: names.
        accuracy_matrix: ``R[i][j]``, accuracy on task ``j`` after training task ``i``.
        acc, bwt: ACC and BWT of the matrix (see ``qneuro.hlop.metrics``).
        wall_s: wall-clock seconds of the run.
        subspace: per task and layer, the learned lateral neurons vs numpy PCA of the same
            (residual) traces (HLOP only).
        config: the configuration used.
    """

    method: str
    stream: str
    accuracy_matrix: list[list[float]]
    acc: float
    bwt: float
    wall_s: float
    subspace: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "method": self.method,
            "stream": self.stream,
            "acc": self.acc,
            "bwt": self.bwt,
            "accuracy_matrix": self.accuracy_matrix,
            "wall_s": self.wall_s,
            "subspace": self.subspace,
            "config": self.config,
        }


def surrogate_gradients(
    model: SpikingMLP,
    act: Activity,
    labels: np.ndarray,
    allowed: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Batch-mean gradients ``(g_in, g_out)`` of the rate surrogate (module docstring).

    Args:
        model: the network (its current ``w_out`` and threshold are used).
        act: the batch's activity.
        labels: integer labels ``(B,)``.
        allowed: boolean ``(B, n_out)``, the classes each sample is scored over.
        weights: per-sample weights ``(B,)`` (0 for padding); default all 1.
    """
    b = len(labels)
    weights = np.ones(b) if weights is None else weights
    delta = _softmax(act.logits, allowed)
    delta[np.arange(b), labels] -= 1.0
    delta *= (weights / max(weights.sum(), 1.0))[:, None]
    g_out = act.hidden_rate.T @ delta
    slope = surrogate_slope(act.hidden_drive, model.config)
    delta_h = (delta @ model.w_out.T) * slope
    g_in = act.input_rate.T @ delta_h
    return g_in, g_out


def surrogate_slope(drive: np.ndarray, config: HLOPConfig) -> np.ndarray:
    """``phi'(a)``: 1 for ``0 < a < threshold``, ``surrogate_floor`` elsewhere."""
    inside = (drive > 0) & (drive < config.threshold)
    return np.where(inside, 1.0, config.surrogate_floor)


def fisher_diagonal(
    model: SpikingMLP,
    act: Activity,
    allowed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal Fisher of ``(w_in, w_out)`` under the model's predictive distribution.

    Per sample, ``E_y[g^2]`` is exact: ``r_i^2 p_k (1 - p_k)`` for ``W_out[i, k]`` and
    ``x_i^2 phi'_j^2 Var_p(W_out[j, :])`` for ``W_in[i, j]``; averaged over samples.
    """
    p = _softmax(act.logits, allowed)
    n = len(p)
    f_out = (act.hidden_rate**2).T @ (p * (1 - p)) / n
    mean_w = p @ model.w_out.T
    var_w = p @ (model.w_out.T**2) - mean_w**2
    slope = surrogate_slope(act.hidden_drive, model.config) ** 2
    f_in = (act.input_rate**2).T @ (var_w * slope) / n
    return f_in, f_out


def _softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    z = np.where(allowed, logits, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ContinualLearner:
    """One network trained task by task with one method.

    Args:
        stream: the task stream.
        method: ``hlop``, ``finetune``, ``multitask`` or ``ewc``.
        config: the configuration (its ``n_tasks`` must not exceed the stream's).
    """

    def __init__(self, stream: TaskStream, method: str, config: HLOPConfig) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if stream.n_inputs != config.n_inputs:
            raise ValueError(
                f"stream has {stream.n_inputs} inputs, config expects "
                f"{config.n_inputs} (image_size {config.image_size})"
            )
        self.stream, self.method, self.config = stream, method, config
        self.rng = np.random.default_rng(config.seed)
        self.model = SpikingMLP(stream.n_inputs, stream.n_classes, config, self.rng)
        self.subspaces = [
            Subspace(config.n_inputs, config.orthonormalize_merge),
            Subspace(config.n_hidden, config.orthonormalize_merge),
        ]
        self.fisher: tuple[np.ndarray, np.ndarray] | None = None
        self.anchor: tuple[np.ndarray, np.ndarray] | None = None
        self.subspace_report: list[dict[str, Any]] = []
        self.tasks_done = 0

    def _allowed(self, task_ids: np.ndarray) -> np.ndarray:
        allowed = np.zeros((len(task_ids), self.stream.n_classes), dtype=bool)
        for t, task in enumerate(self.stream.tasks):
            allowed[np.ix_(task_ids == t, list(task.classes))] = True
        return allowed

    def train_task(self, t: int, progress=None) -> None:
        """Train on task ``t`` (for multitask: on tasks ``0..t`` jointly), then consolidate."""
        cfg, model = self.config, self.model
        if self.method == "multitask":
            ids = range(t + 1)
            epochs = cfg.multitask_epochs or cfg.epochs_per_task
        else:
            ids = [t]
            epochs = cfg.epochs_per_task
        x = np.concatenate([self.stream.tasks[k].x_train for k in ids])
        y = np.concatenate([self.stream.tasks[k].y_train for k in ids])
        task_ids = np.concatenate([np.full(len(self.stream.tasks[k].y_train), k) for k in ids])
        allowed_all = self._allowed(task_ids)
        project = self.method == "hlop"
        project_out = project and not self.stream.multi_head
        for _ in range(epochs):
            order = self.rng.permutation(len(x))

            def update(indices: np.ndarray, act: Activity, order=order) -> None:
                valid = indices < len(order)
                rows = order[np.where(valid, indices, 0)]
                g_in, g_out = surrogate_gradients(
                    model, act, y[rows], allowed_all[rows], valid.astype(float)
                )
                if project:
                    g_in = self.subspaces[0].project(g_in)
                    if project_out:
                        g_out = self.subspaces[1].project(g_out)
                model.w_in -= cfg.learning_rate * g_in
                model.w_out -= cfg.learning_rate * g_out
                if self.method == "ewc" and self.fisher is not None:
                    # the penalty's gradient flow, integrated exactly over one step
                    # (stable for any lambda * F * learning_rate)
                    for w, f, anchor in zip(
                        (model.w_in, model.w_out), self.fisher, self.anchor, strict=True
                    ):
                        w -= (w - anchor) * (1.0 - np.exp(-cfg.learning_rate * cfg.ewc_lambda * f))

            model.present(x[order], cfg.batch_size, on_window=update)
            if progress is not None:
                progress.update(1)
        task = self.stream.tasks[t]
        if self.method == "hlop":
            self._hebbian_phase(t, task.x_train)
        elif self.method == "ewc":
            act = model.present(task.x_train, EVAL_BATCH)
            f_in, f_out = fisher_diagonal(model, act, self._allowed(np.full(len(act.logits), t)))
            if self.fisher is None:
                self.fisher = (f_in, f_out)
            else:
                self.fisher = (self.fisher[0] + f_in, self.fisher[1] + f_out)
            self.anchor = (model.w_in.copy(), model.w_out.copy())
        self.tasks_done = t + 1

    def _hebbian_phase(self, t: int, x_train: np.ndarray) -> None:
        cfg = self.config
        act = self.model.present(x_train, EVAL_BATCH)
        for layer, traces in enumerate((act.input_rate, act.hidden_rate)):
            sub = self.subspaces[layer]
            m = cfg.neurons_for_task(t, layer)
            if m == 0:
                continue
            frozen = sub.basis if sub.size else None
            h = learn_subspace(
                traces, m, self.rng, frozen, cfg.oja_rate, cfg.oja_passes, cfg.codegen
            )
            reference = pca_basis(traces, m, frozen)
            angles = np.degrees(principal_angles(h, reference))
            pca_sub = Subspace(sub.n_inputs)
            pca_sub.merge(np.vstack([sub.basis, reference]))
            sub.merge(h)
            self.subspace_report.append(
                {
                    "task": t,
                    "layer": layer,
                    "neurons": m,
                    "frozen_total": sub.size,
                    "orthonormality_error": orthonormality_error(h),
                    "max_angle_deg": float(angles.max()),
                    "median_angle_deg": float(np.median(angles)),
                    "captured_energy": sub.captured(traces),
                    "captured_energy_pca": pca_sub.captured(traces),
                }
            )

    def evaluate(self) -> list[float]:
        """Test accuracy on every task of the stream (task-specific classes if multi-head)."""
        tasks = self.stream.tasks[: self.config.n_tasks]
        x = np.concatenate([task.x_test for task in tasks])
        act = self.model.present(x, EVAL_BATCH)
        scores, start = [], 0
        for task in tasks:
            n = len(task.y_test)
            classes = task.classes if self.stream.multi_head else None
            scores.append(accuracy(act.logits[start : start + n], task.y_test, classes))
            start += n
        return scores


def run_continual(
    stream: str | TaskStream, method: str, config: HLOPConfig | None = None, progress: bool = False
) -> ContinualResult:
    """Train ``method`` over the stream's first ``config.n_tasks`` tasks; the accuracy matrix.

    Args:
        stream: ``"permuted-digits"``, ``"split-digits"`` or a ``TaskStream``.
        method: ``hlop``, ``finetune``, ``multitask`` or ``ewc``.
        config: the configuration (default ``HLOPConfig()``).
        progress: show a tqdm bar over training epochs.
    """
    config = config or HLOPConfig()
    start = time.perf_counter()
    if isinstance(stream, str):
        stream = make_stream(stream, config.n_tasks, config.image_size, config.seed)
    if config.n_tasks > len(stream.tasks):
        raise ValueError(f"n_tasks {config.n_tasks} exceeds the stream's {len(stream.tasks)} tasks")
    learner = ContinualLearner(stream, method, config)
    n = config.n_tasks
    if method == "multitask":
        total = (config.multitask_epochs or config.epochs_per_task) * n * (n + 1) // 2
    else:
        total = config.epochs_per_task * n
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"{method} on {stream.name}", unit="epoch")
    matrix = []
    try:
        for t in range(n):
            learner.train_task(t, bar)
            matrix.append(learner.evaluate())
    finally:
        if bar is not None:
            bar.close()
    return ContinualResult(
        method=method,
        stream=stream.name,
        accuracy_matrix=matrix,
        acc=average_accuracy(matrix),
        bwt=backward_transfer(matrix),
        wall_s=time.perf_counter() - start,
        subspace=learner.subspace_report,
        config=config.to_dict(),
    )
