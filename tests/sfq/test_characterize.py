from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from qneuro.sfq.characterize import InputPulse, characterize, pulse_trials
from qneuro.sfq.cli import add_commands
from qneuro.sfq.constants import PHI0
from qneuro.sfq.junction import Junction
from qneuro.sfq.units import kelvin, psecond, uamp


def test_characterize_small():
    result = characterize(trials=20, points=5, ramp_trials=0, seed=1)
    p = result.probability
    assert p.shape == (2, 5)
    # the curves run from (nearly) never to (nearly) always across the window
    assert p[:, 0].max() <= 0.3 and p[:, -1].min() >= 0.7
    assert np.all((result.ci_low <= p) & (p <= result.ci_high))
    # energy per event: the bias part is Ib * Phi0 (one slip); the pulse adds a little
    ref = float(result.bias_at_energy * PHI0)
    assert float(result.bias_energy_per_event) == pytest.approx(ref, rel=0.01)
    assert ref < float(result.energy_per_event) < 1.2 * ref
    data = result.to_dict()
    assert json.dumps(data) and data["ramp"] is None


def test_colder_junction_has_a_sharper_switching_curve():
    """Around the noise-free threshold, 0.5 K switches more deterministically than 8 K."""
    j = Junction()
    bias = np.array([86.0, 89.0]) * uamp
    out = pulse_trials(j, bias, 100, temperatures=np.array([0.5, 8.0]) * kelvin, seed=2)
    p = out.switched.reshape(2, 2, 100).mean(axis=2)
    assert p[0, 0] < p[1, 0] and p[0, 1] > p[1, 1]


def test_bad_pulse():
    with pytest.raises(ValueError, match="width"):
        InputPulse(width=0 * psecond)


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)
    return capsys.readouterr().out


def test_characterize_command(capsys, tmp_path):
    plot = tmp_path / "char.png"
    argv = ["sfq", "characterize", "--trials", "10", "--ramp-trials", "20", "--json"]
    out = _run(argv + ["--quiet", "--plot", str(plot)], capsys)
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
        _run(["sfq", "characterize", *argv, "--quiet"], capsys)
