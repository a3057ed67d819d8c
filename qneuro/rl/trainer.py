"""Train an agent on an architecture-search environment: ``train(config) -> TrainResult``.

    >>> from qneuro.rl import TrainConfig, train
    >>> config = TrainConfig(env="qneuro/QAS-H2-2q-v0", timesteps=3000, out="runs/h2")
    >>> result = train(config)  # doctest: +SKIP
    >>> result.solved, result.best_noiseless_error, result.gates  # doctest: +SKIP

The run folder layout is in :mod:`qneuro.rl.checkpoint`. ``resume=True`` continues from
the folder's last checkpoint up to ``timesteps`` in total: the model, the replay buffer
(when it was saved), the curriculum state, the counters (episodes, timesteps, wall time,
evaluations) and the best circuit are restored; ``episodes.csv`` and
``evaluations.csv`` are cut back to the checkpoint. Episodes running at the checkpoint
are lost (the environments restart).
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from qneuro.vqe import CHEMICAL_ACCURACY

from . import agents, checkpoint
from .callbacks import (
    EPISODE_FIELDS,
    EVAL_FIELDS,
    BestCircuit,
    CsvLog,
    CurriculumSync,
    TrainingMonitor,
    circuit_record,
    truncate_csv,
)
from .config import TrainConfig

#: The replay buffer is saved with ``save_replay_buffer="auto"`` below this size.
AUTO_REPLAY_BYTES = 64 * 2**20

#: Config fields a resumed run may change; all others must match the saved run.
RESUMABLE_FIELDS = ("timesteps", "progress", "stop_when_solved", "torch_threads", "device",
                    "eval_every", "checkpoint_every", "save_replay_buffer", "resume")


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
        if self.first_solved is None and abs(summary["noiseless_error"]) < CHEMICAL_ACCURACY:
            record = circuit_record(summary, qasm, **where)
            self.first_solved = {
                k: record[k]
                for k in ("episode", "timesteps", "wall_s", "source", "gates", "cnots",
                          "depth", "parameters", "noiseless_error", "error")
            }

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
            **{k: summary[k] for k in ("success", "solved", "steps", "threshold", "gates",
                                       "cnots", "depth", "parameters")},
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
        checkpoint.save_checkpoint(self.dir, self.model, state, replay=bool(replay))
        if self.episodes:
            from .plots import learning_curve

            learning_curve(self.dir / "episodes.csv", self.dir / "learning_curve.png")


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
        ValueError: bad configuration, an existing run folder without ``resume``, or a
            resumed run whose environment or algorithm differs from the saved one.
    """
    config = config or TrainConfig()
    if overrides:
        config = TrainConfig.from_dict({**config.to_dict(), **overrides})
    run_dir = Path(config.out)
    state = checkpoint.load_state(run_dir)
    if state is not None and not config.resume:
        raise ValueError(
            f"{run_dir} already holds a run; resume it (--resume) or choose another --out"
        )
    if state is not None:
        config = _resumed_config(run_dir, config)
    else:
        config = config.resolved()
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint.atomic_write_json(run_dir / "config.json", config.to_dict())
    if config.torch_threads is not None:
        import torch

        torch.set_num_threads(config.torch_threads)

    run = Run(config, state)
    done = state["timesteps"] if state else 0
    vec_env = make_vec_env(config, seed=config.seed + done)
    reference = vec_env.get_attr("reference", [0])[0]
    max_gates = vec_env.get_attr("max_gates", [0])[0]
    from qneuro.envs import make_curriculum

    if state is not None:
        master = make_curriculum(dict(state["curriculum"]))
    else:
        master = make_curriculum(dict(vec_env.env_method("get_curriculum_state", indices=[0])[0]))
    run.sync = CurriculumSync(master, reference)
    run.sync.broadcast(vec_env)
    run.eval_env = make_env(config)

    if state is not None:
        run.model = agents.model_class(config.algo).load(
            state["model"], env=vec_env, device=config.device
        )
        if state.get("replay_buffer") and hasattr(run.model, "load_replay_buffer"):
            run.model.load_replay_buffer(state["replay_buffer"])
        truncate_csv(run_dir / "episodes.csv", "episode", run.episodes)
        truncate_csv(run_dir / "evaluations.csv", "evaluation", run.evaluations)
    else:
        gamma = config.gamma if config.gamma is not None else default_gamma(max_gates)
        run.model = agents.make_model(config, vec_env, gamma)
    _setup_logging(run)
    remaining = config.timesteps - int(run.model.num_timesteps)
    try:
        if remaining > 0 and not (config.stop_when_solved and run.first_solved):
            run.model.learn(
                remaining,
                callback=TrainingMonitor(run),
                reset_num_timesteps=state is None,
                log_interval=10,
            )
    except KeyboardInterrupt:
        run.checkpoint()
        raise
    finally:
        run.episode_log.close()
        run.eval_log.close()
        if run.writer is not None:
            run.writer.close()
    run.checkpoint()
    final = run_dir / "model.zip"
    run.model.save(run_dir / "model.zip.partial")
    (run_dir / "model.zip.partial").replace(final)
    vec_env.close()
    run.eval_env.close()
    result = _result(run)
    checkpoint.atomic_write_json(run_dir / "result.json", result.to_json())
    return result


def resume(run_dir: str | Path, **overrides) -> TrainResult:
    """Continue a run from its folder's saved configuration and last checkpoint.

    Args:
        run_dir: the run folder.
        **overrides: fields to change (e.g. ``timesteps=`` a larger total).
    """
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"no run to resume in {run_dir} (no config.json)")
    config = TrainConfig.load(path)
    return train(TrainConfig.from_dict({**config.to_dict(), **overrides, "resume": True,
                                        "out": str(run_dir)}))


def _resumed_config(run_dir: Path, config: TrainConfig) -> TrainConfig:
    saved = TrainConfig.load(run_dir / "config.json")
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
    from stable_baselines3.common.logger import configure

    run.episode_log = CsvLog(run.dir / "episodes.csv", EPISODE_FIELDS)
    run.eval_log = CsvLog(run.dir / "evaluations.csv", EVAL_FIELDS)
    try:
        from torch.utils.tensorboard import SummaryWriter

        run.writer = SummaryWriter(str(run.dir / "tb" / "episodes"))
        run.model.set_logger(configure(str(run.dir / "tb" / "agent"), ["tensorboard"]))
    except ImportError:  # tensorboard is a declared dependency; degrade if absent
        run.writer = None
        run.model.set_logger(configure(None, []))


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
