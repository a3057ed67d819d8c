"""The rate-coded XOR at circuit level, beside the pulse level, over the global bias.

:func:`xor_circuit` builds the network of :func:`~qneuro.sfq.xor.xor_network` from the
circuit-level cells (:mod:`.circuit_cells`): each input drives a two-stage JTL and a
splitter tree with one tap per synapse; each hidden neuron is a
:func:`~qneuro.sfq.circuit_cells.gated_soma` fed by an excitatory and an inhibitory
:func:`~qneuro.sfq.circuit_cells.synapse` (biased with the setting's currents, each followed by
a two-stage JTL buffer); the hidden outputs pass their output synapses into a merger tree,
one JTL stage and a load. There is no output soma: the pulse level's threshold-1 output
soma passes every pulse, so the merger's output is the XOR's output (the output soma's
10 ps refractory time and its DRO delay have no counterpart here).

The gated soma fires at its second stored fluxon and keeps one, so the pulse-level model
of this circuit is the XOR network with ``Soma(threshold=2, reset="decrement")``;
:func:`compare_levels` runs both, and the shipped pulse-level model (whose soma empties
when it fires), at each global bias factor: the factor scales every bias current at once
(the setting's synapse biases and, at circuit level, every cell's bias fraction), as one
bias supply of a chip would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Quantity

from qneuro import checks

from .cells import DCSFQSource
from .circuit import Circuit, simulate_circuit
from .circuit_cells import DEFAULT_CELLS, CellParameters, gated_soma, jtl, load, merger, splitter
from .circuit_cells import synapse as synapse_cell
from .constants import DEFAULT_DT
from .soma import Soma
from .units import check_quantity, hertz, joule, kelvin, phenry, psecond, second, uamp
from .xor import (
    DEFAULT_XOR_SETTING,
    XOR_PATTERNS,
    XorResult,
    XorSetting,
    evaluate_xor,
    xor_network,
    xor_synapse,
)

__all__ = [
    "CIRCUIT_DT",
    "xor_circuit",
    "scaled_setting",
    "evaluate_circuit_xor",
    "LEVELS",
    "LevelComparison",
    "factor_limit",
    "compare_levels",
]

#: Time step of the circuit-level XOR (a quarter of :data:`~qneuro.sfq.circuit.MAX_DT`).
CIRCUIT_DT = 0.025 * psecond
#: The levels of :func:`compare_levels`, in table order.
LEVELS = ("pulse", "pulse-decrement", "circuit")
#: Input pulse spacing of the noise-free latency run.
_LATENCY_SPACING = 40 * psecond


def _tree(circuit: Circuit, name: str, source: str, taps: int, cells: CellParameters) -> list:
    """``taps`` copies of ``source``'s pulses through a splitter tree (breadth first)."""
    outputs = [source]
    k = 0
    while len(outputs) < taps:
        left, right = splitter(circuit, f"{name}.{k}", outputs.pop(0), cells)
        outputs += [left, right]
        k += 1
    return outputs


def _merge(circuit: Circuit, name: str, sources: list, cells: CellParameters) -> str:
    """One node carrying the pulses of every source (a merger tree)."""
    sources = list(sources)
    k = 0
    while len(sources) > 1:
        left, right = sources.pop(0), sources.pop(0)
        sources.append(merger(circuit, f"{name}.{k}", left, right, cells))
        k += 1
    return sources[0]


def _synapse(circuit: Circuit, name: str, source: str, bias, cells: CellParameters) -> str:
    """A synapse cell and its two-stage JTL buffer; returns the buffer's last node.

    The buffer keeps the synapse's threshold where its characterisation measured it
    (noise-free threshold 88 uA into a load, 89 uA behind the buffer; 99 uA straight into
    a splitter, whose large input junction slows the synapse junction's switch).
    """
    out = synapse_cell(circuit, name, source, bias, cells)
    return jtl(circuit, f"{name}.buffer", out, 2, cells)


def xor_circuit(
    setting: XorSetting = DEFAULT_XOR_SETTING, cells: CellParameters = DEFAULT_CELLS
) -> tuple[Circuit, str]:
    """The XOR network of ``setting`` at circuit level: ``(circuit, output node)``.

    Inputs ``"A"`` and ``"B"``; hidden pair ``j`` has neurons ``h{j}a`` (A and not B) and
    ``h{j}b`` (B and not A). The synapse biases are the setting's currents, applied to the
    circuit-level synapse cell (whose own p(Ib) curve, not the calibration file's, sets
    the pass probabilities). Only ``hidden_threshold = 2`` exists at circuit level (the
    gated soma's).
    """
    if setting.hidden_threshold != 2:
        raise ValueError(
            f"hidden_threshold={setting.hidden_threshold}: the circuit-level XOR has the "
            "gated soma's threshold only; allowed: 2"
        )
    k = int(setting.hidden_pairs)
    c = Circuit()
    taps = {}
    for name in ("A", "B"):
        c.input(name)
        taps[name] = _tree(c, f"{name}.tree", jtl(c, f"{name}.line", name, 2, cells), 2 * k, cells)
    hidden = []
    for j in range(k):
        for neuron, (excite, inhibit) in (("a", ("A", "B")), ("b", ("B", "A"))):
            h = f"h{j}{neuron}"
            exc = _synapse(c, f"{h}.exc", taps[excite].pop(), setting.excitatory_bias, cells)
            inh = _synapse(c, f"{h}.inh", taps[inhibit].pop(), setting.inhibitory_bias, cells)
            out = gated_soma(c, h, exc, inh, cells)
            hidden.append(_synapse(c, f"{h}.syn", out, setting.output_bias, cells))
    out = jtl(c, "out", _merge(c, "merge", hidden, cells), 1, cells)
    load(c, out, cells)
    return c, out


def scaled_setting(setting: XorSetting, factor: float) -> XorSetting:
    """``setting`` with its three synapse bias currents multiplied by ``factor`` (> 0)."""
    factor = checks.real("factor", factor, 0, above=True)
    return replace(
        setting,
        excitatory_bias=setting.excitatory_bias * factor,
        inhibitory_bias=setting.inhibitory_bias * factor,
        output_bias=setting.output_bias * factor,
    )


def _input_times(setting: XorSetting, trials: int, rng) -> dict:
    """``{"A": [times per copy], "B": [...]}`` for 4 patterns x ``trials`` copies.

    The trains are the pulse level's (:class:`~qneuro.sfq.cells.DCSFQSource` on its
    1 ps grid, :data:`~qneuro.sfq.constants.DEFAULT_DT`).
    """
    bits = np.repeat(np.array(XOR_PATTERNS), trials, axis=0)  # (copies, 2)
    rates = np.where(bits == 1, float(setting.high_rate), float(setting.low_rate)).ravel()
    train, step = DCSFQSource(kind=setting.source_kind).pulse_steps(
        rates * hertz, setting.duration, DEFAULT_DT, rng
    )
    order = np.argsort(train, kind="stable")
    ends = np.cumsum(np.bincount(train, minlength=rates.size))[:-1]
    times = np.split(step[order] * float(DEFAULT_DT / second), ends)
    return {
        name: [times[2 * copy + s] * second for copy in range(bits.shape[0])]
        for s, name in enumerate(("A", "B"))
    }


def _nominal_latency(setting, cells, dt, target) -> Quantity:
    """Noise-free delay from the second of two A pulses to the output (B silent)."""
    circuit, out = xor_circuit(setting, replace(cells, temperature=0 * kelvin))
    arrivals = np.array([1.0, 1.0 + float(_LATENCY_SPACING / psecond)]) * psecond
    run = simulate_circuit(
        circuit, {"A": arrivals}, duration=arrivals[-1] + 60 * psecond, dt=dt, target=target
    )
    second_pulse = float(arrivals[-1] / second)
    fired = run.pulse_times(out)
    fired = fired[fired > second_pulse]
    return (fired[0] - second_pulse) * second if fired.size else np.nan * second


def evaluate_circuit_xor(
    setting: XorSetting = DEFAULT_XOR_SETTING,
    trials: int = 10,
    *,
    cells: CellParameters = DEFAULT_CELLS,
    seed: int = 0,
    dt: Quantity = CIRCUIT_DT,
    target: str = "numpy",
) -> XorResult:
    """``trials`` trials of each pattern of the circuit-level XOR, in one brian2 run.

    Inputs as at pulse level (``setting.source_kind`` trains at ``low_rate`` /
    ``high_rate``, drawn with ``seed``), thermal noise at ``cells.temperature``. Returns
    the pulse level's :class:`~qneuro.sfq.xor.XorResult`: output rates (output slips per
    window), margins, single-trial accuracy; ``energy_per_inference`` is what every shunt
    and load dissipates in one trial (``int V^2/R dt``); ``nominal_latency`` is the
    noise-free delay of the second of two A pulses to the output; ``simulation`` is the
    :class:`~qneuro.sfq.circuit.CircuitRun`.
    """
    trials = checks.integer("trials", trials, 1)
    seed = checks.seed("seed", seed, limit=2**32)
    dt = check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True)
    start = time.perf_counter()
    circuit, out = xor_circuit(setting, cells)
    inputs = _input_times(setting, trials, np.random.default_rng(seed))
    run = simulate_circuit(
        circuit,
        inputs,
        duration=setting.duration,
        copies=4 * trials,
        dt=dt,
        seed=seed,
        target=target,
    )
    at_out = run.pulse_node == run.nodes.index(out)
    counts = np.bincount(run.pulse_copy[at_out], minlength=4 * trials)
    first = np.full(4 * trials, np.nan)
    fired, index = np.unique(run.pulse_copy[at_out], return_index=True)  # times are sorted
    first[fired] = run.pulse_time[at_out][index]
    return XorResult.from_trials(
        setting,
        rates=(counts / float(setting.duration / second) / 1e9).reshape(4, trials),
        first_pulse=first.reshape(4, trials),
        energy=float(np.mean(run.energy.sum(axis=1))) * joule,
        jj_count=circuit.jj_count,
        nominal_latency=_nominal_latency(setting, cells, dt, target),
        wall_time=time.perf_counter() - start,
        simulation=run,
    )


@dataclass(frozen=True, eq=False)
class LevelComparison:
    """Result of :func:`compare_levels`: XOR results per global bias factor and level.

    Attributes:
        setting: the XOR setting at factor 1.
        cells: the circuit-level cell parameters at factor 1.
        factors: the global bias factors, shape ``(m,)``.
        pulse_trials, circuit_trials: trials per pattern at each level.
        seed: the seed of every run.
        results: ``{level: [XorResult or None per factor]}`` for the levels
            ``"pulse"`` (the shipped pulse-level model, soma resets to zero),
            ``"pulse-decrement"`` (its soma keeps ``n - 1``, as the circuit's does) and
            ``"circuit"``; None where the circuit has no DC operating point.
        wall_time: seconds the comparison took.
    """

    setting: XorSetting
    cells: CellParameters
    factors: np.ndarray
    pulse_trials: int
    circuit_trials: int
    seed: int
    results: dict
    wall_time: float

    def margins(self, level: str, worst_case: bool = False) -> np.ndarray:
        """Margin per factor (NaN where the level did not run)."""
        key = "worst_case_margin" if worst_case else "margin"
        return np.array([np.nan if r is None else getattr(r, key) for r in self.results[level]])

    def to_dict(self) -> dict:
        """JSON-ready: the run's settings, then each level's results per factor.

        A result is its ``to_dict()`` without the setting; None where it did not run.
        """
        return {
            "setting": self.setting.to_dict(),
            "cells": {
                "ic_ua": float(self.cells.ic / uamp),
                "bias_fraction": self.cells.bias_fraction,
                "inductance_ph": float(self.cells.inductance / phenry),
                "temperature_k": float(self.cells.temperature / kelvin),
            },
            "factors": [float(f) for f in self.factors],
            "pulse_trials": self.pulse_trials,
            "circuit_trials": self.circuit_trials,
            "seed": self.seed,
            "levels": {
                level: [None if r is None else _summary(r) for r in results]
                for level, results in self.results.items()
            },
            "wall_time_s": round(self.wall_time, 3),
        }


def _summary(result: XorResult) -> dict:
    out = result.to_dict()
    out.pop("setting")
    return out


def factor_limit(setting: XorSetting, cells: CellParameters = DEFAULT_CELLS) -> float:
    """The largest global bias factor :func:`compare_levels` accepts for ``setting``.

    The smaller of: the factor at which the largest synapse bias reaches the end of the
    calibrated curve (the junction's Ic, 100 uA), and the one at which the cells' bias
    fraction reaches 1.
    """
    highest = max(
        float(b) for b in (setting.excitatory_bias, setting.inhibitory_bias, setting.output_bias)
    )
    return min(float(xor_synapse().curve.bias_max) / highest, 1 / cells.bias_fraction)


def compare_levels(
    setting: XorSetting = DEFAULT_XOR_SETTING,
    factors=(1.0,),
    *,
    pulse_trials: int = 200,
    circuit_trials: int = 10,
    cells: CellParameters = DEFAULT_CELLS,
    seed: int = 0,
    target: str = "numpy",
    progress: bool = False,
) -> LevelComparison:
    """The XOR at pulse and circuit level at each global bias factor (module docstring).

    Factor ``f`` multiplies the setting's synapse biases (both levels) and the cells'
    bias fraction (circuit level); factors above :func:`factor_limit` are refused. The
    pulse level uses the shipped calibrated synapse.
    """
    values = np.asarray(factors, dtype=float)
    if values.ndim != 1 or values.size < 1 or not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"factors={factors!r}; allowed: a 1-D list of positive numbers")
    limit = factor_limit(setting, cells)
    if values.max() > limit:
        raise ValueError(
            f"factor {values.max():g} biases a synapse past the calibrated curve or a junction "
            f"past Ic; allowed: <= {limit:.4f}"
        )
    xor_circuit(setting, cells)  # refuses a setting the circuit level cannot build
    pulse_trials = checks.integer("pulse_trials", pulse_trials, 1)
    circuit_trials = checks.integer("circuit_trials", circuit_trials, 1)
    start = time.perf_counter()
    results = {level: [] for level in LEVELS}
    from tqdm.auto import tqdm

    for factor in tqdm(values, desc="global bias", disable=not progress):
        scaled = scaled_setting(setting, float(factor))
        results["pulse"].append(evaluate_xor(scaled, pulse_trials, seed=seed, target=target))
        keeps = Soma(threshold=scaled.hidden_threshold, reset="decrement")
        decrement = xor_network(scaled, hidden_soma=keeps)
        results["pulse-decrement"].append(
            evaluate_xor(scaled, pulse_trials, spec=decrement, seed=seed, target=target)
        )
        factor_cells = replace(cells, bias_fraction=cells.bias_fraction * float(factor))
        circuit, _ = xor_circuit(scaled, factor_cells)
        try:
            circuit.operating_point()
        except ValueError:
            results["circuit"].append(None)
            continue
        results["circuit"].append(
            evaluate_circuit_xor(
                scaled, circuit_trials, cells=factor_cells, seed=seed, target=target
            )
        )
    return LevelComparison(
        setting=setting,
        cells=cells,
        factors=values,
        pulse_trials=pulse_trials,
        circuit_trials=circuit_trials,
        seed=seed,
        results=results,
        wall_time=time.perf_counter() - start,
    )
