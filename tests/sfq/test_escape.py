"""Escape theory by hand, and the RCSJ ramp experiment against it (Fulton-Dunkleberger)."""

from __future__ import annotations

import numpy as np
import pytest

from qneuro.sfq.characterize import compare_ramp
from qneuro.sfq.escape import (
    attempt_frequency,
    barrier_height,
    cubic_barrier,
    energy_diffusion_factor,
    escape_rate,
    kramers_factor,
    ramp_distribution,
)
from qneuro.sfq.junction import Junction
from qneuro.sfq.units import amp, hertz, kelvin, second, uamp


def test_barrier_by_hand():
    j = Junction()
    ej = float(j.josephson_energy)
    # i = 0: 2 E_J; i = 0.5: 2 (0.8660254 - 0.5 * 1.0471976) = 0.6848532 E_J
    assert float(barrier_height(j, 0 * uamp)) == pytest.approx(2 * ej)
    assert float(barrier_height(j, 50 * uamp)) == pytest.approx(0.6848532 * ej, rel=1e-6)
    # near Ic the cubic form takes over: (4 sqrt2 / 3) (1e-3)^1.5 E_J at i = 0.999
    near = 99.9 * uamp
    assert float(barrier_height(j, near) / cubic_barrier(j, near)) == pytest.approx(1, abs=1e-3)
    # omega_a at i = 0.6: omega_p * 0.64^(1/4) = 0.8944272 omega_p
    ratio = attempt_frequency(j, 60 * uamp) / j.plasma_frequency
    assert float(ratio) == pytest.approx(0.8944272, rel=1e-6)
    with pytest.raises(ValueError, match="barrier"):
        barrier_height(j, 100 * uamp)


def test_damping_factors_by_hand():
    j = Junction()  # beta_c = 1, so Q_a = (1 - i^2)^(1/4); at i = 0: alpha = 1/2
    assert float(kramers_factor(j, 0 * uamp)) == pytest.approx(np.sqrt(1.25) - 0.5)
    # Mel'nikov-Meshkov: A -> 1 for large delta, A ~ delta for small delta
    assert float(energy_diffusion_factor(1e4)) == pytest.approx(1, abs=1e-3)
    assert float(energy_diffusion_factor(1e-4) / 1e-4) == pytest.approx(1, abs=0.05)
    hot = Junction(temperature=42 * kelvin)
    bias = 80 * uamp
    ratio = escape_rate(hot, bias) / escape_rate(hot, bias, damping=False)
    assert 0.3 < float(ratio) < 0.7  # a_K for Q_a ~ 0.77, times A(delta) ~ 1


def test_ramp_distribution_limits():
    j = Junction(ic=5 * uamp)
    slow = ramp_distribution(j, 0 * amp, 1e-9 * amp / second)
    fast = ramp_distribution(j, 0 * amp, 1e3 * amp / second)
    assert slow.mean < fast.mean <= j.ic
    assert np.all(np.diff(slow.cdf) >= 0) and slow.cdf[0] == 0


def test_thermal_ramp_matches_fulton_dunkleberger():
    """300 RCSJ junctions (5 uA, 4.2 K: E_J/kT = 28) ramped at 1.5 nA/ps.

    The test set-up: with a 100 uA junction escape within a ps-scale ramp would happen
    at barriers of ~1 kT where Kramers does not apply, so Ic is lowered (the same as
    raising T 20 times in reduced units) until escape happens at dU ~ 3 kT within
    ~0.5 ns of simulated ramp. Tolerances: the mean within 3 standard errors plus the
    model tolerance (how far the theory's mean moves when its rate changes by its
    O(kT/dU) accuracy, a factor 1 +- 1/3); the width within 3 standard errors
    (std/sqrt(2(n-1))) plus 10%. The Kolmogorov-Smirnov p-value is reported, not
    asserted: with this seed it is 0.005, since the simulated mean sits ~0.13 std above
    the theory's (inside the model tolerance), a shift N = 300 trials can just resolve.
    """
    result = compare_ramp(trials=300, seed=3)
    out = result.to_dict()
    assert out["switched"] == 300
    assert 2.5 < out["barrier_over_kt_at_mean"] < 4  # Kramers regime, A(delta) ~ 1
    gap = abs(out["mean_ua"] - out["theory_mean_ua"])
    assert gap <= 3 * out["sem_ua"] + out["model_tolerance_ua"], out
    se_std = out["std_ua"] / np.sqrt(2 * 299)
    assert abs(out["std_ua"] - out["theory_std_ua"]) <= 3 * se_std + 0.1 * out["theory_std_ua"]
    assert 0 <= out["ks_pvalue"] <= 1
    # the transition-state rate (no damping factor) is measurably worse: a check that
    # the comparison can tell prefactors apart
    tst = ramp_distribution(result.junction, result.start, result.ramp, damping=False)
    assert float(tst.mean) < float(result.theory.mean)
    assert float(escape_rate(result.junction, result.start) / hertz) > 0
