"""Wall time per architecture-search step (one action + re-optimising every angle).

Random legal actions, one thread, for every bundled problem, noiseless and under
Mumbai-median noise, with the environment's default action budget L. Each step appends a
gate and re-optimises every angle with 100 energy evaluations' worth of the inner
optimiser. Per problem and noise, in one run and with the same random actions:

* ``rotosolve`` (now): exact sinusoids from the simulator (:mod:`qneuro.ptm.sweep`),
  statevectors where the problem is noiseless;
* ``rotosolve, old path``: three circuit evaluations per angle on the PTM engine
  (``engine="ptm"``, ``optimizer_options={"incremental": False}``), what a step cost
  before the incremental sweeps and the statevector engine;
* ``adam-spsa`` (the default optimiser, now and on the old path).

The ratio column is old path / now. Run it from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_step.py [--episodes 2] [--json]

``--problems`` and ``--noise`` select rows; ``--json`` prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import gymnasium as gym
import numpy as np

import qneuro.envs  # noqa: F401  (registers the IDs)

PROBLEMS = ("H2-2q", "H2-4q", "LiH-4q", "LiH-6q", "H2O-8q")
NOISES = ("noiseless", "mumbai-median")

#: Column name -> environment keyword arguments.
SETTINGS = {
    "rotosolve": {"optimizer": "rotosolve"},
    "rotosolve, old path": {
        "optimizer": "rotosolve", "engine": "ptm", "optimizer_options": {"incremental": False},
    },
    "adam-spsa": {"optimizer": "adam-spsa"},
    "adam-spsa, old path": {"optimizer": "adam-spsa", "engine": "ptm"},
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--noise", default=",".join(NOISES))
    parser.add_argument("--settings", default=",".join(SETTINGS),
                        help=f"comma-separated columns from: {', '.join(SETTINGS)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    settings = [s.strip() for s in args.settings.split(",")]
    rows = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; mean ms/step "
          f"(median in brackets), {args.episodes} episode(s) of random legal actions")
    header = ["problem", "noise", "L", *settings, "rotosolve speed-up", "adam-spsa speed-up"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for problem in args.problems.split(","):
        for noise in args.noise.split(","):
            env_id = f"qneuro/QAS-{problem}{'' if noise == 'noiseless' else '-' + noise}-v0"
            row = {"problem": problem, "noise": noise,
                   "max_gates": gym.make(env_id).unwrapped.max_gates}
            for name in settings:
                times = step_times(env_id, args.episodes, **SETTINGS[name])
                row[name] = {"mean_ms": 1e3 * times.mean(), "median_ms": 1e3 * np.median(times)}
            for optimizer in ("rotosolve", "adam-spsa"):
                if optimizer in row and f"{optimizer}, old path" in row:
                    old, new = row[f"{optimizer}, old path"]["mean_ms"], row[optimizer]["mean_ms"]
                    row[f"{optimizer} speed-up"] = old / new
            rows.append(row)
            cells = [problem, noise, str(row["max_gates"])]
            cells += [f"{row[s]['mean_ms']:.1f} ({row[s]['median_ms']:.1f})" for s in settings]
            cells += [f"{row[k]:.1f}x" if k in row else "" for k in
                      ("rotosolve speed-up", "adam-spsa speed-up")]
            print("| " + " | ".join(cells) + " |", flush=True)
    if args.json:
        print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                          "episodes": args.episodes, "rows": rows}))


if __name__ == "__main__":
    main()
