"""The XOR at circuit level and its comparison with the pulse level (qneuro.sfq.circuit_xor)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qneuro.sfq import Soma
from qneuro.sfq.circuit import simulate_circuit
from qneuro.sfq.circuit_cells import CellParameters
from qneuro.sfq.circuit_xor import (
    compare_levels,
    evaluate_circuit_xor,
    scaled_setting,
    xor_circuit,
)
from qneuro.sfq.network import simulate
from qneuro.sfq.units import joule, kelvin, psecond, second, uamp
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
        duration=600 * psecond,
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
    with pytest.raises(ValueError, match="trials=0"):
        evaluate_circuit_xor(SHORT, trials=0)
    with pytest.raises(ValueError, match="factor"):
        scaled_setting(SHORT, 0.0)
    with pytest.raises(ValueError, match=r"factor 1\.04 moves a synapse bias.*allowed: <= 1\.036"):
        compare_levels(SHORT, factors=(1.0, 1.04))


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


def test_levels_command_reports_every_level_per_factor(capsys):
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


def test_synapse_biases_in_uamp_are_what_the_circuit_uses():
    circuit, _ = xor_circuit(SHORT)
    assert circuit.biases["h0a.exc.s"] == pytest.approx(float(SHORT.excitatory_bias))
    assert circuit.biases["h0a.inh.s"] == pytest.approx(float(SHORT.inhibitory_bias))
    assert circuit.biases["h0a.syn.s"] == pytest.approx(float(95.074 * uamp))
