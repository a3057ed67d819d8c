"""Random architecture search: how often random legal actions reach chemical accuracy.

No agent: each episode takes uniformly random legal actions until the action budget L
(fixed threshold 1.6e-3 Ha, so an episode ends early only at chemical accuracy), and
records the lowest noiseless error of its circuits. This isolates the inner angle
optimiser: the same episodes (seeds 0..E-1) are run for every optimiser and budget.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qas_random_search.py --budgets 100,300

Prints one Markdown row per (environment, optimiser, budget): episodes reaching chemical
accuracy, median and lowest best noiseless error, milliseconds per step.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import qneuro.envs  # noqa: F401  (registers the IDs)
from qneuro.vqe import CHEMICAL_ACCURACY


def random_episodes(env_id: str, optimizer: str, budget: int, episodes: int) -> dict:
    env = gym.make(
        f"qneuro/QAS-{env_id}-v0",
        optimizer=optimizer,
        optimizer_budget=budget,
        curriculum=CHEMICAL_ACCURACY,
    ).unwrapped
    best_errors, steps = [], 0
    start = time.perf_counter()
    for episode in range(episodes):
        _, info = env.reset(seed=episode)
        rng = np.random.default_rng(episode)
        best = info["noiseless_error"]
        done = False
        while not done:
            action = rng.choice(np.flatnonzero(env.action_masks()))
            _, _, terminated, truncated, info = env.step(action)
            best = min(best, info["noiseless_error"])
            steps += 1
            done = terminated or truncated
        best_errors.append(best)
    errors = np.array(best_errors)
    return {
        "solved": int((errors < CHEMICAL_ACCURACY).sum()),
        "median": float(np.median(errors)),
        "lowest": float(errors.min()),
        "ms_per_step": 1e3 * (time.perf_counter() - start) / steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--envs",
        default="H2-4q,LiH-4q,H2-4q-depolarizing-0.001-0.005",
        help="comma-separated IDs without the qneuro/QAS- prefix and -v0",
    )
    parser.add_argument("--optimizers", default="adam-spsa,rotosolve")
    parser.add_argument("--budgets", default="100", help="comma-separated evaluation budgets")
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()
    print(
        "| environment | optimiser | budget | episodes at chemical accuracy | median best "
        "error (Ha) | lowest (Ha) | ms/step |"
    )
    print("|---|---|---|---|---|---|---|")
    for env_id in args.envs.split(","):
        for optimizer in args.optimizers.split(","):
            for budget in (int(b) for b in args.budgets.split(",")):
                r = random_episodes(env_id, optimizer, budget, args.episodes)
                print(
                    f"| {env_id} | {optimizer} | {budget} | {r['solved']}/{args.episodes} | "
                    f"{r['median']:.1e} | {r['lowest']:.1e} | {r['ms_per_step']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
