"""Curriculum RL architecture search: episodes and wall time to chemical accuracy.

What it measures, per task (a registered environment) and seed: a masked double DQN
(:mod:`qneuro.rl`, default :class:`~qneuro.rl.TrainConfig`) trains with
``stop_when_solved=True`` until a found circuit (a training or greedy-evaluation
episode's final circuit) first reaches chemical accuracy, 1.6e-3 Ha, judged by its
*noiseless* error as CRLQAS does, or until the task's timestep cap. Reported: solved,
episodes, timesteps and wall seconds until the first solve, and that circuit's gates,
CNOTs, parameters, depth and noiseless error. With ``--extra-timesteps N`` each run then
continues N more steps (the curriculum keeps tightening) and the most compact circuit at
chemical accuracy is reported as ``best_*`` (the comparison with CRLQAS's H2-4q circuit:
7 parameters, error 7.2e-8, reported in the paper).

Tasks (``--tasks``, comma separated, default all): noiseless H2-2q, H2-3q, H2-4q, LiH-4q,
LiH-6q, H2O-8q; H2-2q, H2-4q and LiH-4q with depolarizing-0.001-0.005 and mumbai-median
noise.

Run it from the repository root, single-threaded, e.g. in the background::

    OMP_NUM_THREADS=1 nohup .venv/bin/python benchmarks/qas_training.py \
        --tasks H2-2q --seeds 0,1,2 --out runs/bench --json-out runs/bench/h2-2q.json &

Each finished run is appended to ``--json-out`` (rewritten atomically) so partial
results survive an interruption; ``--json`` prints the whole list as one JSON object on
the last line. Run folders go to ``<out>/<task>-s<seed>`` (an existing folder is
resumed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

#: Task name -> (environment ID, timestep cap).
TASKS = {
    "H2-2q": ("qneuro/QAS-H2-2q-v0", 10_000),
    "H2-3q": ("qneuro/QAS-H2-3q-v0", 40_000),
    "H2-4q": ("qneuro/QAS-H2-4q-v0", 100_000),
    "LiH-4q": ("qneuro/QAS-LiH-4q-v0", 300_000),
    "H2-2q-depolarizing": ("qneuro/QAS-H2-2q-depolarizing-0.001-0.005-v0", 20_000),
    "H2-2q-mumbai-median": ("qneuro/QAS-H2-2q-mumbai-median-v0", 20_000),
    "H2-4q-depolarizing": ("qneuro/QAS-H2-4q-depolarizing-0.001-0.005-v0", 100_000),
    "H2-4q-mumbai-median": ("qneuro/QAS-H2-4q-mumbai-median-v0", 100_000),
    "LiH-4q-depolarizing": ("qneuro/QAS-LiH-4q-depolarizing-0.001-0.005-v0", 300_000),
    "LiH-4q-mumbai-median": ("qneuro/QAS-LiH-4q-mumbai-median-v0", 300_000),
    "LiH-6q": ("qneuro/QAS-LiH-6q-v0", 1_000_000),
    "H2O-8q": ("qneuro/QAS-H2O-8q-v0", 1_000_000),
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 if a run missed chemical accuracy)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task names")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--out", default="runs/bench", help="folder of the run folders")
    parser.add_argument("--json-out", default=None, help="results file (rewritten per run)")
    parser.add_argument("--timesteps", type=int, default=None, help="override every task's cap")
    parser.add_argument(
        "--extra-timesteps",
        type=int,
        default=0,
        help="steps to continue after the first solve (compact circuits)",
    )
    parser.add_argument("--env-kwargs", default="{}", help="JSON env keyword overrides")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)

    from qneuro.rl import TrainConfig, resume, train

    tasks = [t for t in args.tasks.split(",") if t]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown tasks {unknown}; allowed: {', '.join(TASKS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    env_kwargs = json.loads(args.env_kwargs)
    results = []
    meta = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "commit": _commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "env_kwargs": env_kwargs,
    }
    for task in tasks:
        env_id, cap = TASKS[task]
        for seed in seeds:
            out = Path(args.out) / f"{task}-s{seed}"
            config = TrainConfig(
                env=env_id,
                seed=seed,
                out=str(out),
                timesteps=args.timesteps or cap,
                env_kwargs=env_kwargs,
                stop_when_solved=True,
                progress=args.progress,
                torch_threads=args.threads,
                resume=out.exists(),
            )
            started = time.perf_counter()
            result = train(config)
            first = result.first_solved or {}
            row = {
                "task": task,
                "env": env_id,
                "seed": seed,
                "solved": result.first_solved is not None,
                "episodes_to_solve": first.get("episode"),
                "timesteps_to_solve": first.get("timesteps"),
                "wall_s_to_solve": first.get("wall_s"),
                "gates": first.get("gates"),
                "cnots": first.get("cnots"),
                "params": first.get("parameters"),
                "depth": first.get("depth"),
                "noiseless_error": first.get("noiseless_error"),
                "error": first.get("error"),
                "episodes": result.episodes,
                "timesteps": result.timesteps,
                "wall_s": result.wall_s,
                "cap": config.timesteps,
                "best_gates": result.gates,
                "best_cnots": result.cnots,
                "best_params": result.params,
                "best_depth": result.depth,
                "best_noiseless_error": result.best_noiseless_error,
                "best_error": result.best_error,
                "best_episode": result.best_episode,
            }
            if args.extra_timesteps and result.first_solved is not None:
                result = resume(
                    out,
                    timesteps=result.timesteps + args.extra_timesteps,
                    stop_when_solved=False,
                    progress=args.progress,
                )
                row.update(
                    {
                        "best_gates": result.gates,
                        "best_cnots": result.cnots,
                        "best_params": result.params,
                        "best_noiseless_error": result.best_noiseless_error,
                        "best_episode": result.best_episode,
                        "total_wall_s": result.wall_s,
                    }
                )
            row["session_s"] = round(time.perf_counter() - started, 1)
            results.append(row)
            print(json.dumps(row), flush=True)
            if args.json_out:
                _write(args.json_out, {**meta, "results": results})
    if args.json:
        print(json.dumps({**meta, "results": results}))
    return 0 if all(r["solved"] for r in results) else 1


def _commit() -> str | None:
    """The repository's HEAD commit (None outside a git checkout)."""
    import subprocess

    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _write(path: str, data: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
