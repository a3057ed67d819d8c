from __future__ import annotations

import numpy as np
import pytest

from qneuro.sfq import NetworkSpec, Projection, Soma
from qneuro.sfq.constants import PHI0, SOMA_FLUXON_CURRENT
from qneuro.sfq.units import joule, psecond, uamp

from .helpers import SURE, arrival_offset_steps, chain, output_times_ps, run_pulses


@pytest.mark.parametrize("threshold", [1, 2, 3, 4])
def test_fires_once_per_threshold_pulses(threshold):
    spec = chain(Soma(threshold=threshold))
    steps = np.arange(12) * 20
    sim = run_pulses(spec, [(0, 0, s) for s in steps])
    arrival = steps + arrival_offset_steps(spec)
    expected = arrival[threshold - 1 :: threshold] + 1  # one step after the n_th input
    np.testing.assert_array_equal(output_times_ps(sim), expected)
    assert sim.counts[1][0, 0] == 12 // threshold


@pytest.mark.parametrize("threshold", [1, 2, 3])
def test_decrementing_soma_keeps_what_it_did_not_release(threshold):
    spec = chain(Soma(threshold=threshold, reset="decrement"))
    steps = np.arange(8) * 20
    sim = run_pulses(spec, [(0, 0, s) for s in steps])
    # oracle: the count climbs to the threshold once, then each input refills it
    expected = steps[threshold - 1 :] + arrival_offset_steps(spec) + 1
    np.testing.assert_array_equal(output_times_ps(sim), expected)
    assert sim.counts[1][0, 0] == 8 - threshold + 1


def test_decrementing_soma_under_inhibition_and_inside_its_refractory_time():
    """Input 0 excites, input 1 inhibits. E E I E: the I empties the kept fluxon, so the
    last E only refills (1 output). With the I 5 ps after the firing E, inside the 10 ps
    refractory time, it is lost and the last E fires again (2 outputs)."""
    bias = np.full((2, 1), float(SURE / uamp)) * uamp
    spec = NetworkSpec(
        (2, 1),
        (Projection(bias, np.array([[1], [-1]])),),
        somas=Soma(threshold=2, reset="decrement"),
    )
    pulses = [(c, 0, s) for c in (0, 1) for s in (0, 20, 60)] + [(0, 1, 40), (1, 1, 25)]
    sim = run_pulses(spec, pulses, copies=2, duration_ps=200)
    np.testing.assert_array_equal(sim.counts[1][:, 0], [1, 2])


def test_refractory_losses_exactly_when_timing_says():
    refractory = 20
    spec = chain(Soma(threshold=1, refractory=refractory * psecond))
    steps = np.array([0, 10, 21, 30, 45, 60, 61])
    sim = run_pulses(spec, [(0, 0, s) for s in steps])
    # oracle: an input is accepted iff it arrives >= refractory after the last output
    fired, lost, last = [], 0, -np.inf
    for a in steps + arrival_offset_steps(spec):
        if a - last >= refractory:
            last = a + 1
            fired.append(a + 1)
        else:
            lost += 1
    np.testing.assert_array_equal(output_times_ps(sim), fired)
    assert sim.soma_lost[0] == lost
    assert lost == 4  # includes the boundary case (exactly `refractory` later: accepted)


def test_leak_decays_stored_flux():
    """Effective threshold 1.5: two pulses fire iff exp(-gap / tau) + 1 >= 1.5."""
    tau = 10.0
    soma = Soma(
        threshold=2,
        bias=0.5 * SOMA_FLUXON_CURRENT,
        tau_leak=tau * psecond,
        refractory=0 * psecond,
    )
    assert soma.effective_threshold == pytest.approx(1.5)
    spec = chain(soma)
    gaps = np.arange(1, 13)
    pulses = [(c, 0, 0) for c in range(gaps.size)] + [(c, 0, g) for c, g in enumerate(gaps)]
    sim = run_pulses(spec, pulses, copies=gaps.size, duration_ps=200)
    expected = (np.exp(-gaps / tau) + 1 >= 1.5).astype(int)
    np.testing.assert_array_equal(sim.counts[1][:, 0], expected)
    assert expected.sum() == 6  # gaps 1..6 ps (tau ln 2 = 6.9 ps)


def test_bias_lowers_threshold():
    soma = Soma(threshold=3, bias=SOMA_FLUXON_CURRENT)
    assert soma.effective_threshold == pytest.approx(2.0)
    sim = run_pulses(chain(soma), [(0, 0, s) for s in np.arange(10) * 20])
    assert sim.counts[1][0, 0] == 5


def test_energy_counts_switching_events():
    spec = chain(Soma(threshold=1))
    sim = run_pulses(spec, [(0, 0, s) for s in (0, 50, 100)], duration_ps=300)
    # 3 pulses: source 3 JJ, JTL 2, synapse 3 (passed), soma 1 (arrival) + 6 (firing)
    switches = 3 * (3 + 2 + 3 + 1 + 6)
    assert sim.energy[0] / joule == pytest.approx(switches * float(100 * uamp * PHI0 / joule))


def test_first_pulse_matches_nominal_latency():
    spec = chain(Soma(threshold=1))
    sim = run_pulses(spec, [(0, 0, 0)], duration_ps=100)
    first = float(sim.first_pulse[0][0, 0] / psecond)
    assert abs(first - float(spec.nominal_latency() / psecond)) <= 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"refractory": -1 * psecond}, "refractory"),
        ({"tau_leak": 0 * psecond}, "tau_leak"),
        ({"threshold": 1, "bias": 200 * uamp}, "above 0"),
        ({"refractory": 5}, "no unit"),
        ({"reset": "half"}, "reset='half'; allowed: zero, decrement"),
    ],
)
def test_bad_soma_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Soma(**kwargs)


def test_thermal_soma_fires_with_its_probability():
    """One pulse per copy into a threshold-1 soma of width w: fires w.p. (1+tanh(0.5/w))/2."""
    from qneuro.sfq import binomial_ci

    width = 0.8
    p = 0.5 * (1 + np.tanh(0.5 / width))
    copies = 2000
    sim = run_pulses(
        chain(Soma(threshold=1, threshold_width=width)),
        [(c, 0, 5) for c in range(copies)],
        copies=copies,
        duration_ps=60,
        seed=4,
    )
    fired = int(sim.counts[1].sum())
    low, high = binomial_ci(fired, copies, level=0.999)
    assert low <= p <= high, (fired, p)


def test_thermal_soma_needs_input_to_fire():
    """Stored flux alone never fires the thermal soma: only steps with input may."""
    soma = Soma(threshold=3, threshold_width=0.3, refractory=0 * psecond)
    sim = run_pulses(chain(soma), [(c, 0, 5) for c in range(200)], copies=200, duration_ps=400)
    p1 = 0.5 * (1 + np.tanh((1 - 3 + 0.5) / 0.3))  # 4.5e-5
    assert sim.counts[1].sum() <= 2 and p1 < 1e-4


def test_bad_threshold_width():
    with pytest.raises(ValueError, match="threshold_width"):
        Soma(threshold_width=-0.1)
