from __future__ import annotations

import json

import numpy as np
import pytest

from qneuro.sfq.cli import demo_step
from qneuro.sfq.units import uamp
from qneuro.sfq.xor import DEFAULT_XOR_SETTING, default_bias_grid

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
    # the default runs on the shipped calibration, at the design's own biases
    assert "calibrated synapse (default)" in out and "the design's biases" in out
    assert data["setting"] == DEFAULT_XOR_SETTING.to_dict()


def test_xor_command_on_the_assumed_curve(capsys):
    base = ["sfq", "xor", "--trials", "20", "--json", "--quiet", "--seed", "3"]
    calibrated = json.loads(run_command(base, capsys).strip().splitlines()[-1])
    out = run_command(base + ["--calibration", "assumed"], capsys)
    assumed = json.loads(out.strip().splitlines()[-1])
    assert "assumed synapse curve; biases at equal pass probability" in out
    # back at the biases the setting was trained at on the assumed tanh curve
    trained = {"excitatory_bias_ua": 132.5, "inhibitory_bias_ua": 140.0, "output_bias_ua": 130.0}
    for key, value in trained.items():
        assert assumed["setting"][key] == pytest.approx(value, abs=0.01)
    # same pass probabilities, same seed: the same rates; energy per switch differs
    rates = [[row["rate_ghz"] for row in d["truth_table"]] for d in (calibrated, assumed)]
    assert rates[0] == rates[1]
    assert [row["output"] for row in assumed["truth_table"]] == [0, 1, 1, 0]
    assert calibrated["energy_per_inference_j"] < assumed["energy_per_inference_j"]


def test_sweep_command(capsys, tmp_path):
    plot = tmp_path / "heat.png"
    out = run_command(
        [
            "sfq",
            "sweep",
            "--trials",
            "5",
            "--exc",
            "93:95:2",
            "--inh",
            "95:97:2",
            "--json",
            "--quiet",
            "--plot",
            str(plot),
        ],
        capsys,
    )
    data = json.loads(out.strip().splitlines()[-1])
    assert len(data["margin"]) == 2 and len(data["margin"][0]) == 2
    assert data["calibration"] == "default" and data["inhibitory_ua"] == pytest.approx([95, 97])
    assert plot.exists()


def test_sweep_command_default_grids(capsys):
    base = ["sfq", "sweep", "--trials", "2", "--json", "--quiet", "--inh", "96:96:1"]
    data = json.loads(run_command(base, capsys).strip().splitlines()[-1])
    assert data["excitatory_ua"] == pytest.approx(np.asarray(default_bias_grid("sweep") / uamp))
    assert data["setting"]["output_bias_ua"] == DEFAULT_XOR_SETTING.to_dict()["output_bias_ua"]
    out = run_command(base[:-2] + ["--calibration", "assumed"], capsys)
    data = json.loads(out.strip().splitlines()[-1])
    old = [95.0, 100.0, 105.0, 110.0, 115.0, 120.0, 125.0, 130.0]  # the assumed curve's grid
    assert data["excitatory_ua"] == pytest.approx(old) and data["inhibitory_ua"] == pytest.approx(
        old
    )
    assert data["setting"]["output_bias_ua"] == pytest.approx(130.0, abs=0.01)
    with pytest.raises(ValueError, match="outside the range"):
        run_command(["sfq", "sweep", "--trials", "2", "--exc", "95:130:5", "--quiet"], capsys)


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
