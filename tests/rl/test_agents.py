"""The masked double DQN: masks in greedy, exploratory and warm-up actions; double-DQN targets."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3.common.type_aliases import ReplayBufferSamples

import qneuro.envs  # noqa: F401
from qneuro.rl.agents import ActionMaskObservation, MaskedDQN, split_mask

NUM_ACTIONS = 8  # H2-2q: 2 CNOTs + 6 rotations


@pytest.fixture
def model():
    env = ActionMaskObservation(gym.make("qneuro/QAS-H2-2q-v0", optimizer_budget=5))
    agent = MaskedDQN(
        "MlpPolicy",
        env,
        buffer_size=100,
        learning_starts=10,
        batch_size=4,
        policy_kwargs={"net_arch": [8]},
        seed=0,
        device="cpu",
    )
    yield agent
    env.close()


def _set_constant_q(network, values):
    """Make ``network`` output ``values`` for every input (zero last weights, set biases)."""
    last = [m for m in network.q_net.modules() if isinstance(m, th.nn.Linear)][-1]
    with th.no_grad():
        last.weight.zero_()
        last.bias.copy_(th.as_tensor(values, dtype=th.float32))


def _observations(model, masks):
    size = model.observation_space.shape[0]
    obs = np.zeros((len(masks), size), dtype=np.float32)
    obs[:, -NUM_ACTIONS:] = np.asarray(masks, dtype=np.float32)
    return obs


def test_wrapper_appends_the_environment_mask():
    env = ActionMaskObservation(gym.make("qneuro/QAS-H2-2q-v0", optimizer_budget=5))
    obs, _ = env.reset(seed=0)
    assert obs.shape == (121 + NUM_ACTIONS,)
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(2)  # RX on qubit 0: repeating it is now illegal
    mask = split_mask(obs, NUM_ACTIONS)
    np.testing.assert_array_equal(mask, env.unwrapped.action_masks())
    assert not mask[2] and mask.sum() == NUM_ACTIONS - 1
    env.close()


def test_greedy_action_is_the_best_legal_one(model):
    q = np.arange(NUM_ACTIONS, dtype=float)  # action 7 best, then 6, ...
    _set_constant_q(model.q_net, q)
    masks = [[1] * 8, [1] * 7 + [0], [1, 1, 0, 0, 0, 0, 0, 0], [0] * 7 + [1]]
    actions, _ = model.predict(_observations(model, masks), deterministic=True)
    np.testing.assert_array_equal(actions, [7, 6, 1, 7])


def test_exploration_and_warm_up_never_pick_a_masked_action(model):
    rng = np.random.default_rng(0)
    masks = rng.random((400, NUM_ACTIONS)) < 0.3
    masks[np.arange(400), rng.integers(0, NUM_ACTIONS, 400)] = True  # at least one legal
    obs = _observations(model, masks)
    model.exploration_rate = 1.0
    actions, _ = model.predict(obs, deterministic=False)
    assert masks[np.arange(400), actions].all()
    assert len(set(actions.tolist())) == NUM_ACTIONS  # random, not constant
    model._last_obs = obs
    model.num_timesteps = 0  # warm-up phase (below learning_starts)
    warm, stored = model._sample_action(learning_starts=10, n_envs=400)
    assert masks[np.arange(400), warm].all()
    np.testing.assert_array_equal(warm, stored)
    single, _ = model.predict(obs[0], deterministic=False)
    assert np.ndim(single) == 0 and masks[0, int(single)]


def test_training_steps_take_only_legal_actions(model):
    env = model.get_env()
    taken = []
    original_step = env.step

    def step(actions):
        masks = np.stack(env.env_method("action_masks"))
        taken.append(masks[np.arange(len(actions)), actions])
        return original_step(actions)

    env.step = step
    model.learn(60)
    assert np.concatenate(taken).all() and len(taken) == 60


def test_epsilon_decays_geometrically_to_its_floor():
    env = ActionMaskObservation(gym.make("qneuro/QAS-H2-2q-v0", optimizer_budget=5))
    agent = MaskedDQN(
        "MlpPolicy",
        env,
        exploration_decay=0.5,
        exploration_final_eps=0.1,
        policy_kwargs={"net_arch": [4]},
        buffer_size=10,
        device="cpu",
    )
    assert agent.epsilon(0) == 1.0
    assert agent.epsilon(2) == pytest.approx(0.25)
    assert agent.epsilon(50) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="exploration_decay"):
        MaskedDQN("MlpPolicy", env, exploration_decay=1.5)
    env.close()


def test_double_dqn_target_values_the_online_argmax_with_the_target_net(model):
    online = [0.0, 5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 4.0]
    target = [10.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    _set_constant_q(model.q_net, online)
    _set_constant_q(model.q_net_target, target)
    masks = [[1] * 8, [1, 0, 1, 1, 1, 1, 1, 1], [1] * 8, [1] * 8]
    next_obs = th.as_tensor(_observations(model, masks))
    batch = ReplayBufferSamples(
        observations=next_obs,
        actions=th.zeros((4, 1), dtype=th.long),
        next_observations=next_obs,
        dones=th.tensor([[0.0], [0.0], [1.0], [0.0]]),
        rewards=th.tensor([[1.0], [-1.0], [5.0], [0.5]]),
        discounts=th.tensor([[0.5], [0.5], [0.5], [0.25]]),
    )
    targets = model.td_targets(batch).numpy().ravel()
    # row 0: online argmax 1 -> target Q 2 (not the target's own max 10)
    # row 1: action 1 masked -> online argmax 7 -> target Q 7; row 2: terminal
    expected = [1.0 + 0.5 * 2.0, -1.0 + 0.5 * 7.0, 5.0, 0.5 + 0.25 * 2.0]
    np.testing.assert_allclose(targets, expected)
    assert targets[0] != 1.0 + 0.5 * max(target)  # what vanilla DQN would give


def test_sparse_first_layer_is_the_dense_layer():
    """Same outputs and weight gradients as nn.Linear + activation on mostly-zero inputs."""
    import torch
    from gymnasium import spaces
    from torch import nn

    from qneuro.rl.agents import SparseInputLayer

    torch.manual_seed(0)
    space = spaces.Box(-100.0, 100.0, (300,), dtype=np.float32)
    layer = SparseInputLayer(space, 16, nn.LeakyReLU)
    dense = nn.Linear(300, 16)
    with torch.no_grad():
        dense.weight.copy_(layer.weight.t())
        dense.bias.copy_(layer.bias)
    x = torch.zeros(5, 300)
    x[:, torch.randint(0, 300, (30,))] = 1.0
    x[:, 7] = -7.8  # a continuous entry (the energy)
    x[3] = 0.0  # an all-zero row
    ours = layer(x)
    theirs = nn.functional.leaky_relu(dense(x))
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    ours.square().sum().backward()
    theirs.square().sum().backward()
    torch.testing.assert_close(layer.weight.grad, dense.weight.grad.t(), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(layer.bias.grad, dense.bias.grad, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("algo", ["dqn", "ppo", "maskable-ppo"])
def test_parameter_count_of_check_sizes_is_the_built_networks(tiny_config, algo):
    from qneuro.rl.config import network_parameters
    from qneuro.rl.trainer import build_model, make_vec_env

    config = tiny_config(algo=algo, net_arch=(12, 7, 5)).resolved()
    vec_env = make_vec_env(config, seed=0)
    model = build_model(config, vec_env, 4)
    inputs = gym.spaces.flatdim(vec_env.observation_space)
    expected = network_parameters(config.net_arch, algo, inputs, NUM_ACTIONS)
    network = model.q_net if algo == "dqn" else model.policy
    assert sum(p.numel() for p in network.parameters()) == expected
    vec_env.close()


@pytest.mark.parametrize("algo", ["dqn", "ppo", "maskable-ppo"])
def test_defaults_fit_the_largest_registered_environment(algo):
    from qneuro.envs import env_ids
    from qneuro.rl import TrainConfig
    from qneuro.rl.agents import wrap_for

    largest = max(env_ids(), key=lambda i: gym.make(i).observation_space.shape[0])
    env = gym.make(largest)
    if wrap_for(algo):
        env = wrap_for(algo)(env)
    TrainConfig(env=largest, algo=algo).check_sizes(env.observation_space, env.action_space)
    if algo == "dqn":  # the CRLQAS agent's largest network (5 x 5000) and batch fit too
        crlqas = TrainConfig(env=largest, net_arch=[5000] * 5, batch_size=1000)
        crlqas.check_sizes(env.observation_space, env.action_space)
