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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
from stable_baselines3.common.logger import Logger, TensorBoardOutputFormat

from qneuro import files
from qneuro.chem import within_chemical_accuracy

from . import agents, checkpoint
from .callbacks import (
    EPISODE_FIELDS,
    EVAL_FIELDS,
    BestCircuit,
    CsvLog,
    CurriculumSync,
    TrainingMonitor,
    circuit_record,
    rewind_csv,
)
from .config import TrainConfig

#: The replay buffer is saved with ``save_replay_buffer="auto"`` below this size.
AUTO_REPLAY_BYTES = 64 * 2**20

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


class Run:
    """The state of one training session (used by :class:`~.callbacks.TrainingMonitor`)."""

    def __init__(self, config: TrainConfig, state: dict | None) -> None:
        self.config = config
        self.dir = Path(config.out)
        self.state = state
        self.episodes = state["episodes"] if state else 0
        self.evaluations = state["evaluations"] if state else 0
        self.wall_before = state["wall_s"] if state else 0.0
        self.first_solved = state.get("first_solved") if state else None
        self.best = BestCircuit(self.dir, state.get("best") if state else None)
        self.next_eval = self.episodes + config.eval_every
        self.next_checkpoint = self.episodes + config.checkpoint_every
        self.started = time.perf_counter()
        self.model = None
        self.sync: CurriculumSync | None = None
        self.eval_env = None
        self.episode_log: CsvLog | None = None
        self.eval_log: CsvLog | None = None
        self.writer = None
        self.agent_writer = None

    def path(self, name: str) -> Path:
        """``name`` in the run folder (a symbolic link on the way is refused)."""
        return files.inside(self.dir, name)

    def rewind(self) -> None:
        """Cut the CSV logs and the best circuit back to the checkpoint (none: to nothing)."""
        rewind_csv(self.path("episodes.csv"), EPISODE_FIELDS, "episode", self.episodes)
        rewind_csv(self.path("evaluations.csv"), EVAL_FIELDS, "evaluation", self.evaluations)
        self.best.restore()

    def wall_s(self) -> float:
        """Training wall time over every session of this run (s)."""
        return self.wall_before + time.perf_counter() - self.started

    # -- called by the callback -----------------------------------------------------------

    def log_episode(self, row: dict) -> None:
        """CSV row and TensorBoard scalars of a finished training episode."""
        self.episode_log.write(row)
        if self.writer is not None:
            step = row["episode"]
            for key in ("error", "noiseless_error"):
                self.writer.add_scalar(f"episode/{key}", max(row[key], 1e-16), step)
            for key in ("threshold", "return", "gates", "cnots", "depth", "steps"):
                self.writer.add_scalar(f"episode/{key}", float(row[key]), step)
            self.writer.add_scalar("episode/success", float(row["success"]), step)

    def offer(self, summary: dict, qasm: str, source: str) -> None:
        """Offer a circuit to the best-circuit record and note the first solve."""
        where = {
            "episode": self.episodes,
            "timesteps": int(self.model.num_timesteps),
            "wall_s": self.wall_s(),
            "source": source,
        }
        self.best.offer(summary, qasm, **where)
        if self.first_solved is None and within_chemical_accuracy(summary["noiseless_error"]):
            record = circuit_record(summary, qasm, **where)
            self.first_solved = {k: record[k] for k in checkpoint.FIRST_SOLVED_FIELDS}

    def evaluate_greedy(self) -> dict:
        """One greedy episode of the current agent (masked); logged and offered."""
        env = self.eval_env
        env.unwrapped.set_curriculum_state(self.sync.curriculum.state_dict())
        self.evaluations += 1
        summary, info = run_greedy_episode(
            self.model, self.config.algo, env, seed=self.config.seed + 100_000 + self.evaluations
        )
        row = {
            "evaluation": self.evaluations,
            "episode": self.episodes,
            "timesteps": int(self.model.num_timesteps),
            "wall_s": self.wall_s(),
            **{
                k: summary[k]
                for k in (
                    "success",
                    "solved",
                    "steps",
                    "threshold",
                    "gates",
                    "cnots",
                    "depth",
                    "parameters",
                )
            },
            "error": abs(summary["error"]),
            "noiseless_error": abs(summary["noiseless_error"]),
        }
        self.eval_log.write(row)
        if self.writer is not None:
            step = self.episodes
            self.writer.add_scalar("eval/noiseless_error", max(row["noiseless_error"], 1e-16), step)
            self.writer.add_scalar("eval/error", max(row["error"], 1e-16), step)
            self.writer.add_scalar("eval/gates", row["gates"], step)
        self.offer(summary, info.get("qasm", ""), source="eval")
        return row

    def checkpoint(self) -> None:
        """Write a checkpoint (model, replay buffer if chosen, curriculum, counters)."""
        replay = self.config.save_replay_buffer
        if replay == "auto":
            replay = checkpoint.replay_buffer_bytes(self.model) < AUTO_REPLAY_BYTES
        state = {
            "episodes": self.episodes,
            "timesteps": int(self.model.num_timesteps),
            "wall_s": self.wall_s(),
            "evaluations": self.evaluations,
            "curriculum": self.sync.curriculum.state_dict(),
            "best": self.best.record,
            "first_solved": self.first_solved,
        }
        for writer in (self.writer, self.agent_writer):  # events up to here reach the disk
            if writer is not None:
                writer.flush()
        checkpoint.save_checkpoint(self.dir, self.model, state, replay=bool(replay))
        if self.episodes:
            from .plots import learning_curve

            learning_curve(self.path("episodes.csv"), self.path("learning_curve.png"))


def run_greedy_episode(model, algo: str, env, seed: int | None = None):
    """Play one greedy episode; returns ``(episode_summary, final info)``."""
    obs, _ = env.reset(seed=seed)
    while True:
        action = agents.greedy_action(model, algo, obs, env)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info["episode_summary"], info


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

    run = Run(config, state)
    run.eval_env = eval_env
    done = state["timesteps"] if state else 0
    vec_env = make_vec_env(config, seed=config.seed + done)
    try:
        from qneuro.envs import make_curriculum

        if state is not None:
            master = make_curriculum(dict(state["curriculum"]))
        else:
            initial = vec_env.env_method("get_curriculum_state", indices=[0])[0]
            master = make_curriculum(dict(initial))
        run.sync = CurriculumSync(master, vec_env.get_attr("reference", [0])[0])
        run.sync.broadcast(vec_env)
        run.model = build_model(config, vec_env, vec_env.get_attr("max_gates", [0])[0])
        if state is not None:
            checkpoint.restore_model(state, run.model)
        # all checked: the session's first writes
        checkpoint.remove_temporaries(run_dir)
        files.atomic_write_json(run.path("config.json"), config.to_dict(), indent=2)
        run.rewind()
        _learn(run, resumed=state is not None)
        files.atomic_write(run.path("model.zip"), functools.partial(_save_sb3_zip, run.model))
    finally:
        vec_env.close()
    result = _result(run)
    files.atomic_write_json(run.path("result.json"), result.to_json(), indent=2)
    return result


def _learn(run: Run, resumed: bool) -> None:
    """Train up to ``timesteps`` with the run's callback; checkpoint at the end."""
    _setup_logging(run)
    config = run.config
    remaining = config.timesteps - int(run.model.num_timesteps)
    try:
        if remaining > 0 and not (config.stop_when_solved and run.first_solved):
            run.model.learn(
                remaining,
                callback=TrainingMonitor(run),
                reset_num_timesteps=not resumed,
                log_interval=10,
            )
    except KeyboardInterrupt:
        run.checkpoint()
        raise
    finally:
        run.episode_log.close()
        run.eval_log.close()
        for writer in (run.writer, run.agent_writer):
            if writer is not None:
                writer.close()
    run.checkpoint()


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


def _setup_logging(run: Run) -> None:
    """CSV logs, and TensorBoard event files of this session.

    Each session writes new event files whose ``purge_step`` hides the steps a killed
    session wrote after the checkpoint (episodes in ``tb/episodes``, timesteps in
    ``tb/agent``).
    """
    run.episode_log = CsvLog(run.path("episodes.csv"), EPISODE_FIELDS)
    run.eval_log = CsvLog(run.path("evaluations.csv"), EVAL_FIELDS)
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is a declared dependency; degrade if absent
        run.model.set_logger(Logger(None, []))
        return
    _after_earlier_sessions(run.path("tb"))
    run.writer = SummaryWriter(str(run.path("tb/episodes")), purge_step=run.episodes + 1)
    folder = str(run.path("tb/agent"))
    agent = _PurgingTensorBoard(folder, purge_step=int(run.model.num_timesteps) + 1)
    run.agent_writer = agent.writer
    run.model.set_logger(Logger(folder, [agent]))


def _after_earlier_sessions(folder: Path) -> None:
    """Wait (at most a second) until this session's event files sort after the others.

    Event files are named ``events.out.tfevents.<unix seconds>.<host>.<pid>...`` and read
    in name order; a session resumed within the second of a killed one would otherwise
    sort by process id, and its ``purge_step`` would apply before the events it hides.
    """
    stamps = [
        int(parts[3])
        for path in folder.glob("*/events.out.tfevents.*")
        if len(parts := path.name.split(".")) > 3 and parts[3].isdigit()
    ]
    while stamps and int(time.time()) <= max(stamps):
        time.sleep(0.05)


class _PurgingTensorBoard(TensorBoardOutputFormat):
    """SB3's TensorBoard output, writing with a ``purge_step`` (SB3 offers none)."""

    def __init__(self, folder: str, purge_step: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=folder, purge_step=purge_step)
        self._is_closed = False


def _result(run: Run) -> TrainResult:
    best = run.best.record or {}
    return TrainResult(
        run_dir=str(run.dir),
        env=run.config.env,
        algo=run.config.algo,
        solved=bool(best.get("solved", False)),
        best_error=best.get("error"),
        best_noiseless_error=best.get("noiseless_error"),
        energy=best.get("energy"),
        noiseless_energy=best.get("noiseless_energy"),
        episodes=run.episodes,
        timesteps=int(run.model.num_timesteps),
        wall_s=float(np.round(run.wall_s(), 3)),
        gates=int(best.get("gates", 0)),
        cnots=int(best.get("cnots", 0)),
        params=int(best.get("parameters", 0)),
        depth=int(best.get("depth", 0)),
        qasm=best.get("qasm", ""),
        best_episode=best.get("episode"),
        first_solved=run.first_solved,
        threshold=run.sync.threshold,
    )
