from __future__ import annotations

import argparse
import json

import pytest

from qneuro.hlop.cli import add_commands, config_from_args, demo_step


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_run_json_last_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(
        "qneuro.hlop.cli.HLOPConfig",
        lambda **kw: __import__("qneuro.hlop.config", fromlist=["x"]).HLOPConfig(
            n_hidden=48, subspace_initial=(10, 10), subspace_per_task=(10, 10), oja_passes=2, **kw
        ),
    )
    plot = tmp_path / "acc.png"
    args = _parse(
        [
            "hlop",
            "run",
            "--stream",
            "split-digits",
            "--method",
            "finetune",
            "--tasks",
            "2",
            "--epochs",
            "1",
            "--json",
            "--quiet",
            "--plot",
            str(plot),
        ]
    )
    args.run(args)
    lines = capsys.readouterr().out.strip().splitlines()
    data = json.loads(lines[-1])
    assert {"acc", "bwt", "accuracy_matrix", "method", "stream", "wall_s"} <= set(data)
    assert data["method"] == "finetune" and data["stream"] == "split-digits"
    assert len(data["accuracy_matrix"]) == 2 and len(data["accuracy_matrix"][0]) == 2
    assert plot.stat().st_size > 1000


def test_cli_defaults_and_bad_tasks():
    assert config_from_args(_parse(["hlop", "run"])).n_tasks == 10
    assert config_from_args(_parse(["hlop", "run", "--stream", "split-digits"])).n_tasks == 5
    with pytest.raises(ValueError, match="n_tasks"):
        config_from_args(_parse(["hlop", "run", "--tasks", "0"]))


def test_demo_step_reports_both_methods(monkeypatch):
    from qneuro.hlop import cli

    tiny = cli.DEMO_CONFIG.replace(
        n_tasks=2,
        epochs_per_task=1,
        n_hidden=32,
        subspace_initial=(8, 8),
        subspace_per_task=(8, 8),
        oja_passes=1,
    )
    monkeypatch.setattr(cli, "DEMO_CONFIG", tiny)
    lines = []
    out = demo_step(False, lines.append)
    assert set(out) == {"finetune", "hlop"} and all("bwt" in v for v in out.values())
    assert len(lines) == 3 and "BWT" in lines[-1]
