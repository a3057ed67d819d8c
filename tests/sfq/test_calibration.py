from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import pytest

from qneuro.sfq import NetworkSpec, Projection, Soma, simulate
from qneuro.sfq.calibration import (
    CALIBRATION_VERSION,
    Calibration,
    calibrate,
    calibrated_xor_setting,
    equivalent_bias,
    fit_switching_curve,
    load_calibration,
    save_calibration,
)
from qneuro.sfq.characterize import pulse_trials
from qneuro.sfq.cli import add_commands
from qneuro.sfq.constants import PHI0
from qneuro.sfq.junction import Junction
from qneuro.sfq.synapse import ErfCurve, TanhCurve
from qneuro.sfq.units import joule, psecond, uamp
from qneuro.sfq.xor import DEFAULT_XOR_SETTING

GRID = np.linspace(83.0, 92.0, 11)


def _synthetic(curve, trials, rng, grid=GRID):
    p = curve.probability(grid * uamp)
    return grid * uamp, rng.binomial(trials, p)


def test_fit_recovers_known_erf_parameters_within_its_standard_errors():
    true = ErfCurve(i50=87.0 * uamp, width=1.8 * uamp)
    rng = np.random.default_rng(0)
    z = []
    for _ in range(100):
        bias, k = _synthetic(true, 300, rng)
        fit = fit_switching_curve(bias, k, 300, "erf")
        z.append(
            [
                float((fit.i50 - true.i50) / fit.i50_se),
                float((fit.width - true.width) / fit.width_se),
            ]
        )
    z = np.array(z)
    # one fit: within 3 standard errors; over 100 fits the z-scores are ~N(0, 1)
    assert np.all(np.abs(z[0]) < 3)
    assert np.all(np.abs(z.mean(axis=0)) < 0.35)
    assert np.all((0.75 < z.std(axis=0)) & (z.std(axis=0) < 1.3))


def test_fit_tells_the_families_apart_and_recovers_tanh():
    rng = np.random.default_rng(1)
    true = TanhCurve(i50=87.0 * uamp, width=2.0 * uamp)
    bias, k = _synthetic(true, 2000, rng, np.linspace(82.0, 92.0, 13))
    tanh = fit_switching_curve(bias, k, 2000, "tanh")
    erf = fit_switching_curve(bias, k, 2000, "erf")
    assert tanh.log_likelihood > erf.log_likelihood
    assert abs(float((tanh.i50 - true.i50) / tanh.i50_se)) < 4
    assert abs(float((tanh.width - true.width) / tanh.width_se)) < 4
    assert tanh.dof == 11 and 0 <= tanh.gof_pvalue <= 1


@pytest.mark.parametrize(
    "k, match",
    [
        ([0, 0, 0, 10, 10], "at least two"),
        ([0, 3, 11, 10, 10], "0 <= switched <= trials"),
        ([0.5, 3, 5, 7, 10], "integer counts"),
    ],
)
def test_fit_refuses_data_that_do_not_determine_a_curve(k, match):
    with pytest.raises(ValueError, match=match):
        fit_switching_curve(np.arange(5.0) * uamp, np.array(k), 10)


def test_shipped_calibration_loads_and_round_trips(tmp_path):
    cal = load_calibration()
    assert cal.fit.family in ("erf", "tanh") and cal.trials >= 1000
    assert float(cal.bias_max) == pytest.approx(float(Junction().ic))
    # the fitted centre lies in the circuit-level switching window, near the noise-free
    # threshold; the energy is about Ib * Phi0 at I50 plus the input pulse's share
    assert float(cal.biases[0]) < float(cal.fit.i50) < float(cal.biases[-1])
    assert abs(float(cal.fit.i50 - cal.threshold)) < 2 * float(cal.fit.width)
    ref = float(cal.fit.i50 * PHI0 / joule)
    assert ref < float(cal.energy_per_switch / joule) < 1.2 * ref
    path = save_calibration(cal, tmp_path / "cal.json")
    again = load_calibration(path)
    assert again.to_dict() == cal.to_dict()
    assert json.loads(path.read_text())["version"] == CALIBRATION_VERSION


def _bad(tmp_path, change):
    data = load_calibration().to_dict()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.update(version=2), "version=2"),
        (lambda d: d.update(version=True), "version=True"),
        (lambda d: d.update(extra=1), "unknown key extra"),
        (lambda d: d["curve"].update(colour="red"), "unknown key curve.colour"),
        (lambda d: d["energy"].pop("events"), "missing key energy.events"),
        (lambda d: d["curve"].update(i50_ua=float("nan")), "curve.i50_ua=nan"),
        (lambda d: d["curve"].update(width_ua=float("inf")), "curve.width_ua=inf"),
        (lambda d: d["curve"].update(width_ua=-1.0), "curve.width_ua=-1.0"),
        (lambda d: d["curve"].update(i50_ua="87"), "curve.i50_ua='87'"),
        (lambda d: d["curve"].update(family="cubic"), "curve.family='cubic'"),
        (lambda d: d["curve"].update(bias_min_ua=200.0), "curve.bias_min_ua=200.0"),
        (lambda d: d["data"]["switched"].append(3), "data.switched"),
        (lambda d: d["data"].update(switched=[-1] * 13), "data.switched=-1"),
        (lambda d: d.update(circuit=[]), "circuit must be a JSON object"),
        (lambda d: d["delay"].update(used_by_pulse_model=0), "used_by_pulse_model=0"),
    ],
)
def test_bad_calibration_files_are_refused(tmp_path, change, match):
    path = _bad(tmp_path, change)
    with pytest.raises(ValueError, match=match) as info:
        load_calibration(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_non_object_and_missing_files(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        load_calibration(path)
    with pytest.raises(FileNotFoundError):
        load_calibration(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="version=None"):
        Calibration.from_dict({}, "test")


def test_small_calibrate_run_centres_in_the_switching_window():
    cal = calibrate(trials=40, points=7, seed=1)
    lo, hi = float(cal.biases[0]), float(cal.biases[-1])
    assert lo < float(cal.fit.i50) < hi
    assert 0 < float(cal.fit.width) < (hi - lo) / 2
    assert cal.switched.shape == (7,) and cal.switched[0] < cal.switched[-1]
    assert cal.bias_energy_over_bias_phi0 == pytest.approx(1.0, abs=0.01)
    assert 0 < float(cal.delay_high) <= float(cal.delay) + 1e-12
    assert json.dumps(cal.to_dict())


def test_pulse_level_synapse_matches_the_circuit_level_junction():
    """The calibrated pulse-level synapse passes pulses as often as the RCSJ junction switches.

    An independent circuit-level run (another seed than the shipped file's) against the
    pulse-level network at two biases inside the window: a two-proportion test at 4 sigma.
    """
    cal = load_calibration()
    biases = np.array([86.0, 88.5])
    n_circuit, n_pulse = 600, 4000
    circuit = pulse_trials(Junction(), biases * uamp, n_circuit, seed=7)
    p_circuit = circuit.switched.reshape(2, n_circuit).mean(axis=1)
    spec = NetworkSpec(
        (1, 1),
        (Projection(np.array([[biases[0]]]) * uamp, np.array([[1]])),),
        somas=Soma(threshold=1),
        synapse=cal.synapse(),
    )
    copies = 2 * n_pulse
    per_copy = np.repeat(biases, n_pulse).reshape(copies, 1, 1) * uamp
    sim = simulate(
        spec,
        input_steps=(np.arange(copies), np.zeros(copies, int), np.full(copies, 5)),
        copies=copies,
        duration=60 * psecond,
        bias=[per_copy],
        seed=3,
    )
    passed = sim.synapse_passed.reshape(2, n_pulse)
    assert np.all(passed + sim.synapse_blocked.reshape(2, n_pulse) == 1)
    p_pulse = passed.mean(axis=1)
    p_model = cal.curve().probability(biases * uamp)
    sigma = np.sqrt(p_model * (1 - p_model) * (1 / n_circuit + 1 / n_pulse))
    assert np.all(np.abs(p_pulse - p_circuit) < 4 * sigma), (p_pulse, p_circuit)


def test_equivalent_bias_keeps_the_pass_probability():
    cal = load_calibration()
    assumed = TanhCurve()
    bias = np.array([95.0, 100.0, 110.0]) * uamp
    mapped = equivalent_bias(bias, assumed, cal.curve())
    np.testing.assert_allclose(
        cal.curve().probability(mapped), assumed.probability(bias), rtol=1e-9, atol=1e-12
    )
    # the shipped XOR as trained on the assumed curve (132.5 / 140 / 130 uA) ...
    assumed_setting = replace(
        DEFAULT_XOR_SETTING,
        excitatory_bias=132.5 * uamp,
        inhibitory_bias=140 * uamp,
        output_bias=130 * uamp,
    )
    with pytest.raises(ValueError, match="outside the range"):
        cal.curve().probability(assumed_setting.excitatory_bias)
    # ... moves onto the calibrated curve at the shipped setting's biases (to 1 nA rounding)
    setting = calibrated_xor_setting(assumed_setting, cal)
    for name in ("excitatory_bias", "inhibitory_bias", "output_bias"):
        assert float(cal.fit.i50) < float(getattr(setting, name)) < float(cal.bias_max)
        assert float(getattr(setting, name) / uamp) == pytest.approx(
            float(getattr(DEFAULT_XOR_SETTING, name) / uamp), abs=5e-4
        )


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)
    return capsys.readouterr().out


def test_calibrate_and_xor_commands(capsys, tmp_path):
    out_file, plot = tmp_path / "cal.json", tmp_path / "cal.png"
    argv = ["sfq", "calibrate", "--trials", "30", "--points", "7", "--seed", "2", "--json"]
    out = _run(argv + ["--quiet", "--out", str(out_file), "--plot", str(plot)], capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["command"] == "qneuro sfq calibrate --trials 30 --points 7 --seed 2"
    assert load_calibration(out_file).to_dict() == {
        k: v for k, v in data.items() if k not in ("out", "plot")
    }
    assert plot.stat().st_size > 1000 and "energy per switch" in out
    xor = ["sfq", "xor", "--trials", "10", "--quiet", "--json", "--calibration", str(out_file)]
    out = _run(xor, capsys)
    result = json.loads(out.strip().splitlines()[-1])
    assert [row["output"] for row in result["truth_table"]] == [0, 1, 1, 0]
    assert "equal pass probability" in out
    assert result["setting"]["excitatory_bias_ua"] < 100


@pytest.mark.parametrize(
    "argv, match",
    [
        (["calibrate", "--trials", "0"], "--trials 0"),
        (["calibrate", "--points", "2"], "--points 2"),
        (["calibrate", "--out", "."], "not a folder"),
        (["xor", "--trials", "2", "--calibration", "nowhere.json"], "nowhere.json"),
    ],
)
def test_bad_calibration_arguments(argv, match, capsys):
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        _run(["sfq", *argv, "--quiet"], capsys)


def test_xor_setting_on_curve_keeps_pass_probabilities():
    from qneuro.sfq.calibration import xor_setting_on_curve
    from qneuro.sfq.xor import POISSON_ROBUST_XOR

    calibrated, assumed = load_calibration().curve(), TanhCurve()
    moved = xor_setting_on_curve(POISSON_ROBUST_XOR, calibrated, assumed)
    for name in ("excitatory_bias", "inhibitory_bias", "output_bias"):
        want = calibrated.probability(getattr(POISSON_ROBUST_XOR, name))
        assert assumed.probability(getattr(moved, name)) == pytest.approx(want, rel=1e-6)
    assert moved.hidden_threshold == POISSON_ROBUST_XOR.hidden_threshold


def test_poisson_robust_xor_command(capsys):
    base = ["sfq", "xor", "--design", "poisson-robust", "--trials", "20", "--quiet", "--json"]
    out = _run(base, capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["design"] == "poisson-robust" and data["jj_count"] == 271
    assert data["setting"]["source_kind"] == "poisson"
    assert data["setting"]["excitatory_bias_ua"] == 87.5 and "the design's biases" in out
    assert [row["output"] for row in data["truth_table"]] == [0, 1, 1, 0]
    out = _run(base + ["--calibration", "assumed", "--source", "regular"], capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert "assumed synapse curve; biases at equal pass probability" in out
    assert data["setting"]["source_kind"] == "regular"
    assert data["setting"]["excitatory_bias_ua"] > 100  # p = 0.55 on the tanh curve (I50 = 100 uA)
    assert [row["output"] for row in data["truth_table"]] == [0, 1, 1, 0]
