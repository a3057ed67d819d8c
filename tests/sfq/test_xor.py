from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qneuro.sfq import (
    DEFAULT_XOR_SETTING,
    POISSON_ROBUST_XOR,
    XOR_DESIGNS,
    XOR_LABELS,
    StochasticSynapse,
    TanhCurve,
    XorSetting,
    evaluate_xor,
    sweep_xor,
    train_xor,
    xor_network,
)
from qneuro.sfq.calibration import load_calibration, xor_setting_on_curve
from qneuro.sfq.units import Ghertz, joule, uamp
from qneuro.sfq.xor import default_bias_grid, xor_synapse

#: The shipped setting as it was trained on the assumed tanh curve (uA).
ASSUMED_BIASES = {"excitatory_bias": 132.5, "inhibitory_bias": 140.0, "output_bias": 130.0}
BIASES = tuple(ASSUMED_BIASES)


@pytest.fixture(scope="module")
def result():
    return evaluate_xor(trials=200, seed=11)


def test_default_xor_classifies_all_patterns_with_wide_margin(result):
    assert result.correct
    assert result.trials == 200 and result.rates.shape == (4, 200)
    assert result.margin >= 0.3
    assert result.worst_case_margin >= 0.3
    # what the shipped setting achieves (docs/sfq.md numbers): near the top of the range
    assert result.margin > 0.95
    assert np.all(result.trial_accuracy >= 0.95)


def test_truth_table_json(result):
    data = json.loads(json.dumps(result.to_dict()))
    table = data["truth_table"]
    assert [row["inputs"] for row in table] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert [row["output"] for row in table] == list(XOR_LABELS)
    for key in ("margin", "energy_per_inference_j", "jj_count", "trials"):
        assert key in data
    assert data["jj_count"] == 67
    # energy: between one switch per input pulse and everything switching at max rate
    assert 1e-18 < data["energy_per_inference_j"] < 1e-14


def test_energy_is_sum_of_switching(result):
    assert result.energy_per_inference / joule == pytest.approx(
        float(np.mean(result.simulation.energy / joule))
    )


def test_bad_setting_raises():
    with pytest.raises(ValueError, match="low_rate"):
        XorSetting(low_rate=30 * Ghertz)
    with pytest.raises(ValueError, match="trials"):
        evaluate_xor(trials=0)
    # the calibrated curve ends at the junction's Ic (100 uA); the assumed one at 200 uA
    with pytest.raises(ValueError, match="outside the range"):
        evaluate_xor(XorSetting(excitatory_bias=132.5 * uamp), trials=2)
    with pytest.raises(ValueError, match="outside the range"):
        evaluate_xor(XorSetting(excitatory_bias=300 * uamp), trials=2, synapse=StochasticSynapse())
    with pytest.raises(ValueError, match="not both"):
        evaluate_xor(trials=2, spec=xor_network(), synapse=StochasticSynapse())


def test_networks_use_the_shipped_calibration_by_default():
    calibrated = load_calibration().synapse()
    for synapse in (xor_network().synapse, xor_synapse(), xor_synapse("default")):
        assert type(synapse.curve) is type(calibrated.curve)
        assert synapse.curve.i50 == calibrated.curve.i50
        assert synapse.curve.width == calibrated.curve.width
        assert synapse.switch_energy == calibrated.switch_energy
    assumed = xor_synapse("assumed")
    assert isinstance(assumed.curve, TanhCurve) and assumed.curve.i50 == 100 * uamp
    # the class default stays the assumed curve
    assert isinstance(StochasticSynapse().curve, TanhCurve)
    assert xor_network(synapse=assumed).synapse is assumed


def test_default_setting_has_the_assumed_pass_probabilities_on_the_calibrated_curve():
    calibrated, assumed = xor_synapse().curve, TanhCurve()
    for name, old in ASSUMED_BIASES.items():
        new = getattr(DEFAULT_XOR_SETTING, name)
        p_new = float(calibrated.probability(new))
        p_old = float(assumed.probability(old * uamp))
        assert p_new == pytest.approx(p_old, abs=1e-3)
        # the failure probabilities 1 - p (1e-7 to 1e-5) match too: to rounding (1 nA)
        assert 1 - p_new == pytest.approx(1 - p_old, rel=5e-3)
        assert round(float(new / uamp), 3) == float(new / uamp)
    # mapped back onto the assumed curve: the trained biases, to rounding
    back = xor_setting_on_curve(DEFAULT_XOR_SETTING, calibrated, assumed)
    for name, old in ASSUMED_BIASES.items():
        assert float(getattr(back, name) / uamp) == pytest.approx(old, abs=0.01)


def test_default_setting_on_both_curves_gives_the_same_result():
    # equal pass probabilities and the same seed: the same synapse draws and rates
    on_calibrated = evaluate_xor(trials=20, seed=7)
    old = replace(DEFAULT_XOR_SETTING, **{k: v * uamp for k, v in ASSUMED_BIASES.items()})
    on_assumed = evaluate_xor(old, trials=20, seed=7, synapse=StochasticSynapse())
    assert on_calibrated.correct and on_assumed.correct
    np.testing.assert_array_equal(on_calibrated.rates, on_assumed.rates)
    # only the energy per synapse switch differs (circuit-level vs Ic * Phi0)
    assert on_calibrated.energy_per_inference < on_assumed.energy_per_inference


def test_default_bias_grids_cover_the_assumed_probability_range():
    calibrated, assumed = xor_synapse(), xor_synapse("assumed")
    for kind in ("sweep", "train"):
        old = np.asarray(default_bias_grid(kind, assumed) / uamp)
        new = default_bias_grid(kind, calibrated)
        assert np.allclose(np.diff(old), 5.0) and new.size == old.size
        steps = np.diff(np.asarray(new / uamp))  # evenly spaced, points rounded to 1 nA
        np.testing.assert_allclose(steps, steps.mean(), atol=1.01e-3)
        ends = calibrated.curve.probability(new[[0, -1]])
        want = assumed.curve.probability(old[[0, -1]] * uamp)
        np.testing.assert_allclose(ends, want, atol=1e-3)
        np.testing.assert_allclose(1 - ends[1], 1 - want[1], rtol=0.01)
    assert default_bias_grid("sweep", assumed)[0] == 95 * uamp
    with pytest.raises(ValueError, match="kind"):
        default_bias_grid("nope")


def _calibrated_bias(bias_ua: float) -> float:
    """The calibrated current with the assumed curve's pass probability at ``bias_ua``."""
    mapped = xor_synapse().curve.bias_for(float(TanhCurve().probability(bias_ua * uamp)))
    return float(mapped / uamp)


def test_sweep_shapes_and_bad_region():
    exc = np.array([_calibrated_bias(95.0), float(DEFAULT_XOR_SETTING.excitatory_bias / uamp)])
    inh = np.array([87.263, float(DEFAULT_XOR_SETTING.inhibitory_bias / uamp)])
    grid = sweep_xor(exc * uamp, inh * uamp, trials=10, seed=1)
    assert grid["margin"].shape == (2, 2) and grid["mean_ghz"].shape == (2, 2, 4)
    # the shipped point is good; weak inhibition (the calibrated I50, p = 0.5) fails (1, 1)
    assert grid["margin"][1, 1] > 0.9
    assert grid["margin"][1, 0] < 0.3


def test_sweep_on_the_assumed_curve():
    grid = sweep_xor(
        np.array([132.5]) * uamp,
        np.array([100.0, 140.0]) * uamp,
        trials=10,
        seed=1,
        synapse=StochasticSynapse(),
    )
    assert grid["margin"][0, 1] > 0.9 and grid["margin"][0, 0] < 0.3


@pytest.mark.slow
def test_training_search_finds_a_good_setting():
    coarse = np.array([_calibrated_bias(b) for b in (100.0, 120.0, 140.0)]) * uamp
    best, report = train_xor(thresholds=(2,), coarse=coarse, trials=8, seed=3)
    assert report["best_worst_case_margin"] > 0.5
    lo, hi = (float(b) for b in xor_synapse().curve.bias_range)
    for name in ("excitatory_bias", "inhibitory_bias"):
        assert lo <= float(getattr(best, name)) <= hi
    check = evaluate_xor(best, trials=50, seed=4)
    assert check.correct and check.margin > 0.5


def test_default_setting_is_shipped():
    assert DEFAULT_XOR_SETTING.hidden_threshold == 2
    assert DEFAULT_XOR_SETTING.to_dict()["excitatory_bias_ua"] == pytest.approx(
        _calibrated_bias(132.5), abs=5e-4
    )


@pytest.fixture(scope="module")
def robust_spec():
    return xor_network(POISSON_ROBUST_XOR, synapse=load_calibration().synapse())


def test_poisson_robust_xor_with_poisson_inputs(robust_spec):
    # measured 98.9 +- 0.2 % of 4 x 500 single trials correct, margin 0.96 (docs/sfq.md);
    # at 4 x 100 trials the standard error is about 0.6 %, so 90 % is > 10 s.e. below
    result = evaluate_xor(POISSON_ROBUST_XOR, trials=100, spec=robust_spec, seed=5)
    assert POISSON_ROBUST_XOR.source_kind == "poisson"
    assert result.correct and result.margin >= 0.5
    assert result.trial_accuracy.mean() >= 0.90
    assert np.all(result.trial_accuracy >= 0.85)
    assert result.jj_count == 271


def test_poisson_robust_xor_stays_correct_with_regular_inputs(robust_spec):
    setting = replace(POISSON_ROBUST_XOR, source_kind="regular")
    result = evaluate_xor(setting, trials=100, spec=robust_spec, seed=6)
    assert result.correct and result.margin > 0.9
    assert result.trial_accuracy.mean() >= 0.98  # measured: every one of 4 x 500 trials


def test_xor_designs_are_named():
    assert XOR_DESIGNS["default"] == (DEFAULT_XOR_SETTING, "default")
    assert XOR_DESIGNS["poisson-robust"] == (POISSON_ROBUST_XOR, "default")
    assert POISSON_ROBUST_XOR.to_dict()["hidden_pairs"] == 4
