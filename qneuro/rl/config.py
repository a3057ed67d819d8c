"""The training configuration: one typed dataclass, the single source of defaults.

The DQN defaults follow the CRLQAS agent (Patel et al., ICLR 2024), scaled for a laptop
CPU. Differences from the reference, and why:

| setting | CRLQAS | qneuro default | why |
|---|---|---|---|
| network | 5 x 1000 (2000, 5000) LeakyReLU | 3 x 256 LeakyReLU | a CPU step in ~1 ms |
| batch | 1000 | 128 | same |
| replay | 20,000 | 20,000 | |
| learning rate | 1e-4 to 3e-4 | 3e-4 | |
| target sync | every 500 updates | every 500 steps (one update per step) | |
| epsilon | 1.0 x 0.99995 per update to 0.05 | geometric to 0.05 in ``exploration_steps`` | |
| gamma | 0.005^(1/L) | 0.005^(1/L) | |
| n-step | 5 or 6 | 5 | |
| learning starts | (not stated) | 500 steps | |

Episodes cut off at the action budget are terminal (no bootstrapping), as in CRLQAS.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict, dataclass, field, fields
from os import PathLike
from pathlib import Path

from qneuro import checks

#: Algorithm names: masked double DQN, SB3 PPO, sb3-contrib MaskablePPO.
ALGOS = ("dqn", "ppo", "maskable-ppo")

#: Hidden-layer activations (torch.nn LeakyReLU, ReLU, Tanh).
ACTIVATIONS = ("leaky_relu", "relu", "tanh")

VEC_ENVS = ("dummy", "subproc")

#: Largest seed (numpy's legacy seeding takes 32-bit seeds).
MAX_SEED = 2**32 - 1

#: Most parallel environments or torch threads, and widest hidden layer (guards against
#: typos that would allocate without bound).
MAX_WORKERS = 1024
MAX_LAYER_WIDTH = 2**16

#: Most hidden layers, and most weights and biases of the network (one Q-network for DQN;
#: the policy and value networks together for PPO): 2**28 float32 parameters take 1 GiB,
#: about 4 GiB with the target network or gradients and Adam's two moments.
MAX_LAYERS = 64
MAX_NETWORK_PARAMETERS = 2**28

#: Largest DQN replay capacity and PPO rollout per environment (transitions), minibatch,
#: and n-step return length.
MAX_BUFFER_SIZE = 2**24
MAX_BATCH_SIZE = 2**16
MAX_N_STEPS = 256

#: Largest count of steps, episodes or updates (integers stay exact as JSON numbers).
MAX_COUNT = 2**53

#: Memory limits checked once the environment is built (:meth:`TrainConfig.check_sizes`):
#: the replay buffer or rollout arrays, and one minibatch's observations and activations.
MAX_BUFFER_BYTES = 8 * 2**30
MAX_BATCH_BYTES = 2 * 2**30

#: Largest ``config.json`` read (bytes).
MAX_CONFIG_BYTES = 1 << 20

#: Integer fields and their bounds ``(lowest, highest)``; None is no bound.
_INTEGER_FIELDS = {
    "timesteps": (1, MAX_COUNT),
    "seed": (0, MAX_SEED),
    "n_envs": (1, MAX_WORKERS),
    "batch_size": (1, MAX_BATCH_SIZE),
    "buffer_size": (1, MAX_BUFFER_SIZE),
    "learning_starts": (0, MAX_COUNT),
    "train_freq": (1, MAX_COUNT),
    "target_update_interval": (1, MAX_COUNT),
    "n_steps": (1, MAX_N_STEPS),
    "exploration_steps": (1, MAX_COUNT),
    "ppo_rollout": (1, MAX_BUFFER_SIZE),
    "ppo_batch_size": (2, MAX_BATCH_SIZE),  # SB3 normalises advantages over the minibatch
    "eval_every": (0, MAX_COUNT),
    "checkpoint_every": (0, MAX_COUNT),
    "torch_threads": (1, MAX_WORKERS),
}

#: Real fields and their bounds ``(lowest, highest, lowest excluded)``.
_REAL_FIELDS = {
    "learning_rate": (0.0, None, True),
    "gamma": (0.0, 1.0, True),
    "exploration_initial": (0.0, 1.0, False),
    "exploration_final": (0.0, 1.0, False),
    "ppo_ent_coef": (0.0, None, False),
}

#: Fields that may be None (their default meaning is in the class docstring).
_OPTIONAL_FIELDS = ("gamma", "exploration_steps", "torch_threads")


@dataclass
class TrainConfig:
    """Everything a training run needs; validated on creation (:meth:`validate`).

    Attributes:
        env: a registered Gymnasium ID, e.g. ``"qneuro/QAS-LiH-4q-v0"``.
        algo: ``"dqn"`` (masked double DQN), ``"ppo"`` (SB3) or ``"maskable-ppo"``
            (sb3-contrib).
        timesteps: total environment steps of the run (a resumed run continues up to it).
        seed: seeds the agent, the environments and the evaluation episodes (0 to
            ``2**32 - 1``).
        out: the run folder (logs, checkpoints, best circuit, model, plot); when resuming,
            the folder given wins over the one recorded in its ``config.json``.
        env_kwargs: keyword overrides for ``gymnasium.make(env, **env_kwargs)``.
        n_envs: parallel environments.
        vec_env: ``"dummy"`` (in-process) or ``"subproc"`` (one process per environment).
        resume: continue from the run folder's last checkpoint.
        net_arch: hidden layer widths of the Q-network (DQN) or of both PPO heads (at
            most :data:`MAX_LAYERS` layers of :data:`MAX_LAYER_WIDTH`, and
            :data:`MAX_NETWORK_PARAMETERS` in all).
        activation: ``"leaky_relu"`` (CRLQAS), ``"relu"`` or ``"tanh"``.
        learning_rate: Adam step size.
        batch_size: DQN minibatch size (at most :data:`MAX_BATCH_SIZE`).
        buffer_size: DQN replay capacity (transitions, at most :data:`MAX_BUFFER_SIZE`;
            its arrays at most :data:`MAX_BUFFER_BYTES`, see :meth:`check_sizes`).
        learning_starts: DQN steps of random legal actions before learning.
        train_freq: DQN environment steps between updates.
        gradient_steps: DQN gradient steps per update (-1: one per environment step).
        target_update_interval: DQN steps between target-network syncs.
        gamma: discount; None means ``0.005 ** (1 / L)`` with ``L`` the action budget.
        n_steps: DQN n-step return length (at most :data:`MAX_N_STEPS`).
        exploration_initial: epsilon at the start.
        exploration_final: epsilon floor.
        exploration_steps: steps for epsilon to decay geometrically to its floor; None
            means ``min(timesteps // 2, 60_000)`` (CRLQAS: ``0.99995**60_000 = 0.05``).
        ppo_rollout: PPO steps per environment per rollout (``ppo_rollout * n_envs``
            at least 2).
        ppo_batch_size: PPO minibatch size (at least 2).
        ppo_ent_coef: PPO entropy bonus.
        eval_every: episodes between greedy evaluation episodes (0: none).
        checkpoint_every: episodes between checkpoints (K); one is also written at the end.
        save_replay_buffer: ``"auto"`` (only when the buffer's arrays take under 64 MB),
            True or False.
        stop_when_solved: stop as soon as a found circuit reaches chemical accuracy by
            noiseless error (benchmarks).
        progress: show a tqdm progress bar.
        device: torch device.
        torch_threads: ``torch.set_num_threads`` for the run (None: leave it).
    """

    env: str = "qneuro/QAS-H2-2q-v0"
    algo: str = "dqn"
    timesteps: int = 20_000
    seed: int = 0
    out: str = "runs/qas"
    env_kwargs: dict = field(default_factory=dict)
    n_envs: int = 1
    vec_env: str = "dummy"
    resume: bool = False
    net_arch: tuple[int, ...] = (256, 256, 256)
    activation: str = "leaky_relu"
    learning_rate: float = 3e-4
    batch_size: int = 128
    buffer_size: int = 20_000
    learning_starts: int = 500
    train_freq: int = 1
    gradient_steps: int = 1
    target_update_interval: int = 500
    gamma: float | None = None
    n_steps: int = 5
    exploration_initial: float = 1.0
    exploration_final: float = 0.05
    exploration_steps: int | None = None
    ppo_rollout: int = 256
    ppo_batch_size: int = 64
    ppo_ent_coef: float = 0.01
    eval_every: int = 50
    checkpoint_every: int = 100
    save_replay_buffer: bool | str = "auto"
    stop_when_solved: bool = False
    progress: bool = True
    device: str = "cpu"
    torch_threads: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Normalise every field or raise ValueError naming the field, value and what is allowed.

        Counts are integers (booleans are not) within their documented bounds (steps and
        episodes at most :data:`MAX_COUNT`), real numbers are finite, names are among
        their choices; ``env_kwargs`` keys must be keywords of the environment. Sizes that
        depend on the environment's spaces are checked by :meth:`check_sizes`.
        """
        if not isinstance(self.out, str | PathLike) or not str(self.out):
            raise ValueError(f"out={self.out!r}; allowed: a folder path")
        self.out = str(self.out)
        self.algo = checks.one_of("algo", self.algo, ALGOS)
        self.vec_env = checks.one_of("vec_env", self.vec_env, VEC_ENVS)
        self.activation = checks.one_of("activation", self.activation, ACTIVATIONS)
        for name, (low, high) in _INTEGER_FIELDS.items():
            value = getattr(self, name)
            if value is not None or name not in _OPTIONAL_FIELDS:
                setattr(self, name, checks.integer(name, value, low, high))
        self.gradient_steps = _gradient_steps(self.gradient_steps)
        for name, (low, high, above) in _REAL_FIELDS.items():
            value = getattr(self, name)
            if value is not None or name not in _OPTIONAL_FIELDS:
                setattr(self, name, checks.real(name, value, low, high, above=above))
        if self.exploration_final > self.exploration_initial:
            raise ValueError(
                f"exploration_final={self.exploration_final!r} > exploration_initial="
                f"{self.exploration_initial!r}; allowed: final <= initial"
            )
        for name in ("resume", "stop_when_solved", "progress"):
            setattr(self, name, checks.flag(name, getattr(self, name)))
        if not (isinstance(self.save_replay_buffer, bool) or self.save_replay_buffer == "auto"):
            raise ValueError(
                f"save_replay_buffer={self.save_replay_buffer!r}; allowed: true, false, 'auto'"
            )
        self.net_arch = _net_arch(self.net_arch, self.algo)
        if self.algo != "dqn" and self.ppo_rollout * self.n_envs < 2:
            raise ValueError(
                f"ppo_rollout={self.ppo_rollout!r} with n_envs={self.n_envs!r}; allowed: "
                "ppo_rollout * n_envs >= 2 (PPO normalises advantages over a rollout)"
            )
        _check_device(self.device)
        _check_env_id(self.env)
        self.env_kwargs = _env_kwargs(self.env, self.env_kwargs)

    def check_sizes(self, observation_space, action_space) -> None:
        """Refuse a network or buffers too large for the environment's spaces (ValueError).

        Checked before a model is built, with the spaces the agent sees (after
        :func:`~qneuro.rl.agents.wrap_for`): the network's parameters (at most
        :data:`MAX_NETWORK_PARAMETERS`), the replay buffer's arrays (DQN; ``buffer_size``)
        or the rollout's and their flattened copy (PPO; ``ppo_rollout``), at most
        :data:`MAX_BUFFER_BYTES`, and one minibatch's observations and activations
        (``batch_size`` or ``ppo_batch_size``), at most :data:`MAX_BATCH_BYTES`.
        """
        import gymnasium as gym

        inputs = gym.spaces.flatdim(observation_space)
        actions = int(getattr(action_space, "n", gym.spaces.flatdim(action_space)))
        parameters = network_parameters(self.net_arch, self.algo, inputs, actions)
        if parameters > MAX_NETWORK_PARAMETERS:
            raise ValueError(
                f"net_arch={list(self.net_arch)!r} makes a network of {parameters:,} parameters "
                f"on this environment's {inputs:,} inputs and {actions:,} actions; allowed: at "
                f"most {MAX_NETWORK_PARAMETERS:,} (MAX_NETWORK_PARAMETERS)"
            )
        observation = _space_bytes(observation_space)
        action = _space_bytes(action_space)
        hidden = sum(self.net_arch)
        if self.algo == "dqn":
            rows = max(self.buffer_size // self.n_envs, 1) * self.n_envs
            per_row = 2 * observation + action + 3 * 4  # obs, next obs, action, 3 float32
            buffer = ("buffer_size", self.buffer_size, rows * per_row, "replay buffer")
            per_sample = 2 * observation + _ACTIVATION_BYTES * hidden
            batch = ("batch_size", self.batch_size, self.batch_size * per_sample)
        else:
            rows = self.ppo_rollout * self.n_envs
            masks = 4 * actions if self.algo == "maskable-ppo" else 0
            per_row = 2 * (observation + action + 6 * 4 + masks)  # and the flattened copy
            buffer = ("ppo_rollout", self.ppo_rollout, rows * per_row, "rollout")
            per_sample = observation + 2 * _ACTIVATION_BYTES * hidden  # two networks
            batch = ("ppo_batch_size", self.ppo_batch_size, self.ppo_batch_size * per_sample)
        name, value, size, what = buffer
        if size > MAX_BUFFER_BYTES:
            largest = MAX_BUFFER_BYTES // (per_row * (self.n_envs if self.algo != "dqn" else 1))
            raise ValueError(
                f"{name}={value:,} needs a {what} of about {size:,} bytes ({per_row:,} per "
                f"transition: observations of {inputs:,} entries, n_envs={self.n_envs}); "
                f"allowed: at most {MAX_BUFFER_BYTES:,} bytes (MAX_BUFFER_BYTES), here "
                f"{name} <= {largest:,}"
            )
        name, value, size = batch
        if size > MAX_BATCH_BYTES:
            raise ValueError(
                f"{name}={value:,} needs about {size:,} bytes per minibatch (observations of "
                f"{inputs:,} entries and activations of net_arch {list(self.net_arch)}); "
                f"allowed: at most {MAX_BATCH_BYTES:,} bytes (MAX_BATCH_BYTES), here "
                f"{name} <= {MAX_BATCH_BYTES // (size // value):,}"
            )

    def resolved(self) -> TrainConfig:
        """A copy with ``exploration_steps`` filled in (what a run actually uses)."""
        data = self.to_dict()
        if data["exploration_steps"] is None:
            data["exploration_steps"] = max(1, min(self.timesteps // 2, 60_000))
        return TrainConfig.from_dict(data)

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        data = asdict(self)
        data["net_arch"] = list(self.net_arch)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build from :meth:`to_dict` output; unknown keys are a ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"TrainConfig fields must be a JSON object, got {data!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; allowed: {sorted(known)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a ``config.json`` written by a run; a ValueError names the file and field."""
        data = checks.read_json_object(path, what="run configuration", max_bytes=MAX_CONFIG_BYTES)
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None


def network_parameters(net_arch, algo: str, inputs: int, actions: int) -> int:
    """Weights and biases of the trained network(s) for ``inputs`` and ``actions``.

    DQN: one Q-network ``inputs -> net_arch -> actions`` (its target copy not counted);
    PPO: the policy and value networks ``inputs -> net_arch -> actions`` and ``-> 1``.
    """
    widths = (inputs, *net_arch)
    stack = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    head = net_arch[-1] * actions + actions
    if algo == "dqn":
        return stack + head
    return 2 * stack + head + net_arch[-1] + 1


#: Bytes per hidden unit per minibatch sample: float32 activations and their gradients,
#: and the forward passes on the next observations (estimate).
_ACTIVATION_BYTES = 16


def _space_bytes(space) -> int:
    """Bytes of one sample of ``space`` as SB3's buffers store it."""
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return sum(_space_bytes(part) for part in space.spaces.values())
    entries = 1
    for length in space.shape or (1,):
        entries *= int(length)
    dtype = getattr(space, "dtype", None)
    return entries * (dtype.itemsize if dtype is not None else 8)


def _gradient_steps(value) -> int:

    if isinstance(value, int) and not isinstance(value, bool) and value == -1:
        return -1  # SB3: as many gradient steps as environment steps
    try:
        return checks.integer("gradient_steps", value, 1, MAX_COUNT)
    except ValueError:
        raise ValueError(
            f"gradient_steps={value!r}; allowed: an integer in 1..{MAX_COUNT:,}, or -1"
        ) from None


def _net_arch(widths, algo: str) -> tuple[int, ...]:
    """Hidden widths: at most ``MAX_LAYERS`` of ``MAX_LAYER_WIDTH``, ``MAX_NETWORK_PARAMETERS``.

    Without the environment, the parameters counted are a lower bound (one input, one
    action); :meth:`TrainConfig.check_sizes` counts them all.
    """
    if isinstance(widths, str) or not isinstance(widths, list | tuple) or not widths:
        raise ValueError(f"net_arch={widths!r}; allowed: a list of layer widths")
    if len(widths) > MAX_LAYERS:
        raise ValueError(
            f"net_arch has {len(widths)} layers; allowed: 1 to {MAX_LAYERS} (MAX_LAYERS)"
        )
    widths = tuple(
        checks.integer(f"net_arch[{index}]", width, 1, MAX_LAYER_WIDTH)
        for index, width in enumerate(widths)
    )
    parameters = network_parameters(widths, algo, 1, 1)  # a lower bound
    if parameters > MAX_NETWORK_PARAMETERS:
        raise ValueError(
            f"net_arch={list(widths)!r} has at least {parameters:,} parameters; allowed: at "
            f"most {MAX_NETWORK_PARAMETERS:,} (MAX_NETWORK_PARAMETERS)"
        )
    return widths


def _check_device(device) -> None:
    if not isinstance(device, str) or not device:
        raise ValueError(f"device={device!r}; allowed: 'auto', 'cpu', 'cuda', 'cuda:N', ...")
    if device in ("auto", "cpu"):
        return
    import torch

    try:
        torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device={device!r}; allowed: 'auto' or a torch device ('cpu', 'cuda', 'cuda:0', "
            "'mps', ...)"
        ) from None


def _env_kwargs(env_id: str, env_kwargs) -> dict:
    """``env_kwargs`` as a dict of JSON values whose keys the environment accepts."""
    import gymnasium as gym

    if not isinstance(env_kwargs, dict) or not all(isinstance(k, str) for k in env_kwargs):
        raise ValueError(f"env_kwargs={env_kwargs!r}; allowed: a JSON object of keywords")
    try:
        json.dumps(env_kwargs, allow_nan=True)
    except (TypeError, ValueError):
        raise ValueError(
            f"env_kwargs={env_kwargs!r}; allowed: JSON values (config.json stores them)"
        ) from None
    render_mode = env_kwargs.get("render_mode")
    if render_mode is not None and not isinstance(render_mode, str):  # gym.make needs a str
        raise ValueError(f"env_kwargs render_mode={render_mode!r}; allowed: null or a mode name")
    entry_point = gym.spec(env_id).entry_point
    if entry_point == "qneuro.envs.qas:QuantumArchitectureSearchEnv":
        from qneuro.envs import QuantumArchitectureSearchEnv

        allowed = tuple(inspect.signature(QuantumArchitectureSearchEnv).parameters)
        unknown = sorted(set(env_kwargs) - set(allowed))
        if unknown:
            raise ValueError(
                f"env_kwargs has unknown keywords {unknown}; allowed: {', '.join(allowed)}"
            )
    return dict(env_kwargs)


def _check_env_id(env_id: str) -> None:
    import gymnasium as gym

    import qneuro.envs  # noqa: F401  (registers the IDs)

    if not isinstance(env_id, str) or env_id not in gym.registry:
        from qneuro.envs import env_ids

        examples = ", ".join(env_ids()[:3])
        raise ValueError(
            f"env={env_id!r} is not a registered Gymnasium ID; allowed: qneuro.envs.env_ids() "
            f"(e.g. {examples}) or any registered ID"
        )
