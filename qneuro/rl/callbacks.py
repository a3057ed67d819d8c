"""What happens around every training step: curriculum sync, logs, evaluation, checkpoints.

:class:`TrainingMonitor` is one SB3 callback that, after each vector step and for each
worker whose episode just ended (``info["episode_summary"]``), in this order:

1. replays the episode into the authoritative curriculum (:class:`CurriculumSync`);
2. appends a row to ``episodes.csv`` (:class:`CsvLog`) and scalars to TensorBoard;
3. offers the episode's circuit to :class:`BestCircuit` (written atomically when better);

then broadcasts the curriculum state to every worker, runs a greedy evaluation episode
every ``eval_every`` episodes, advances the progress bar, and stops the run when
``stop_when_solved`` and a found circuit reached chemical accuracy. A checkpoint due every
``checkpoint_every`` episodes is written at the end of that rollout, once SB3 has stored
the step's transitions and counted its episodes, so the saved counters and replay buffer
agree with the logs.

Curriculum sharing: each worker's environment updates its own curriculum copy when its
episode ends; that update is discarded, because the trainer replays the same episode once
into the master curriculum and then pushes the master's state to all workers with
``env_method("set_curriculum_state", state)``. Every finished episode is thus counted
exactly once, in the order the vector env reports them. A worker's episode that is
already running when the threshold moves continues under the new threshold.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from qneuro import files
from qneuro.chem import within_chemical_accuracy

from .checkpoint import BEST_CIRCUIT_FILES

EPISODE_FIELDS = (
    "episode",
    "timesteps",
    "wall_s",
    "env",
    "success",
    "solved",
    "return",
    "steps",
    "error",
    "noiseless_error",
    "energy",
    "noiseless_energy",
    "lowest_energy",
    "threshold",
    "next_threshold",
    "gates",
    "cnots",
    "depth",
    "parameters",
    "epsilon",
)
EVAL_FIELDS = (
    "evaluation",
    "episode",
    "timesteps",
    "wall_s",
    "success",
    "solved",
    "steps",
    "error",
    "noiseless_error",
    "threshold",
    "gates",
    "cnots",
    "depth",
    "parameters",
)

#: Largest CSV log read when a run is rewound (bytes).
MAX_LOG_BYTES = 2**30


class CurriculumSync:
    """The authoritative curriculum of a run and its broadcast to vector-env workers.

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

    def replay(self, summary: dict) -> None:
        """Record one finished episode (``info["episode_summary"]``)."""
        self.curriculum.update(summary["lowest_energy"], self.reference, bool(summary["success"]))

    def broadcast(self, vec_env) -> None:
        """Give every worker the master's state."""
        vec_env.env_method("set_curriculum_state", self.curriculum.state_dict())


class BestCircuit:
    """The best circuit found so far, written to ``best_circuit.qasm`` / ``.json``.

    Ranking: a circuit at chemical accuracy by noiseless error beats one that is not;
    among those at chemical accuracy fewer gates win, then lower noiseless error; among
    the others lower noiseless error wins.
    """

    def __init__(self, run_dir: str | Path, record: dict | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.record = record

    @staticmethod
    def rank(record: dict) -> tuple:
        """Sort key, lower is better."""
        if record["solved"]:
            return (0, record["gates"], record["noiseless_error"])
        return (1, 0, record["noiseless_error"])

    def offer(self, summary: dict, qasm: str, **where) -> bool:
        """Keep the episode's circuit when it beats the current best; True when kept."""
        record = circuit_record(summary, qasm, **where)
        if self.record is not None and self.rank(record) >= self.rank(self.record):
            return False
        self.record = record
        self.restore()
        return True

    def restore(self) -> None:
        """Make ``best_circuit.qasm`` / ``.json`` match the record (none: no files).

        A resumed run calls it to drop a circuit found after its checkpoint.
        """
        qasm, record = (files.inside(self.run_dir, name) for name in BEST_CIRCUIT_FILES)
        if self.record is None:
            qasm.unlink(missing_ok=True)
            record.unlink(missing_ok=True)
            return
        files.atomic_write_text(qasm, self.record["qasm"])
        files.atomic_write_json(record, self.record, indent=2)


def circuit_record(summary: dict, qasm: str, **where) -> dict:
    """A JSON-ready description of an episode's final circuit (errors as magnitudes)."""
    noiseless_error = abs(float(summary["noiseless_error"]))
    return {
        "solved": within_chemical_accuracy(noiseless_error),
        "success": bool(summary["success"]),
        "energy": float(summary["energy"]),
        "noiseless_energy": float(summary["noiseless_energy"]),
        "error": abs(float(summary["error"])),
        "noiseless_error": noiseless_error,
        "gates": int(summary["gates"]),
        "cnots": int(summary["cnots"]),
        "depth": int(summary["depth"]),
        "parameters": int(summary["parameters"]),
        "threshold": float(summary["threshold"]),
        "actions": [int(a) for a in summary["actions"]],
        "angles": [float(a) for a in summary["angles"]],
        "qasm": qasm,
        **where,
    }


class CsvLog:
    """Append-only CSV with a fixed header, written as soon as the file is created.

    Rows are flushed one by one; a symbolic link in place of the file is refused.
    """

    def __init__(self, path: str | Path, fields: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.fields = fields
        self.handle = files.open_append(self.path)
        self.writer = csv.DictWriter(self.handle, fieldnames=fields)
        if os.fstat(self.handle.fileno()).st_size == 0:
            self.writer.writeheader()
            self.handle.flush()

    def write(self, row: dict) -> None:
        """Append one row and flush."""
        self.writer.writerow({k: _csv_value(row.get(k)) for k in self.fields})
        self.handle.flush()

    def close(self) -> None:
        """Close the file."""
        self.handle.close()


def rewind_csv(path: str | Path, fields: tuple[str, ...], key: str, last: int) -> None:
    """Rewrite a run's CSV log (atomically) with its rows whose ``key`` is 1 to ``last``.

    What a killed session can leave is tolerated: a missing or empty file, a missing
    header (rows are then read in the order of ``fields``), a torn last line, rows after
    ``last``. The result has the header ``fields`` and one row per ``key`` value.
    """
    path = Path(path)
    rows: dict[int, list[str]] = {}
    if path.exists():
        lines = files.read_text_limited(path, MAX_LOG_BYTES, what="log").splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            lines.pop()  # torn by a kill mid-write
        records = csv.reader(lines)
        header = next(records, None)
        if header is not None and key not in header:  # no header: that line is a row
            records = itertools.chain([header], records)
        names = header if header is not None and key in header else fields
        for values in records:
            row = dict(zip(names, values, strict=False)) if len(values) == len(names) else {}
            number = _row_number(row.get(key))
            if number is not None and 1 <= number <= last:
                rows.setdefault(number, [row.get(name, "") for name in fields])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    writer.writerows(rows[number] for number in sorted(rows))
    files.atomic_write_text(path, buffer.getvalue())


class TrainingMonitor(BaseCallback):
    """The run's one callback (module docstring).

    Args:
        run: the :class:`qneuro.rl.trainer.Run` being trained (config, folder, counters,
            curriculum sync, best circuit, evaluation and checkpoint functions).
    """

    def __init__(self, run) -> None:
        super().__init__(verbose=0)
        self.run = run
        self.returns: np.ndarray | None = None
        self.bar = None
        self._last_postfix = 0.0
        self.checkpoint_due = False

    def _on_training_start(self) -> None:
        from tqdm.auto import tqdm

        run = self.run
        self.returns = np.zeros(self.training_env.num_envs)
        self.bar = tqdm(
            total=run.config.timesteps,
            initial=min(self.num_timesteps, run.config.timesteps),
            unit="step",
            desc=run.config.env.split("/")[-1],
            disable=not run.config.progress,
            dynamic_ncols=True,
        )

    def _on_step(self) -> bool:
        run = self.run
        infos = self.locals.get("infos", [])
        rewards = np.asarray(self.locals.get("rewards", np.zeros(len(infos))), dtype=float)
        self.returns += rewards
        ended = False
        for index, info in enumerate(infos):
            summary = info.get("episode_summary")
            if summary is None:
                continue
            ended = True
            threshold = run.sync.threshold
            run.sync.replay(summary)
            run.episodes += 1
            wall = run.wall_s()
            row = {
                **{
                    k: summary[k]
                    for k in (
                        "success",
                        "solved",
                        "steps",
                        "energy",
                        "noiseless_energy",
                        "lowest_energy",
                        "gates",
                        "cnots",
                        "depth",
                        "parameters",
                    )
                },
                "episode": run.episodes,
                "timesteps": self.num_timesteps,
                "wall_s": wall,
                "env": index,
                "return": self.returns[index],
                "error": abs(summary["error"]),
                "noiseless_error": abs(summary["noiseless_error"]),
                "threshold": threshold,
                "next_threshold": run.sync.threshold,
                "epsilon": getattr(self.model, "exploration_rate", None),
            }
            self.returns[index] = 0.0
            run.log_episode(row)
            run.offer(summary, info.get("qasm", ""), source="train")
        if ended:
            run.sync.broadcast(self.training_env)
            if run.config.eval_every and run.episodes >= run.next_eval:
                run.evaluate_greedy()
                run.next_eval = run.episodes + run.config.eval_every
            if run.config.checkpoint_every and run.episodes >= run.next_checkpoint:
                self.checkpoint_due = True
        self._advance()
        return not (run.config.stop_when_solved and run.first_solved is not None)

    def _on_rollout_end(self) -> None:
        if self.checkpoint_due:
            self.run.checkpoint()
            self.run.next_checkpoint = self.run.episodes + self.run.config.checkpoint_every
            self.checkpoint_due = False

    def _advance(self) -> None:
        if self.bar is None or self.bar.disable:
            return
        now = time.monotonic()
        if now - self._last_postfix > 0.5:
            self._last_postfix = now
            best = self.run.best.record
            self.bar.set_postfix(
                episodes=self.run.episodes,
                best=f"{best['noiseless_error']:.1e}" if best else "-",
                xi=f"{self.run.sync.threshold:.1e}",
                refresh=False,
            )
        self.bar.update(max(0, min(self.num_timesteps, self.bar.total) - self.bar.n))

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _row_number(text: str | None) -> int | None:
    """A CSV row's number (None: missing or not an integer)."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _csv_value(value):
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    return value
