"""Circuit-level cells and their characterisation (qneuro.sfq.circuit_cells, _characterize)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from qneuro.sfq.circuit import Circuit, simulate_circuit
from qneuro.sfq.circuit_cells import (
    CellParameters,
    gated_soma,
    jtl,
    load,
    merger,
    soma,
    splitter,
    synapse,
)
from qneuro.sfq.circuit_characterize import (
    cell_delays,
    jj_counts,
    pulse_shapes,
    soma_threshold,
    synapse_switching,
)
from qneuro.sfq.constants import PHI0
from qneuro.sfq.units import kelvin, psecond, second, uamp, volt

from .helpers import run_command

COLD = CellParameters(temperature=0 * kelvin)
DT = 0.02 * psecond


def _bench(cell, inputs=("x",)):
    """Inputs through 2-stage JTLs into ``cell(circuit, *drives)``; its outputs loaded."""
    c = Circuit()
    drives = []
    for name in inputs:
        c.input(name)
        drives.append(jtl(c, f"{name}.drive", name, 2, COLD))
    outputs = cell(c, *drives)
    for out in outputs if isinstance(outputs, tuple) else (outputs,):
        load(c, out, COLD)
    return c, outputs


def test_splitter_copies_every_pulse_to_both_outputs():
    c, (a, b) = _bench(lambda c, d: splitter(c, "s", d, COLD))
    run = simulate_circuit(c, {"x": [20, 60] * psecond}, duration=110 * psecond, dt=DT)
    assert run.counts(a)[0] == 2 and run.counts(b)[0] == 2
    np.testing.assert_allclose(run.pulse_times(a), run.pulse_times(b), atol=0.05e-12)


def test_merger_passes_separate_pulses_and_loses_one_of_a_close_pair():
    c, out = _bench(lambda c, d1, d2: merger(c, "m", d1, d2, COLD), inputs=("x", "y"))
    y = [[60] * psecond, [20] * psecond, [24] * psecond, [30] * psecond]
    run = simulate_circuit(c, {"x": 20 * psecond, "y": y}, duration=130 * psecond, copies=4, dt=DT)
    # 40 ps apart: both pass; together or 4 ps apart: one; 10 ps apart: both
    np.testing.assert_array_equal(run.counts(out), [2, 1, 1, 2])
    # no pulse runs back into the other input's line
    np.testing.assert_array_equal(run.counts("y.drive.1"), [1, 1, 1, 1])
    np.testing.assert_array_equal(run.counts("x.drive.1"), [1, 1, 1, 1])


def test_synapse_blocks_below_and_passes_above_its_noise_free_threshold():
    outs = []

    def cell(c, d):
        return synapse(c, "s", d, cell.bias, COLD)

    for bias in (80, 84, 92, 96):
        cell.bias = bias * uamp
        c, out = _bench(cell)
        run = simulate_circuit(c, {"x": 20 * psecond}, duration=60 * psecond, dt=DT)
        outs.append(int(run.counts(out)[0]))
        # a blocked pulse leaves the synapse junction unswitched (its escape junction took it)
        assert run.counts("s.s")[0] == outs[-1]
    assert outs == [0, 0, 1, 1]


def test_synapse_switching_is_thermally_smeared_around_the_noise_free_threshold():
    """At 4.2 K the pass probability rises from ~0 to ~1 over a few uA around I50."""
    result = synapse_switching(np.array([82.0, 87.5, 93.0]) * uamp, trials=60, seed=1)
    low, mid, high = result.probability
    assert low < 0.15 and 0.2 < mid < 0.8 and high > 0.85
    assert 85 * uamp < result.fit.i50 < 90 * uamp
    # the thermal width: a few uA, the scale (kT/E_J)^(2/3) Ic ~ 1.5 uA sets (x 1 to 3)
    assert 1 * uamp < result.fit.width < 5 * uamp
    assert result.to_dict()["trials"] == 60


def test_soma_fires_at_its_threshold_and_keeps_one_fewer():
    c, out = _bench(lambda c, d: soma(c, "so", d, cells=COLD))
    inputs = [list(20 + 40 * np.arange(k)) * psecond for k in (1, 2, 4)]
    run = simulate_circuit(c, {"x": inputs}, duration=210 * psecond, copies=3, dt=DT)
    np.testing.assert_array_equal(run.counts(out), [0, 1, 3])
    # the loop stores the first fluxon: the input junction switched, the fire junction not
    assert run.counts("so.a")[0] == 1 and run.counts("so.b")[0] == 0


def _gated_oracle(sequence: str) -> int:
    """Outputs of a threshold-2 soma that keeps n - 1: ``E`` fires on a full store."""
    full, fired = False, 0
    for event in sequence:
        fired += event == "E" and full
        full = event == "E"
    return fired


def test_gated_soma_fires_on_a_full_store_and_inhibition_empties_it():
    """Every E/I sequence of up to 4 events (40 ps apart) against the counting rule."""
    c, out = _bench(lambda c, e, i: gated_soma(c, "g", e, i, COLD), inputs=("e", "i"))
    sequences = ["".join(s) for n in range(1, 5) for s in itertools.product("EI", repeat=n)]
    times = {
        kind: [np.flatnonzero(np.array(list(s)) == kind) * 40e-12 + 20e-12 for s in sequences]
        for kind in "EI"
    }
    run = simulate_circuit(
        c,
        {"e": [t * second for t in times["E"]], "i": [t * second for t in times["I"]]},
        duration=200 * psecond,
        copies=len(sequences),
        dt=0.025 * psecond,
    )
    np.testing.assert_array_equal(run.counts(out), [_gated_oracle(s) for s in sequences])
    # no pulse runs back into either input line: each line's last stage slips once per input
    np.testing.assert_array_equal(run.counts("e.drive.1"), [s.count("E") for s in sequences])
    np.testing.assert_array_equal(run.counts("i.drive.1"), [s.count("I") for s in sequences])
    assert sum(_gated_oracle(s) for s in sequences) == 17  # the oracle is not trivial


def test_soma_threshold_rises_as_the_fire_bias_falls():
    thresholds = soma_threshold(np.array([95, 75, 70, 50]) * uamp)
    np.testing.assert_array_equal(thresholds, [2, 2, 3, 0])  # 0: the loop saturates first


def test_cell_delays_shrink_with_bias_and_order_by_cell():
    delays = cell_delays(bias_fractions=(0.65, 0.8))
    for name in ("jtl", "splitter", "synapse", "soma"):
        assert delays[name][1] < delays[name][0]
    assert delays["jtl"][1] < delays["splitter"][1] < delays["synapse"][1] < delays["soma"][1]
    assert np.isnan(delays["merger"][0])  # the merger does not pass at 0.65
    # energy per pulse of one JTL stage is its bias times Phi0 (energy balance)
    stage = delays["energy"]["jtl"]
    np.testing.assert_allclose(stage, np.array([0.65, 0.8]) * 100e-6 * float(PHI0), rtol=0.1)


def test_each_pulse_carries_one_flux_quantum_within_a_few_picoseconds():
    pulses = pulse_shapes(stages=3, window=10 * psecond)
    np.testing.assert_allclose(np.asarray(pulses["area"] / PHI0), 1.0, rtol=0.01)
    # a JTL pulse: ~1.7 ps wide, its peak near Ic R (0.74 mV at 100 uA)
    assert np.all((1e-12 < pulses["fwhm"] / second) & (pulses["fwhm"] / second < 3e-12))
    assert np.all((0.5e-3 < pulses["peak"] / volt) & (pulses["peak"] / volt < 1.2e-3))


def test_cell_delays_refuse_a_bad_target_instead_of_returning_nan():
    with pytest.raises(ValueError, match="target='bogus'"):
        cell_delays((0.7,), target="bogus")


def test_junction_counts_come_from_the_netlists():
    assert jj_counts() == {
        "jtl stage": 1,
        "splitter": 3,
        "merger": 5,
        "synapse": 4,
        "soma": 5,
        "gated soma": 18,
    }


def test_cells_command_reports_json(capsys, tmp_path):
    printed = run_command(["sfq", "cells", "--trials", "20", "--json"], capsys)
    out = json.loads(printed.strip().splitlines()[-1])
    assert out["jj_counts"]["merger"] == 5
    assert all(abs(a - 1) < 0.01 for a in out["pulse_areas_phi0"])
    p = out["synapse"]["probability"]
    assert p[0] < 0.5 < p[-1]
    assert out["soma"]["threshold_fluxons"][-1] == 2


def test_cells_command_refuses_a_bad_trial_count(capsys):
    with pytest.raises(ValueError, match="--trials 0"):
        run_command(["sfq", "cells", "--trials", "0"], capsys)
