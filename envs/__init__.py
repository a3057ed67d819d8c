"""Gymnasium environments for curriculum RL quantum architecture search (CRLQAS).

Importing this package registers ``qneuro/QAS-<problem>[-<noise>]-v0`` for every bundled
problem (:mod:`qneuro.envs.registration`)::

    >>> import gymnasium as gym
    >>> import qneuro.envs
    >>> env = gym.make("qneuro/QAS-LiH-4q-mumbai-median-v0")
"""

from .actions import ActionSet, CircuitState, Gate
from .curriculum import FixedThreshold, MovingThreshold, make_curriculum
from .episode import EpisodeSummary
from .qas import QuantumArchitectureSearchEnv
from .registration import NOISE_VARIANTS, env_ids, register_all
from .rewards import REWARDS, RewardInput

register_all()

__all__ = [
    "NOISE_VARIANTS",
    "REWARDS",
    "ActionSet",
    "CircuitState",
    "EpisodeSummary",
    "FixedThreshold",
    "Gate",
    "MovingThreshold",
    "QuantumArchitectureSearchEnv",
    "RewardInput",
    "env_ids",
    "make_curriculum",
    "register_all",
]
