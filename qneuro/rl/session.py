"""What one training session works with, each built complete before training starts.

* :class:`Counters`: episodes, evaluations and wall time over every session of the run;
* :class:`CurriculumSync`: the run's curriculum (its one owner) and its broadcast to the
  vector-env workers;
* :class:`BestCircuit`: the best circuit found and the first one at chemical accuracy;
* :class:`GreedyEvaluation`: one greedy episode of the current agent, logged and offered;
* :class:`Checkpointer`: the whole run state written to ``checkpoints/``.

The SB3 callbacks (:mod:`qneuro.rl.callbacks`) are given these at construction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from qneuro import files

from . import agents, checkpoint
from .logs import Logs

#: The replay buffer is saved with ``save_replay_buffer="auto"`` below this size.
AUTO_REPLAY_BYTES = 64 * 2**20


@dataclass
class Counters:
    """The run's counters; ``wall_before`` is the wall time of earlier sessions (s)."""

    episodes: int = 0
    evaluations: int = 0
    wall_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    def from_state(cls, state: dict | None) -> Counters:
        """The counters of a checkpoint's ``state`` (None: a new run)."""
        if state is None:
            return cls()
        return cls(state["episodes"], state["evaluations"], state["wall_s"])

    def wall_s(self) -> float:
        """Training wall time over every session of this run (s)."""
        return self.wall_before + time.perf_counter() - self.started


class CurriculumSync:
    """The authoritative curriculum of a run and its broadcast to vector-env workers.

    Each finished episode, in the order the vector env reports them, is replayed here
    once; the workers follow the state broadcast to them and do not update it
    (:meth:`qneuro.envs.QuantumArchitectureSearchEnv.follow_curriculum`).

    Args:
        curriculum: a curriculum object (:func:`qneuro.envs.make_curriculum`).
        reference: the exact ground energy ``mu`` (Ha).
    """

    def __init__(self, curriculum, reference: float) -> None:
        self.curriculum = curriculum
        self.reference = float(reference)

    @property
    def threshold(self) -> float:
        """The master threshold (Ha)."""
        return float(self.curriculum.threshold)

    def replay(self, summary) -> None:
        """Record one finished episode (an :class:`~qneuro.envs.episode.EpisodeSummary`)."""
        self.curriculum.update(summary.lowest_energy, self.reference, bool(summary.success))

    def broadcast(self, vec_env) -> None:
        """Make every worker follow the master's state."""
        vec_env.env_method("follow_curriculum", self.curriculum.state_dict())

    def send_to(self, env) -> None:
        """Make one (non-vector) environment follow the master's state."""
        env.unwrapped.follow_curriculum(self.curriculum.state_dict())


class BestCircuit:
    """The best circuit found so far, written to ``best_circuit.qasm`` / ``.json``.

    Ranking: a circuit at chemical accuracy by noiseless error beats one that is not;
    among those at chemical accuracy fewer gates win, then lower noiseless error; among
    the others lower noiseless error wins. ``first_solved`` keeps
    :data:`~qneuro.rl.checkpoint.FIRST_SOLVED_FIELDS` of the first circuit offered at
    chemical accuracy (None until then).
    """

    def __init__(
        self, run_dir: str | Path, record: dict | None = None, first_solved: dict | None = None
    ) -> None:
        self.run_dir = Path(run_dir)
        self.record = record
        self.first_solved = first_solved

    @staticmethod
    def rank(record: dict) -> tuple:
        """Sort key, lower is better."""
        if record["solved"]:
            return (0, record["gates"], record["noiseless_error"])
        return (1, 0, record["noiseless_error"])

    def offer(self, summary, qasm: str, **where) -> bool:
        """Keep the episode's circuit when it beats the current best; True when kept."""
        record = circuit_record(summary, qasm, **where)
        if self.first_solved is None and record["solved"]:
            self.first_solved = {k: record[k] for k in checkpoint.FIRST_SOLVED_FIELDS}
        if self.record is not None and self.rank(record) >= self.rank(self.record):
            return False
        self.record = record
        self.restore()
        return True

    def restore(self) -> None:
        """Make ``best_circuit.qasm`` / ``.json`` match the record (none: no files).

        A resumed run calls it to drop a circuit found after its checkpoint.
        """
        qasm, record = (files.inside(self.run_dir, name) for name in checkpoint.BEST_CIRCUIT_FILES)
        if self.record is None:
            qasm.unlink(missing_ok=True)
            record.unlink(missing_ok=True)
            return
        files.atomic_write_text(qasm, self.record["qasm"])
        files.atomic_write_json(record, self.record, indent=2)


def circuit_record(summary, qasm: str, **where) -> dict:
    """A JSON-ready description of an episode's final circuit (errors as magnitudes).

    Args:
        summary: the episode's :class:`~qneuro.envs.episode.EpisodeSummary`.
        qasm: its final circuit (OpenQASM 2).
        **where: where it was found (episode, timesteps, wall_s, source), kept as given.
    """
    return {
        "solved": summary.solved,
        "success": bool(summary.success),
        "energy": float(summary.energy),
        "noiseless_energy": float(summary.noiseless_energy),
        "error": abs(float(summary.error)),
        "noiseless_error": abs(float(summary.noiseless_error)),
        "gates": int(summary.gates),
        "cnots": int(summary.cnots),
        "depth": int(summary.depth),
        "parameters": int(summary.parameters),
        "threshold": float(summary.threshold),
        "actions": [int(a) for a in summary.actions],
        "angles": [float(a) for a in summary.angles],
        "qasm": qasm,
        **where,
    }


class GreedyEvaluation:
    """One greedy (masked) episode of the current agent under the master curriculum.

    Its row goes to ``evaluations.csv`` and TensorBoard, its circuit to the best-circuit
    record (``source="eval"``). Episode ``k`` of the run's evaluations is seeded
    ``seed + 100_000 + k``.
    """

    def __init__(
        self,
        env,
        model,
        algo: str,
        seed: int,
        counters: Counters,
        sync: CurriculumSync,
        best: BestCircuit,
        logs: Logs,
    ) -> None:
        self.env, self.model, self.algo, self.seed = env, model, algo, seed
        self.counters, self.sync, self.best, self.logs = counters, sync, best, logs

    def __call__(self) -> dict:
        """Play, log and offer one episode; returns its row."""
        counters = self.counters
        self.sync.send_to(self.env)
        counters.evaluations += 1
        summary, info = agents.run_greedy_episode(
            self.model, self.algo, self.env, seed=self.seed + 100_000 + counters.evaluations
        )
        where = {
            "episode": counters.episodes,
            "timesteps": int(self.model.num_timesteps),
            "wall_s": counters.wall_s(),
        }
        row = {
            "evaluation": counters.evaluations,
            **where,
            "success": summary.success,
            "solved": summary.solved,
            "steps": summary.steps,
            "threshold": summary.threshold,
            "gates": summary.gates,
            "cnots": summary.cnots,
            "depth": summary.depth,
            "parameters": summary.parameters,
            "error": abs(summary.error),
            "noiseless_error": abs(summary.noiseless_error),
        }
        self.logs.evaluation(row)
        self.best.offer(summary, info.get("qasm", ""), **where, source="eval")
        return row


class Checkpointer:
    """Writes the run's checkpoint, then the learning-curve PNG.

    A checkpoint holds the model, the replay buffer (as chosen), the curriculum, the
    counters and the best circuit.

    ``save_replay_buffer``: True, False or ``"auto"`` (below :data:`AUTO_REPLAY_BYTES`).
    """

    def __init__(
        self,
        run_dir: Path,
        model,
        save_replay_buffer,
        counters: Counters,
        sync: CurriculumSync,
        best: BestCircuit,
        logs: Logs,
    ) -> None:
        self.run_dir, self.model, self.save_replay_buffer = run_dir, model, save_replay_buffer
        self.counters, self.sync, self.best, self.logs = counters, sync, best, logs

    def __call__(self) -> None:
        """Write a checkpoint now."""
        replay = self.save_replay_buffer
        if replay == "auto":
            replay = checkpoint.replay_buffer_bytes(self.model) < AUTO_REPLAY_BYTES
        counters = self.counters
        state = {
            "episodes": counters.episodes,
            "timesteps": int(self.model.num_timesteps),
            "wall_s": counters.wall_s(),
            "evaluations": counters.evaluations,
            "curriculum": self.sync.curriculum.state_dict(),
            "best": self.best.record,
            "first_solved": self.best.first_solved,
        }
        self.logs.flush()  # events up to here reach the disk
        checkpoint.save_checkpoint(self.run_dir, self.model, state, replay=bool(replay))
        if counters.episodes:
            from .plots import learning_curve

            learning_curve(
                files.inside(self.run_dir, "episodes.csv"),
                files.inside(self.run_dir, "learning_curve.png"),
            )
