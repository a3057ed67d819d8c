"""Train an agent on an architecture-search environment: ``train(config) -> TrainResult``.

    >>> from qneuro.rl import TrainConfig, train
    >>> config = TrainConfig(env="qneuro/QAS-H2-2q-v0", timesteps=3000, out="runs/h2")
    >>> result = train(config)  # doctest: +SKIP
    >>> result.solved, result.best_noiseless_error, result.gates  # doctest: +SKIP

The run folder layout is in :mod:`qneuro.rl.checkpoint`. ``resume=True`` continues from
the folder's last checkpoint up to ``timesteps`` in total: the model, the replay buffer
(when it was saved), the curriculum state, the counters (episodes, timesteps, wall time,
evaluations) and the best circuit are restored. Episodes running at the checkpoint are
lost (the environments restart).

A session may be killed at any moment (SIGKILL included). The next one, resumed or
started afresh, first rewinds the folder to the last checkpoint (to nothing without one):
``episodes.csv`` and ``evaluations.csv`` keep their rows up to it, ``best_circuit.*``
goes back to its record, and the new TensorBoard event files hide the steps after it
(``purge_step``). Rows, scalars and counters thus agree, without duplicates.

The folder given (``out``) is authoritative: a run folder can be moved or copied and
resumed there. A session holds a lock on it (:class:`qneuro.files.FolderLock`), so a
second writer is refused; symbolic links inside the folder are refused, not followed.
A session checks everything before its first write: the configuration and the sizes it
gives on the environment (:meth:`TrainConfig.check_sizes`), every name it will write
(:func:`~qneuro.rl.checkpoint.check_run_folder`), and the checkpoint it resumes from
(``state.json``, weights, replay buffer); a refused session leaves the folder as it was.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from qneuro import files

from . import agents, checkpoint
from .callbacks import training_callbacks
from .config import TrainConfig
from .logs import open_logs, rewind_logs
from .session import BestCircuit, Checkpointer, Counters, CurriculumSync, GreedyEvaluation

#: Config fields a resumed run takes from the call (``out``: the folder may have moved);
#: the others come from the saved run.
RESUMABLE_FIELDS = (
    "timesteps",
    "progress",
    "stop_when_solved",
    "torch_threads",
    "device",
    "eval_every",
    "checkpoint_every",
    "save_replay_buffer",
    "resume",
    "out",
)


@dataclass
class TrainResult:
    """A run's outcome (the best circuit found; errors are magnitudes in Ha).

    Attributes:
        run_dir: the run folder.
        env: the environment ID; algo: the algorithm.
        solved: the best circuit is within chemical accuracy by noiseless error.
        best_error: its error under the environment's noise (as measured).
        best_noiseless_error: its noiseless error.
        energy, noiseless_energy: its energies (Ha).
        episodes, timesteps, wall_s: training counters (wall time over all sessions).
        gates, cnots, params, depth: the best circuit's size.
        qasm: the best circuit (OpenQASM 2, angles bound).
        best_episode: the episode that found it.
        first_solved: episode, timesteps, wall_s, gates, cnots, params of the first
            circuit at chemical accuracy (None if none).
        threshold: the curriculum threshold at the end.
    """

    run_dir: str
    env: str
    algo: str
    solved: bool
    best_error: float | None
    best_noiseless_error: float | None
    energy: float | None
    noiseless_energy: float | None
    episodes: int
    timesteps: int
    wall_s: float
    gates: int
    cnots: int
    params: int
    depth: int
    qasm: str
    best_episode: int | None
    first_solved: dict | None
    threshold: float

    def to_json(self) -> dict:
        """JSON-ready dict (the CLI's ``--json`` line)."""
        return asdict(self)


def make_env(config: TrainConfig):
    """One (non-vector) environment of the run, wrapped as its algorithm needs."""
    import qneuro.envs  # noqa: F401

    env = gym.make(config.env, **config.env_kwargs)
    wrapper = agents.wrap_for(config.algo)
    return wrapper(env) if wrapper else env


def build_model(config: TrainConfig, env, max_gates: int):
    """A fresh model of ``config`` on ``env`` (discount ``config.gamma`` or CRLQAS's)."""
    gamma = config.gamma if config.gamma is not None else default_gamma(max_gates)
    return agents.make_model(config, env, gamma)


def make_vec_env(config: TrainConfig, seed: int):
    """The run's SB3 vector env (Monitor-wrapped workers)."""
    from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    import qneuro.envs  # noqa: F401

    return sb3_make_vec_env(
        functools.partial(make_registered_env, config.env),
        n_envs=config.n_envs,
        seed=seed,
        env_kwargs=config.env_kwargs,
        wrapper_class=agents.wrap_for(config.algo),
        vec_env_cls=SubprocVecEnv if config.vec_env == "subproc" else DummyVecEnv,
    )


def make_registered_env(env_id: str, **kwargs):
    """``gymnasium.make(env_id, **kwargs)`` after registering qneuro's IDs.

    Picklable, so ``SubprocVecEnv`` workers in fresh interpreters find the IDs.
    """
    import qneuro.envs  # noqa: F401

    return gym.make(env_id, **kwargs)


def default_gamma(max_gates: int) -> float:
    """CRLQAS discount ``0.005 ** (1 / L)`` (0.88 for L = 40)."""
    return float(0.005 ** (1.0 / max_gates))


def train(config: TrainConfig | None = None, **overrides) -> TrainResult:
    """Train (or resume) a run; returns its :class:`TrainResult`.

    Args:
        config: the run's configuration (default :class:`TrainConfig`).
        **overrides: fields replacing those of ``config``.

    Raises:
        ValueError: bad configuration or environment keywords, a network or buffers too
            large for the environment (nothing is written then), an existing run folder
            without ``resume``, a resumed run whose environment or algorithm differs from
            the saved one, a malformed checkpoint, a folder in use by another process, or
            a symbolic link or a non-regular file under a name the run writes (the run
            folder is left as it was).
    """
    config = config or TrainConfig()
    if overrides:
        config = TrainConfig.from_dict({**config.to_dict(), **overrides})
    eval_env = make_env(config)  # checks the environment keywords before any write
    try:
        config.check_sizes(eval_env.observation_space, eval_env.action_space)
        run_dir = files.output_folder(config.out)
        with files.FolderLock(run_dir):
            return _train_session(run_dir, config, eval_env)
    finally:
        eval_env.close()


def _train_session(run_dir: Path, config: TrainConfig, eval_env) -> TrainResult:
    """One session in the locked ``run_dir``.

    Everything is checked before the first write: the names the run writes
    (:func:`~qneuro.rl.checkpoint.check_run_folder`), ``state.json``, the resumed
    configuration, the model's sizes, and the checkpoint's weights and replay buffer
    (loaded into the new model). Only then are temporaries removed, ``config.json``
    written and the logs rewound.
    """
    checkpoint.check_run_folder(run_dir)
    state = checkpoint.load_state(run_dir)
    if state is not None and not config.resume:
        raise ValueError(
            f"{run_dir} already holds a run; resume it (--resume) or choose another --out"
        )
    config = _resumed_config(run_dir, config) if state is not None else config.resolved()
    config.check_sizes(eval_env.observation_space, eval_env.action_space)
    if config.torch_threads is not None:
        import torch

        torch.set_num_threads(config.torch_threads)

    counters = Counters.from_state(state)
    best = BestCircuit(
        run_dir, state.get("best") if state else None, state.get("first_solved") if state else None
    )
    done = state["timesteps"] if state else 0
    vec_env = make_vec_env(config, seed=config.seed + done)
    try:
        sync = _curriculum(vec_env, state)
        model = build_model(config, vec_env, vec_env.get_attr("max_gates", [0])[0])
        if state is not None:
            checkpoint.restore_model(state, model)
        # all checked: the session's first writes
        checkpoint.remove_temporaries(run_dir)
        files.atomic_write_json(files.inside(run_dir, "config.json"), config.to_dict(), indent=2)
        rewind_logs(run_dir, counters.episodes, counters.evaluations)
        best.restore()
        _learn(config, run_dir, model, counters, sync, best, eval_env, resumed=state is not None)
        files.atomic_write(
            files.inside(run_dir, "model.zip"), functools.partial(_save_sb3_zip, model)
        )
    finally:
        vec_env.close()
    result = _result(config, run_dir, model, counters, sync, best)
    files.atomic_write_json(files.inside(run_dir, "result.json"), result.to_json(), indent=2)
    return result


def _curriculum(vec_env, state: dict | None) -> CurriculumSync:
    """The run's curriculum (the checkpoint's, or the environments' first one), sent out."""
    from qneuro.envs import make_curriculum

    if state is None:
        state = {"curriculum": vec_env.env_method("get_curriculum_state", indices=[0])[0]}
    master = make_curriculum(dict(state["curriculum"]))
    sync = CurriculumSync(master, vec_env.get_attr("reference", [0])[0])
    sync.broadcast(vec_env)
    return sync


def _learn(config, run_dir, model, counters, sync, best, eval_env, resumed: bool) -> None:
    """Train up to ``timesteps`` with the run's callbacks; checkpoint at the end."""
    logs = open_logs(run_dir, model, counters.episodes)
    save = Checkpointer(run_dir, model, config.save_replay_buffer, counters, sync, best, logs)
    evaluate = GreedyEvaluation(
        eval_env, model, config.algo, config.seed, counters, sync, best, logs
    )
    remaining = config.timesteps - int(model.num_timesteps)
    try:
        if remaining > 0 and not (config.stop_when_solved and best.first_solved):
            model.learn(
                remaining,
                callback=training_callbacks(config, counters, sync, best, logs, evaluate, save),
                reset_num_timesteps=not resumed,
                log_interval=10,
            )
    except KeyboardInterrupt:
        save()
        raise
    finally:
        logs.close()
    save()


def _save_sb3_zip(model, path: str) -> None:
    """stable-baselines3's own ``model.save`` (for SB3 users; qneuro never loads it)."""
    with open(path, "wb") as handle:
        model.save(handle)


def resume(run_dir: str | Path, **overrides) -> TrainResult:
    """Continue a run from its folder's saved configuration and last checkpoint.

    Args:
        run_dir: the run folder.
        **overrides: fields to change (e.g. ``timesteps=`` a larger total).
    """
    path = files.inside(run_dir, "config.json", what="run configuration")
    if not path.is_file():
        raise FileNotFoundError(f"no run to resume in {run_dir} (no config.json)")
    config = TrainConfig.load(path)
    return train(
        TrainConfig.from_dict(
            {**config.to_dict(), **overrides, "resume": True, "out": str(run_dir)}
        )
    )


def _resumed_config(run_dir: Path, config: TrainConfig) -> TrainConfig:
    saved = TrainConfig.load(files.inside(run_dir, "config.json", what="run configuration"))
    for name in ("env", "algo", "env_kwargs", "n_envs", "net_arch"):
        if getattr(saved, name) != getattr(config, name):
            raise ValueError(
                f"resume: {name}={getattr(config, name)!r} differs from the saved run's "
                f"{getattr(saved, name)!r}"
            )
    data = saved.to_dict()
    data.update({name: getattr(config, name) for name in RESUMABLE_FIELDS})
    return TrainConfig.from_dict(data)


def _result(config, run_dir, model, counters, sync, best) -> TrainResult:
    record = best.record or {}
    return TrainResult(
        run_dir=str(run_dir),
        env=config.env,
        algo=config.algo,
        solved=bool(record.get("solved", False)),
        best_error=record.get("error"),
        best_noiseless_error=record.get("noiseless_error"),
        energy=record.get("energy"),
        noiseless_energy=record.get("noiseless_energy"),
        episodes=counters.episodes,
        timesteps=int(model.num_timesteps),
        wall_s=float(np.round(counters.wall_s(), 3)),
        gates=int(record.get("gates", 0)),
        cnots=int(record.get("cnots", 0)),
        params=int(record.get("parameters", 0)),
        depth=int(record.get("depth", 0)),
        qasm=record.get("qasm", ""),
        best_episode=record.get("episode"),
        first_solved=best.first_solved,
        threshold=sync.threshold,
    )
