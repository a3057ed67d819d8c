"""``qneuro sweep``: refusals before Ray starts, the missing extra, ``show``, example files."""

import json
import pathlib
import shlex
import sys

import pytest

from qneuro.cli import main
from qneuro.sweep import JOBS, SweepSpec

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_bad_options_exit_2_with_one_line(tmp_path, capsys):
    code = main(
        [
            "sweep",
            "qas",
            "--env",
            "qneuro/QAS-H2-2q-v0,qneuro/QAS-He-v0",
            "--seeds",
            "0-1",
            "--out",
            str(tmp_path / "s"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("qneuro: error: trial 0002 (env=QAS-He-v0 seed=0)")
    assert not (tmp_path / "s" / "sweep.json").exists()
    assert main(["sweep", "qas", "--env", "x", "--seeds", "a-b", "--out", str(tmp_path)]) == 2
    assert "--seeds='a-b'" in capsys.readouterr().err
    assert main(["sweep", "run", str(tmp_path / "none.toml"), "--out", str(tmp_path)]) == 2
    assert "none.toml does not exist" in capsys.readouterr().err
    file = tmp_path / "s.toml"
    file.write_text('kind = "vqe"\n[grid]\nseed = [0]\n')
    assert (
        main(["sweep", "run", str(file), "--out", str(tmp_path / "o"), "--address", "no address"])
        == 2
    )
    assert "address='no address'; allowed: auto or HOST:PORT" in capsys.readouterr().err
    assert (
        main(
            [
                "sweep",
                "run",
                str(file),
                "--out",
                str(tmp_path / "o"),
                "--address",
                "ray://head:10001",
            ]
        )
        == 2
    )
    assert "Ray Client addresses are not supported" in capsys.readouterr().err
    assert main(["sweep", "run", str(file), "--out", str(tmp_path / "o"), "--num-cpus", "0"]) == 2
    assert "num_cpus=0" in capsys.readouterr().err
    assert (
        main(["sweep", "run", str(file), "--out", str(tmp_path / "o"), "--address", "127.0.0.1:1"])
        == 2
    )  # nothing listens there: refused, not retried for ever
    assert "address='127.0.0.1:1': no Ray answers there" in capsys.readouterr().err
    assert not (tmp_path / "o" / "sweep.json").exists()


def test_a_missing_ray_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    file = tmp_path / "s.toml"
    file.write_text('kind = "vqe"\n[fixed]\nbudget = 5\n')
    assert main(["sweep", "run", str(file), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert 'pip install "qneuro[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # the same command works once Ray is installed


def test_show_prints_the_summary_of_a_sweep_folder(tmp_path, capsys):
    from qneuro.sweep import report

    spec = SweepSpec("vqe", grid={"noise": ["ideal"], "seed": [0, 1]})
    rows = [
        {
            "trial": "0000",
            "noise": "ideal",
            "seed": 0,
            "status": "finished",
            "error": 1e-3,
            "within_chemical_accuracy": True,
        },
        {"trial": "0001", "noise": "ideal", "seed": 1, "status": "failed", "error": "boom"},
    ]
    (tmp_path / "sweep.json").write_text(json.dumps(spec.to_dict()))
    report.write_results(tmp_path, spec, JOBS["vqe"], rows)
    assert main(["sweep", "show", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["group", "trials", "finished", "failed"]
    assert out[1].split()[:6] == ["noise=ideal", "2", "1", "1", "1", "0.001"]
    assert json.loads(out[-1])["groups"][0]["error (Ha, min)"] == 1e-3


def _record_runs():
    """(env, seed, env_kwargs) -> timesteps of every run in benchmarks/results/*.json."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from qas_training import TASKS
    finally:
        sys.path.pop(0)
    runs = {}
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        record = json.loads(path.read_text())
        if "qas_training.py" not in record["command"]:
            continue  # another benchmark's record
        words = shlex.split(record["command"])
        option = {
            words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--")
        }
        kwargs = record["env_kwargs"]  # (some commands were stored without shell quotes)
        for task in option["--tasks"].split(","):
            env, cap = TASKS[task]
            for seed in option["--seeds"].split(","):
                key = (env, int(seed), json.dumps(kwargs, sort_keys=True))
                runs[key] = int(option.get("--timesteps", cap)), path.name
    return runs


def test_the_example_sweeps_reproduce_every_training_record():
    from qneuro.rl.config import TrainConfig

    trials = {}
    for path in sorted((ROOT / "examples" / "sweeps").glob("*.toml")):
        spec = SweepSpec.load(path)
        for trial in spec.trials():
            JOBS[spec.kind].check(trial.args)
            if spec.kind == "qas-train":
                config = TrainConfig.from_dict({**trial.args, "out": "x"})
                assert config.stop_when_solved, path.name
                key = (config.env, config.seed, json.dumps(config.env_kwargs, sort_keys=True))
                trials[key] = config.timesteps
    for key, (timesteps, record) in _record_runs().items():
        assert key in trials, f"{record}: no example sweep runs {key}"
        assert trials[key] >= timesteps, record  # records of stopped runs hold fewer steps


@pytest.mark.parametrize("kind", sorted(JOBS))
def test_every_job_kind_has_an_example_sweep(kind):
    kinds = {SweepSpec.load(p).kind for p in (ROOT / "examples" / "sweeps").glob("*.toml")}
    assert kind in kinds


def test_the_example_cluster_file_passes_rays_own_validation():
    yaml = pytest.importorskip("yaml")
    util = pytest.importorskip("ray.autoscaler._private.util")
    config = yaml.safe_load((ROOT / "examples" / "ray-cluster.yaml").read_text())
    util.validate_config(util.prepare_config(config))
    config["bogus"] = 1
    from jsonschema import ValidationError

    with pytest.raises(ValidationError, match="bogus"):
        util.validate_config(util.prepare_config(config))


def test_a_sweep_whose_trials_all_finished_needs_no_ray_and_keeps_its_file(tmp_path, capsys):
    from qneuro.sweep.runner import run_trial

    spec = SweepSpec("vqe", fixed={"budget": 5}, grid={"seed": [0, 1]})
    for trial in spec.trials():  # e.g. copied from another machine
        run_trial("vqe", trial.args, tmp_path / "s" / "trials" / trial.name)
    file = tmp_path / "s.toml"
    file.write_text('kind = "vqe"\n[fixed]\nbudget = 5\n[grid]\nseed = [0, 1]\n')
    assert (
        main(
            [
                "sweep",
                "run",
                str(file),
                "--out",
                str(tmp_path / "s"),
                "--address",
                "127.0.0.1:1",
                "--json",
            ]
        )
        == 0
    )  # never connects: nothing to run
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["ran"] == 0 and result["counts"]["finished"] == 2
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["kind"] == "vqe"
    assert main(["sweep", "show", str(tmp_path / "s")]) == 0
