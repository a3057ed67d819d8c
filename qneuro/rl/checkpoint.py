"""Run-folder layout, atomic writes and checkpoints of a training run.

A run folder holds::

    config.json            the resolved TrainConfig (``out``: the folder of the last session)
    episodes.csv           one row per finished training episode (header written first)
    evaluations.csv        one row per greedy evaluation episode (header written first)
    tb/episodes, tb/agent  TensorBoard event files (per-episode scalars; SB3's losses),
                           one file per session
    best_circuit.qasm      the best circuit found so far (OpenQASM 2, angles bound)
    best_circuit.json      its energies, errors, size, episode, wall time
    checkpoints/state.json the last checkpoint: counters, curriculum, best circuit, the
                           agent's counters and the names of the two files below
    checkpoints/model-<E>-<T>.safetensors   policy and Adam tensors (E episodes, T steps)
    checkpoints/replay-<E>-<T>.npz          the replay buffer's arrays (when saved)
    model.zip              the final model in stable-baselines3's own format
    learning_curve.png     errors and threshold vs episode, success rate
    result.json            the run's summary (what ``--json`` prints)
    .lock                  locked while a training session writes the folder

Loading a run executes no code. qneuro reads JSON (every field checked, counters at most
:data:`~qneuro.rl.config.MAX_COUNT`), safetensors (tensors only; names and shapes checked
from the header before any tensor is read, values finite) and ``.npz`` arrays
(``allow_pickle=False``, each array's shape and dtype checked before it is read, values
finite, actions legal). The model is rebuilt from ``config.json`` and the
environment, its weights and Adam moments go in with ``load_state_dict``, and the counters
stable-baselines3 needs to continue (timesteps, episodes, updates, target-sync calls,
exploration rate, recent episode returns) come from ``state.json``. ``model.zip`` holds
pickled Python objects (SB3's format): it is written for SB3 users and never loaded by
qneuro; load it yourself only from a run you trust.

Every file a run loads lies inside the run folder: ``state.json`` names its files relative
to ``checkpoints/``, and an absolute name, a ``..`` or a symbolic link is refused. The
folder given to ``train``/``resume``/``evaluate`` (``--out``) is authoritative, so a run
folder can be moved or copied and then resumed.

A checkpoint is written file by file, each through a temporary name and ``os.replace``;
``state.json`` goes last, so a crash at any moment leaves the previous checkpoint intact
and readable. Older model and replay files are deleted only after the new ``state.json``
is in place (only names a checkpoint writes, ``model-<E>-<T>.safetensors`` and
``replay-<E>-<T>.npz``); temporaries left by a killed session are deleted when the next one
starts (:func:`qneuro.files.remove_temporaries`: only names :func:`~qneuro.files.atomic_write`
gives them).
"""

from __future__ import annotations

import re
import zipfile
from collections import deque
from pathlib import Path

import numpy as np

from qneuro import checks, files
from qneuro.qasm import parse_qasm

from .config import MAX_COUNT

CHECKPOINTS = "checkpoints"
STATE = "state.json"

#: The best circuit's files in the run folder.
BEST_CIRCUIT_FILES = ("best_circuit.qasm", "best_circuit.json")

#: Every file a training session writes in the run folder (regular files or absent), and
#: its folders (folders or absent); :func:`check_run_folder` checks them all first.
RUN_FILES = (
    "config.json",
    "episodes.csv",
    "evaluations.csv",
    *BEST_CIRCUIT_FILES,
    f"{CHECKPOINTS}/{STATE}",
    "model.zip",
    "learning_curve.png",
    "result.json",
)
RUN_FOLDERS = (CHECKPOINTS, "tb", "tb/episodes", "tb/agent")

#: Largest wall time of a run or an episode in ``state.json`` (s, about 31,700 years).
MAX_SECONDS = 1e12

#: Names of the weights and replay files a checkpoint writes (the only ones it deletes).
_CHECKPOINT_FILE = re.compile(
    r"model-[0-9]{8,}-[0-9]{10,}\.safetensors|replay-[0-9]{8,}-[0-9]{10,}\.npz"
)

#: ``state.json`` format: 2 holds safetensors and npz files (1, pickled SB3 files, is
#: refused).
FORMAT = 2

#: Largest ``state.json`` read (bytes).
MAX_STATE_BYTES = 16 * 2**20

#: Replay-buffer arrays saved (those the buffer has).
REPLAY_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")

#: Adam's per-parameter state (torch.optim.Adam without amsgrad).
ADAM_STATE = ("step", "exp_avg", "exp_avg_sq")

#: Integer and real fields of a circuit record (``best`` and ``first_solved``).
_RECORD_INTEGERS = ("episode", "timesteps", "gates", "cnots", "depth", "parameters")
_RECORD_REALS = ("wall_s", "energy", "noiseless_energy", "error", "noiseless_error", "threshold")
_RECORD_FLAGS = ("solved", "success")
_BEST = (*_RECORD_INTEGERS, *_RECORD_REALS, *_RECORD_FLAGS, "actions", "angles", "qasm", "source")
#: Fields of the first circuit at chemical accuracy (``first_solved``) of a run.
FIRST_SOLVED_FIELDS = (
    "episode",
    "timesteps",
    "wall_s",
    "source",
    "gates",
    "cnots",
    "depth",
    "parameters",
    "noiseless_error",
    "error",
)

#: The agent's counters in ``state.json`` (every algorithm; DQN's own).
_AGENT_COUNTERS = (
    "num_timesteps",
    "episode_num",
    "n_updates",
    "episode_infos",
    "episode_successes",
)
_DQN_COUNTERS = ("exploration_rate", "n_calls")


def save_checkpoint(run_dir: str | Path, model, state: dict, replay: bool) -> Path:
    """Write a checkpoint of ``model`` and the JSON-ready ``state``; returns ``state.json``.

    Args:
        run_dir: the run folder.
        model: an SB3 model built by :func:`qneuro.rl.agents.make_model`.
        state: counters, curriculum state, best circuit record (JSON-ready).
        replay: also save the replay buffer (off-policy models only).
    """
    from safetensors.torch import save_file

    folder = files.inside(run_dir, CHECKPOINTS, what="checkpoint folder")
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{int(state['episodes']):08d}-{int(state['timesteps']):010d}"
    model_name = f"model-{tag}.safetensors"
    tensors = _model_tensors(model)
    files.atomic_write(folder / model_name, lambda tmp: save_file(tensors, tmp))
    replay_record = None
    buffer = getattr(model, "replay_buffer", None)
    if replay and buffer is not None:
        replay_name = f"replay-{tag}.npz"
        files.atomic_write(folder / replay_name, lambda tmp: _write_replay(buffer, tmp))
        replay_record = {"file": replay_name, "pos": int(buffer.pos), "full": bool(buffer.full)}
    state = {
        **state,
        "format": FORMAT,
        "model": model_name,
        "replay_buffer": replay_record,
        "agent": _agent_counters(model),
    }
    files.atomic_write_json(folder / STATE, state, indent=2)
    keep = {model_name, replay_record and replay_record["file"]}
    for old in folder.iterdir():
        if old.name not in keep and _CHECKPOINT_FILE.fullmatch(old.name):
            old.unlink(missing_ok=True)
    return folder / STATE


def check_run_folder(run_dir: str | Path) -> None:
    """Refuse a run folder where a name the session writes is taken by something else.

    Every name of :data:`RUN_FILES` must be a regular file or absent, every name of
    :data:`RUN_FOLDERS` a folder or absent, with no symbolic link on the way; checked
    before the session writes anything.

    Raises:
        ValueError: the first name that fails (:class:`qneuro.files.UnsafePathError`).
    """
    for name in (*RUN_FOLDERS, *RUN_FILES):
        path = files.inside(run_dir, name)
        folder = name in RUN_FOLDERS
        if path.exists() and not (path.is_dir() if folder else path.is_file()):
            if path.is_dir() or path.is_file():
                kind = "a folder" if path.is_dir() else "a file"
            else:
                kind = "not a regular file"  # a FIFO, a device, a socket
            allowed = "a folder or nothing" if folder else "a regular file or nothing"
            raise files.UnsafePathError(f"{path} is {kind}; allowed: {allowed} (the run writes it)")


def load_state(run_dir: str | Path) -> dict | None:
    """The last checkpoint's state, every field checked; None when there is none.

    ``model`` becomes the path of the weights file and ``replay_buffer`` (when saved) a
    dict with the ``file`` path, ``pos`` and ``full``.

    Raises:
        ValueError: ``state.json`` is malformed, names a file outside ``checkpoints/`` or
            a missing one, or comes from an older qneuro (pickled checkpoints).
    """
    path = files.inside(run_dir, f"{CHECKPOINTS}/{STATE}", what="checkpoint")
    if not path.exists():
        return None
    data = checks.read_json_object(path, what="checkpoint", max_bytes=MAX_STATE_BYTES)
    try:
        return _checked_state(data, path.parent)
    except ValueError as exc:
        raise ValueError(f"checkpoint {path}: {exc}") from None


def load_policy(state: dict, model) -> dict:
    """Load the checkpoint's policy weights into ``model``; returns the optimiser tensors.

    The file's header is checked against the network of ``model`` (names and shapes)
    before any tensor is read, and every tensor must be finite.
    """
    path = state["model"]
    shapes = {f"policy.{k}": tuple(v.shape) for k, v in model.policy.state_dict().items()}
    for index, param in enumerate(_parameters(model.policy.optimizer)):
        for name in ADAM_STATE:
            shapes[f"optimizer.{index}.{name}"] = () if name == "step" else tuple(param.shape)
    policy, optimizer = _split_tensors(_read_tensors(path, shapes), path)
    try:
        model.policy.load_state_dict(policy)
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(
            f"model file {path} does not fit the network of config.json ({reason})"
        ) from None
    return optimizer


def restore_model(state: dict, model) -> None:
    """Make a freshly built ``model`` continue from the checkpoint ``state``.

    Weights and Adam moments (safetensors), the agent's counters (``state["agent"]``) and
    the replay buffer (``.npz``, when saved) are loaded; nothing is unpickled.
    """
    optimizer = load_policy(state, model)
    _load_optimizer(model.policy.optimizer, optimizer, state["model"])
    _set_counters(model, state["agent"], state["timesteps"])
    buffer = getattr(model, "replay_buffer", None)
    if state["replay_buffer"] is not None and buffer is not None:
        _load_replay(buffer, state["replay_buffer"])


def remove_temporaries(run_dir: str | Path) -> None:
    """Delete temporaries a killed session left in the run folder and its checkpoints."""
    files.remove_temporaries(run_dir)
    files.remove_temporaries(files.inside(run_dir, CHECKPOINTS, what="checkpoint folder"))


def replay_buffer_bytes(model) -> int:
    """Bytes held by an off-policy model's replay buffer arrays (0 without one)."""
    buffer = getattr(model, "replay_buffer", None)
    if buffer is None:
        return 0
    return sum(
        getattr(buffer, name).nbytes
        for name in REPLAY_ARRAYS
        if getattr(buffer, name, None) is not None
    )


# -- writing ----------------------------------------------------------------------------


def _model_tensors(model) -> dict:
    """Policy weights as ``policy.<name>``, Adam state as ``optimizer.<index>.<name>``."""
    import torch

    tensors = {f"policy.{k}": v for k, v in model.policy.state_dict().items()}
    for index, values in model.policy.optimizer.state_dict()["state"].items():
        for key, value in values.items():
            tensors[f"optimizer.{index}.{key}"] = torch.as_tensor(value)
    # safetensors refuses views of shared storage: give each tensor its own copy
    return {k: v.detach().to("cpu").clone().contiguous() for k, v in tensors.items()}


def _write_replay(buffer, path: str) -> None:
    arrays = {
        name: getattr(buffer, name)
        for name in REPLAY_ARRAYS
        if getattr(buffer, name, None) is not None
    }
    with open(path, "wb") as handle:  # a handle: np.savez would append ".npz" to a name
        np.savez(handle, **arrays)


def _agent_counters(model) -> dict:
    counters = {
        "num_timesteps": int(model.num_timesteps),
        "episode_num": int(model._episode_num),
        "n_updates": int(model._n_updates),
        "episode_infos": [
            {"r": float(info["r"]), "l": int(info["l"]), "t": float(info["t"])}
            for info in model.ep_info_buffer or ()
        ],
        "episode_successes": [bool(s) for s in model.ep_success_buffer or ()],
    }
    if hasattr(model, "exploration_rate"):  # DQN
        counters["exploration_rate"] = float(model.exploration_rate)
        counters["n_calls"] = int(model._n_calls)
    return counters


# -- reading ----------------------------------------------------------------------------


def _checked_state(data: dict, folder: Path) -> dict:
    """``state.json``'s fields, checked and normalised (ValueError names the field)."""
    from qneuro.envs import make_curriculum

    if data.get("format") != FORMAT:
        raise ValueError(
            f"format={data.get('format')!r}; allowed: {FORMAT} (checkpoints of older qneuro "
            "versions hold pickled models, which are never loaded; start a new run)"
        )
    required = (
        "episodes",
        "timesteps",
        "wall_s",
        "evaluations",
        "curriculum",
        "best",
        "first_solved",
        "model",
        "replay_buffer",
        "agent",
    )
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"lacks {missing}")
    if not isinstance(data["curriculum"], dict):
        raise ValueError(f"curriculum={data['curriculum']!r}; allowed: a curriculum state")
    timesteps = _count("timesteps", data["timesteps"])
    try:
        curriculum = make_curriculum(dict(data["curriculum"])).state_dict()
    except ValueError as exc:
        raise ValueError(f"curriculum: {exc}") from None
    return {
        "episodes": _count("episodes", data["episodes"]),
        "timesteps": timesteps,
        "wall_s": checks.real("wall_s", data["wall_s"], 0.0, MAX_SECONDS),
        "evaluations": _count("evaluations", data["evaluations"]),
        "curriculum": curriculum,
        "best": _checked_record("best", data["best"], _BEST),
        "first_solved": _checked_record("first_solved", data["first_solved"], FIRST_SOLVED_FIELDS),
        "model": _checkpoint_file(folder, "model", data["model"], ".safetensors"),
        "replay_buffer": _checked_replay(folder, data["replay_buffer"]),
        "agent": _checked_agent(data["agent"], timesteps),
    }


def _checkpoint_file(folder: Path, name: str, value, suffix: str) -> Path:
    if not isinstance(value, str) or not value.endswith(suffix):
        raise ValueError(f"{name}={value!r}; allowed: a {suffix} file in {folder}")
    path = files.inside(folder, value, what=f"{name} file")
    if not path.is_file():
        raise ValueError(f"{name}={value!r}: {path} is missing or not a regular file")
    return path


def _checked_replay(folder: Path, record) -> dict | None:

    if record is None:
        return None
    if not isinstance(record, dict) or set(record) != {"file", "pos", "full"}:
        raise ValueError(f"replay_buffer={record!r}; allowed: null or {{file, pos, full}}")
    return {
        "file": _checkpoint_file(folder, "replay_buffer file", record["file"], ".npz"),
        "pos": _count("replay_buffer pos", record["pos"]),
        "full": checks.flag("replay_buffer full", record["full"]),
    }


def _checked_agent(agent, timesteps: int) -> dict:

    agent = checks.keywords("agent", agent, (*_AGENT_COUNTERS, *_DQN_COUNTERS))
    missing = [name for name in _AGENT_COUNTERS if name not in agent]
    if missing:
        raise ValueError(f"agent lacks {missing}")
    for name in ("num_timesteps", "episode_num", "n_updates", "n_calls"):
        if name in agent:
            agent[name] = _count(f"agent {name}", agent[name])
    if agent["num_timesteps"] != timesteps:
        raise ValueError(f"agent num_timesteps={agent['num_timesteps']!r}; allowed: {timesteps}")
    if "exploration_rate" in agent:
        agent["exploration_rate"] = checks.real(
            "agent exploration_rate", agent["exploration_rate"], 0.0, 1.0
        )
    infos = agent["episode_infos"]
    if not isinstance(infos, list) or not all(
        isinstance(i, dict) and set(i) == {"r", "l", "t"} for i in infos
    ):
        raise ValueError("agent episode_infos: allowed: a list of {r, l, t}")
    agent["episode_infos"] = [
        {
            "r": checks.real("agent episode_infos r", i["r"]),
            "l": _count("agent episode_infos l", i["l"]),
            "t": checks.real("agent episode_infos t", i["t"], 0.0, MAX_SECONDS),
        }
        for i in infos
    ]
    if not isinstance(agent["episode_successes"], list):
        raise ValueError("agent episode_successes: allowed: a list of true/false")
    agent["episode_successes"] = [
        checks.flag("episode success", s) for s in agent["episode_successes"]
    ]
    return agent


def _checked_record(name: str, record, required: tuple[str, ...]) -> dict | None:
    """A circuit record (``best``, ``first_solved``) with exactly ``required``, checked."""
    if record is None:
        return None
    record = checks.keywords(name, record, required)
    missing = [key for key in required if key not in record]
    if missing:
        raise ValueError(f"{name} lacks {missing}")
    for key in record:
        label, value = f"{name} {key}", record[key]
        if key in _RECORD_INTEGERS:
            record[key] = _count(label, value)
        elif key in _RECORD_REALS:
            record[key] = checks.real(label, value)
        elif key in _RECORD_FLAGS:
            record[key] = checks.flag(label, value)
        elif key == "actions":
            record[key] = [_count(label, a) for a in _list(label, value)]
        elif key == "angles":
            record[key] = [checks.real(label, a) for a in _list(label, value)]
        elif not isinstance(value, str):
            raise ValueError(f"{label}={value!r}; allowed: a string")
    if "qasm" in record and record["qasm"]:
        parse_qasm(record["qasm"], source=f"{name} qasm")
    return record


def _count(name: str, value) -> int:
    """A counter of ``state.json``: an integer in ``0..MAX_COUNT``."""
    return checks.integer(name, value, 0, MAX_COUNT)


def _list(label: str, value) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{label}={value!r}; allowed: a list")
    return value


def _read_tensors(path: Path, shapes: dict[str, tuple]) -> dict:
    """The tensors of a safetensors file whose header holds only names of ``shapes``.

    Names and shapes are checked from the header, before any tensor is read; every tensor
    read must be floating-point and finite (the message names the tensor).
    """
    import torch
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            for key in sorted(handle.keys(), key=lambda k: not k.startswith("policy.")):
                _check_header(path, key, tuple(handle.get_slice(key).get_shape()), shapes)
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"model file {path} is not a safetensors file ({exc})") from None
    for key, tensor in tensors.items():
        if not tensor.is_floating_point():
            raise ValueError(
                f"model file {path}: {key} holds {tensor.dtype}; allowed: floating-point"
            )
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(
                f"model file {path}: {key} holds NaN or infinite values; allowed: finite numbers"
            )
    return tensors


def _check_header(path: Path, key: str, shape: tuple, shapes: dict[str, tuple]) -> None:
    """Refuse a tensor name or shape of the file that the model does not have."""
    prefix, _, name = key.partition(".")
    if key in shapes and shape == shapes[key]:
        return
    if prefix == "policy":
        problem = (
            f"shape {shape}, the network's {shapes[key]}"
            if key in shapes
            else "not a tensor of the network"
        )
        raise ValueError(
            f"model file {path} does not fit the network of config.json ({key}: {problem})"
        )
    if prefix == "optimizer" and key in shapes:
        raise ValueError(f"model file {path}: {key} has shape {shape}; allowed: {shapes[key]}")
    if prefix == "optimizer":
        count = sum(1 for k in shapes if k.startswith("optimizer.")) // len(ADAM_STATE)
        raise ValueError(
            f"model file {path} holds {key}; allowed: "
            f"optimizer.<0..{count - 1}>.<{'|'.join(ADAM_STATE)}>"
        )
    raise ValueError(f"model file {path} holds {key!r}; allowed: policy.*, optimizer.*")


def _parameters(optimizer) -> list:
    return [p for group in optimizer.param_groups for p in group["params"]]


def _split_tensors(tensors: dict, path: Path) -> tuple[dict, dict]:
    """``policy.*`` and ``optimizer.*`` tensors without their prefixes."""
    parts: dict[str, dict] = {"policy": {}, "optimizer": {}}
    for key, tensor in tensors.items():
        prefix, _, name = key.partition(".")
        if prefix not in parts or not name:
            raise ValueError(f"model file {path} holds {key!r}; allowed: policy.*, optimizer.*")
        parts[prefix][name] = tensor
    return parts["policy"], parts["optimizer"]


def _load_optimizer(optimizer, tensors: dict, path: Path) -> None:
    """Adam's moments and step counts from ``optimizer.<index>.<name>`` tensors."""
    params = _parameters(optimizer)
    state: dict[int, dict] = {}
    for key, tensor in tensors.items():
        index, _, name = key.partition(".")
        if not index.isdigit() or int(index) >= len(params) or name not in ADAM_STATE:
            raise ValueError(
                f"model file {path} holds optimizer.{key}; allowed: "
                f"optimizer.<0..{len(params) - 1}>.<{'|'.join(ADAM_STATE)}>"
            )
        shape = () if name == "step" else tuple(params[int(index)].shape)
        if tuple(tensor.shape) != shape:
            raise ValueError(
                f"model file {path}: optimizer.{key} has shape {tuple(tensor.shape)}; "
                f"allowed: {shape}"
            )
        state.setdefault(int(index), {})[name] = tensor
    incomplete = [i for i, values in state.items() if set(values) != set(ADAM_STATE)]
    if incomplete:
        raise ValueError(f"model file {path}: Adam state of parameters {incomplete} is incomplete")
    groups = optimizer.state_dict()["param_groups"]  # hyperparameters come from config.json
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _set_counters(model, agent: dict, timesteps: int) -> None:
    model.num_timesteps = timesteps
    model._episode_num = agent["episode_num"]
    model._n_updates = agent["n_updates"]
    window = model._stats_window_size
    model.ep_info_buffer = deque(agent["episode_infos"], maxlen=window)
    model.ep_success_buffer = deque(agent["episode_successes"], maxlen=window)
    if hasattr(model, "exploration_rate"):
        if "exploration_rate" not in agent or "n_calls" not in agent:
            raise ValueError("checkpoint agent lacks exploration_rate and n_calls (DQN)")
        model.exploration_rate = agent["exploration_rate"]
        model._n_calls = agent["n_calls"]


def _load_replay(buffer, record: dict) -> None:
    """Copy the ``.npz`` arrays into ``buffer``; shapes and dtypes are checked first."""
    path = record["file"]
    if record["pos"] >= buffer.buffer_size:
        raise ValueError(
            f"checkpoint replay_buffer pos={record['pos']} (for {path}); allowed: "
            f"0..{buffer.buffer_size - 1}, within the run's buffer"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            for name in REPLAY_ARRAYS:
                target = getattr(buffer, name, None)
                if target is None:
                    continue
                member = f"{name}.npy"
                with archive.open(member) as handle:
                    shape, dtype = _npy_header(handle)
                if shape != target.shape or dtype != target.dtype:
                    raise ValueError(
                        f"{name} is {dtype}{list(shape)}, the run's buffer "
                        f"{target.dtype}{list(target.shape)}"
                    )
                with archive.open(member) as handle:
                    target[...] = np.lib.format.read_array(handle, allow_pickle=False)
                _check_replay_values(name, target, buffer.action_space)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"replay buffer {path} does not fit this run: {exc}") from None
    buffer.pos, buffer.full = record["pos"], record["full"]


def _check_replay_values(name: str, array: np.ndarray, action_space) -> None:
    """Refuse non-finite numbers, and actions outside a discrete action space."""
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; allowed: finite numbers")
    count = getattr(action_space, "n", None)
    if name == "actions" and count is not None and array.size:
        if array.min() < 0 or array.max() >= int(count):
            raise ValueError(
                f"actions hold values in {array.min()}..{array.max()}; allowed: 0..{int(count) - 1}"
            )


def _npy_header(handle) -> tuple[tuple, np.dtype]:
    """Shape and dtype of a ``.npy`` stream, read without reading (or unpickling) data."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    return tuple(shape), dtype
