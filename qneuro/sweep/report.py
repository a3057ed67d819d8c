"""A sweep's results: one row per trial, the per-group summary, the files and the plot.

Files written in the sweep folder (each atomically, rewritten as trials finish):

* ``results.json``: ``{"kind", "axes", "rows"}``; a row holds ``trial``, the axis values,
  ``status`` (``finished``, ``failed``, ``running``, ``pending``), the job's values,
  ``error`` for a failed trial, ``node`` (the Ray node that ran it) and ``trial_wall_s``.
* ``results.csv``: the same rows, one column per axis and value (lists as JSON).
* ``summary.json`` / ``summary.png``: per group of trials that differ only in ``seed``, the
  job kind's summary columns (:attr:`qneuro.sweep.jobs.JobKind.summary`).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

from qneuro import files

from .jobs import JobKind
from .spec import SweepSpec

#: Trial states, in the order the live table shows them.
STATES = ("finished", "failed", "running", "pending")


def axis_text(value) -> str:
    """An axis value as a short label (tables: ``k=v`` pairs)."""
    if isinstance(value, dict):
        return ",".join(f"{k}={axis_text(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value.removeprefix("qneuro/")
    return json.dumps(value)


def row_columns(spec: SweepSpec, job: JobKind, rows: list[dict]) -> list[str]:
    """Columns of the results table: trial, axes, status, the job's values, the rest."""
    keys = (key for row in rows for key in row)
    return list(dict.fromkeys(["trial", *spec.grid, "status", *job.columns, *keys]))


def summarize(spec: SweepSpec, job: JobKind, rows: list[dict]) -> list[dict]:
    """One entry per group of trials that differ only in ``seed`` (in grid order)."""
    axes = [name for name in spec.grid if name != "seed"]
    groups: dict[str, list[dict]] = {}
    for row in rows:
        label = " ".join(f"{name}={axis_text(row[name])}" for name in axes) or "all trials"
        groups.setdefault(label, []).append(row)
    out = []
    for label, members in groups.items():
        finished = [r for r in members if r["status"] == "finished"]
        entry = {
            "group": label,
            "trials": len(members),
            "finished": len(finished),
            "failed": sum(r["status"] == "failed" for r in members),
        }
        for item in job.summary:
            entry[item.label] = _aggregate([r.get(item.column) for r in finished], item.how)
        out.append(entry)
    return out


def _aggregate(values: list, how: str):
    if how == "rate":
        return sum(bool(v) for v in values) / len(values) if values else None
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return None
    return {"mean": statistics.fmean, "median": statistics.median, "min": min, "max": max}[how](
        numbers
    )


def write_results(out: Path, spec: SweepSpec, job: JobKind, rows: list[dict]) -> list[dict]:
    """Write ``results.json``, ``results.csv`` and ``summary.json``; returns the summary."""
    files.atomic_write_json(
        out / "results.json", {"kind": spec.kind, "axes": list(spec.grid), "rows": rows}
    )
    columns = row_columns(spec, job, rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    files.atomic_write_text(out / "results.csv", buffer.getvalue())
    summary = summarize(spec, job, rows)
    files.atomic_write_json(out / "summary.json", {"kind": spec.kind, "groups": summary})
    return summary


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def format_table(spec: SweepSpec, job: JobKind, summary: list[dict]) -> list[str]:
    """The summary as aligned text lines (the command's closing table)."""
    labels = ["trials", "finished", "failed", *(s.label for s in job.summary)]
    header = ["group", *labels]
    body = [
        [entry["group"], *(format_value(entry[label]) for label in labels)] for entry in summary
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in [header, *body]
    ]


def format_value(value) -> str:
    """A table cell: ``-`` for None, 3 significant digits for floats."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def plot_summary(path: Path, spec: SweepSpec, job: JobKind, summary: list[dict]) -> Path:
    """Bar charts of the first two summary columns per group (``summary.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = job.summary[:2]
    groups = [entry["group"] for entry in summary]
    figure, axes = plt.subplots(
        1, len(shown), figsize=(5 * len(shown), 0.4 * len(groups) + 2), squeeze=False
    )
    for axis, item in zip(axes[0], shown, strict=True):
        values = [entry[item.label] for entry in summary]
        axis.barh(range(len(groups)), [v if v is not None else 0 for v in values])
        for y, value in enumerate(values):
            axis.text(0, y, " n/a" if value is None else f" {value:.3g}", va="center")
        axis.set_yticks(range(len(groups)), groups, fontsize=8)
        axis.invert_yaxis()
        axis.set_xlabel(item.label)
    figure.suptitle(f"{spec.kind}: {sum(e['trials'] for e in summary)} trials")
    figure.tight_layout()
    written = files.atomic_save_figure(figure, path, dpi=110)
    plt.close(figure)
    return written
