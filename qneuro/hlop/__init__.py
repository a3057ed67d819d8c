"""Spiking networks that learn continually with Hebbian orthogonal projection (HLOP).

A two-layer spiking network (Brian2 LIF neurons with presynaptic traces, batch as copies)
learns a stream of tasks; lateral subspace neurons learn, with Oja's subspace rule as
Brian2 synapses, the principal subspace of each layer's presynaptic traces, and weight
updates for new tasks are projected onto its orthogonal complement (Xiao et al., ICLR
2024). Baselines: fine-tuning, multitask training, EWC. Metrics: accuracy matrix, ACC,
BWT.

>>> from qneuro.hlop import HLOPConfig, run_continual
>>> result = run_continual("permuted-digits", "hlop", HLOPConfig(n_tasks=3))  # doctest: +SKIP
>>> result.acc, result.bwt  # doctest: +SKIP

Importing this package does not import Brian2 nor change its preferences; every Brian2
object is created with its own code-object class (``HLOPConfig.codegen``).
"""

from __future__ import annotations

from .config import HLOPConfig
from .methods import ContinualLearner, ContinualResult, run_continual
from .metrics import average_accuracy, backward_transfer
from .network import Activity, SpikingMLP
from .plots import plot_accuracy
from .streams import Task, TaskStream, load_mnist, make_stream, permuted_digits, split_digits
from .subspace import Subspace, learn_subspace, pca_basis, principal_angles

__all__ = [
    "Activity",
    "ContinualLearner",
    "ContinualResult",
    "HLOPConfig",
    "SpikingMLP",
    "Subspace",
    "Task",
    "TaskStream",
    "average_accuracy",
    "backward_transfer",
    "learn_subspace",
    "load_mnist",
    "make_stream",
    "pca_basis",
    "permuted_digits",
    "plot_accuracy",
    "principal_angles",
    "run_continual",
    "split_digits",
]
