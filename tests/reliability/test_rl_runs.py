"""Run folders of ``qneuro qas train``: safe to load, relocatable, consistent after a kill.

* a crafted checkpoint (pickle payloads in ``model.zip``, ``replay-*.pkl``, files named
  like safetensors or npz) never runs: the marker file its payload would create stays
  absent;
* a copied or moved run folder resumes in place, and the original is left untouched;
* symbolic links in a run folder are refused and their targets left alone;
* a run folder whose names, counters, weights or replay buffer are bad is refused before
  the session writes anything (the folder is left exactly as it was);
* resuming deletes only what qneuro wrote (its temporaries, older checkpoint files);
* a session killed (SIGKILL) before its first CSV row or between checkpoints resumes
  with logs, TensorBoard, best circuit and counters in agreement.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from qneuro import files
from qneuro.cli import main
from qneuro.rl import TrainConfig, train
from qneuro.rl.checkpoint import RUN_FILES, RUN_FOLDERS, load_state

TINY_ENV = {"optimizer_budget": 10, "max_gates": 4}
TINY_AGENT = {
    "net_arch": [16],
    "batch_size": 8,
    "buffer_size": 300,
    "learning_starts": 20,
    "eval_every": 5,
    "checkpoint_every": 10,
}


def _train_argv(out, *extra, env=TINY_ENV):
    return [
        "qas",
        "train",
        "--out",
        str(out),
        "--quiet",
        "--seed",
        "2",
        "--env-kwargs",
        json.dumps(env),
        "--config",
        json.dumps(TINY_AGENT),
        *extra,
    ]


def _resume(out, timesteps):
    return ["qas", "train", "--out", str(out), "--resume", "--quiet", "--timesteps", str(timesteps)]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A finished 60-step run (checkpoints every 10 episodes, replay buffer saved)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    train(
        TrainConfig(
            env="qneuro/QAS-H2-2q-v0",
            timesteps=60,
            seed=2,
            out=str(out),
            env_kwargs=TINY_ENV,
            progress=False,
            **TINY_AGENT,
        )
    )
    return out


@pytest.fixture
def run(trained_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy


def _rows(path, key):
    with open(path, newline="") as handle:
        return [int(row[key]) for row in csv.DictReader(handle)]


def _tb_steps(folder, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()  # honours purge_step, as TensorBoard does
    return [e.step for e in events.Scalars(tag)] if tag in events.Tags()["scalars"] else []


def _assert_consistent(run):
    """Logs, TensorBoard, best circuit and counters of ``run`` agree, without duplicates."""
    state = load_state(run)
    episodes, evaluations = state["episodes"], state["evaluations"]
    assert _rows(run / "episodes.csv", "episode") == list(range(1, episodes + 1))
    assert _rows(run / "evaluations.csv", "evaluation") == list(range(1, evaluations + 1))
    assert state["curriculum"]["episodes"] == episodes
    assert state["agent"]["episode_num"] == episodes
    assert _tb_steps(run / "tb" / "episodes", "episode/error") == list(range(1, episodes + 1))
    assert len(_tb_steps(run / "tb" / "episodes", "eval/error")) == evaluations
    losses = _tb_steps(run / "tb" / "agent", "train/loss")
    assert losses == sorted(set(losses)) and all(s <= state["timesteps"] for s in losses)
    best = state["best"]
    if best is None:
        assert not (run / "best_circuit.json").exists()
    else:
        assert json.loads((run / "best_circuit.json").read_text()) == best
        assert (run / "best_circuit.qasm").read_text() == best["qasm"]
        assert best["episode"] <= episodes
    return state


# -- loading never executes code -------------------------------------------------------


class _Payload:
    """Unpickling this creates ``marker`` (what an attacker's code could do instead)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _armed_model_zip(genuine, path, payload):
    """``genuine`` SB3 zip whose ``data`` carries ``payload`` as a serialised object."""
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "data":
                data = json.loads(content)
                data["policy_class"][":serialized:"] = base64.b64encode(
                    pickle.dumps(payload)
                ).decode()
                content = json.dumps(data).encode()
            target.writestr(item, content)


def test_crafted_pickles_in_a_run_folder_never_run(run, tmp_path, capsys):
    marker = tmp_path / "marker"
    payload = _Payload(marker)
    _armed_model_zip(run / "model.zip", run / "model.zip.armed", payload)
    from qneuro.rl.agents import MaskedDQN

    with pytest.raises(Exception):  # noqa: B017 - only the side effect matters
        MaskedDQN.load(run / "model.zip.armed")
    assert marker.exists()  # the crafted file is armed: stable-baselines3 would run it
    marker.unlink()
    (run / "model.zip.armed").replace(run / "model.zip")
    checkpoints = run / "checkpoints"
    (checkpoints / "replay-evil.pkl").write_bytes(pickle.dumps(payload))

    # qneuro loads the safe files only: model.zip and stray pickles are ignored
    assert main(["qas", "eval", str(run)]) == 0
    assert main(_resume(run, 70)) == 0
    assert not marker.exists()
    _assert_consistent(run)

    # a state.json naming pickled or disguised files is refused before they are read
    (checkpoints / "model-evil.zip").write_bytes((run / "model.zip").read_bytes())
    (checkpoints / "model-evil.safetensors").write_bytes(pickle.dumps(payload))
    with open(checkpoints / "replay-evil.npz", "wb") as handle:
        np.savez(handle, observations=np.array([payload], dtype=object))
    state_path = checkpoints / "state.json"
    genuine = json.loads(state_path.read_text())
    replay = {**genuine["replay_buffer"], "file": "replay-evil.npz"}
    tampered = [
        (
            {
                **genuine,
                "format": None,
                "model": "model-evil.zip",
                "replay_buffer": "replay-evil.pkl",
            },
            "format=None; allowed: 2",
        ),
        ({**genuine, "model": "model-evil.zip"}, "allowed: a .safetensors file"),
        ({**genuine, "model": "model-evil.safetensors"}, "is not a safetensors file"),
        ({**genuine, "replay_buffer": replay}, "does not fit this run"),
    ]
    for state, message in tampered:
        state_path.write_text(json.dumps(state))
        commands = [_resume(run, 80)]
        if state["replay_buffer"] is genuine["replay_buffer"]:
            commands.append(["qas", "eval", str(run)])  # eval reads no replay buffer
        for argv in commands:
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert message in err and "Traceback" not in err
    assert not marker.exists()


# -- relocatable folders, links, rewinding ---------------------------------------------


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_copied_run_resumes_in_the_copy_only(run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = _snapshot(run)
    assert main(_resume(copy, 80)) == 0
    assert _snapshot(run) == before
    assert _assert_consistent(copy)["timesteps"] == 80
    assert json.loads((copy / "config.json").read_text())["out"] == str(copy)


def test_a_moved_run_resumes(run, tmp_path):
    moved = tmp_path / "moved"
    run.rename(moved)
    assert main(_resume(moved, 80)) == 0
    assert _assert_consistent(moved)["timesteps"] == 80


def _entries(folder):
    """Every entry below ``folder`` but ``.lock``, links not followed: kind, inode, content."""
    entries = {}
    for parent, folders, names in os.walk(folder):
        for name in folders + names:
            path = Path(parent) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                entry = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                entry = ("folder",)
            elif stat.S_ISREG(info.st_mode):
                entry = ("file", info.st_ino, info.st_mtime_ns, path.read_bytes())
            else:
                entry = ("other", info.st_mode)
            entries[str(path.relative_to(folder))] = entry
    entries.pop(".lock", None)
    return entries


def _refused_untouched(run, capsys, message, timesteps=300):
    """Resuming ``run`` exits 2 with ``message`` and leaves the folder exactly as it was."""
    before = _entries(run)
    assert main(_resume(run, timesteps)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert _entries(run) == before
    return err


@pytest.mark.parametrize("name", sorted({*RUN_FILES, *RUN_FOLDERS} - {"checkpoints"}))
def test_symbolic_links_in_a_run_are_refused_and_targets_untouched(run, tmp_path, capsys, name):
    victim = tmp_path / "victim"
    shutil.move(run / name, victim)
    (run / name).symlink_to(victim)
    before = _entries(tmp_path)
    err = _refused_untouched(run, capsys, "is a symbolic link")  # before the session trains
    assert name in err
    assert _entries(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("episodes.csv", "fifo", "episodes.csv is not a regular file; allowed: a regular file"),
        ("evaluations.csv", "folder", "evaluations.csv is a folder; allowed: a regular file"),
        ("result.json", "folder", "result.json is a folder; allowed: a regular file"),
        ("learning_curve.png", "fifo", "learning_curve.png is not a regular file"),
        ("tb", "file", "tb is a file; allowed: a folder or nothing"),
        ("checkpoints", "file", "checkpoints is a file; allowed: a folder or nothing"),
    ],
)
def test_names_the_run_writes_are_checked_before_any_write(run, capsys, name, kind, message):
    path = run / name
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text("not a folder")
    _refused_untouched(run, capsys, message)


def _edit_state(change):
    def edit(run):
        path = run / "checkpoints" / "state.json"
        state = json.loads(path.read_text())
        change(state)
        path.write_text(json.dumps(state))

    return edit


def _edit_tensors(change):
    def edit(run):
        from safetensors.torch import load_file, save_file

        (path,) = (run / "checkpoints").glob("model-*.safetensors")
        tensors = load_file(path)
        change(tensors)
        save_file(tensors, path)

    return edit


def _edit_replay(change):
    def edit(run):
        (path,) = (run / "checkpoints").glob("replay-*.npz")
        with np.load(path) as archive:
            arrays = dict(archive)
        change(arrays)
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)

    return edit


def _set_first(name, value):
    def change(arrays):
        arrays[name].reshape(-1)[0] = value

    return change


def _cut(name, length):
    def change(arrays):
        part = arrays[name][:length]
        arrays[name] = part.clone() if hasattr(part, "clone") else part.copy()

    return change


BAD_CHECKPOINTS = [
    (_edit_state(lambda s: s.update(episodes=10**30)), f"episodes={10**30}; allowed"),
    (_edit_state(lambda s: s.update(timesteps=10**30)), f"timesteps={10**30}; allowed"),
    (
        _edit_state(lambda s: s["agent"].update(num_timesteps=10**30)),
        f"agent num_timesteps={10**30}; allowed",
    ),
    (_edit_state(lambda s: s["agent"].update(n_calls=-1)), "agent n_calls=-1; allowed"),
    (
        _edit_state(lambda s: s["curriculum"].update(threshold=1e308)),
        "curriculum: threshold=1e+308; allowed: a finite number <= 1e+06",
    ),
    (_edit_state(lambda s: s["best"].update(episode=10**30)), f"best episode={10**30}"),
    (
        _edit_state(lambda s: s["replay_buffer"].update(pos=10**6)),
        "replay_buffer pos=1000000 (for ",
    ),
    (
        _edit_tensors(_set_first("policy.q_net.q_net.0.weight", float("nan"))),
        "policy.q_net.q_net.0.weight holds NaN or infinite values",
    ),
    (
        _edit_tensors(_set_first("optimizer.0.exp_avg_sq", float("inf"))),
        "optimizer.0.exp_avg_sq holds NaN or infinite values",
    ),
    (
        _edit_tensors(_cut("policy.q_net.q_net.0.bias", 2)),
        "does not fit the network of config.json (policy.q_net.q_net.0.bias: shape (2,)",
    ),
    (_edit_replay(_set_first("rewards", float("nan"))), "rewards holds NaN or infinite values"),
    (_edit_replay(_set_first("actions", 99)), "actions hold values in 0..99; allowed: 0..7"),
    (_edit_replay(_cut("observations", 5)), "does not fit this run"),
]


@pytest.mark.parametrize(("tamper", "message"), BAD_CHECKPOINTS)
def test_a_bad_checkpoint_is_refused_before_anything_is_written(run, capsys, tamper, message):
    tamper(run)
    err = _refused_untouched(run, capsys, message)
    assert "checkpoints" in err


def _leftover_temporary(path):
    """A temporary that :func:`qneuro.files.atomic_write` made for ``path``, as a kill leaves it."""
    names = []

    def write(tmp):
        names.append(tmp)
        raise InterruptedError

    with pytest.raises(InterruptedError):
        files.atomic_write(path, write)
    leftover = Path(names[0])
    leftover.write_text("left by a kill")
    return leftover


def test_the_cleanup_deletes_only_what_qneuro_wrote(run):
    checkpoints = run / "checkpoints"
    older = checkpoints / "model-00000001-0000000004.safetensors"
    shutil.copy(next(checkpoints.glob("model-*.safetensors")), older)
    users = [
        run / "notes.txt",
        run / ".mydata.tmp",
        run / "episodes.csv.partial",
        checkpoints / ".mydata.tmp",
        checkpoints / "model-notes.txt",
        checkpoints / "replay-old.npz",
        checkpoints / "model-1.safetensors",
    ]
    for path in users:
        path.write_text("the user's")
    leftovers = [
        _leftover_temporary(run / "result.json"),
        _leftover_temporary(checkpoints / "state.json"),
    ]
    assert main(_resume(run, 80)) == 0
    assert all(path.read_text() == "the user's" for path in users)
    assert not any(path.exists() for path in [*leftovers, older])
    _assert_consistent(run)


def test_resume_rewinds_what_a_killed_session_wrote_after_its_checkpoint(run):
    state = load_state(run)
    with open(run / "episodes.csv", "a") as log:
        extra = state["episodes"] + 1
        log.write(f"{extra},999" + ",0" * 18 + "\n")  # a row after the checkpoint
        log.write("1,4,0.5,0,1")  # torn by the kill
    (run / "best_circuit.qasm").write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n')
    (run / "best_circuit.json").write_text("{}")
    _write_events(run / "tb" / "episodes", "episode/error", range(extra, extra + 5))
    leftovers = [
        _leftover_temporary(run / "episodes.csv"),
        _leftover_temporary(run / "checkpoints" / "state.json"),
    ]
    assert main(_resume(run, state["timesteps"])) == 0  # nothing to train: rewind only
    _assert_consistent(run)
    assert not any(path.exists() for path in leftovers)


def _write_events(folder, tag, steps):
    """TensorBoard scalars at ``steps``, as the last session (killed) left them."""
    from torch.utils.tensorboard import SummaryWriter

    last = sorted(folder.glob("events.out.tfevents.*"))[-1]
    writer = SummaryWriter(str(folder), filename_suffix=".killed")
    for step in steps:
        writer.add_scalar(tag, 0.5, step)
    writer.close()
    (written,) = folder.glob("*.killed")
    written.rename(folder / f"{last.name}.killed")  # read right after that session's file


def test_empty_and_headerless_logs_are_tolerated(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "episodes.csv").write_text("")  # killed before the header reached the disk
    (out / "evaluations.csv").write_text("1,1,4,0.1,0,0,4,0.02,0.02,0.005,4,0,3,4\n")
    result = train(
        TrainConfig(
            env="qneuro/QAS-H2-2q-v0",
            timesteps=40,
            seed=2,
            out=str(out),
            env_kwargs=TINY_ENV,
            progress=False,
            **TINY_AGENT,
        )
    )
    assert _assert_consistent(out)["episodes"] == result.episodes > 0


# -- SIGKILL, then resume ---------------------------------------------------------------


def _train_until(out, condition, *argv, env=TINY_ENV):
    """Start ``qneuro qas train`` in a subprocess and SIGKILL it once ``condition()``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qneuro", *_train_argv(out, *argv, env=env)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while not condition():
            if process.poll() is not None:
                pytest.fail(f"training ended before the kill: {process.stderr.read()}")
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()


def _data_rows(path):
    return len(path.read_text().splitlines()) - 1 if path.exists() else -1


@pytest.mark.slow
def test_killed_before_the_first_row_then_resumed(tmp_path):
    out = tmp_path / "run"
    slow_episodes = {"optimizer_budget": 5000, "max_gates": 4}  # a wide window to kill in
    _train_until(out, (out / "episodes.csv").exists, "--timesteps", "1000", env=slow_episodes)
    assert _data_rows(out / "episodes.csv") == 0
    assert (out / "episodes.csv").read_text().startswith("episode,timesteps,")
    assert not (out / "checkpoints" / "state.json").exists()
    restarted = tmp_path / "restarted"
    shutil.copytree(out, restarted)

    assert main(_resume(out, 12)) == 0
    assert _assert_consistent(out)["timesteps"] == 12
    assert main(_train_argv(restarted, "--timesteps", "12", env=slow_episodes)) == 0
    assert _assert_consistent(restarted)["timesteps"] == 12


@pytest.mark.slow
def test_killed_between_checkpoints_then_resumed(tmp_path):
    out = tmp_path / "run"
    state_path = out / "checkpoints" / "state.json"

    def rows_after_a_checkpoint():
        if not state_path.exists():
            return False
        episodes = json.loads(state_path.read_text())["episodes"]
        return episodes >= 10 and _data_rows(out / "episodes.csv") > episodes

    _train_until(out, rows_after_a_checkpoint, "--timesteps", "100000")
    killed = load_state(out)
    assert _data_rows(out / "episodes.csv") > killed["episodes"]
    assert main(_resume(out, killed["timesteps"] + 40)) == 0
    state = _assert_consistent(out)
    assert state["timesteps"] == killed["timesteps"] + 40
    assert state["episodes"] > killed["episodes"]
