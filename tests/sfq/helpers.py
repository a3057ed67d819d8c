"""Small networks with explicit input pulses, for timing tests."""

from __future__ import annotations

import numpy as np

from qneuro.sfq import NetworkSpec, Projection, Soma, simulate
from qneuro.sfq.units import psecond, uamp

#: A bias at which the default tanh curve passes every pulse (p rounds to 1.0).
SURE = 200 * uamp


def chain(soma: Soma, n_inputs: int = 1) -> NetworkSpec:
    """``n_inputs`` inputs, all excitatory into one soma through p = 1 synapses."""
    bias = np.full((n_inputs, 1), float(SURE / uamp)) * uamp
    return NetworkSpec((n_inputs, 1), (Projection(bias, np.ones((n_inputs, 1), int)),), somas=soma)


def run_pulses(spec, pulses, duration_ps=600, copies=1, **kwargs):
    """``pulses``: list of (copy, input, step)."""
    pulses = np.asarray(pulses, dtype=np.int64).reshape(-1, 3)
    return simulate(
        spec,
        input_steps=(pulses[:, 0], pulses[:, 1], pulses[:, 2]),
        copies=copies,
        duration=duration_ps * psecond,
        record=True,
        **kwargs,
    )


def arrival_offset_steps(spec) -> int:
    """Steps from an input pulse to its arrival at a first-layer soma (no merger)."""
    total = float(spec.source.delay + spec.jtl.delay + spec.synapse.delay)
    return int(round(total / 1e-12))


def output_times_ps(sim, layer=1, copy=0):
    copies, _, times = sim.spikes[layer]
    return np.round(np.asarray(times[copies == copy] / psecond)).astype(int)


def run_command(argv, capsys) -> str:
    """Run ``qneuro <argv>`` through the SFQ command parser; returns what it printed."""
    import argparse

    from qneuro.sfq.cli import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)
    return capsys.readouterr().out
