"""The SB3 callbacks of a training run, composed by :func:`training_callbacks`.

After each vector step, in this order:

1. :class:`EpisodeEnds` numbers the episodes that just ended (``info["episode_summary"]``),
   replays each into the run's curriculum and makes every worker follow its new state;
2. :class:`EpisodeLog` appends their rows to ``episodes.csv`` and scalars to TensorBoard;
3. :class:`KeepBestCircuit` offers their circuits to the best-circuit record;
4. :class:`PeriodicEvaluation` runs a greedy evaluation episode every ``eval_every``
   episodes;
5. :class:`PeriodicCheckpoint` writes a checkpoint due every ``checkpoint_every``
   episodes at the end of that rollout, once SB3 has stored the step's transitions and
   counted its episodes, so the saved counters and replay buffer agree with the logs;
6. :class:`ProgressBar` advances the bar;
7. :class:`StopWhenSolved` stops the run once a circuit reached chemical accuracy.

Every finished episode is counted once, in the order the vector env reports them. A
worker's episode that is already running when the threshold moves continues under the
new threshold. The callbacks after :class:`EpisodeEnds` read its :attr:`~EpisodeEnds.ended`
of the current step, so it must come first in the list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from .logs import Logs
from .session import BestCircuit, Counters, CurriculumSync


@dataclass(frozen=True)
class EndedEpisode:
    """A training episode that ended at the current step.

    Attributes:
        number: its number in the run (1, 2, ...).
        worker: the vector-env index that played it.
        timesteps, wall_s: the run's counters when it ended.
        episode_return: the sum of its rewards.
        summary: the environment's :class:`~qneuro.envs.episode.EpisodeSummary`.
        qasm: its final circuit (OpenQASM 2).
        threshold, next_threshold: the run's threshold before and after its replay (Ha).
    """

    number: int
    worker: int
    timesteps: int
    wall_s: float
    episode_return: float
    summary: object
    qasm: str
    threshold: float
    next_threshold: float


class EpisodeEnds(BaseCallback):
    """Collects the step's ended episodes into :attr:`ended`; owns the curriculum replay."""

    def __init__(self, counters: Counters, sync: CurriculumSync) -> None:
        super().__init__(verbose=0)
        self.counters = counters
        self.sync = sync
        self.ended: list[EndedEpisode] = []
        self.returns = np.zeros(0)

    def _on_training_start(self) -> None:
        self.returns = np.zeros(self.training_env.num_envs)

    def _on_step(self) -> bool:
        infos = self.locals.get("infos", [])
        rewards = np.asarray(self.locals.get("rewards", np.zeros(len(infos))), dtype=float)
        self.returns += rewards
        self.ended = []
        for worker, info in enumerate(infos):
            summary = info.get("episode_summary")
            if summary is None:
                continue
            threshold = self.sync.threshold
            self.sync.replay(summary)
            self.counters.episodes += 1
            self.ended.append(
                EndedEpisode(
                    number=self.counters.episodes,
                    worker=worker,
                    timesteps=self.num_timesteps,
                    wall_s=self.counters.wall_s(),
                    episode_return=float(self.returns[worker]),
                    summary=summary,
                    qasm=info.get("qasm", ""),
                    threshold=threshold,
                    next_threshold=self.sync.threshold,
                )
            )
            self.returns[worker] = 0.0
        if self.ended:
            self.sync.broadcast(self.training_env)
        return True


class EpisodeLog(BaseCallback):
    """One ``episodes.csv`` row and TensorBoard scalars per ended episode."""

    def __init__(self, ends: EpisodeEnds, logs: Logs) -> None:
        super().__init__(verbose=0)
        self.ends = ends
        self.logs = logs

    def _on_step(self) -> bool:
        for ended in self.ends.ended:
            summary = ended.summary
            self.logs.episode(
                {
                    "episode": ended.number,
                    "timesteps": ended.timesteps,
                    "wall_s": ended.wall_s,
                    "env": ended.worker,
                    "success": summary.success,
                    "solved": summary.solved,
                    "return": ended.episode_return,
                    "steps": summary.steps,
                    "error": abs(summary.error),
                    "noiseless_error": abs(summary.noiseless_error),
                    "energy": summary.energy,
                    "noiseless_energy": summary.noiseless_energy,
                    "lowest_energy": summary.lowest_energy,
                    "threshold": ended.threshold,
                    "next_threshold": ended.next_threshold,
                    "gates": summary.gates,
                    "cnots": summary.cnots,
                    "depth": summary.depth,
                    "parameters": summary.parameters,
                    "epsilon": getattr(self.model, "exploration_rate", None),
                }
            )
        return True


class KeepBestCircuit(BaseCallback):
    """Offers each ended episode's circuit to the run's best-circuit record."""

    def __init__(self, ends: EpisodeEnds, best: BestCircuit) -> None:
        super().__init__(verbose=0)
        self.ends = ends
        self.best = best

    def _on_step(self) -> bool:
        for ended in self.ends.ended:
            self.best.offer(
                ended.summary,
                ended.qasm,
                episode=ended.number,
                timesteps=ended.timesteps,
                wall_s=ended.wall_s,
                source="train",
            )
        return True


class PeriodicEvaluation(BaseCallback):
    """Calls ``evaluate`` when ``every`` episodes have ended since the last call (0: never)."""

    def __init__(self, ends: EpisodeEnds, counters: Counters, evaluate, every: int) -> None:
        super().__init__(verbose=0)
        self.ends, self.counters, self.evaluate, self.every = ends, counters, evaluate, every
        self.next = counters.episodes + every

    def _on_step(self) -> bool:
        if self.every and self.ends.ended and self.counters.episodes >= self.next:
            self.evaluate()
            self.next = self.counters.episodes + self.every
        return True


class PeriodicCheckpoint(BaseCallback):
    """Calls ``save`` at the end of the rollout in which ``every`` more episodes ended."""

    def __init__(self, ends: EpisodeEnds, counters: Counters, save, every: int) -> None:
        super().__init__(verbose=0)
        self.ends, self.counters, self.save, self.every = ends, counters, save, every
        self.next = counters.episodes + every
        self.due = False

    def _on_step(self) -> bool:
        if self.every and self.ends.ended and self.counters.episodes >= self.next:
            self.due = True
        return True

    def _on_rollout_end(self) -> None:
        if self.due:
            self.save()
            self.next = self.counters.episodes + self.every
            self.due = False


class ProgressBar(BaseCallback):
    """A tqdm bar over the run's timesteps, with episodes, best error and threshold."""

    def __init__(
        self, total: int, label: str, enabled: bool, counters: Counters, sync, best
    ) -> None:
        super().__init__(verbose=0)
        self.total, self.label, self.enabled = total, label, enabled
        self.counters, self.sync, self.best = counters, sync, best
        self.bar = None
        self._last_postfix = 0.0

    def _on_training_start(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=self.total,
            initial=min(self.num_timesteps, self.total),
            unit="step",
            desc=self.label,
            disable=not self.enabled,
            dynamic_ncols=True,
        )

    def _on_step(self) -> bool:
        if self.bar is None or self.bar.disable:
            return True
        now = time.monotonic()
        if now - self._last_postfix > 0.5:
            self._last_postfix = now
            best = self.best.record
            self.bar.set_postfix(
                episodes=self.counters.episodes,
                best=f"{best['noiseless_error']:.1e}" if best else "-",
                xi=f"{self.sync.threshold:.1e}",
                refresh=False,
            )
        self.bar.update(max(0, min(self.num_timesteps, self.bar.total) - self.bar.n))
        return True

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()


class StopWhenSolved(BaseCallback):
    """Stops training once the run has a circuit at chemical accuracy."""

    def __init__(self, best: BestCircuit) -> None:
        super().__init__(verbose=0)
        self.best = best

    def _on_step(self) -> bool:
        return self.best.first_solved is None


def training_callbacks(
    config,
    counters: Counters,
    sync: CurriculumSync,
    best: BestCircuit,
    logs: Logs,
    evaluate,
    save,
) -> CallbackList:
    """The run's callbacks in order (module docstring).

    Args:
        config: the run's :class:`~qneuro.rl.config.TrainConfig`.
        counters: the run's :class:`~qneuro.rl.session.Counters`.
        sync: its :class:`~qneuro.rl.session.CurriculumSync`.
        best: its :class:`~qneuro.rl.session.BestCircuit`.
        logs: this session's :class:`~qneuro.rl.logs.Logs`.
        evaluate: called for a greedy evaluation (a
            :class:`~qneuro.rl.session.GreedyEvaluation`).
        save: called for a checkpoint (a :class:`~qneuro.rl.session.Checkpointer`).
    """
    ends = EpisodeEnds(counters, sync)
    callbacks = [
        ends,
        EpisodeLog(ends, logs),
        KeepBestCircuit(ends, best),
        PeriodicEvaluation(ends, counters, evaluate, config.eval_every),
        PeriodicCheckpoint(ends, counters, save, config.checkpoint_every),
        ProgressBar(
            config.timesteps, config.env.split("/")[-1], config.progress, counters, sync, best
        ),
    ]
    if config.stop_when_solved:
        callbacks.append(StopWhenSolved(best))
    return CallbackList(callbacks)
