"""Checkpoints without pickle: weights, Adam state, counters and replay buffer round-trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qneuro.envs import MovingThreshold
from qneuro.rl.checkpoint import load_state, restore_model, save_checkpoint
from qneuro.rl.trainer import build_model, make_vec_env

MAX_GATES = 4  # conftest's TINY_ENV_KWARGS


def _state(model) -> dict:
    return {
        "episodes": model._episode_num,
        "timesteps": int(model.num_timesteps),
        "wall_s": 1.5,
        "evaluations": 0,
        "curriculum": MovingThreshold().state_dict(),
        "best": None,
        "first_solved": None,
    }


@pytest.fixture
def trained(tiny_config):
    """A DQN model after 60 steps (learning from step 40) and its vector env."""
    config = tiny_config(timesteps=60).resolved()
    vec_env = make_vec_env(config, seed=config.seed)
    model = build_model(config, vec_env, MAX_GATES)
    model.learn(60)
    yield config, vec_env, model
    vec_env.close()


def test_restored_model_equals_the_saved_one(trained, tmp_path):
    config, vec_env, model = trained
    save_checkpoint(tmp_path, model, _state(model), replay=True)
    assert sorted(p.suffix for p in (tmp_path / "checkpoints").iterdir()) == [
        ".json",
        ".npz",
        ".safetensors",
    ]
    fresh = build_model(config, vec_env, MAX_GATES)
    restore_model(load_state(tmp_path), fresh)

    for name, tensor in model.policy.state_dict().items():
        assert torch.equal(fresh.policy.state_dict()[name], tensor), name
    saved_adam = model.policy.optimizer.state_dict()["state"]
    loaded_adam = fresh.policy.optimizer.state_dict()["state"]
    assert saved_adam.keys() == loaded_adam.keys() and saved_adam
    for index, values in saved_adam.items():
        for key, value in values.items():
            assert torch.equal(loaded_adam[index][key].cpu(), value.cpu()), (index, key)
    for name in ("num_timesteps", "_episode_num", "_n_updates", "_n_calls", "exploration_rate"):
        assert getattr(fresh, name) == getattr(model, name), name
    assert list(fresh.ep_info_buffer) == [
        {"r": float(i["r"]), "l": int(i["l"]), "t": float(i["t"])} for i in model.ep_info_buffer
    ]
    for name in ("observations", "next_observations", "actions", "rewards", "dones"):
        assert np.array_equal(
            getattr(fresh.replay_buffer, name), getattr(model.replay_buffer, name)
        ), name
    assert (fresh.replay_buffer.pos, fresh.replay_buffer.full) == (
        model.replay_buffer.pos,
        model.replay_buffer.full,
    )


def test_weights_of_another_network_are_a_clear_error(trained, tiny_config, tmp_path):
    _, _, model = trained
    save_checkpoint(tmp_path, model, _state(model), replay=False)
    other = tiny_config(net_arch=(8,), timesteps=60).resolved()
    vec_env = make_vec_env(other, seed=0)
    with pytest.raises(ValueError, match="does not fit the network of config.json"):
        restore_model(load_state(tmp_path), build_model(other, vec_env, MAX_GATES))
    vec_env.close()


def test_a_newer_checkpoint_replaces_the_older_files(trained, tmp_path):
    _, _, model = trained
    save_checkpoint(tmp_path, model, {**_state(model), "episodes": 1}, replay=True)
    save_checkpoint(tmp_path, model, {**_state(model), "episodes": 2}, replay=False)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == [f"model-00000002-{model.num_timesteps:010d}.safetensors", "state.json"]
    assert load_state(tmp_path)["replay_buffer"] is None
