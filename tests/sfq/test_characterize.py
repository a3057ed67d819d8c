from __future__ import annotations

import json

import numpy as np
import pytest

from qneuro.sfq.characterize import InputPulse, characterize, pulse_trials
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
