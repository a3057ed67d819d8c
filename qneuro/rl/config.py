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

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

#: Algorithm names: masked double DQN, SB3 PPO, sb3-contrib MaskablePPO.
ALGOS = ("dqn", "ppo", "maskable-ppo")

#: Hidden-layer activations (torch.nn LeakyReLU, ReLU, Tanh).
ACTIVATIONS = ("leaky_relu", "relu", "tanh")

VEC_ENVS = ("dummy", "subproc")


@dataclass
class TrainConfig:
    """Everything a training run needs; validated on creation.

    Attributes:
        env: a registered Gymnasium ID, e.g. ``"qneuro/QAS-LiH-4q-v0"``.
        algo: ``"dqn"`` (masked double DQN), ``"ppo"`` (SB3) or ``"maskable-ppo"``
            (sb3-contrib).
        timesteps: total environment steps of the run (a resumed run continues up to it).
        seed: seeds the agent, the environments and the evaluation episodes.
        out: the run folder (logs, checkpoints, best circuit, model, plot).
        env_kwargs: keyword overrides for ``gymnasium.make(env, **env_kwargs)``.
        n_envs: parallel environments.
        vec_env: ``"dummy"`` (in-process) or ``"subproc"`` (one process per environment).
        resume: continue from the run folder's last checkpoint.
        net_arch: hidden layer widths of the Q-network (DQN) or of both PPO heads.
        activation: ``"leaky_relu"`` (CRLQAS), ``"relu"`` or ``"tanh"``.
        learning_rate: Adam step size.
        batch_size: DQN minibatch size.
        buffer_size: DQN replay capacity (transitions).
        learning_starts: DQN steps of random legal actions before learning.
        train_freq: DQN environment steps between updates.
        gradient_steps: DQN gradient steps per update.
        target_update_interval: DQN steps between target-network syncs.
        gamma: discount; None means ``0.005 ** (1 / L)`` with ``L`` the action budget.
        n_steps: DQN n-step return length.
        exploration_initial: epsilon at the start.
        exploration_final: epsilon floor.
        exploration_steps: steps for epsilon to decay geometrically to its floor; None
            means ``min(timesteps // 2, 60_000)`` (CRLQAS: ``0.99995**60_000 = 0.05``).
        ppo_rollout: PPO steps per environment per rollout.
        ppo_batch_size: PPO minibatch size.
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
        self.out = str(self.out)
        self.net_arch = tuple(int(w) for w in self.net_arch)
        self.env_kwargs = dict(self.env_kwargs or {})
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first bad field and what is allowed."""
        if self.algo not in ALGOS:
            raise ValueError(f"algo={self.algo!r}; allowed: {', '.join(ALGOS)}")
        _check_env_id(self.env)
        for name in ("timesteps", "n_envs", "batch_size", "buffer_size", "train_freq",
                     "target_update_interval", "n_steps", "ppo_rollout", "ppo_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}; allowed: an integer >= 1")
        for name in ("learning_starts", "eval_every", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}={value!r}; allowed: an integer >= 0")
        if self.gradient_steps == 0 or not isinstance(self.gradient_steps, int):
            raise ValueError(f"gradient_steps={self.gradient_steps!r}; allowed: >= 1 or -1")
        if self.vec_env not in VEC_ENVS:
            raise ValueError(f"vec_env={self.vec_env!r}; allowed: {', '.join(VEC_ENVS)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation={self.activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        if not self.net_arch or any(w < 1 for w in self.net_arch):
            raise ValueError(f"net_arch={self.net_arch!r}; allowed: positive layer widths")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate={self.learning_rate!r}; allowed: > 0")
        if self.gamma is not None and not 0 < self.gamma <= 1:
            raise ValueError(f"gamma={self.gamma!r}; allowed: None or 0 < gamma <= 1")
        if not 0 <= self.exploration_final <= self.exploration_initial <= 1:
            raise ValueError(
                f"exploration_initial={self.exploration_initial!r}, exploration_final="
                f"{self.exploration_final!r}; allowed: 0 <= final <= initial <= 1"
            )
        if self.exploration_steps is not None and (
            not isinstance(self.exploration_steps, int) or self.exploration_steps < 1
        ):
            raise ValueError(f"exploration_steps={self.exploration_steps!r}; allowed: None or >= 1")
        if self.save_replay_buffer not in (True, False, "auto"):
            raise ValueError(
                f"save_replay_buffer={self.save_replay_buffer!r}; allowed: True, False, 'auto'"
            )
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ValueError(f"torch_threads={self.torch_threads!r}; allowed: None or >= 1")

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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; allowed: {sorted(known)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a ``config.json`` written by a run."""
        return cls.from_dict(json.loads(Path(path).read_text()))


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
