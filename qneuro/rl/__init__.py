"""Curriculum reinforcement-learning training on the architecture-search environments.

    >>> from qneuro.rl import TrainConfig, train, evaluate
    >>> config = TrainConfig(env="qneuro/QAS-H2-2q-v0", timesteps=3000, out="runs/h2")
    >>> result = train(config)  # doctest: +SKIP
    >>> report = evaluate("runs/h2")  # doctest: +SKIP

* :mod:`~qneuro.rl.config`: :class:`TrainConfig`, every default and what it changes from
  the CRLQAS reference;
* :mod:`~qneuro.rl.agents`: the masked double DQN, PPO and MaskablePPO factories;
* :mod:`~qneuro.rl.trainer`: :func:`train` and :func:`resume`;
* :mod:`~qneuro.rl.callbacks`: the SB3 callbacks of a run (logs, best circuit,
  evaluation, checkpoints, progress, stopping);
* :mod:`~qneuro.rl.session`: what they work with (counters, the run's curriculum, the
  best circuit, greedy evaluation, checkpointer);
* :mod:`~qneuro.rl.logs`: ``episodes.csv``, ``evaluations.csv`` and TensorBoard;
* :mod:`~qneuro.rl.evaluation`: :func:`evaluate`, greedy replay of a run's agent;
* :mod:`~qneuro.rl.plots`: the learning-curve PNG.
"""

from __future__ import annotations

from qneuro.exports import lazy_exports

from .config import ALGOS, TrainConfig

#: Public names and their modules, imported on first use (torch and SB3 load lazily, so
#: ``qneuro --help`` stays fast).
_LAZY = {
    "ActionMaskObservation": "agents",
    "MaskedDQN": "agents",
    "MaskedDQNPolicy": "agents",
    "TrainResult": "trainer",
    "evaluate": "evaluation",
    "resume": "trainer",
    "train": "trainer",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ALGOS",
    "ActionMaskObservation",
    "MaskedDQN",
    "MaskedDQNPolicy",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "resume",
    "train",
]
