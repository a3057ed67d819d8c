"""Shared settings of the qneuro.rl tests: a tiny, fast H2 task and a tiny agent."""

from __future__ import annotations

import pytest

#: A short H2-2q task: 4 actions at most, 10 energy evaluations per action, and a
#: moving threshold that shifts every 3 episodes and tightens after 2 successes.
TINY_ENV_KWARGS = {
    "optimizer_budget": 10,
    "max_gates": 4,
    "curriculum": {"kind": "moving", "shift_every": 3, "tighten_every": 2},
}


@pytest.fixture(autouse=True)
def _sb3_log_folder(tmp_path, monkeypatch):
    """Keep Stable-Baselines3's default log folder (made by ``learn`` for a model without
    a logger, ``/tmp/SB3-<date>`` unless ``SB3_LOGDIR`` is set) inside the test's folder."""
    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path / "sb3-logs"))


@pytest.fixture
def tiny_config(tmp_path):
    """A TrainConfig factory for a few-hundred-step run in ``tmp_path/run``."""
    from qneuro.rl import TrainConfig

    def make(**overrides):
        fields = {
            "env": "qneuro/QAS-H2-2q-v0",
            "timesteps": 200,
            "seed": 3,
            "out": str(tmp_path / "run"),
            "env_kwargs": TINY_ENV_KWARGS,
            "net_arch": (32,),
            "batch_size": 16,
            "buffer_size": 500,
            "learning_starts": 40,
            "target_update_interval": 50,
            "eval_every": 10,
            "checkpoint_every": 15,
            "progress": False,
            **overrides,
        }
        return TrainConfig(**fields)

    return make
