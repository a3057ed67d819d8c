"""``qneuro qas train|eval`` through a local parser (the main CLI wires add_commands)."""

from __future__ import annotations

import argparse
import json

import pytest

from qneuro.rl.cli import JSON_KEYS, add_commands

TINY = json.dumps({"optimizer_budget": 10, "max_gates": 4})
SMALL_AGENT = json.dumps(
    {
        "net_arch": [16],
        "batch_size": 8,
        "learning_starts": 20,
        "eval_every": 5,
        "checkpoint_every": 10,
    }
)


def _run(argv):
    parser = argparse.ArgumentParser(prog="qneuro")
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)


def _last_json(capsys):
    out = capsys.readouterr().out
    return json.loads(out.strip().splitlines()[-1]), out


@pytest.mark.slow
def test_train_then_eval_print_json_last(tmp_path, capsys):
    out = tmp_path / "run"
    _run(
        [
            "qas",
            "train",
            "--env",
            "qneuro/QAS-H2-2q-v0",
            "--timesteps",
            "80",
            "--seed",
            "1",
            "--out",
            str(out),
            "--env-kwargs",
            TINY,
            "--config",
            SMALL_AGENT,
            "--json",
            "--quiet",
        ]
    )
    result, text = _last_json(capsys)
    assert set(JSON_KEYS) <= set(result)
    assert result["timesteps"] == 80 and result["episodes"] >= 20
    assert "best circuit:" in text
    assert (out / "best_circuit.qasm").read_text() == result["qasm"]

    _run(["qas", "train", "--out", str(out), "--resume", "--timesteps", "100", "--json", "--quiet"])
    resumed, _ = _last_json(capsys)
    assert resumed["timesteps"] == 100 and resumed["episodes"] > result["episodes"]

    _run(["qas", "eval", str(out), "--json"])
    report, text = _last_json(capsys)
    assert set(JSON_KEYS) <= set(report)
    assert report["episodes"] == resumed["episodes"]
    assert "greedy replay" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--algo", "sac"], "algo='sac'"),
        (["--env", "qneuro/QAS-He-1q-v0"], "not a registered Gymnasium ID"),
        (["--timesteps", "0"], "timesteps=0"),
        (["--env-kwargs", "{bad"], "--env-kwargs is not valid JSON"),
        (["--env-kwargs", "[1]"], "must be a JSON object"),
    ],
)
def test_bad_arguments_are_value_errors(tmp_path, argv, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        _run(["qas", "train", "--out", str(tmp_path / "run"), *argv])
    assert not (tmp_path / "run").exists()


def test_eval_of_a_missing_run_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run"):
        _run(["qas", "eval", str(tmp_path / "nothing")])
