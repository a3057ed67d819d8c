from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from qneuro.sfq.calibration import load_calibration
from qneuro.sfq.digits import (
    DigitsNetwork,
    bias_for_probabilities,
    evaluate_digits,
    load_digits_network,
    rate_forward,
    soma_rate,
    train_digits,
)
from qneuro.sfq.synapse import TanhCurve
from qneuro.sfq.units import uamp

from .helpers import run_command


def test_soma_rate_matches_the_floored_counter_by_hand():
    # theta = 2, up 5 GHz, down 1 GHz: 1/a + (1/a + rho/a) = (2 + rho)/a = 11/25 ns
    assert soma_rate(5.0, 1.0, 2) == pytest.approx(25 / 11)
    assert soma_rate(5.0, 3.0, 1) == pytest.approx(5.0)  # an empty loop ignores inhibition
    assert soma_rate(4.0, 0.0, 4) == pytest.approx(1.0)  # a / theta without inhibition


def test_rate_forward_on_a_tiny_network_by_hand():
    rates = np.array([[10.0, 4.0]])
    w1 = np.array([[0.5, 0.2], [-0.25, 0.5]])
    w2 = np.array([[1.0], [-0.5]])
    layers = rate_forward(rates, [w1, w2], (2, 1), dead_time_ps=0.0, refractory_ps=0.0)
    h = np.array([25 / 11, soma_rate(4.0, 0.0, 2)])  # (a=5, b=1) and (a=2+2, b=0)
    np.testing.assert_allclose(layers[1][0], h)
    np.testing.assert_allclose(layers[2][0], [h[0]])  # theta 1: inhibition never acts
    # merger dead time (fan-in 2: one level, tau_eff = tau) and refractoriness
    tau, refr = 8.2e-3, 10e-3
    layers = rate_forward(rates, [w1, w2], (2, 1))
    a, b = 5 / (1 + 5 * tau), 1 / (1 + 1 * tau)
    r = a**2 / (2 * a + b)
    assert layers[1][0, 0] == pytest.approx(r / (1 + r * refr))


@pytest.mark.parametrize("curve", [TanhCurve(), load_calibration().synapse().curve])
def test_bias_mapping_inverts_the_curve(curve):
    p = np.array([[0.02, 0.1, 0.5], [0.77, 0.95, 0.999]])
    bias = bias_for_probabilities(curve, p)
    assert bias.shape == p.shape
    np.testing.assert_allclose(curve.probability(bias), p, atol=1e-9)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        bias_for_probabilities(curve, [1.5])


def test_shipped_network_round_trips_and_matches_its_file():
    net = load_digits_network()
    assert net.layer_sizes == (64, 64, 64, 10) and net.thresholds == (4, 4, 4)
    again = DigitsNetwork.from_dict(json.loads(json.dumps(net.to_dict())))
    for a, b in zip(again.weights(), net.weights(), strict=True):
        np.testing.assert_allclose(a, b)
    curve = net.synapse().curve
    used = net.sign[0] != 0
    assert np.all(curve.probability(net.bias_ua[0][used] * uamp) >= 0.019)
    bad = net.to_dict() | {"extra": 1}
    with pytest.raises(ValueError, match="unknown keys \\['extra'\\]"):
        DigitsNetwork.from_dict(bad)


def test_shipped_network_classifies_held_out_digits_at_pulse_level():
    n = 30
    result = evaluate_digits(digits=n, seed=1)
    correct = int(np.sum(result.predictions == result.labels))
    # chance is 1/10: the probability of >= correct answers by guessing must be tiny
    assert stats.binom.sf(correct - 1, n, 0.1) < 1e-9, correct
    assert result.rate_model_accuracy >= 0.9
    out = result.to_dict()
    assert out["trials"] == n and np.sum(out["confusion"]) == n
    assert out["jj_count"] == sum(out["jj_counts"].values()) > 10_000
    assert out["energy_per_inference_j"] > 0 and 0 < out["first_pulse_ps"] < out["window_ps"]


def test_training_gives_a_valid_network():
    net = train_digits(hidden=(8, 8), epochs=1, test_size=0.3)
    assert net.layer_sizes == (64, 8, 8, 10) and net.test_size == 0.3
    assert 0 <= net.training["rate_model_test_accuracy"] <= 1
    with pytest.raises(ValueError, match="epochs"):
        train_digits(epochs=0)


def test_digits_command_json_and_plot(capsys, tmp_path):
    plot = tmp_path / "confusion.png"
    argv = ["sfq", "digits", "--digits", "10", "--json", "--quiet", "--plot", str(plot)]
    out = run_command(argv, capsys)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["trials"] == 10 and len(data["confusion"]) == 10
    assert plot.stat().st_size > 1000
    assert "pulse-level accuracy" in out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--trials", "0"], "trials"),
        (["--digits", "0"], "digits"),
        (["--digits", "1000"], "digits=1000"),
        (["--test-size", "0.9"], "test-size"),
        (["--test-size", "0.3"], "needs --retrain"),
        (["--out", "x.json"], "give --retrain"),
        (["--retrain", "--epochs", "0"], "epochs"),
    ],
)
def test_digits_bad_arguments(argv, match, capsys):
    with pytest.raises(ValueError, match=match):
        run_command(["sfq", "digits", *argv, "--quiet"], capsys)
