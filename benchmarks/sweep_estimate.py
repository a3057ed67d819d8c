"""Time for CRLQAS's full study (molecules x 4 noise settings x 10 seeds) on 1, 8, 32 nodes.

The study: each bundled molecule (H2-2q to H2O-8q) under 4 noise settings with 10 seeds.

The per-trial times come from the training records in ``benchmarks/results/`` (the
default agent with Rotosolve; one core per trial):

* a (molecule, noise) pair with records: the median over its runs of the time to the
  first circuit at chemical accuracy, or of the whole run when it did not get there
  (``measured``; a lower bound where runs were stopped unsolved);
* a pair without records: the molecule's noiseless median times the noisy/noiseless
  ratio of seconds per training step measured on the molecules that have both, in runs
  of at least a minute (``scaled``; LiH-4q with depolarizing noise: the noisy simulator
  costs more per step, and the noisy runs are taken to need as many steps).

The trials are then packed on nodes like the measuring machine (2 cores: 2 trials at a
time) longest first, and the makespan printed for 1, 8 and 32 nodes::

    .venv/bin/python benchmarks/sweep_estimate.py
"""

from __future__ import annotations

import argparse
import heapq
import json
import statistics
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MOLECULES = ("H2-2q", "H2-3q", "H2-4q", "LiH-4q", "LiH-6q", "H2O-8q")
NOISES = ("", "depolarizing-0.001-0.005", "mumbai-median", "mumbai-max")
DEFAULT_KWARGS = {"optimizer": "rotosolve"}
#: Runs shorter than this (seconds) are mostly start-up: not used for the noisy ratio.
MIN_RATIO_S = 60


def _records() -> list[dict]:
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        if (
            "qas_training.py" not in data.get("command", "")
            or data.get("env_kwargs") != DEFAULT_KWARGS
        ):
            continue
        rows += data["results"]
    return rows


def _env(molecule: str, noise: str) -> str:
    return f"qneuro/QAS-{molecule}{'-' + noise if noise else ''}-v0"


def trial_hours() -> dict[tuple[str, str], tuple[float, str]]:
    """(molecule, noise) -> (hours per trial, "measured" or "scaled")."""
    records = _records()
    by_env: dict[str, list[dict]] = {}
    for row in records:
        by_env.setdefault(row["env"], []).append(row)

    def hours(rows):
        return statistics.median(
            (r["wall_s_to_solve"] if r["solved"] else r["wall_s"]) / 3600 for r in rows
        )

    def per_step(rows):
        return statistics.median(r["wall_s"] / r["timesteps"] for r in rows)

    ratios = []
    for molecule in MOLECULES:
        clean = by_env.get(_env(molecule, ""))
        for noise in NOISES[1:]:
            noisy = by_env.get(_env(molecule, noise))
            if clean and noisy and min(hours(clean), hours(noisy)) * 3600 >= MIN_RATIO_S:
                ratios.append(per_step(noisy) / per_step(clean))
    ratio = statistics.median(ratios)
    out = {}
    for molecule in MOLECULES:
        for noise in NOISES:
            rows = by_env.get(_env(molecule, noise))
            if rows:
                out[molecule, noise] = (hours(rows), "measured")
            else:
                out[molecule, noise] = (hours(by_env[_env(molecule, "")]) * ratio, "scaled")
    return out, ratio


def makespan(durations: list[float], slots: int) -> float:
    """Longest-first greedy packing of ``durations`` on ``slots`` parallel slots."""
    loads = [0.0] * slots
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + duration)
    return max(loads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per setting (10)")
    parser.add_argument("--slots-per-node", type=int, default=2, help="trials per node (2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    table, ratio = trial_hours()
    print(
        f"minutes per trial (one core); scaled = noiseless x {ratio:.2f}, the median "
        "noisy/noiseless ratio of seconds per step"
    )
    print(f"{'molecule':<9}" + "".join(f"{(n or 'noiseless'):>26}" for n in NOISES))
    for molecule in MOLECULES:
        cells = [f"{60 * table[molecule, n][0]:.2f} ({table[molecule, n][1]})" for n in NOISES]
        print(f"{molecule:<9}" + "".join(f"{c:>26}" for c in cells))
    durations = [h for h, _ in table.values() for _ in range(args.seeds)]
    total = sum(durations)
    print(
        f"\n{len(durations)} trials, {total:.0f} core-hours in all; longest trial "
        f"{max(durations):.2f} h"
    )
    spans = {}
    for nodes in (1, 8, 32):
        spans[nodes] = makespan(durations, nodes * args.slots_per_node)
        print(
            f"{nodes:>3} node(s) x {args.slots_per_node} trials at a time: "
            f"{spans[nodes]:7.1f} h ({spans[nodes] / 24:.1f} days)"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "hours_per_trial": {
                        f"{m} {n or 'noiseless'}": h for (m, n), (h, _) in table.items()
                    },
                    "noisy_ratio": ratio,
                    "trials": len(durations),
                    "core_hours": total,
                    "makespan_h": spans,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
