"""A tiny training run: every artefact, resume, curriculum sync, configuration errors."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest
from qiskit import qasm2

from qneuro.envs import make_curriculum
from qneuro.rl import TrainConfig, evaluate, resume, train
from qneuro.rl.checkpoint import load_state
from qneuro.rl.session import CurriculumSync
from qneuro.vqe import CHEMICAL_ACCURACY

#: The tiny task of conftest.py (duplicated: test folders are not packages).
TINY_ENV_KWARGS = {
    "optimizer_budget": 10,
    "max_gates": 4,
    "curriculum": {"kind": "moving", "shift_every": 3, "tighten_every": 2},
}


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _replayed_curriculum(rows, reference):
    """The moving threshold fed the CSV's episodes once each, in order (the oracle)."""
    curriculum = make_curriculum(dict(TINY_ENV_KWARGS["curriculum"]))
    for row in rows:
        curriculum.update(float(row["lowest_energy"]), reference, row["success"] == "1")
    return curriculum


@pytest.mark.slow
def test_tiny_run_writes_every_artefact_and_resumes(tiny_config, tmp_path):
    config = tiny_config()
    result = train(config)
    run = tmp_path / "run"
    for name in (
        "config.json",
        "episodes.csv",
        "evaluations.csv",
        "best_circuit.qasm",
        "best_circuit.json",
        "learning_curve.png",
        "model.zip",
        "result.json",
    ):
        assert (run / name).is_file(), name
    assert list((run / "tb" / "episodes").glob("events.out.tfevents.*"))
    assert list((run / "tb" / "agent").glob("events.out.tfevents.*"))
    assert (run / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = load_state(run)
    assert state["timesteps"] == result.timesteps == 200
    assert state["episodes"] == result.episodes
    assert state["replay_buffer"] is not None  # tiny buffer: saved under "auto"

    rows = _rows(run / "episodes.csv")
    assert [int(r["episode"]) for r in rows] == list(range(1, result.episodes + 1))
    assert sum(int(r["steps"]) for r in rows) <= 200
    assert all(int(r["steps"]) <= TINY_ENV_KWARGS["max_gates"] for r in rows)
    evaluations = _rows(run / "evaluations.csv")
    assert len(evaluations) == state["evaluations"] >= 1

    # the master curriculum saw each episode exactly once, in order
    reference = -1.137270174661
    oracle = _replayed_curriculum(rows, reference)
    assert state["curriculum"]["episodes"] == len(rows)
    assert state["curriculum"]["threshold"] == pytest.approx(oracle.threshold, abs=1e-8)
    assert state["curriculum"]["successes"] == oracle.successes

    # the best circuit: a parseable OpenQASM file and a JSON record that agree
    best = json.loads((run / "best_circuit.json").read_text())
    circuit = qasm2.loads((run / "best_circuit.qasm").read_text())
    assert best["qasm"] == (run / "best_circuit.qasm").read_text()
    assert best["gates"] == result.gates
    assert circuit.count_ops().get("cx", 0) == best["cnots"]
    assert best["solved"] == (best["noiseless_error"] < CHEMICAL_ACCURACY)
    assert best["noiseless_error"] == pytest.approx(result.best_noiseless_error)
    for key in ("energy", "noiseless_energy", "error", "depth", "episode", "wall_s"):
        assert key in best
    saved = json.loads((run / "result.json").read_text())
    assert saved["episodes"] == result.episodes

    # a finished run is not silently overwritten
    with pytest.raises(ValueError, match="already holds a run"):
        train(config)

    # resume: counters continue, logs are contiguous, the curriculum is restored
    resumed = resume(run, timesteps=320)
    assert resumed.timesteps == 320
    assert resumed.episodes > result.episodes
    assert resumed.wall_s > result.wall_s * 0.5
    rows2 = _rows(run / "episodes.csv")
    assert [int(r["episode"]) for r in rows2] == list(range(1, resumed.episodes + 1))
    first_new = rows2[result.episodes]
    assert int(first_new["timesteps"]) > 200
    assert float(first_new["threshold"]) == pytest.approx(state["curriculum"]["threshold"])
    state2 = load_state(run)
    assert state2["curriculum"]["episodes"] == len(rows2)
    oracle2 = _replayed_curriculum(rows2, reference)
    assert state2["curriculum"]["threshold"] == pytest.approx(oracle2.threshold, abs=1e-8)
    checkpoint_files = sorted(p.suffix for p in (run / "checkpoints").iterdir())
    assert checkpoint_files == [".json", ".npz", ".safetensors"]  # nothing pickled

    # the loaded agent keeps its n-step returns and CRLQAS discount 0.005 ** (1 / L)
    from qneuro.rl.agents import MaskedDQN

    agent = MaskedDQN.load(run / "model.zip")
    gamma = 0.005 ** (1 / TINY_ENV_KWARGS["max_gates"])
    assert agent.gamma == pytest.approx(gamma)
    assert agent.replay_buffer.n_steps == 5
    assert agent.replay_buffer.gamma == pytest.approx(gamma)
    assert not agent.replay_buffer.handle_timeout_termination

    report = evaluate(run)
    assert report["episodes"] == resumed.episodes
    assert report["gates"] <= TINY_ENV_KWARGS["max_gates"]
    assert report["solved"] == (report["best_noiseless_error"] < CHEMICAL_ACCURACY)


@pytest.mark.slow
def test_two_workers_share_one_curriculum(tiny_config, tmp_path):
    result = train(tiny_config(n_envs=2, timesteps=160, eval_every=0))
    run = tmp_path / "run"
    rows = _rows(run / "episodes.csv")
    assert {r["env"] for r in rows} == {"0", "1"}
    state = load_state(run)
    oracle = _replayed_curriculum(rows, -1.137270174661)
    assert state["curriculum"]["episodes"] == len(rows) == result.episodes
    assert state["curriculum"]["threshold"] == pytest.approx(oracle.threshold, abs=1e-8)


def test_broadcast_gives_every_worker_the_master_state():
    import gymnasium as gym
    from stable_baselines3.common.vec_env import DummyVecEnv

    import qneuro.envs  # noqa: F401

    vec = DummyVecEnv(
        [lambda: gym.make("qneuro/QAS-H2-2q-v0", **TINY_ENV_KWARGS) for _ in range(2)]
    )
    vec.reset()
    master = make_curriculum(dict(TINY_ENV_KWARGS["curriculum"]))
    sync = CurriculumSync(master, -1.137270174661)
    summaries = [
        SimpleNamespace(lowest_energy=-1.13, success=False),
        SimpleNamespace(lowest_energy=-1.1370, success=True),
        SimpleNamespace(lowest_energy=-1.12, success=False),
    ]
    for summary in summaries:
        sync.replay(summary)
    sync.broadcast(vec)
    assert master.episodes == 3
    assert master.threshold == pytest.approx(abs(-1.137270174661 + 1.1370) + master.ball)
    for worker_state in vec.env_method("get_curriculum_state"):
        assert worker_state == master.state_dict()
    assert vec.get_attr("threshold") == [master.threshold] * 2
    # the workers follow: their own finished episodes leave the master's state alone
    vec.env_method("reset")
    for _ in range(TINY_ENV_KWARGS.get("max_gates", 12) + 1):
        vec.step(np.array([6, 6]))
    for worker_state in vec.env_method("get_curriculum_state"):
        assert worker_state == master.state_dict()
    vec.close()


def test_greedy_evaluation_is_masked_on_a_saved_run(tiny_config, tmp_path):
    train(tiny_config(timesteps=60, eval_every=0, checkpoint_every=0))
    report = evaluate(tmp_path / "run", episodes=2)
    actions = report["actions"]
    assert all(a != b for a, b in zip(actions, actions[1:], strict=False))  # no repeats
    assert np.isfinite(report["best_noiseless_error"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("algo", "a2c", "algo='a2c'; allowed: dqn, ppo, maskable-ppo"),
        ("env", "qneuro/QAS-Nope-v0", "not a registered Gymnasium ID"),
        ("timesteps", 0, "timesteps=0; allowed: an integer in 1..9,007,199,254,740,992"),
        ("n_envs", 0, "n_envs=0"),
        ("exploration_final", 2.0, "exploration_final=2.0"),
    ],
)
def test_bad_configuration_is_a_clear_value_error(field, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**{field: value})


def test_unknown_config_field_and_missing_run():
    with pytest.raises(ValueError, match="unknown TrainConfig fields"):
        TrainConfig.from_dict({"algorithm": "dqn"})
    with pytest.raises(FileNotFoundError):
        evaluate("/nonexistent/run")
    with pytest.raises(FileNotFoundError):
        resume("/nonexistent/run")


@pytest.mark.parametrize("algo", ["ppo", "maskable-ppo"])
def test_ppo_agents_train_and_replay(tiny_config, tmp_path, algo):
    result = train(
        tiny_config(
            algo=algo,
            timesteps=32,
            ppo_rollout=16,
            ppo_batch_size=8,
            eval_every=4,
            checkpoint_every=0,
        )
    )
    assert result.timesteps == 32 and result.episodes >= 8
    report = evaluate(tmp_path / "run")
    assert report["algo"] == algo and report["gates"] <= TINY_ENV_KWARGS["max_gates"]
    if algo == "maskable-ppo":
        actions = report["actions"]
        assert all(a != b for a, b in zip(actions, actions[1:], strict=False))
