"""Bad input to ``qneuro qas``, TrainConfig and the QAS environments: clear errors only.

The CLI must exit with status 2 and one line ``qneuro: error: ...`` naming the bad value
(no traceback); the API must raise ValueError with such a message. Malformed or tampered
run folders (``state.json``, ``config.json``) are bad input too.
"""

from __future__ import annotations

import json
import shutil

import gymnasium as gym
import pytest

import qneuro.envs  # noqa: F401  (registers the IDs)
from qneuro.cli import main
from qneuro.files import FolderLock
from qneuro.rl import TrainConfig

H2 = "qneuro/QAS-H2-2q-v0"
TINY_ENV = {"optimizer_budget": 10, "max_gates": 4}
TINY_AGENT = {"net_arch": [16], "batch_size": 8, "buffer_size": 100, "learning_starts": 20}
COUNTS = "9,007,199,254,740,992"  # MAX_COUNT = 2**53, as messages write it


def _fails_cleanly(capsys, argv, message) -> str:
    """``qneuro argv`` exits 2 with one error line containing ``message``; returns it."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qneuro: error: "), err
    assert message in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A run folder with config.json and a checkpoint of an untrained agent."""
    from qneuro.files import atomic_write_json
    from qneuro.rl.checkpoint import save_checkpoint
    from qneuro.rl.trainer import build_model, make_vec_env

    folder = tmp_path_factory.mktemp("saved") / "run"
    config = TrainConfig(
        env=H2, timesteps=40, out=str(folder), env_kwargs=TINY_ENV, progress=False, **TINY_AGENT
    ).resolved()
    vec_env = make_vec_env(config, seed=0)
    model = build_model(config, vec_env, TINY_ENV["max_gates"])
    folder.mkdir()
    atomic_write_json(folder / "config.json", config.to_dict(), indent=2)
    curriculum = vec_env.env_method("get_curriculum_state", indices=[0])[0]
    state = {
        "episodes": 0,
        "timesteps": 0,
        "wall_s": 0.0,
        "evaluations": 0,
        "curriculum": curriculum,
        "best": None,
        "first_solved": None,
    }
    save_checkpoint(folder, model, state, replay=False)
    vec_env.close()
    return folder


@pytest.fixture
def run(saved_run, tmp_path):
    """A fresh copy of :func:`saved_run`."""
    copy = tmp_path / "run"
    shutil.copytree(saved_run, copy)
    return copy


def _train(out, *extra):
    return [
        "qas",
        "train",
        "--out",
        str(out),
        "--quiet",
        "--env-kwargs",
        json.dumps(TINY_ENV),
        "--config",
        json.dumps(TINY_AGENT),
        "--timesteps",
        "40",
        *extra,
    ]


# -- qas train: options and JSON ------------------------------------------------------

TRAIN_CASES = [
    (["--timesteps", "0"], f"timesteps=0; allowed: an integer in 1..{COUNTS}"),
    (["--seed", "-1"], "seed=-1; allowed: an integer in 0..4,294,967,295"),
    (["--n-envs", "0"], "n_envs=0"),
    (["--n-envs", "5000"], "n_envs=5000; allowed: an integer in 1..1,024"),
    (["--algo", "sac"], "algo='sac'; allowed: dqn, ppo, maskable-ppo"),
    (["--env", "qneuro/QAS-Nope-v0"], "env='qneuro/QAS-Nope-v0' is not a registered"),
    (["--env-kwargs", "{bad"], "--env-kwargs is not valid JSON"),
    (["--env-kwargs", "[1]"], "--env-kwargs must be a JSON object"),
    (["--config", "{bad"], "--config is not valid JSON"),
    (["--config", "5"], "--config must be a JSON object"),
    (["--config", '{"device": "foo"}'], "device='foo'; allowed: 'auto' or a torch device"),
    (
        ["--config", '{"gradient_steps": -5}'],
        f"gradient_steps=-5; allowed: an integer in 1..{COUNTS}, or -1",
    ),
    (["--config", '{"exploration_steps": true}'], "exploration_steps=True; allowed: an integer"),
    (["--config", '{"learning_rate": "fast"}'], "learning_rate='fast'; allowed: a finite number"),
    (["--config", '{"learning_rate": NaN}'], "learning_rate=nan; allowed: a finite number > 0"),
    (["--config", '{"gamma": 1.5}'], "gamma=1.5; allowed: a finite number in (0, 1]"),
    (["--config", '{"net_arch": [0]}'], "net_arch[0]=0; allowed: an integer in 1..65,536"),
    (["--config", '{"net_arch": 64}'], "net_arch=64; allowed: a list of layer widths"),
    (["--config", '{"batch_size": 2.5}'], "batch_size=2.5; allowed: an integer in 1..65,536"),
    (["--config", '{"exploration_final": 2}'], "exploration_final=2; allowed"),
    (["--config", '{"save_replay_buffer": 1}'], "save_replay_buffer=1; allowed: true, false"),
    (["--config", '{"eval_every": -1}'], f"eval_every=-1; allowed: an integer in 0..{COUNTS}"),
    (["--config", '{"algorithm": "dqn"}'], "unknown TrainConfig fields ['algorithm']"),
    (["--config", '{"torch_threads": 0}'], "torch_threads=0"),
    (["--config", '{"vec_env": "threads"}'], "vec_env='threads'; allowed: dummy, subproc"),
    (["--config", '{"stop_when_solved": "yes"}'], "stop_when_solved='yes'; allowed: true or false"),
    (
        ["--env-kwargs", '{"max_gates": 1000000000}'],
        "max_gates=1000000000 needs observations of 10,000,000,001 entries",
    ),
    (["--env-kwargs", '{"max_gates": true}'], "max_gates=True; allowed: an integer in 1..13,107"),
    (["--env-kwargs", '{"illegal_action_reward": NaN}'], "illegal_action_reward=nan"),
    (["--env-kwargs", '{"shots": 0}'], "shots=0; allowed: an integer >= 1"),
    (["--env-kwargs", '{"optimizer_budget": 0}'], "optimizer_budget=0"),
    (["--env-kwargs", '{"nope": 1}'], "env_kwargs has unknown keywords ['nope']; allowed: problem"),
    (["--env-kwargs", '{"curriculum": {"kind": "moving", "zz": 1}}'], "unknown keys ['zz']"),
    (
        ["--env-kwargs", '{"curriculum": 1e999}'],
        "threshold=inf; allowed: a finite number in (0, 1e+06]",
    ),
    (["--env-kwargs", '{"halting": {"n": "a"}, "random_halting": true}'], "halting n='a'"),
    (["--env-kwargs", '{"rotations": 5}'], "rotations=5; allowed: distinct letters"),
    (["--env-kwargs", '{"coupling_map": [[0, 0.5]]}'], "coupling-map edge [0, 0.5]"),
    (["--env-kwargs", '{"problem": "Nope"}'], "Nope"),
    (["--env-kwargs", '{"noise": "foo"}'], "'foo'"),
    (["--env-kwargs", '{"flatten": 2}'], "flatten=2; allowed: true or false"),
    (["--env-kwargs", '{"render_mode": 5}'], "render_mode=5"),
    (["--env-kwargs", '{"optimizer_options": 5}'], "optimizer_options=5"),
    # sizes: bounded in TrainConfig, then estimated with the environment's observations
    (
        ["--config", '{"buffer_size": 1000000000000}'],
        "buffer_size=1000000000000; allowed: an integer in 1..16,777,216",
    ),
    (
        ["--env-kwargs", '{"max_gates": 10000}', "--config", '{"buffer_size": 100000}'],
        "buffer_size=100,000 needs a replay buffer of about 80,009,200,000 bytes",
    ),
    (
        [
            "--config",
            '{"algo": "maskable-ppo", "ppo_rollout": 1000000}',
            "--env-kwargs",
            '{"max_gates": 10000}',
        ],
        "ppo_rollout=1,000,000 needs a rollout of about",
    ),
    (["--config", '{"batch_size": 70000}'], "batch_size=70000; allowed: an integer in 1..65,536"),
    (
        ["--config", '{"batch_size": 65536, "net_arch": [4096, 4096]}'],
        "batch_size=65,536 needs about 8,",
    ),
    (["--config", json.dumps({"net_arch": [16] * 65})], "net_arch has 65 layers; allowed: 1 to 64"),
    (
        ["--config", json.dumps({"net_arch": [65536] * 20})],
        "has at least 81,605,820,417 parameters; allowed: at most 268,435,456",
    ),
    (
        ["--env-kwargs", '{"max_gates": 10000}', "--config", '{"net_arch": [65536]}'],
        "net_arch=[65536] makes a network of 6,554,",
    ),
    (["--config", '{"n_steps": 1000}'], "n_steps=1000; allowed: an integer in 1..256"),
    (["--timesteps", str(10**30)], f"timesteps={10**30}; allowed: an integer in 1..{COUNTS}"),
    (
        ["--config", '{"algo": "ppo", "ppo_batch_size": 1}'],
        "ppo_batch_size=1; allowed: an integer in 2..65,536",
    ),
    (
        ["--config", '{"algo": "ppo", "ppo_rollout": 1}'],
        "ppo_rollout=1 with n_envs=1; allowed: ppo_rollout * n_envs >= 2",
    ),
]


@pytest.mark.parametrize(("argv", "message"), TRAIN_CASES)
def test_bad_train_options_exit_2_and_write_nothing(capsys, tmp_path, argv, message):
    out = tmp_path / "run"
    _fails_cleanly(capsys, _train(out, *argv), message)
    assert not out.exists()


def test_out_that_is_a_file_or_under_one(capsys, tmp_path):
    existing = tmp_path / "file.txt"
    existing.write_text("not a folder")
    _fails_cleanly(capsys, _train(existing), "file.txt is a file, not a folder")
    _fails_cleanly(capsys, _train(existing / "run"), "file.txt is a file, not a folder")
    assert existing.read_text() == "not a folder"


def test_out_that_is_a_symbolic_link(capsys, tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    _fails_cleanly(capsys, _train(tmp_path / "link"), "is a symbolic link")
    assert not any((tmp_path / "target").iterdir())


def test_existing_run_without_resume_and_a_changed_environment(capsys, run):
    _fails_cleanly(capsys, _train(run), "already holds a run; resume it (--resume)")
    _fails_cleanly(
        capsys,
        _train(run, "--resume", "--env", "qneuro/QAS-H2-3q-v0"),
        "resume: env='qneuro/QAS-H2-3q-v0' differs from the saved run's",
    )


def test_a_second_writer_is_refused(capsys, run):
    with FolderLock(run):
        _fails_cleanly(capsys, _train(run, "--resume"), "is in use by another qneuro process")


# -- tampered run folders: qas train --resume and qas eval -----------------------------


def _drop(key):
    return lambda state: {k: v for k, v in state.items() if k != key}


def _set(key, value):
    return lambda state: {**state, key: value}


STATE_CASES = [
    (_drop("model"), "lacks ['model']"),
    (lambda state: [state], "must hold a JSON object, got an array"),
    (_set("format", 1), "format=1; allowed: 2 (checkpoints of older qneuro versions"),
    (_set("episodes", "x"), f"episodes='x'; allowed: an integer in 0..{COUNTS}"),
    (_set("wall_s", -1), "wall_s=-1; allowed: a finite number in [0, 1e+12]"),
    (_set("model", "../x.safetensors"), "'../x.safetensors'"),
    (_set("model", "/etc/hostname"), "model='/etc/hostname'; allowed: a .safetensors file"),
    (_set("model", "/tmp/x.safetensors"), "allowed is a relative path inside the folder"),
    (_set("model", "model-0.zip"), "model='model-0.zip'; allowed: a .safetensors file"),
    (_set("model", "missing.safetensors"), "is missing or not a regular file"),
    (_set("replay_buffer", {"file": "../r.npz", "pos": 0, "full": False}), "'../r.npz'"),
    (_set("replay_buffer", "replay-0.pkl"), "replay_buffer='replay-0.pkl'; allowed: null or"),
    (_set("curriculum", {"kind": "moving", "threshold": "x"}), "threshold='x'"),
    (_set("curriculum", {"kind": "moving", "__class__": 1}), "unknown keys ['__class__']"),
    (_set("best", {"qasm": "OPENQASM 2.0;"}), "best lacks"),
    (_set("first_solved", 5), "first_solved=5; allowed: a dict"),
    (_set("agent", {}), "agent lacks"),
    (_set("episodes", 10**30), f"episodes={10**30}; allowed: an integer in 0..{COUNTS}"),
    (_set("timesteps", 10**30), f"timesteps={10**30}; allowed: an integer in 0..{COUNTS}"),
    (_set("evaluations", 2**53 + 1), f"evaluations={2**53 + 1}; allowed"),
    (_set("wall_s", 1e308), "wall_s=1e+308; allowed: a finite number in [0, 1e+12]"),
    (
        lambda state: {**state, "agent": {**state["agent"], "num_timesteps": 10**30}},
        f"agent num_timesteps={10**30}; allowed: an integer in 0..{COUNTS}",
    ),
    (
        lambda state: {**state, "curriculum": {**state["curriculum"], "threshold": 1e308}},
        "curriculum: threshold=1e+308; allowed: a finite number <= 1e+06",
    ),
    (
        lambda state: {**state, "curriculum": {**state["curriculum"], "episodes": 10**30}},
        f"curriculum: episodes={10**30}; allowed: an integer in 0..{COUNTS}",
    ),
]


@pytest.mark.parametrize(("tamper", "message"), STATE_CASES)
def test_tampered_state_json_is_a_clear_error(capsys, run, tamper, message):
    path = run / "checkpoints" / "state.json"
    path.write_text(json.dumps(tamper(json.loads(path.read_text()))))
    for argv in (["qas", "eval", str(run)], _train(run, "--resume")):
        assert "state.json" in _fails_cleanly(capsys, argv, message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('["a list"]', "must hold a JSON object, got an array"),
        ('{"timesteps": "x"}', f"timesteps='x'; allowed: an integer in 1..{COUNTS}"),
        ('{"env": "qneuro/QAS-H2-2q-v0", "colour": 1}', "unknown TrainConfig fields ['colour']"),
    ],
)
def test_tampered_config_json_names_the_file(capsys, run, text, message):
    (run / "config.json").write_text(text)
    for argv in (["qas", "eval", str(run)], _train(run, "--resume")):
        assert "config.json" in _fails_cleanly(capsys, argv, message)


def test_an_oversized_network_in_config_json_is_refused_before_it_is_built(capsys, run):
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "net_arch": [65536] * 20}))
    for argv in (["qas", "eval", str(run)], _train(run, "--resume")):
        line = _fails_cleanly(capsys, argv, "net_arch=[65536, 65536")
        assert "config.json" in line and "MAX_NETWORK_PARAMETERS" in line


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_naming_the_tensor(capsys, run, value):
    from safetensors.torch import load_file, save_file

    (path,) = (run / "checkpoints").glob("model-*.safetensors")
    tensors = load_file(path)
    name = sorted(tensors)[-1]
    tensors[name].view(-1)[0] = value
    save_file(tensors, path)
    for argv in (["qas", "eval", str(run)], _train(run, "--resume")):
        _fails_cleanly(capsys, argv, f"{name} holds NaN or infinite values")


# -- qas eval -------------------------------------------------------------------------


def test_eval_options_and_missing_runs(capsys, run, tmp_path):
    _fails_cleanly(
        capsys,
        ["qas", "eval", str(run), "--seed", "-1"],
        "seed=-1; allowed: an integer in 0..4,294,967,295",
    )
    _fails_cleanly(
        capsys, ["qas", "eval", str(run), "--episodes", "0"], "episodes=0; allowed: an integer >= 1"
    )
    _fails_cleanly(capsys, ["qas", "eval", str(tmp_path / "nothing")], "no run in")
    (tmp_path / "file").write_text("x")
    _fails_cleanly(capsys, ["qas", "eval", str(tmp_path / "file")], "no run in")
    shutil.rmtree(run / "checkpoints")
    _fails_cleanly(capsys, ["qas", "eval", str(run)], "no trained agent in")


# -- the Python API -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gradient_steps": -5}, "gradient_steps=-5"),
        ({"gradient_steps": True}, "gradient_steps=True"),
        ({"device": "foo"}, "device='foo'"),
        ({"device": 0}, "device=0"),
        ({"exploration_steps": True}, "exploration_steps=True"),
        ({"seed": 2**32}, "seed=4294967296"),
        ({"timesteps": True}, "timesteps=True"),
        ({"learning_rate": float("inf")}, "learning_rate=inf"),
        ({"ppo_ent_coef": -0.1}, "ppo_ent_coef=-0.1"),
        ({"exploration_initial": float("nan")}, "exploration_initial=nan"),
        ({"n_steps": 0}, "n_steps=0"),
        ({"net_arch": "64"}, "net_arch='64'"),
        ({"net_arch": [64, True]}, "net_arch[1]=True"),
        ({"out": None}, "out=None"),
        ({"env_kwargs": [("max_gates", 4)]}, "env_kwargs=[('max_gates', 4)]"),
        ({"env_kwargs": {"noise": object()}}, "allowed: JSON values"),
        ({"stop_when_solved": 1}, "stop_when_solved=1"),
    ],
)
def test_train_config_refuses_silent_wrong_values(fields, message):
    with pytest.raises(ValueError) as caught:
        TrainConfig(**fields)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "message"),
    [
        (H2, {"max_gates": True}, "max_gates=True"),
        (H2, {"max_gates": 10**9}, "max_gates=1000000000 needs observations"),
        (H2, {"illegal_action_reward": float("nan")}, "illegal_action_reward=nan"),
        (H2, {"illegal_action_reward": True}, "illegal_action_reward=True"),
        (H2, {"shots": True}, "shots=True"),
        (H2, {"shot_model": "poisson"}, "shot_model='poisson'"),
        (H2, {"mitigation": "pec"}, "mitigation='pec'"),
        (H2, {"mitigation": "zne", "shots": 100}, "mitigation='zne' with shots=100"),
        (H2, {"observe_threshold": "no"}, "observe_threshold='no'"),
        (H2, {"random_halting": "yes"}, "random_halting='yes'"),
        (H2, {"halting": {"zz": 1}}, "halting has unknown keys ['zz']"),
        (H2, {"halting": {"low": 5, "high": 2}}, "halting high=2; allowed: an integer >= 5"),
        (H2, {"curriculum": float("inf")}, "threshold=inf"),
        (H2, {"curriculum": {"shift_every": True}}, "shift_every=True"),
        (H2, {"curriculum": {"kind": "fixed", "threshold": float("nan")}}, "threshold=nan"),
        (H2, {"optimizer_options": 5}, "optimizer_options=5"),
        (H2, {"coupling_map": [[0, 0.5]]}, "coupling-map edge [0, 0.5]"),
        (H2, {"coupling_map": 5}, "coupling_map=5"),
        ("qneuro/QAS-H2-2q-mumbai-median-v0", {"problem": 5}, "problem=5"),
        ("qneuro/QAS-LiH-4q-v0", {"noise": 5}, "noise=5"),
        ("qneuro/QAS-LiH-4q-v0", {"max_gates": 5000}, "max_gates <= 4,681"),
    ],
)
def test_environment_refuses_silent_wrong_values(env_id, kwargs, message):
    with pytest.raises(ValueError) as caught:
        gym.make(env_id, **kwargs)
    assert message in str(caught.value)
