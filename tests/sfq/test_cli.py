from __future__ import annotations

import json

import pytest

from qneuro.sfq.cli import demo_step

from .helpers import run_command


def test_xor_command_json_and_plot(capsys, tmp_path):
    plot = tmp_path / "raster.png"
    argv = ["sfq", "xor", "--trials", "20", "--json", "--quiet", "--plot", str(plot)]
    out = run_command(argv, capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert [row["output"] for row in data["truth_table"]] == [0, 1, 1, 0]
    assert set(data["truth_table"][0]) >= {"inputs", "rate_ghz", "output"}
    assert data["trials"] == 20 and data["jj_count"] == 67
    assert data["margin"] > 0.3 and data["energy_per_inference_j"] > 0
    assert plot.stat().st_size > 1000
    assert "margin" in out


def test_sweep_command(capsys, tmp_path):
    plot = tmp_path / "heat.png"
    out = run_command(
        [
            "sfq",
            "sweep",
            "--trials",
            "5",
            "--exc",
            "120:130:10",
            "--inh",
            "130:140:10",
            "--json",
            "--quiet",
            "--plot",
            str(plot),
        ],
        capsys,
    )
    data = json.loads(out.strip().splitlines()[-1])
    assert len(data["margin"]) == 2 and len(data["margin"][0]) == 2
    assert plot.exists()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["sfq", "xor", "--trials", "0"], "trials"),
        (["sfq", "sweep", "--exc", "1:2"], "LO:HI:STEP"),
        (["sfq", "sweep", "--exc", "130:120:5"], "HI >= LO"),
        (["sfq", "xor", "--trials", "2", "--plot", "/nonexistent/dir/x.png"], "does not exist"),
    ],
)
def test_bad_arguments(argv, match, capsys):
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        run_command(argv + ["--quiet"], capsys)


def test_demo_step():
    lines = []
    out = demo_step(progress=False, echo=lines.append)
    assert out["correct"] and out["trials"] == 50
    assert json.dumps(out)
    assert any("margin" in line for line in lines)


def test_characterize_command(capsys, tmp_path):
    plot = tmp_path / "char.png"
    argv = ["sfq", "characterize", "--trials", "10", "--ramp-trials", "20", "--json"]
    out = run_command(argv + ["--quiet", "--plot", str(plot)], capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["temperatures_k"] == [4.2, 2.0] and len(data["probability"][0]) == 11
    assert data["ramp"]["switched"] == 20
    assert plot.stat().st_size > 1000
    assert "energy per switching event" in out


@pytest.mark.parametrize(
    "argv, match",
    [(["--trials", "0"], "trials"), (["--temperature", "-1"], "temperature")],
)
def test_characterize_bad_arguments(argv, match, capsys):
    with pytest.raises(ValueError, match=match):
        run_command(["sfq", "characterize", *argv, "--quiet"], capsys)
