"""The Markdown table of every architecture-search run kept in ``benchmarks/results``.

Reads the JSON files ``benchmarks/qas_training.py --json-out`` writes (one per command)
and prints one row per run, in the order of the task list below, then the commit and the
command each file came from (environment arguments other than ``optimizer="rotosolve"``
are shown beside the task). A solved run shows its first circuit at chemical accuracy;
an unsolved one its best circuit (lowest noiseless error):

    .venv/bin/python benchmarks/results_table.py [benchmarks/results/*.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ORDER = (
    "H2-2q",
    "H2-3q",
    "H2-4q",
    "LiH-4q",
    "LiH-6q",
    "H2O-8q",
    "H2-2q-depolarizing",
    "H2-2q-mumbai-median",
    "H2-4q-depolarizing",
    "H2-4q-mumbai-median",
    "LiH-4q-depolarizing",
    "LiH-4q-mumbai-median",
)


def rows(paths):
    """``(row, source)`` for every run in the files (records of qas_training.py only)."""
    for path in paths:
        data = json.loads(Path(path).read_text())
        if "qas_training.py" not in data.get("command", ""):
            continue
        extra = {
            k: v
            for k, v in data.get("env_kwargs", {}).items()
            if not (k == "optimizer" and v == "rotosolve")
        }
        for row in data["results"]:
            if extra:
                row = {
                    **row,
                    "task": row["task"]
                    + " ("
                    + ", ".join(f"{k}={json.dumps(v)}" for k, v in extra.items())
                    + ")",
                }
            yield (
                row,
                {
                    "file": Path(path).name,
                    "commit": (data.get("commit") or "?")[:7],
                    "command": data.get("command", ""),
                    "note": data.get("note", ""),
                },
            )


def cell(value, fmt):
    return "" if value is None else format(value, fmt)


def main(argv: list[str]) -> None:
    paths = argv or sorted(str(p) for p in Path(__file__).parent.glob("results/*.json"))

    def order(item):
        task = item[0]["task"].split(" (")[0]
        return ORDER.index(task) if task in ORDER else len(ORDER), item[0]["task"], item[0]["seed"]

    found = sorted(rows(paths), key=order)
    print(
        "| task | seed | solved | episodes | timesteps | wall (s) | gates | CNOTs | params "
        "| depth | noiseless error (Ha) | measured error (Ha) |"
    )
    print("|" + "---|" * 12)
    for row, _ in found:
        solved = "yes" if row["solved"] else f"no (stopped at {row['timesteps']:,} steps)"
        episodes = row["episodes_to_solve"] if row["solved"] else row["episodes"]
        steps = row["timesteps_to_solve"] if row["solved"] else row["timesteps"]
        wall = row["wall_s_to_solve"] if row["solved"] else row["wall_s"]
        wall = f"{wall:,.0f}" if wall >= 10 else f"{wall:.1f}"
        if row["solved"]:
            sizes = [cell(row[k], "d") for k in ("gates", "cnots", "params", "depth")]
            errors = [cell(row["noiseless_error"], ".2e"), cell(row["error"], ".1e")]
        else:  # the run's best circuit (records before best_depth leave its cells empty)
            sizes = [cell(row.get(f"best_{k}"), "d") for k in ("gates", "cnots", "params", "depth")]
            best = row.get("best_noiseless_error")
            measured = cell(row.get("best_error"), ".1e")
            errors = ["" if best is None else f"best {best:.2e}", measured]
        print(
            f"| {row['task']} | {row['seed']} | {solved} | {episodes:,} | {steps:,} | "
            f"{wall} | " + " | ".join(sizes + errors) + " |"
        )
    print()
    for source in sorted({tuple(s.items()) for _, s in found}):
        info = dict(source)
        note = f" {info['note']}" if info["note"] else ""
        print(f"- {info['file']}: commit {info['commit']}, `{info['command']}`.{note}")


if __name__ == "__main__":
    main(sys.argv[1:])
