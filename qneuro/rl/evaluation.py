"""Replay a trained agent greedily: ``evaluate(run_dir) -> dict``.

The agent of a run folder's last checkpoint (the final one of a finished run) plays
``episodes`` greedy episodes (illegal actions masked for ``dqn`` and ``maskable-ppo``)
on a fresh environment built from the run's ``config.json``, under the curriculum
threshold of that checkpoint. The best circuit of those episodes (ranked as in
:class:`~qneuro.rl.session.BestCircuit`) is reported.

The agent is rebuilt from ``config.json`` and gets the checkpoint's weights (safetensors);
``model.zip`` (pickled, stable-baselines3's format) is never loaded, so evaluating a run
folder from elsewhere executes no code from it.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from qneuro import checks, files

from . import checkpoint
from .config import MAX_SEED, TrainConfig
from .session import BestCircuit, circuit_record


def evaluate(run_dir: str | Path, episodes: int = 1, seed: int | None = None) -> dict:
    """Greedy replay of a run's agent; returns a JSON-ready report.

    Args:
        run_dir: a run folder written by :func:`qneuro.rl.train`.
        episodes: greedy episodes to play (>= 1); they differ only through the inner
            optimiser's random start angles and shot noise.
        seed: environment seed of the first episode, 0 to 2**32 - 1 (default: the run's
            seed).

    Returns:
        ``solved``, ``best_error``, ``best_noiseless_error``, ``energy``,
        ``noiseless_energy``, ``gates``, ``cnots``, ``params``, ``depth``, ``qasm``,
        ``actions``, ``threshold``, ``episodes`` and ``timesteps`` (training counters),
        ``training_wall_s``, ``eval_episodes``, ``wall_s`` (of this evaluation), ``env``,
        ``algo``, ``drawing`` (a text drawing of the circuit).
    """
    run_dir = Path(run_dir)
    episodes = checks.integer("episodes", episodes, 1)
    if seed is not None:
        seed = checks.integer("seed", seed, 0, MAX_SEED)
    config_path = files.inside(run_dir, "config.json", what="run configuration")
    if not config_path.is_file():
        raise FileNotFoundError(f"no run in {run_dir} (no config.json)")
    config = TrainConfig.load(config_path)
    state = checkpoint.load_state(run_dir)
    if state is None:
        raise FileNotFoundError(
            f"no trained agent in {run_dir} (no checkpoints/state.json); train or resume it"
        )
    from .agents import run_greedy_episode
    from .trainer import build_model, make_env

    started = time.perf_counter()
    env = make_env(config)
    try:
        env.unwrapped.follow_curriculum(state["curriculum"])  # every episode at its threshold
        # only the policy is needed: a one-transition replay buffer
        model = build_model(replace(config, buffer_size=1), env, env.unwrapped.max_gates)
        checkpoint.load_policy(state, model)
        seed = config.seed if seed is None else seed
        best = None
        for index in range(episodes):
            summary, info = run_greedy_episode(model, config.algo, env, seed=seed + index)
            record = circuit_record(summary, info.get("qasm", ""), episode=index + 1)
            record["drawing"] = str(info["circuit"].draw("text", fold=-1))
            if best is None or BestCircuit.rank(record) < BestCircuit.rank(best):
                best = record
    finally:
        env.close()
    report = {
        "env": config.env,
        "algo": config.algo,
        "solved": best["solved"],
        "best_error": best["error"],
        "best_noiseless_error": best["noiseless_error"],
        "energy": best["energy"],
        "noiseless_energy": best["noiseless_energy"],
        "gates": best["gates"],
        "cnots": best["cnots"],
        "params": best["parameters"],
        "depth": best["depth"],
        "qasm": best["qasm"],
        "actions": best["actions"],
        "threshold": best["threshold"],
        "episodes": state["episodes"],
        "timesteps": state["timesteps"],
        "training_wall_s": state["wall_s"],
        "eval_episodes": episodes,
        "wall_s": round(time.perf_counter() - started, 3),
        "drawing": best["drawing"],
    }
    json.dumps(report)  # fail here, not in the CLI, if something is not JSON-ready
    return report
