"""A training run's logs: ``episodes.csv``, ``evaluations.csv`` and TensorBoard events.

CSV rows are appended and flushed one by one (:class:`CsvLog`); a resumed or restarted
session first cuts them back to the last checkpoint (:func:`rewind_csv`). Each session
writes new TensorBoard event files whose ``purge_step`` hides what a killed session wrote
after the checkpoint: episodes in ``tb/episodes`` (step = episode number), the agent's own
scalars in ``tb/agent`` (step = timestep).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from stable_baselines3.common.logger import Logger, TensorBoardOutputFormat

from qneuro import files

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


@dataclass
class Logs:
    """The open logs of one session (``writer``, ``agent_writer``: None without TensorBoard)."""

    episodes: CsvLog
    evaluations: CsvLog
    writer: object | None = None
    agent_writer: object | None = None

    def episode(self, row: dict) -> None:
        """A finished training episode: its CSV row and TensorBoard scalars."""
        self.episodes.write(row)
        if self.writer is not None:
            step = row["episode"]
            for key in ("error", "noiseless_error"):
                self.writer.add_scalar(f"episode/{key}", max(row[key], 1e-16), step)
            for key in ("threshold", "return", "gates", "cnots", "depth", "steps"):
                self.writer.add_scalar(f"episode/{key}", float(row[key]), step)
            self.writer.add_scalar("episode/success", float(row["success"]), step)

    def evaluation(self, row: dict) -> None:
        """A greedy evaluation episode: its CSV row and TensorBoard scalars."""
        self.evaluations.write(row)
        if self.writer is not None:
            step = row["episode"]
            self.writer.add_scalar("eval/noiseless_error", max(row["noiseless_error"], 1e-16), step)
            self.writer.add_scalar("eval/error", max(row["error"], 1e-16), step)
            self.writer.add_scalar("eval/gates", row["gates"], step)

    def flush(self) -> None:
        """Make the events written so far reach the disk (before a checkpoint)."""
        for writer in (self.writer, self.agent_writer):
            if writer is not None:
                writer.flush()

    def close(self) -> None:
        """Close every file."""
        self.episodes.close()
        self.evaluations.close()
        for writer in (self.writer, self.agent_writer):
            if writer is not None:
                writer.close()


def rewind_logs(run_dir: Path, episodes: int, evaluations: int) -> None:
    """Cut both CSV logs back to ``episodes`` and ``evaluations`` rows (a checkpoint's)."""
    rewind_csv(files.inside(run_dir, "episodes.csv"), EPISODE_FIELDS, "episode", episodes)
    rewind_csv(files.inside(run_dir, "evaluations.csv"), EVAL_FIELDS, "evaluation", evaluations)


def open_logs(run_dir: Path, model, episodes: int) -> Logs:
    """Open the CSV logs and this session's TensorBoard writers; set ``model``'s logger.

    ``episodes`` and ``model.num_timesteps`` are the checkpoint's counters: the event
    files hide later steps (``purge_step``).
    """
    episode_log = CsvLog(files.inside(run_dir, "episodes.csv"), EPISODE_FIELDS)
    eval_log = CsvLog(files.inside(run_dir, "evaluations.csv"), EVAL_FIELDS)
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is a declared dependency; degrade if absent
        model.set_logger(Logger(None, []))
        return Logs(episode_log, eval_log)
    _after_earlier_sessions(files.inside(run_dir, "tb"))
    writer = SummaryWriter(str(files.inside(run_dir, "tb/episodes")), purge_step=episodes + 1)
    folder = str(files.inside(run_dir, "tb/agent"))
    agent = _PurgingTensorBoard(folder, purge_step=int(model.num_timesteps) + 1)
    model.set_logger(Logger(folder, [agent]))
    return Logs(episode_log, eval_log, writer, agent.writer)


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
