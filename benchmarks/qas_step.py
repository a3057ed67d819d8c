"""Wall time per architecture-search step (one action + re-optimising every angle).

Random legal actions for one episode of L actions per problem, noiseless and under
Mumbai-median noise, 100 Adam-SPSA evaluations per step (the environment's default):

    .venv/bin/python benchmarks/qas_step.py [--episodes 3]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import qneuro.envs  # noqa: F401  (registers the IDs)

PROBLEMS = ("H2-2q", "H2-4q", "LiH-4q", "LiH-6q", "H2O-8q")


def episode_times(env_id: str, episodes: int, seed: int = 0) -> list[float]:
    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    times = []
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        done = False
        while not done:
            mask = env.unwrapped.action_masks()
            action = rng.choice(np.flatnonzero(mask))
            start = time.perf_counter()
            _, _, terminated, truncated, _ = env.step(action)
            times.append(time.perf_counter() - start)
            done = terminated or truncated
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2)
    args = parser.parse_args()
    print("| problem | L | noiseless ms/step (median, max) | mumbai-median ms/step (median, max) |")
    print("|---|---|---|---|")
    for problem in PROBLEMS:
        cells = []
        for suffix in ("", "-mumbai-median"):
            times = np.array(episode_times(f"qneuro/QAS-{problem}{suffix}-v0", args.episodes))
            cells.append(f"{1e3 * np.median(times):.1f}, {1e3 * times.max():.0f}")
        max_gates = gym.make(f"qneuro/QAS-{problem}-v0").unwrapped.max_gates
        print(f"| {problem} | {max_gates} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
