from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from qneuro.sfq import (
    ErfCurve,
    NetworkSpec,
    Projection,
    Soma,
    StochasticSynapse,
    TanhCurve,
    binomial_ci,
    simulate,
)
from qneuro.sfq.units import Ghertz, psecond, uamp


def test_tanh_curve_matches_formula():
    curve = TanhCurve(i50=100 * uamp, width=5 * uamp)
    bias = np.array([80.0, 95.0, 100.0, 107.0, 150.0])
    expected = 0.5 * (1 + np.tanh((bias - 100.0) / 5.0))
    np.testing.assert_allclose(curve.probability(bias * uamp), expected, rtol=1e-12)


def test_erf_curve_matches_formula():
    curve = ErfCurve(i50=90 * uamp, width=4 * uamp)
    bias = np.array([80.0, 90.0, 97.0])
    expected = 0.5 * (1 + erf((bias - 90.0) / (4.0 * np.sqrt(2))))
    np.testing.assert_allclose(curve.probability(bias * uamp), expected, rtol=1e-12)


def test_curve_is_monotone_and_inverse():
    curve = TanhCurve()
    p = curve.probability(np.linspace(0, 200, 101) * uamp)
    assert np.all(np.diff(p) >= 0)
    bias = curve.bias_for(0.3)
    assert curve.probability(bias) == pytest.approx(0.3, abs=1e-9)


@pytest.mark.parametrize("bias", [-1, 201, 1000])
def test_bias_outside_domain_raises(bias):
    with pytest.raises(ValueError, match="outside the range"):
        TanhCurve().probability(bias * uamp)


def test_bias_without_units_raises():
    with pytest.raises(ValueError, match="no unit"):
        TanhCurve().probability(100)


def test_bad_curve_parameters():
    with pytest.raises(ValueError, match="width"):
        TanhCurve(width=0 * uamp)
    with pytest.raises(ValueError, match="bias_min"):
        TanhCurve(bias_min=50 * uamp, bias_max=10 * uamp)
    with pytest.raises(ValueError, match="curve"):
        StochasticSynapse(curve=lambda b: 0.5)


class _Linear(TanhCurve):
    """A replacement curve: linear from 0 at bias_min to 1 at bias_max."""

    def _shape(self, x):
        lo = (float(self.bias_min) - float(self.i50)) / float(self.width)
        hi = (float(self.bias_max) - float(self.i50)) / float(self.width)
        return (x - lo) / (hi - lo)


@pytest.mark.parametrize(
    "curve", [TanhCurve(), ErfCurve(), _Linear()], ids=["tanh", "erf", "linear"]
)
def test_pass_rate_within_binomial_ci(curve):
    """Pulses through one synapse into a threshold-1 soma: pass fraction vs p(Ib)."""
    bias = curve.bias_for(0.3)
    p = float(curve.probability(bias))
    spec = NetworkSpec(
        (1, 1),
        (Projection(np.array([[float(bias / uamp)]]) * uamp, np.array([[1]])),),
        somas=Soma(threshold=1, refractory=0 * psecond),
        synapse=StochasticSynapse(curve=curve),
    )
    copies = 200
    sim = simulate(spec, np.full((copies, 1), 20.0) * Ghertz, 2500 * psecond, seed=3)
    passed = int(sim.synapse_passed.sum())
    total = passed + int(sim.synapse_blocked.sum())
    # every pulse that reached the synapse was decided; pulses still in flight at the end
    # are not counted
    assert total >= copies * 48
    low, high = binomial_ci(passed, total, level=0.999)
    assert low <= p <= high, (passed, total, p)
    # each passed pulse reached the soma, which fired on it (threshold 1, no refractory)
    assert sim.soma_arrived.sum() == passed
    assert sim.counts[1].sum() >= passed - copies  # the last pulse may still be in flight


def test_seed_reproducible_and_changes():
    spec = NetworkSpec(
        (1, 1), (Projection(np.array([[100.0]]) * uamp, np.array([[1]])),), somas=Soma()
    )
    rates = np.full((20, 1), 20.0) * Ghertz
    a = simulate(spec, rates, 500 * psecond, seed=1)
    b = simulate(spec, rates, 500 * psecond, seed=1)
    c = simulate(spec, rates, 500 * psecond, seed=2)
    np.testing.assert_array_equal(a.counts[1], b.counts[1])
    assert not np.array_equal(a.counts[1], c.counts[1])
