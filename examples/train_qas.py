"""Train a stable-baselines3 agent directly on a registered architecture-search environment.

A starting point for your own training loop (no qneuro.rl trainer): sb3-contrib's
MaskablePPO reads the legal actions from ``env.unwrapped.action_masks()``; every finished
episode carries ``info["episode_summary"]`` (errors, gates, the curriculum threshold) and
``info["qasm"]`` (the circuit). With one environment the curriculum lives inside it; with
several, see :class:`qneuro.rl.session.CurriculumSync` for sharing it (or use ``qneuro qas train``).

    python examples/train_qas.py [--env qneuro/QAS-H2-2q-v0] [--timesteps 3000] [--seed 0]

For the CRLQAS agent (masked double DQN) swap the model for
``qneuro.rl.MaskedDQN("MlpPolicy", ActionMaskObservation(env), n_steps=5, ...)``.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
from sb3_contrib import MaskablePPO
from stable_baselines3.common.callbacks import BaseCallback

import qneuro.envs  # noqa: F401  (registers qneuro/QAS-*-v0)


class BestCircuit(BaseCallback):
    """Keep the finished episode with the lowest noiseless energy error."""

    def __init__(self) -> None:
        super().__init__()
        self.best: dict | None = None
        self.episodes = 0

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            summary = info.get("episode_summary")
            if summary is None:
                continue
            self.episodes += 1
            error = abs(summary.noiseless_error)
            if self.best is None or error < self.best["error"]:
                self.best = {
                    "error": error,
                    "gates": summary.gates,
                    "episode": self.episodes,
                    "qasm": info["qasm"],
                }
        return True


def main() -> None:
    """Train, then replay the agent greedily with masks and print its circuit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="qneuro/QAS-H2-2q-v0")
    parser.add_argument("--timesteps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = gym.make(args.env, optimizer_budget=60)  # any constructor argument can go here
    gamma = 0.005 ** (1 / env.unwrapped.max_gates)  # CRLQAS discount for the budget L
    model = MaskablePPO(
        "MlpPolicy", env, n_steps=256, batch_size=64, gamma=gamma, seed=args.seed, verbose=0
    )
    tracker = BestCircuit()
    model.learn(args.timesteps, callback=tracker)
    best = tracker.best
    if best is not None:
        print(
            f"best training circuit: episode {best['episode']} of {tracker.episodes}, "
            f"{best['gates']} gates, noiseless error {best['error']:.2e} Ha"
        )

    obs, _ = env.reset(seed=args.seed)
    while True:
        mask = env.unwrapped.action_masks()
        action, _ = model.predict(obs, deterministic=True, action_masks=mask)
        obs, reward, terminated, truncated, info = env.step(int(action))
        if terminated or truncated:
            break
    summary = info["episode_summary"]
    error = abs(summary.noiseless_error)
    print(info["circuit"].draw("text", fold=-1))
    print(
        f"greedy circuit: {summary.gates} gates, {summary.cnots} CNOTs, noiseless error "
        f"{error:.2e} Ha ({'within' if summary.solved else 'not within'} "
        "chemical accuracy)"
    )


if __name__ == "__main__":
    main()
