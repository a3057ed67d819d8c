"""Registered environment IDs: every bundled problem, ideal and under noise.

``qneuro/QAS-<problem>-v0`` is noiseless; ``qneuro/QAS-<problem>-<noise>-v0`` uses the
noise preset ``<noise>`` (:data:`NOISE_VARIANTS`). Every keyword of
:class:`~qneuro.envs.qas.QuantumArchitectureSearchEnv` can be overridden in
``gymnasium.make(id, **kwargs)``. Each ID is also registered without the namespace
(``QAS-H2-2q-v0``), so ``gymnasium.make("qneuro.envs:QAS-H2-2q-v0")`` works without
importing qneuro first.
"""

from __future__ import annotations

import gymnasium as gym

from qneuro.chem import names

ENTRY_POINT = "qneuro.envs.qas:QuantumArchitectureSearchEnv"
NAMESPACE = "qneuro"

#: Noise presets with registered variants (the CRLQAS noise settings).
NOISE_VARIANTS = ("depolarizing-0.001-0.005", "mumbai-median", "mumbai-max", "mumbai-10x-max")


def env_ids(namespace: bool = True) -> list[str]:
    """Every ID this module registers (with or without the ``qneuro/`` namespace)."""
    prefix = f"{NAMESPACE}/" if namespace else ""
    ids = []
    for problem in names():
        ids.append(f"{prefix}QAS-{problem}-v0")
        ids += [f"{prefix}QAS-{problem}-{noise}-v0" for noise in NOISE_VARIANTS]
    return ids


def register_all() -> None:
    """Register every ID (idempotent)."""
    for problem in names():
        for noise in (None, *NOISE_VARIANTS):
            name = f"QAS-{problem}-v0" if noise is None else f"QAS-{problem}-{noise}-v0"
            kwargs = {"problem": problem, "noise": noise}
            for env_id in (f"{NAMESPACE}/{name}", name):
                if env_id not in gym.registry:
                    gym.register(env_id, entry_point=ENTRY_POINT, kwargs=kwargs)
