"""Reward functions of architecture search.

Every reward is a callable ``reward(step) -> float`` on a :class:`RewardInput`. With the
error ``e_t = |E_t - mu|`` of the step's energy ``E_t`` against the reference ``mu`` and
the curriculum's threshold ``xi``:

* ``"incremental"`` (CRLQAS "incremental with fixed ends", the default): ``+5`` when
  ``e_t < xi`` (success); ``-5`` when the episode is cut off (action budget or random
  halting) without success; otherwise ``clip((E_{t-1} - E_t) / |E_{t-1} - mu|, -1, 1)``.
* ``"sparse"``: ``+5`` on success, ``-5`` when cut off, ``0`` otherwise.
* ``"log-error"``: ``+5`` on success, ``-5`` when cut off, otherwise
  ``log10(e_{t-1}) - log10(e_t)`` clipped to ``[-1, 1]`` (orders of magnitude gained).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Reward for success and (negated) for running out of actions.
END_REWARD = 5.0

#: Errors below this are treated as this (log-error reward) to keep the log finite.
_TINY = 1e-12


@dataclass(frozen=True)
class RewardInput:
    """What a reward sees after an action (energies in Ha)."""

    previous_energy: float
    energy: float
    reference: float
    threshold: float
    success: bool
    cut_off: bool


def incremental(step: RewardInput) -> float:
    """CRLQAS "incremental with fixed ends" (module docstring)."""
    if step.success:
        return END_REWARD
    if step.cut_off:
        return -END_REWARD
    gap = abs(step.previous_energy - step.reference)
    if gap == 0:
        return 0.0
    return float(np.clip((step.previous_energy - step.energy) / gap, -1.0, 1.0))


def sparse(step: RewardInput) -> float:
    """``+5`` success, ``-5`` cut off, 0 otherwise."""
    if step.success:
        return END_REWARD
    return -END_REWARD if step.cut_off else 0.0


def log_error(step: RewardInput) -> float:
    """``+5`` success, ``-5`` cut off, else orders of magnitude of error gained, in [-1, 1]."""
    if step.success or step.cut_off:
        return sparse(step)
    before = max(abs(step.previous_energy - step.reference), _TINY)
    after = max(abs(step.energy - step.reference), _TINY)
    return float(np.clip(np.log10(before) - np.log10(after), -1.0, 1.0))


REWARDS: dict[str, Callable[[RewardInput], float]] = {
    "incremental": incremental,
    "sparse": sparse,
    "log-error": log_error,
}


def get_reward(reward: str | Callable[[RewardInput], float]) -> Callable[[RewardInput], float]:
    """A reward by name (:data:`REWARDS`) or a callable taking a :class:`RewardInput`."""
    if callable(reward):
        return reward
    if reward not in REWARDS:
        raise ValueError(f"reward={reward!r}; allowed: {', '.join(REWARDS)} or a callable")
    return REWARDS[reward]
