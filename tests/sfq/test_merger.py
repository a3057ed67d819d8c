from __future__ import annotations

import numpy as np

from qneuro.sfq import Merger, Soma
from qneuro.sfq.constants import MERGER_DEAD_TIME
from qneuro.sfq.units import psecond

from .helpers import arrival_offset_steps, chain, run_pulses


def test_merger_loses_pulses_within_dead_time():
    spec = chain(Soma(threshold=1, refractory=0 * psecond), n_inputs=2)
    gaps = np.arange(0, 14)
    pulses = [(c, 0, 10) for c in range(gaps.size)] + [(c, 1, 10 + g) for c, g in enumerate(gaps)]
    sim = run_pulses(spec, pulses, copies=gaps.size, duration_ps=200)
    lost = (gaps < float(MERGER_DEAD_TIME / psecond)).astype(int)  # 0..8 ps lost
    np.testing.assert_array_equal(sim.merger_lost, lost)
    np.testing.assert_array_equal(sim.merger_passed, 2 - lost)
    np.testing.assert_array_equal(sim.counts[1][:, 0], 2 - lost)
    # timing: input -> merger at arrival_offset, out one step later, + (8.2 - 1) ps -> soma
    first_spike = sim.spikes[1][2][sim.spikes[1][0] == 0][0] / psecond
    assert round(float(first_spike)) == 10 + arrival_offset_steps(spec) + 1 + 7 + 1


def test_custom_dead_time():
    spec = chain(Soma(threshold=1, refractory=0 * psecond), n_inputs=2)
    spec = type(spec)(
        spec.layer_sizes,
        spec.projections,
        somas=spec.somas,
        merger=Merger(dead_time=3 * psecond),
    )
    gaps = np.arange(0, 6)
    pulses = [(c, 0, 10) for c in range(gaps.size)] + [(c, 1, 10 + g) for c, g in enumerate(gaps)]
    sim = run_pulses(spec, pulses, copies=gaps.size, duration_ps=200)
    np.testing.assert_array_equal(sim.merger_lost, (gaps < 3).astype(int))


def test_merger_tree_for_wide_fan_in():
    spec = chain(Soma(threshold=1, refractory=0 * psecond), n_inputs=5)
    assert spec.jj_counts()["mergers"] == 4 * 7
    # five inputs 30 ps apart: nothing is lost, five outputs
    sim = run_pulses(spec, [(0, k, 30 * k) for k in range(5)], duration_ps=300)
    assert sim.counts[1][0, 0] == 5 and sim.merger_lost[0] == 0
