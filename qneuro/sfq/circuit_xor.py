"""The rate-coded XOR at circuit level, beside the pulse level, over the global bias.

:func:`xor_circuit` builds the network of :func:`~qneuro.sfq.xor.xor_network` from the
circuit-level cells (:mod:`.circuit_cells`): each input drives a two-stage JTL and a
splitter tree with one tap per synapse; each hidden neuron is a
:func:`~qneuro.sfq.circuit_cells.gated_soma` fed by an excitatory and an inhibitory
:func:`~qneuro.sfq.circuit_cells.synapse` (biased with the setting's currents, each followed by
a two-stage JTL buffer); the hidden outputs pass their output synapses into a merger tree,
one JTL stage and a load.

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
from .soma import Soma
from .units import check_quantity, hertz, joule, kelvin, psecond, second
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
        first, second_ = splitter(circuit, f"{name}.{k}", outputs.pop(0), cells)
        outputs += [first, second_]
        k += 1
    return outputs


def _merge(circuit: Circuit, name: str, sources: list, cells: CellParameters) -> str:
    """One node carrying the pulses of every source (a merger tree)."""
    sources = list(sources)
    k = 0
    while len(sources) > 1:
        first, second_ = sources.pop(0), sources.pop(0)
        sources.append(merger(circuit, f"{name}.{k}", first, second_, cells))
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


def _input_times(setting: XorSetting, trials: int, dt: Quantity, rng) -> dict:
    """``{"A": [times per copy], "B": [...]}`` for 4 patterns x ``trials`` copies."""
    bits = np.repeat(np.array(XOR_PATTERNS), trials, axis=0)  # (copies, 2)
    rates = np.where(bits == 1, float(setting.high_rate), float(setting.low_rate)).ravel()
    train, step = DCSFQSource(kind=setting.source_kind).pulse_steps(
        rates * hertz, setting.duration, dt, rng
    )
    times = step * float(dt / second)
    copies = bits.shape[0]
    return {
        name: [times[train == 2 * copy + s] * second for copy in range(copies)]
        for s, name in enumerate(("A", "B"))
    }


def _nominal_latency(setting, cells, dt, target) -> Quantity:
    """Noise-free delay from the second of two A pulses to the output (B silent)."""
    circuit, out = xor_circuit(setting, replace(cells, temperature=0 * kelvin))
    arrivals = np.array([1.0, 1.0 + float(_LATENCY_SPACING / psecond)]) * psecond
    run = simulate_circuit(
        circuit, {"A": arrivals}, duration=arrivals[-1] + 60 * psecond, dt=dt, target=target
    )
    fired = run.pulse_times(out)
    return (fired[0] - float(arrivals[-1] / second)) * second if fired.size else np.nan * second


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
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials={trials!r} must be an integer >= 1")
    seed = checks.seed("seed", seed, limit=2**32)
    dt = check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True)
    start = time.perf_counter()
    circuit, out = xor_circuit(setting, cells)
    inputs = _input_times(setting, trials, dt, np.random.default_rng(seed))
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
    # pulse_time is sorted: the last write per copy in reversed order is its first pulse
    first[run.pulse_copy[at_out][::-1]] = run.pulse_time[at_out][::-1]
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
        factors: the global bias factors, shape ``(m,)``.
        results: ``{level: [XorResult or None per factor]}`` for the levels
            ``"pulse"`` (the shipped pulse-level model, soma resets to zero),
            ``"pulse-decrement"`` (its soma keeps ``n - 1``, as the circuit's does) and
            ``"circuit"``; None where the circuit has no DC operating point.
        wall_time: seconds the comparison took.
    """

    factors: np.ndarray
    results: dict
    wall_time: float

    def margins(self, level: str, worst_case: bool = False) -> np.ndarray:
        """Margin per factor (NaN where the level did not run)."""
        key = "worst_case_margin" if worst_case else "margin"
        return np.array([np.nan if r is None else getattr(r, key) for r in self.results[level]])

    def to_dict(self) -> dict:
        """JSON-ready: per level and factor, the result's ``to_dict()`` (or None)."""
        return {
            "factors": [float(f) for f in self.factors],
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
    bias fraction (circuit level). The pulse level uses the shipped calibrated synapse,
    whose curve ends at the junction's Ic (100 uA): larger factors are refused.
    """
    values = np.atleast_1d(np.asarray(factors, dtype=float))
    if values.ndim != 1 or values.size < 1 or not np.all(values > 0):
        raise ValueError(f"factors={factors!r} must be positive numbers")
    if np.any(cells.bias_fraction * values >= 1):
        raise ValueError(
            f"factors up to {values.max():g} bias the junctions past Ic "
            f"(bias fraction {cells.bias_fraction}); allowed: < {1 / cells.bias_fraction:.4f}"
        )
    highest = max(
        float(b) for b in (setting.excitatory_bias, setting.inhibitory_bias, setting.output_bias)
    )
    allowed = float(xor_synapse().curve.bias_max) / highest
    if values.max() > allowed:
        raise ValueError(
            f"factor {values.max():g} moves a synapse bias past the calibrated curve's "
            f"{xor_synapse().curve.bias_max} (the junction's Ic); allowed: <= {allowed:.4f}"
        )
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
        try:
            xor_circuit(scaled, factor_cells)[0].operating_point()
        except ValueError:
            results["circuit"].append(None)
            continue
        results["circuit"].append(
            evaluate_circuit_xor(
                scaled, circuit_trials, cells=factor_cells, seed=seed, target=target
            )
        )
    return LevelComparison(values, results, time.perf_counter() - start)
