from __future__ import annotations

import json

import numpy as np
import pytest

from qneuro.sfq import (
    DEFAULT_XOR_SETTING,
    XOR_LABELS,
    XorSetting,
    evaluate_xor,
    sweep_xor,
    train_xor,
)
from qneuro.sfq.units import Ghertz, joule, uamp


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
    with pytest.raises(ValueError, match="outside the range"):
        evaluate_xor(XorSetting(excitatory_bias=300 * uamp), trials=2)


def test_sweep_shapes_and_bad_region():
    grid = sweep_xor(
        np.array([95.0, 132.5]) * uamp, np.array([100.0, 140.0]) * uamp, trials=10, seed=1
    )
    assert grid["margin"].shape == (2, 2) and grid["mean_ghz"].shape == (2, 2, 4)
    # the shipped point is good; weak inhibition (100 uA, p = 0.5) fails (1, 1)
    assert grid["margin"][1, 1] > 0.9
    assert grid["margin"][1, 0] < 0.3


@pytest.mark.slow
def test_training_search_finds_a_good_setting():
    best, report = train_xor(
        thresholds=(2,), coarse=np.array([100.0, 120.0, 140.0]) * uamp, trials=8, seed=3
    )
    assert report["best_worst_case_margin"] > 0.5
    check = evaluate_xor(best, trials=50, seed=4)
    assert check.correct and check.margin > 0.5


def test_default_setting_is_shipped():
    assert DEFAULT_XOR_SETTING.hidden_threshold == 2
    assert DEFAULT_XOR_SETTING.to_dict()["excitatory_bias_ua"] == 132.5
