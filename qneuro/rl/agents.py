"""Agents for architecture search: a CRLQAS-faithful masked double DQN, PPO, MaskablePPO.

:class:`MaskedDQN` is stable-baselines3's :class:`~stable_baselines3.DQN` with the three
changes the CRLQAS agent needs (Patel et al., ICLR 2024):

* illegal actions are never taken: the greedy argmax, the epsilon-random action and the
  warm-up random action are drawn from the legal actions only;
* double-DQN targets: the next action is the *online* network's masked argmax at the
  next state, valued by the *target* network (van Hasselt et al., AAAI 2016):
  ``y = r_n + (1 - done) * gamma^n * Q_target(s', argmax_{a legal} Q_online(s', a))``;
* epsilon decays geometrically, ``eps_t = max(eps_final, eps_0 * d^t)`` per environment
  step (CRLQAS: ``0.99995`` per update down to 0.05), instead of SB3's linear schedule.

n-step returns come from SB3 itself (``n_steps``, its ``NStepReplayBuffer``).

Where the mask comes from: the replay buffer stores observations only, so the mask of
the next state would be lost. :class:`ActionMaskObservation` therefore appends the legal
mask (``A`` entries, 0 or 1) to the flat observation; the network sees it as input and
the policy reads the last ``A`` entries back as the mask, for the acting state and for
every sampled next state alike. Train and replay a :class:`MaskedDQN` on environments
wrapped this way (:func:`wrap_for`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.buffers import NStepReplayBuffer, ReplayBuffer
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from torch import nn
from torch.nn import functional as F

from .config import ALGOS

#: Activation names of :class:`~qneuro.rl.config.TrainConfig` and their torch modules.
ACTIVATIONS = {"leaky_relu": nn.LeakyReLU, "relu": nn.ReLU, "tanh": nn.Tanh}


class ActionMaskObservation(gym.ObservationWrapper):
    """Append ``env.action_masks()`` (as 0.0 / 1.0) to a flat ``Box`` observation.

    The observation becomes ``[obs, mask]`` of length ``D + A``; :func:`split_mask`
    undoes it.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) != 1:
            raise ValueError(
                "the masked DQN needs a flat Box observation (flatten=True), got "
                f"{type(space).__name__} {getattr(space, 'shape', '')}"
            )
        if not isinstance(env.action_space, spaces.Discrete):
            raise ValueError(f"the masked DQN needs Discrete actions, got {env.action_space}")
        n = int(env.action_space.n)
        self.observation_space = spaces.Box(
            np.concatenate([space.low, np.zeros(n)]).astype(np.float32),
            np.concatenate([space.high, np.ones(n)]).astype(np.float32),
            dtype=np.float32,
        )

    def observation(self, observation):
        """``[observation, mask]`` as float32."""
        mask = self.env.get_wrapper_attr("action_masks")()
        return np.concatenate([observation, mask.astype(np.float32)]).astype(np.float32)


def split_mask(observation, num_actions: int):
    """The legal mask (bool) held in the last ``num_actions`` entries of ``observation``.

    Works on numpy arrays and torch tensors, shape ``(..., D + A) -> (..., A)``.
    """
    return observation[..., -num_actions:] > 0.5


def wrap_for(algo: str):
    """The environment wrapper an algorithm needs (None when it needs none)."""
    return ActionMaskObservation if algo == "dqn" else None


class SparseInputLayer(BaseFeaturesExtractor):
    """The Q-network's first hidden layer, ``act(W x + b)``, summed over nonzero inputs.

    The same function and gradients as ``nn.Linear`` then the activation (and the same
    initialisation), computed as a weighted sum of the weight rows of ``x``'s nonzero
    entries (``torch.nn.functional.embedding_bag``). Architecture-search observations
    are mostly zeros (the 0/1 circuit tensor, the energy, the legal mask: LiH-6q has
    3,829 inputs of which about 130 are nonzero), so the first layer, the bulk of the
    network, costs a few per cent of the dense product.

    Args:
        observation_space: a flat ``Box``.
        features_dim: the layer's width.
        activation_fn: the activation's ``nn.Module`` class.
    """

    def __init__(self, observation_space: spaces.Box, features_dim: int, activation_fn) -> None:
        super().__init__(observation_space, features_dim)
        dense = nn.Linear(int(np.prod(observation_space.shape)), features_dim)
        self.weight = nn.Parameter(dense.weight.detach().t().contiguous())  # (inputs, width)
        self.bias = nn.Parameter(dense.bias.detach().clone())
        self.activation = activation_fn()

    def forward(self, observations: th.Tensor) -> th.Tensor:
        """``act(observations @ W + b)``, shape ``(B, width)``."""
        flat = observations.reshape(observations.shape[0], -1)
        rows, columns = flat.nonzero(as_tuple=True)
        counts = th.bincount(rows, minlength=flat.shape[0])
        offsets = th.zeros_like(counts)
        offsets[1:] = counts.cumsum(0)[:-1]
        summed = F.embedding_bag(
            columns, self.weight, offsets, mode="sum", per_sample_weights=flat[rows, columns]
        )
        return self.activation(summed + self.bias)


class MaskedQNetwork(QNetwork):
    """A Q-network whose greedy action is the argmax over legal actions only."""

    def _predict(self, observation, deterministic: bool = True) -> th.Tensor:
        q_values = masked_q_values(self(observation), observation)
        return q_values.argmax(dim=1).reshape(-1)


class MaskedDQNPolicy(DQNPolicy):
    """SB3's DQN MLP policy with :class:`MaskedQNetwork` online and target networks."""

    def make_q_net(self) -> MaskedQNetwork:
        """A fresh masked Q-network (separate features extractor)."""
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return MaskedQNetwork(**net_args).to(self.device)


def masked_q_values(q_values: th.Tensor, observation: th.Tensor) -> th.Tensor:
    """``q_values`` with illegal actions (read from ``observation``) set to ``-inf``."""
    mask = split_mask(observation, q_values.shape[-1])
    return q_values.masked_fill(~mask, float("-inf"))


class MaskedDQN(DQN):
    """Masked double DQN with geometric epsilon decay (module docstring).

    Args:
        *args: as :class:`stable_baselines3.DQN` (the policy defaults to
            :class:`MaskedDQNPolicy`).
        exploration_decay: per-step factor ``d`` of ``eps_t = max(eps_final, eps_0 d^t)``
            (``t`` = environment steps); None keeps SB3's linear schedule.
        **kwargs: as :class:`stable_baselines3.DQN`.
    """

    policy_aliases: ClassVar[dict] = {"MlpPolicy": MaskedDQNPolicy}

    def __init__(self, *args, exploration_decay: float | None = None, **kwargs) -> None:
        if exploration_decay is not None and not 0 < exploration_decay <= 1:
            raise ValueError(f"exploration_decay={exploration_decay!r}; allowed: 0 < d <= 1")
        self.exploration_decay = exploration_decay
        super().__init__(*args, **kwargs)

    @property
    def num_actions(self) -> int:
        """A, the number of discrete actions."""
        return int(self.action_space.n)

    def epsilon(self, timesteps: int) -> float:
        """The exploration rate after ``timesteps`` environment steps."""
        if self.exploration_decay is None:
            return float(self.exploration_schedule(self._current_progress_remaining))
        return float(
            max(
                self.exploration_final_eps,
                self.exploration_initial_eps * self.exploration_decay**timesteps,
            )
        )

    def _on_step(self) -> None:
        super()._on_step()
        self.exploration_rate = self.epsilon(self.num_timesteps)
        self.logger.record("rollout/exploration_rate", self.exploration_rate)

    def random_legal_actions(self, observation: np.ndarray) -> np.ndarray:
        """One uniformly random legal action per row of a batch of observations."""
        masks = split_mask(
            np.asarray(observation).reshape(-1, observation.shape[-1]), self.num_actions
        )
        return np.array([self.action_space.sample(mask=m.astype(np.int8)) for m in masks])

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        """Epsilon-greedy over legal actions (greedy only when ``deterministic``)."""
        if not deterministic and np.random.rand() < self.exploration_rate:
            observation = np.asarray(observation)
            actions = self.random_legal_actions(observation)
            if not self.policy.is_vectorized_observation(observation):
                actions = actions[0]
            return actions, state
        return self.policy.predict(observation, state, episode_start, deterministic)

    def _sample_action(self, learning_starts, action_noise=None, n_envs: int = 1):
        if self.num_timesteps < learning_starts:
            action = self.random_legal_actions(self._last_obs)
        else:
            action, _ = self.predict(self._last_obs, deterministic=False)
        return action, action

    def td_targets(self, replay_data) -> th.Tensor:
        """Double-DQN n-step targets of a replay batch, shape ``(B, 1)`` (module docstring)."""
        discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
        with th.no_grad():
            next_obs = replay_data.next_observations
            online = masked_q_values(self.q_net(next_obs), next_obs)
            next_actions = online.argmax(dim=1, keepdim=True)
            next_q = th.gather(self.q_net_target(next_obs), dim=1, index=next_actions)
            return replay_data.rewards + (1 - replay_data.dones) * discounts * next_q

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        """SB3's DQN update with :meth:`td_targets` (double DQN, masked)."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            target_q_values = self.td_targets(replay_data)
            current_q_values = th.gather(
                self.q_net(replay_data.observations), dim=1, index=replay_data.actions.long()
            )
            loss = F.smooth_l1_loss(current_q_values, target_q_values)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", float(np.mean(losses)))


def make_model(config, env, gamma: float):
    """A fresh model of ``config.algo`` on the (vectorised, wrapped) ``env``.

    Args:
        config: a :class:`qneuro.rl.config.TrainConfig` (resolved).
        env: the SB3 ``VecEnv`` (wrapped by :func:`wrap_for` for ``"dqn"``).
        gamma: the discount factor.

    Raises:
        ValueError: the network or buffers would be too large for ``env``'s spaces
            (:meth:`~qneuro.rl.config.TrainConfig.check_sizes`); nothing is allocated then.
    """
    config.check_sizes(env.observation_space, env.action_space)
    policy_kwargs: dict[str, Any] = {
        "net_arch": list(config.net_arch),
        "activation_fn": ACTIVATIONS[config.activation],
    }
    common = {"seed": config.seed, "device": config.device, "verbose": 0}
    if config.algo == "dqn":
        # The first hidden layer runs on the nonzero inputs only (the same network).
        dqn_policy_kwargs = {
            "net_arch": list(config.net_arch[1:]),
            "activation_fn": ACTIVATIONS[config.activation],
            "features_extractor_class": SparseInputLayer,
            "features_extractor_kwargs": {
                "features_dim": config.net_arch[0],
                "activation_fn": ACTIVATIONS[config.activation],
            },
            "optimizer_kwargs": _fast_adam(),
        }
        replay_kwargs: dict[str, Any] = {"handle_timeout_termination": False}
        if config.n_steps > 1:
            replay_kwargs.update(n_steps=config.n_steps, gamma=gamma)
        return MaskedDQN(
            "MlpPolicy",
            env,
            learning_rate=config.learning_rate,
            buffer_size=config.buffer_size,
            learning_starts=config.learning_starts,
            batch_size=config.batch_size,
            gamma=gamma,
            train_freq=config.train_freq,
            gradient_steps=config.gradient_steps,
            target_update_interval=config.target_update_interval,
            exploration_initial_eps=config.exploration_initial,
            exploration_final_eps=config.exploration_final,
            exploration_decay=exploration_decay(config),
            # explicit class and kwargs (not n_steps=): a loaded model keeps them
            replay_buffer_class=NStepReplayBuffer if config.n_steps > 1 else ReplayBuffer,
            replay_buffer_kwargs=replay_kwargs,
            policy_kwargs=dqn_policy_kwargs,
            **common,
        )
    ppo_kwargs = {
        "learning_rate": config.learning_rate,
        "n_steps": config.ppo_rollout,
        "batch_size": config.ppo_batch_size,
        "gamma": gamma,
        "ent_coef": config.ppo_ent_coef,
        "policy_kwargs": {**policy_kwargs, "net_arch": list(config.net_arch)},
    }
    if config.algo == "ppo":
        return PPO("MlpPolicy", env, **ppo_kwargs, **common)
    if config.algo == "maskable-ppo":
        from sb3_contrib import MaskablePPO

        return MaskablePPO("MlpPolicy", env, **ppo_kwargs, **common)
    raise ValueError(f"algo={config.algo!r}; allowed: {', '.join(ALGOS)}")


def _fast_adam() -> dict:
    """Options for Adam's fused kernel (torch >= 2.4), else its foreach form.

    The same update as the default per-tensor loop, several times faster on CPU for a
    network with a million weights.
    """
    major, minor = (int(part) for part in th.__version__.split(".")[:2])
    return {"fused": True} if (major, minor) >= (2, 4) else {"foreach": True}


def exploration_decay(config) -> float:
    """Per-step factor taking epsilon from its initial to its final value in the set steps."""
    if config.exploration_final >= config.exploration_initial:
        return 1.0
    ratio = config.exploration_final / config.exploration_initial
    return float(ratio ** (1.0 / config.exploration_steps))


def greedy_action(model, algo: str, observation, env) -> int:
    """The trained agent's greedy action (masked for ``dqn`` and ``maskable-ppo``)."""
    if algo == "maskable-ppo":
        mask = env.get_wrapper_attr("action_masks")()
        action, _ = model.predict(observation, deterministic=True, action_masks=mask)
    else:
        action, _ = model.predict(observation, deterministic=True)
    return int(action)


def run_greedy_episode(model, algo: str, env, seed: int | None = None):
    """Play one greedy episode on ``env``; returns ``(EpisodeSummary, final info)``."""
    obs, _ = env.reset(seed=seed)
    while True:
        action = greedy_action(model, algo, obs, env)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info["episode_summary"], info
