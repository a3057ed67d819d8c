"""Replay a trained agent greedily: ``evaluate(run_dir) -> dict``.

The agent of a run folder (``model.zip``, else the last checkpoint's model) plays
``episodes`` greedy episodes (illegal actions masked for ``dqn`` and ``maskable-ppo``)
on a fresh environment built from the run's ``config.json``, under the curriculum
threshold of the last checkpoint. The best circuit of those episodes (ranked as in
:class:`~qneuro.rl.callbacks.BestCircuit`) is reported.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import agents, checkpoint
from .callbacks import BestCircuit, circuit_record
from .config import TrainConfig


def evaluate(run_dir: str | Path, episodes: int = 1, seed: int | None = None) -> dict:
    """Greedy replay of a run's agent; returns a JSON-ready report.

    Args:
        run_dir: a run folder written by :func:`qneuro.rl.train`.
        episodes: greedy episodes to play (>= 1); they differ only through the inner
            optimiser's random start angles and shot noise.
        seed: environment seed of the first episode (default: the run's seed).

    Returns:
        ``solved``, ``best_error``, ``best_noiseless_error``, ``energy``,
        ``noiseless_energy``, ``gates``, ``cnots``, ``params``, ``depth``, ``qasm``,
        ``actions``, ``threshold``, ``episodes`` and ``timesteps`` (training counters),
        ``training_wall_s``, ``eval_episodes``, ``wall_s`` (of this evaluation), ``env``,
        ``algo``, ``drawing`` (a text drawing of the circuit).
    """
    run_dir = Path(run_dir)
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes={episodes!r}; allowed: an integer >= 1")
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"no run in {run_dir} (no config.json)")
    config = TrainConfig.load(config_path)
    state = checkpoint.load_state(run_dir)
    model_path = run_dir / "model.zip"
    if not model_path.is_file():
        if state is None:
            raise FileNotFoundError(f"no model in {run_dir} (no model.zip, no checkpoint)")
        model_path = Path(state["model"])
    from .trainer import make_env, run_greedy_episode

    started = time.perf_counter()
    env = make_env(config)
    if state is not None:
        env.unwrapped.set_curriculum_state(state["curriculum"])
    model = agents.model_class(config.algo).load(model_path, device=config.device)
    seed = config.seed if seed is None else seed
    best = None
    for index in range(episodes):
        summary, info = run_greedy_episode(model, config.algo, env, seed=seed + index)
        record = circuit_record(summary, info.get("qasm", ""), episode=index + 1)
        record["drawing"] = str(info["circuit"].draw("text", fold=-1))
        if best is None or BestCircuit.rank(record) < BestCircuit.rank(best):
            best = record
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
        "episodes": state["episodes"] if state else None,
        "timesteps": state["timesteps"] if state else None,
        "training_wall_s": state["wall_s"] if state else None,
        "eval_episodes": episodes,
        "wall_s": round(time.perf_counter() - started, 3),
        "drawing": best["drawing"],
    }
    json.dumps(report)  # fail here, not in the CLI, if something is not JSON-ready
    return report
