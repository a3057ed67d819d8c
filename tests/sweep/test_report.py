"""Results tables: summaries per group of seeds, the best trial, the plot (no Ray)."""

import csv
import json

import pytest

from qneuro.sweep import JOBS, SweepSpec, report
from qneuro.sweep.runner import _LiveTable

SPEC = SweepSpec(
    "qas-train", grid={"env": ["qneuro/QAS-H2-2q-v0", "qneuro/QAS-H2-3q-v0"], "seed": [0, 1, 2]}
)


def _rows():
    errors = [1e-3, 5e-4, 3e-3, 2e-3, 4e-3, None]
    solved = [True, True, False, False, False, None]
    to_solve = [10.0, 30.0, None, None, None, None]
    status = ["finished"] * 5 + ["failed"]
    rows = []
    for trial in SPEC.trials():
        i = trial.index
        row = {"trial": trial.name, **trial.axes, "status": status[i]}
        if status[i] == "finished":
            row.update(
                solved=solved[i],
                best_noiseless_error=errors[i],
                gates=4 + i,
                wall_s_to_solve=to_solve[i],
            )
        else:
            row["error"] = "ValueError: boom"
        rows.append(row)
    return rows


def test_summary_per_group_of_seeds_leaves_out_missing_values():
    first, second = report.summarize(SPEC, JOBS["qas-train"], _rows())
    assert first["group"] == "env=QAS-H2-2q-v0" and second["group"] == "env=QAS-H2-3q-v0"
    assert (first["trials"], first["finished"], first["failed"]) == (3, 3, 0)
    assert first["solved"] == pytest.approx(2 / 3)
    assert first["time to solve (s, median)"] == 20.0  # the unsolved run has no time
    assert first["best error (Ha)"] == 5e-4 and first["gates (median)"] == 5
    assert (second["finished"], second["failed"], second["solved"]) == (2, 1, 0.0)
    assert second["time to solve (s, median)"] is None


def test_files_and_the_best_trial(tmp_path):
    rows = _rows()
    report.write_results(tmp_path, SPEC, JOBS["qas-train"], rows)
    with open(tmp_path / "results.csv") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0])[:4] == ["trial", "env", "seed", "status"]
    assert table[5]["status"] == "failed" and table[5]["error"] == "ValueError: boom"
    assert json.loads((tmp_path / "results.json").read_text())["rows"] == rows
    summary = report.summarize(SPEC, JOBS["qas-train"], rows)
    assert (
        report.plot_summary(tmp_path / "s.png", SPEC, JOBS["qas-train"], summary).stat().st_size
        > 1000
    )
    lines = report.format_table(SPEC, JOBS["qas-train"], summary)
    assert lines[1].split()[:5] == ["env=QAS-H2-2q-v0", "3", "3", "0", "0.667"]

    class Bar:
        disable = True

        def set_postfix_str(self, text):
            self.text = text

    live = _LiveTable(tmp_path, SPEC, SPEC.trials(), {r["trial"]: r for r in rows}, Bar(), print)
    assert live.best(rows)["trial"] == "0001"  # the lowest error
    assert live.bar.text == "running 0, failed 1, best best_noiseless_error 0.0005 (trial 0001)"
    hlop = SweepSpec("hlop-run", grid={"seed": [0, 1]})
    scored = [
        {"trial": "0000", "status": "finished", "acc": 0.5},
        {"trial": "0001", "status": "finished", "acc": 0.7},
    ]
    assert (
        _LiveTable(
            tmp_path / "h", hlop, hlop.trials(), {r["trial"]: r for r in scored}, Bar(), print
        ).best(scored)["trial"]
        == "0001"
    )  # the highest ACC
