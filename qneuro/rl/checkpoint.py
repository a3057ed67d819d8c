"""Run-folder layout, atomic writes and checkpoints of a training run.

A run folder holds::

    config.json            the resolved TrainConfig
    episodes.csv           one row per finished training episode
    evaluations.csv        one row per greedy evaluation episode
    tb/episodes, tb/agent  TensorBoard event files (per-episode scalars; SB3's losses)
    best_circuit.qasm      the best circuit found so far (OpenQASM 2, angles bound)
    best_circuit.json      its energies, errors, size, episode, wall time
    checkpoints/           model-<E>.zip, replay-<E>.pkl (when saved), state.json
    model.zip              the final model
    learning_curve.png     errors and threshold vs episode, success rate
    result.json            the run's summary (what ``--json`` prints)

A checkpoint is written file by file, each through a temporary name and ``os.replace``;
``state.json`` goes last and names the model and replay files it belongs to, so a crash
at any moment leaves the previous checkpoint intact and readable. Older model and
replay files are deleted only after the new ``state.json`` is in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from qneuro import files

STATE = "state.json"


def atomic_write_json(path: str | Path, data: dict) -> None:
    """Atomic ``json.dumps(data, indent=2)``, numpy scalars and arrays included."""
    files.atomic_write_json(path, data, indent=2, default=_json_default)


def save_checkpoint(run_dir: str | Path, model, state: dict, replay: bool) -> Path:
    """Write a checkpoint of ``model`` and the JSON-ready ``state``; returns ``state.json``.

    Args:
        run_dir: the run folder.
        model: an SB3 model.
        state: counters, curriculum state, best circuit record (JSON-ready).
        replay: also save the replay buffer (off-policy models only).
    """
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{int(state['episodes']):08d}-{int(state['timesteps']):010d}"
    model_name = f"model-{tag}.zip"
    tmp = folder / (model_name + ".partial")
    model.save(tmp)
    os.replace(tmp, folder / model_name)
    replay_name = None
    if replay and getattr(model, "replay_buffer", None) is not None:
        replay_name = f"replay-{tag}.pkl"
        tmp = folder / (replay_name + ".partial")
        model.save_replay_buffer(tmp)
        os.replace(tmp, folder / replay_name)
    state = {**state, "model": model_name, "replay_buffer": replay_name}
    atomic_write_json(folder / STATE, state)
    for old in folder.iterdir():
        if old.name not in (model_name, replay_name, STATE) and old.suffix in (".zip", ".pkl"):
            old.unlink(missing_ok=True)
    return folder / STATE


def load_state(run_dir: str | Path) -> dict | None:
    """The last checkpoint's state (with absolute ``model`` / ``replay_buffer`` paths)."""
    path = Path(run_dir) / "checkpoints" / STATE
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    folder = path.parent
    state["model"] = str(folder / state["model"])
    if state.get("replay_buffer"):
        state["replay_buffer"] = str(folder / state["replay_buffer"])
    return state


def replay_buffer_bytes(model) -> int:
    """Bytes held by an off-policy model's replay buffer arrays (0 without one)."""
    buffer = getattr(model, "replay_buffer", None)
    if buffer is None:
        return 0
    return sum(
        getattr(buffer, name).nbytes
        for name in ("observations", "next_observations", "actions", "rewards", "dones")
        if getattr(buffer, name, None) is not None
    )


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
