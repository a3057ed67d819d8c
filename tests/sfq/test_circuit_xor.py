"""The XOR at circuit level and its comparison with the pulse level (qneuro.sfq.circuit_xor)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qneuro.sfq import Soma
from qneuro.sfq.circuit import Circuit, simulate_circuit
from qneuro.sfq.circuit_cells import CellParameters, gated_soma, jtl, load, splitter, synapse
from qneuro.sfq.circuit_xor import (
    compare_levels,
    evaluate_circuit_xor,
    factor_limit,
    scaled_setting,
    xor_circuit,
)
from qneuro.sfq.network import simulate
from qneuro.sfq.units import joule, kelvin, psecond, second
from qneuro.sfq.xor import DEFAULT_XOR_SETTING, xor_network

from .helpers import run_command

COLD = CellParameters(temperature=0 * kelvin)
SHORT = replace(DEFAULT_XOR_SETTING, duration=400 * psecond)

# input pulses (ps) per copy: A alone, B alone, interleaved, A with one B, one each
TRAINS = [
    (10 + 50 * np.arange(7), []),
    ([], 10 + 50 * np.arange(7)),
    (10 + 50 * np.arange(7), 35 + 50 * np.arange(7)),
    (10 + 50 * np.arange(7), [130]),
    ([10], [200]),
]


def test_circuit_xor_counts_what_the_pulse_level_model_of_its_neuron_counts():
    """Same input pulses, noise off: output pulses equal the pulse-level network's whose
    hidden soma keeps n - 1 (the circuit's neuron), on trains without near-coincidences."""
    circuit, out = xor_circuit(SHORT, COLD)
    run = simulate_circuit(
        circuit,
        {
            name: [np.asarray(t[k], dtype=float) * psecond for t in TRAINS]
            for k, name in enumerate("AB")
        },
        duration=SHORT.duration,
        copies=len(TRAINS),
        dt=0.025 * psecond,
    )
    spec = xor_network(SHORT, hidden_soma=Soma(threshold=2, reset="decrement"))
    pulses = np.array(
        [(c, k, int(t)) for c, train in enumerate(TRAINS) for k in (0, 1) for t in train[k]]
    )
    oracle = simulate(
        spec,
        input_steps=tuple(pulses.T),
        copies=len(TRAINS),
        duration=SHORT.duration,
        seed=0,
    )
    expected = oracle.counts[-1][:, 0]
    np.testing.assert_array_equal(expected, [6, 6, 0, 5, 0])  # the oracle itself
    np.testing.assert_array_equal(run.counts(out), expected)


def test_evaluate_circuit_xor_returns_a_pulse_level_result():
    result = evaluate_circuit_xor(SHORT, trials=2, cells=COLD, seed=3)
    run = result.simulation
    counts = run.counts("out.0").reshape(4, 2)
    np.testing.assert_allclose(result.rates, counts / 0.4)  # GHz over the 400 ps window
    # class 1 fires at nearly the input rate; 00 never (a (1, 1) trial can fail: the
    # neuron's read-refill window, see gated_soma)
    assert np.all(result.rates[1:3] > 10) and np.all(result.rates[0] == 0)
    assert result.jj_count == xor_circuit(SHORT, COLD)[0].jj_count == 89
    # the noise-free path: 2 JTL stages, a splitter, synapse, buffer, neuron, synapse,
    # buffer, merger: tens of picoseconds
    assert 20e-12 < float(result.nominal_latency / second) < 60e-12
    assert float(result.latency / second) > float(result.nominal_latency / second)
    assert 1e-17 < float(result.energy_per_inference / joule) < 1e-15
    assert json.loads(json.dumps(result.to_dict()))["jj_count"] == 89


def test_circuit_xor_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match="hidden_threshold=3.*allowed: 2"):
        xor_circuit(replace(SHORT, hidden_threshold=3))
    with pytest.raises(ValueError, match="hidden_threshold=3.*allowed: 2"):
        compare_levels(replace(SHORT, hidden_threshold=3))  # not reported as "no DC point"
    with pytest.raises(ValueError, match="trials=0; allowed: an integer >= 1"):
        evaluate_circuit_xor(SHORT, trials=0)
    with pytest.raises(ValueError, match="factor=0.0; allowed: a finite number > 0"):
        scaled_setting(SHORT, 0.0)
    # the inhibitory synapse's 96.512 uA reaches the curve's end (100 uA) at 1.0361
    assert factor_limit(SHORT) == pytest.approx(100 / 96.512)
    with pytest.raises(ValueError, match=r"factor 1\.04 biases a synapse.*allowed: <= 1\.0361"):
        compare_levels(SHORT, factors=(1.0, 1.04))
    # at a bias fraction of 0.99 the junctions reach Ic first
    assert factor_limit(SHORT, CellParameters(bias_fraction=0.99)) == pytest.approx(1 / 0.99)
    with pytest.raises(ValueError, match="a 1-D list of positive numbers"):
        compare_levels(SHORT, factors=[[1.0]])


def test_a_circuit_without_a_dc_operating_point_is_reported_not_run():
    cells = CellParameters(bias_fraction=0.96)  # the netlist has no DC solution
    result = compare_levels(SHORT, (1.0,), pulse_trials=5, circuit_trials=1, cells=cells)
    assert result.results["circuit"] == [None]
    assert np.isnan(result.margins("circuit")[0]) and result.margins("pulse")[0] > 0.5
    assert json.loads(json.dumps(result.to_dict()))["levels"]["circuit"] == [None]


def test_more_hidden_pairs_build_a_wider_circuit():
    one = xor_circuit(SHORT)[0]
    two = xor_circuit(replace(SHORT, hidden_pairs=2))[0]
    # two more splitters per input, twice the hidden neurons with their synapses and
    # buffers, two more mergers
    assert two.jj_count - one.jj_count == 2 * 2 * 3 + 2 * (18 + 3 * 6) + 2 * 5


def test_scaled_setting_multiplies_the_three_synapse_biases():
    scaled = scaled_setting(SHORT, 0.9)
    assert float(scaled.excitatory_bias) == pytest.approx(0.9 * float(SHORT.excitatory_bias))
    assert float(scaled.output_bias) == pytest.approx(0.9 * float(SHORT.output_bias))
    assert scaled.hidden_threshold == SHORT.hidden_threshold


def test_levels_command_reports_every_level_per_factor(capsys, tmp_path):
    printed = run_command(
        [
            "sfq",
            "levels",
            "--factors",
            "1.0",
            "--pulse-trials",
            "20",
            "--circuit-trials",
            "1",
            "--duration",
            "300",
            "--plot",
            str(tmp_path / "levels.png"),
            "--json",
        ],
        capsys,
    )
    out = json.loads(printed.strip().splitlines()[-1])
    assert out["factors"] == [1.0]
    assert set(out["levels"]) == {"pulse", "pulse-decrement", "circuit"}
    for level in ("pulse", "pulse-decrement"):
        assert [row["output"] for row in out["levels"][level][0]["truth_table"]] == [0, 1, 1, 0]
    circuit = out["levels"]["circuit"][0]["truth_table"]
    assert [row["output"] for row in circuit[:3]] == [0, 1, 1]
    # the decrementing soma fires on nearly every excitatory pulse, the shipped one on
    # every second: the levels really differ
    rate = {
        level: out["levels"][level][0]["truth_table"][1]["rate_ghz"]
        for level in ("pulse", "pulse-decrement")
    }
    assert rate["pulse-decrement"] > 1.5 * rate["pulse"]
    assert out["circuit_trials"] == 1 and out["cells"]["temperature_k"] == 4.2
    assert out["setting"]["duration_ps"] == 300
    assert (tmp_path / "levels.png").stat().st_size > 0


def test_the_setting_biases_are_the_circuit_synapse_biases():
    circuit, _ = xor_circuit(SHORT)
    assert circuit.biases["h0a.exc.s"] == pytest.approx(float(SHORT.excitatory_bias))
    assert circuit.biases["h0a.inh.s"] == pytest.approx(float(SHORT.inhibitory_bias))
    assert circuit.biases["h0a.syn.s"] == pytest.approx(float(SHORT.output_bias))


def _line(c, name, bias, buffered=True):
    """Input ``name`` -> 2-stage JTL -> synapse at ``bias`` (-> 2-stage buffer)."""
    c.input(name)
    out = synapse(c, f"{name}.syn", jtl(c, f"{name}.drive", name, 2, COLD), bias, COLD)
    return jtl(c, f"{name}.buffer", out, 2, COLD) if buffered else out


def test_a_synapse_needs_its_buffer_in_front_of_a_splitter():
    """Noise off, at the XOR's excitatory bias: behind two JTL stages the synapse passes
    into a splitter; straight into it, the synapse junction does not switch."""
    passed = []
    for buffered in (True, False):
        c = Circuit()
        left, right = splitter(c, "split", _line(c, "x", SHORT.excitatory_bias, buffered), COLD)
        load(c, left, COLD)
        load(c, right, COLD)
        run = simulate_circuit(c, {"x": 10 * psecond}, duration=60 * psecond, dt=0.025 * psecond)
        passed.append(int(run.counts("x.syn.s")[0]))
    assert passed == [1, 0]


def test_an_inhibitory_pulse_inside_the_read_refill_window_is_lost():
    """E at 20 and 70 ps, I at 70 + d, E at 120 (noise off): the counting rule gives one
    output for every d. An I that reaches the neuron while the second E is reading and
    refilling the store (d = 7 ps) is lost, so the third E fires as well."""
    c = Circuit()
    exc = _line(c, "e", SHORT.excitatory_bias)
    inh = _line(c, "i", SHORT.inhibitory_bias)
    load(c, gated_soma(c, "n", exc, inh, COLD), COLD)
    offsets = [-5, 0, 3, 7, 12]
    run = simulate_circuit(
        c,
        {
            "e": [20, 70, 120] * psecond,
            "i": [np.array([70.0 + d]) * psecond for d in offsets],
        },
        duration=170 * psecond,
        copies=len(offsets),
        dt=0.025 * psecond,
    )
    np.testing.assert_array_equal(run.counts("n.out"), [1, 1, 1, 2, 1])


def test_low_global_bias_stops_the_synapses_then_the_merger():
    """Noise off, four A pulses: at factor 0.94 the excitatory synapse junction never
    switches; at 0.96 the synapses pass and the neuron fires but the merger blocks; at
    1.0 the output fires on every pulse after the first."""
    counts = {}
    for factor in (0.94, 0.96, 1.0):
        cells = CellParameters(temperature=0 * kelvin, bias_fraction=0.7 * factor)
        circuit, out = xor_circuit(scaled_setting(SHORT, factor), cells)
        run = simulate_circuit(
            circuit,
            {"A": (10 + 50 * np.arange(4)) * psecond},
            duration=250 * psecond,
            dt=0.025 * psecond,
        )
        counts[factor] = [int(run.counts(n)[0]) for n in ("h0a.exc.s", "h0a.out", out)]
    assert counts == {0.94: [0, 0, 0], 0.96: [4, 3, 0], 1.0: [4, 3, 3]}
