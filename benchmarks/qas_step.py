"""Wall time per architecture-search step (one action + re-optimising every angle).

Random legal actions, one thread, for every bundled problem, noiseless and under
Mumbai-median noise, with the environment's default action budget L. Each step appends a
gate and re-optimises every angle with 100 energy evaluations' worth of the inner
optimiser. Per problem and noise, in one run and with the same random actions:

* ``rotosolve``: exact sinusoids from the simulator (:mod:`qneuro.ptm.sweep`),
  statevectors where the problem is noiseless;
* ``adam-spsa`` (the default optimiser);
* optionally ``rotosolve-old-path`` and ``adam-spsa-old-path`` (``--settings``): the
  same code with every evaluation on the PTM engine and Rotosolve evaluating three
  points per angle (``engine="ptm"``, ``optimizer_options={"incremental": False}``);
* with ``--baseline COMMIT``: ``rotosolve`` and ``adam-spsa`` on the code of an earlier
  commit of this repository (exported with ``git archive`` into a temporary folder and run
  in a subprocess, the same episodes), and the speed-up of each optimiser against it.

Run it from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_step.py --baseline 05f288c [--json]

``--problems``, ``--noise`` and ``--settings`` select rows and columns; ``--json`` prints
one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import qneuro.envs  # noqa: F401  (registers the IDs)

PROBLEMS = ("H2-2q", "H2-4q", "LiH-4q", "LiH-6q", "H2O-8q")
NOISES = ("noiseless", "mumbai-median")

#: Column name -> environment keyword arguments.
SETTINGS = {
    "rotosolve": {"optimizer": "rotosolve"},
    "rotosolve-old-path": {
        "optimizer": "rotosolve",
        "engine": "ptm",
        "optimizer_options": {"incremental": False},
    },
    "adam-spsa": {"optimizer": "adam-spsa"},
    "adam-spsa-old-path": {"optimizer": "adam-spsa", "engine": "ptm"},
}


def step_times(env_id: str, episodes: int, seed: int = 0, **kwargs) -> np.ndarray:
    """Seconds per step of ``episodes`` episodes of random legal actions."""
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(seed)
    times = []
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        done = False
        while not done:
            action = rng.choice(np.flatnonzero(env.unwrapped.action_masks()))
            start = time.perf_counter()
            _, _, terminated, truncated, _ = env.step(action)
            times.append(time.perf_counter() - start)
            done = terminated or truncated
    return np.array(times)


_BASELINE_DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import qneuro, qneuro.envs
assert qneuro.__file__.startswith(sys.argv[1]), qneuro.__file__
sys.path.insert(0, sys.argv[2])
from qas_step import step_times
env_id, episodes, kwargs = sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
print(json.dumps(step_times(env_id, episodes, **kwargs).tolist()))
"""


def export_commit(commit: str, folder: Path) -> Path:
    """The package tree of ``commit`` in ``folder``, laid out as the installed package."""
    archive = folder / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "archive", commit],
            stdout=out,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )  # the repository root
    root = folder / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    for sub in ("envs", "generators"):  # setuptools maps them to qneuro.envs, qneuro.generators
        (root / sub).rename(root / "qneuro" / sub)
    return root


def baseline_times(root: Path, env_id: str, episodes: int, **kwargs) -> np.ndarray:
    """Seconds per step on the exported code, in a fresh interpreter."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _BASELINE_DRIVER,
            str(root),
            str(Path(__file__).parent),
            env_id,
            str(episodes),
            json.dumps(kwargs),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return np.array(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--noise", default=",".join(NOISES))
    parser.add_argument(
        "--settings",
        default="rotosolve,adam-spsa",
        help=f"comma-separated columns from: {', '.join(SETTINGS)}",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="an earlier commit to time the same steps on (e.g. 05f288c)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    settings = [s.strip() for s in args.settings.split(",")]
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; allowed: {', '.join(SETTINGS)}")
    baseline_root = None
    if args.baseline:
        workdir = tempfile.TemporaryDirectory()
        baseline_root = export_commit(args.baseline, Path(workdir.name))
    rows = []
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; mean ms/step "
        f"(median in brackets), {args.episodes} episode(s) of random legal actions"
    )
    before = []
    if args.baseline:
        before = [f"{name}, {args.baseline}" for name in ("rotosolve", "adam-spsa")]
    header = [
        "problem",
        "noise",
        "L",
        *settings,
        *before,
        "rotosolve speed-up",
        "adam-spsa speed-up",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for problem in args.problems.split(","):
        for noise in args.noise.split(","):
            env_id = f"qneuro/QAS-{problem}{'' if noise == 'noiseless' else '-' + noise}-v0"
            row = {
                "problem": problem,
                "noise": noise,
                "max_gates": gym.make(env_id).unwrapped.max_gates,
            }
            for name in settings:
                times = step_times(env_id, args.episodes, **SETTINGS[name])
                row[name] = {"mean_ms": 1e3 * times.mean(), "median_ms": 1e3 * np.median(times)}
            for name in before:
                optimizer = name.split(",")[0]
                times = baseline_times(baseline_root, env_id, args.episodes, optimizer=optimizer)
                row[name] = {"mean_ms": 1e3 * times.mean(), "median_ms": 1e3 * np.median(times)}
            for optimizer in ("rotosolve", "adam-spsa"):
                reference = (
                    f"{optimizer}, {args.baseline}" if args.baseline else (f"{optimizer}-old-path")
                )
                if optimizer in row and reference in row:
                    old, new = row[reference]["mean_ms"], row[optimizer]["mean_ms"]
                    row[f"{optimizer} speed-up"] = old / new
            rows.append(row)
            cells = [problem, noise, str(row["max_gates"])]
            cells += [
                f"{row[s]['mean_ms']:.1f} ({row[s]['median_ms']:.1f})" for s in [*settings, *before]
            ]
            cells += [
                f"{row[k]:.1f}x" if k in row else ""
                for k in ("rotosolve speed-up", "adam-spsa speed-up")
            ]
            print("| " + " | ".join(cells) + " |", flush=True)
    if args.json:
        print(
            json.dumps(
                {
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "episodes": args.episodes,
                    "rows": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
