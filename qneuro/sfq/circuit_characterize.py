"""Characterisation of the circuit-level cells (:mod:`.circuit_cells`).

* :func:`cell_delays`: each cell's delay against the global bias fraction (noise off),
  from the forward 2pi slip of the node that drives the cell to the slip of the cell's
  output node;
* :func:`pulse_shapes`: area (``int V dt`` within 10 ps of the slip; ``Phi0`` for a
  complete, localised pulse), peak voltage and width of the pulse at each JTL stage;
* :func:`synapse_switching`: Monte-Carlo pass probability of the synapse cell against its
  bias current at a temperature, with its 99% intervals and an erf fit
  (:func:`~qneuro.sfq.calibration.fit_switching_curve`);
* :func:`soma_threshold`: input fluxons before the soma's first output, against its fire
  bias;
* :func:`characterize_cells`: all of them, for ``qneuro sfq cells``.

Each point is one :func:`~qneuro.sfq.circuit.simulate_circuit` run; the synapse's bias
points are separate sub-circuits of one netlist, so its whole curve is one run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Quantity

from qneuro import checks

from .circuit import Circuit, simulate_circuit
from .circuit_cells import (
    DEFAULT_CELLS,
    CellParameters,
    gated_soma,
    jtl,
    load,
    merger,
    soma,
    splitter,
    synapse,
)
from .codegen import code_object_class
from .constants import PHI0
from .junction import JUNCTION_DT
from .measures import binomial_ci
from .units import amp, check_quantity, kelvin, psecond, second, uamp, volt, weber

__all__ = [
    "CELL_NAMES",
    "cell_delays",
    "pulse_shapes",
    "SynapseSwitching",
    "synapse_switching",
    "soma_threshold",
    "jj_counts",
    "CellCharacterization",
    "characterize_cells",
]

#: Cells whose delay :func:`cell_delays` measures.
CELL_NAMES = ("jtl", "splitter", "merger", "synapse", "soma")
#: Time of the first input pulse, and the spacing of the soma's input pulses.
_T_IN = 20 * psecond
_SPACING = 40 * psecond
#: Synapse bias at which every pulse passes with the noise off (the measured noise-free
#: threshold is about 87 uA at the default parameters; see :func:`synapse_switching`).
_SURE_SYNAPSE_BIAS = 95 * uamp


def _delay_circuit(cells: CellParameters) -> tuple[Circuit, dict]:
    """One netlist with a test bench per cell: ``(circuit, {cell: (from, to)})``.

    Each cell ``x`` is driven from input ``x.src`` through a 2-stage JTL ``x.drive``
    and its outputs end in loads (``*.load``); the JTL bench is a 4-stage line.
    """
    c = Circuit()
    probes = {}
    for name in CELL_NAMES:
        c.input(f"{name}.src")
    # JTL: the delay of one stage, from stage 1 to stage 3 of a 4-stage line, halved
    load(c, jtl(c, "jtl", "jtl.src", stages=4, cells=cells), cells)
    probes["jtl"] = ("jtl.1", "jtl.3")
    drive = {name: jtl(c, f"{name}.drive", f"{name}.src", 2, cells) for name in CELL_NAMES[1:]}
    a, b = splitter(c, "splitter", drive["splitter"], cells)
    for output in (a, b):
        load(c, output, cells)
    probes["splitter"] = (drive["splitter"], a)
    c.input("merger.idle")
    idle = jtl(c, "merger.idle.drive", "merger.idle", 2, cells)
    load(c, merger(c, "merger", drive["merger"], idle, cells), cells)
    probes["merger"] = (drive["merger"], "merger.out")
    load(c, synapse(c, "synapse", drive["synapse"], _SURE_SYNAPSE_BIAS, cells), cells)
    probes["synapse"] = (drive["synapse"], "synapse.out")
    load(c, soma(c, "soma", drive["soma"], cells=cells), cells)
    probes["soma"] = (drive["soma"], "soma.out")
    return c, probes


def _cell_nodes(circuit: Circuit, name: str) -> list[str]:
    """The nodes of cell ``name``'s own junctions (no drive line, no load)."""
    if name == "jtl":
        return ["jtl.1"]  # one stage
    return [
        n
        for n in circuit.nodes
        if n.startswith(f"{name}.")
        and ".drive" not in n
        and ".idle" not in n
        and not n.endswith(".load")
    ]


def cell_delays(
    bias_fractions=(0.6, 0.65, 0.7, 0.75, 0.8),
    cells: CellParameters = DEFAULT_CELLS,
    dt: Quantity = 0.02 * psecond,
    target: str = "numpy",
) -> dict:
    """Delay and energy per pulse of each cell against the global bias fraction, noise off.

    Every bias of every cell scales with ``bias_fraction`` (the soma's fire bias and the
    synapse's weight bias stay fixed: they set its threshold and its pass probability).
    The soma gets two input pulses ``40 ps`` apart; its delay is counted from the second
    (the one that reaches its threshold of two). The energy is what the cell's own
    junctions dissipate over the run, per input pulse (the soma: over both input pulses).

    Returns:
        ``{"bias_fraction": array (m,), cell: delays (m,) in seconds,
        "energy": {cell: joules (m,)}}``; NaN where the cell did not pass the pulse.
    """
    fractions = np.asarray(bias_fractions, dtype=float)
    if fractions.ndim != 1 or fractions.size < 1 or np.any((fractions <= 0) | (fractions >= 1)):
        raise ValueError(f"bias_fractions={bias_fractions!r} must be values in (0, 1)")
    code_object_class(target)  # refuse a bad target before any run
    check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True)
    out = {
        "bias_fraction": fractions,
        **{name: np.full(fractions.size, np.nan) for name in CELL_NAMES},
    }
    out["energy"] = {name: np.full(fractions.size, np.nan) for name in CELL_NAMES}
    cold = replace(cells, temperature=0 * kelvin)
    for k, fraction in enumerate(fractions):
        circuit, probes = _delay_circuit(replace(cold, bias_fraction=float(fraction)))
        times = {f"{name}.src": _T_IN for name in CELL_NAMES}
        times["soma.src"] = np.array([float(_T_IN), float(_T_IN + _SPACING)]) * second
        try:
            circuit.operating_point()
        except ValueError:
            continue  # no DC operating point at this bias
        run = simulate_circuit(
            circuit, times, duration=_T_IN + _SPACING + 60 * psecond, dt=dt, target=target
        )
        for name, (start, end) in probes.items():
            t0, t1 = run.pulse_times(start), run.pulse_times(end)
            if name == "soma":
                t0 = t0[1:]
            if t0.size and t1.size:
                out[name][k] = (t1[0] - t0[0]) / (2 if name == "jtl" else 1)
                out["energy"][name][k] = run.energy_of(_cell_nodes(circuit, name))[0]
    return out


def pulse_shapes(
    cells: CellParameters = DEFAULT_CELLS,
    stages: int = 4,
    dt: Quantity = 0.02 * psecond,
    window: Quantity = 10 * psecond,
    target: str = "numpy",
) -> dict:
    """The voltage pulse at each stage of a ``stages``-stage JTL carrying one pulse.

    Returns ``{"area": weber, "peak": volt, "fwhm": second}``, arrays of shape
    ``(stages,)``: ``int V dt`` within ``window`` on either side of the stage's slip
    (``V = (Phi0/2pi) dphi/dt``; ``Phi0`` for a complete pulse that is over within the
    window), the peak voltage and the full width at half maximum. Noise off.
    """
    cold = replace(cells, temperature=0 * kelvin)
    c = Circuit().input("src")
    load(c, jtl(c, "jtl", "src", stages=stages, cells=cold), cold)
    nodes = tuple(f"jtl.{k}" for k in range(stages))
    run = simulate_circuit(
        c, {"src": _T_IN}, duration=_T_IN + 60 * psecond, dt=dt, record=nodes, target=target
    )
    t = run.trace_times
    half = float(window / second)
    area, peak, fwhm = (np.full(stages, np.nan) for _ in range(3))
    for k, node in enumerate(nodes):
        slips = run.pulse_times(node)
        if slips.size != 1:
            continue
        inside = (t >= slips[0] - half) & (t <= slips[0] + half)
        voltage = np.gradient(run.traces[node][0], t) * float(PHI0) / (2 * np.pi)
        area[k] = np.trapezoid(voltage[inside], t[inside])
        peak[k] = voltage[inside].max()
        above = t[inside][voltage[inside] >= peak[k] / 2]
        fwhm[k] = above[-1] - above[0]
    return {"area": area * weber, "peak": peak * volt, "fwhm": fwhm * second}


def _benches(values: np.ndarray, cell, cells: CellParameters) -> tuple[Circuit, list[str]]:
    """One test bench per value in one netlist: ``(circuit, output node per value)``.

    Bench ``k``: input ``src{k}``, a 2-stage JTL, ``cell(circuit, k, drive, value)``, a load.
    """
    c = Circuit()
    outputs = []
    for k, value in enumerate(values):
        c.input(f"src{k}")
        out = cell(c, k, jtl(c, f"in{k}", f"src{k}", stages=2, cells=cells), value)
        load(c, out, cells)
        outputs.append(out)
    return c, outputs


@dataclass(frozen=True, eq=False)
class SynapseSwitching:
    """Result of :func:`synapse_switching`.

    Attributes:
        biases: bias currents (amp), shape ``(m,)``.
        passed: pulses that reached the synapse's output, per bias.
        trials: trials per bias.
        probability, ci_low, ci_high: pass fraction and its 99% interval.
        fit: the erf fit (:class:`~qneuro.sfq.calibration.CurveFit`).
        temperature: of the junctions (kelvin).
        wall_time: seconds.
    """

    biases: Quantity
    passed: np.ndarray
    trials: int
    probability: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    fit: object
    temperature: Quantity
    wall_time: float

    def to_dict(self) -> dict:
        """JSON-ready values in uA and K."""
        return {
            "biases_ua": [round(float(b), 6) for b in np.asarray(self.biases / uamp)],
            "passed": [int(p) for p in self.passed],
            "trials": self.trials,
            "probability": [float(p) for p in self.probability],
            "temperature_k": float(self.temperature / kelvin),
            "fit": {
                "family": self.fit.family,
                "i50_ua": float(self.fit.i50 / uamp),
                "i50_se_ua": float(self.fit.i50_se / uamp),
                "width_ua": float(self.fit.width / uamp),
                "width_se_ua": float(self.fit.width_se / uamp),
            },
            "wall_time_s": round(self.wall_time, 3),
        }


def synapse_switching(
    biases: Quantity,
    trials: int = 200,
    cells: CellParameters = DEFAULT_CELLS,
    temperature: Quantity = 4.2 * kelvin,
    seed: int = 0,
    dt: Quantity = JUNCTION_DT,
    target: str = "numpy",
) -> SynapseSwitching:
    """Pass probability of the synapse cell per bias current, from ``trials`` noisy runs.

    One netlist holds a synapse test bench (source, two JTL stages, synapse, load) per
    bias; ``trials`` copies of it run together. A trial passes when the synapse's output
    junction slips.
    """
    from .calibration import fit_switching_curve

    values = np.atleast_1d(np.asarray(check_quantity(biases, uamp, "biases", allow_array=True)))
    if values.ndim != 1 or values.size < 2:
        raise ValueError("biases must hold at least two currents")
    trials = checks.integer("trials", trials, 1, 100_000)
    warm = replace(cells, temperature=temperature)
    c, outputs = _benches(
        values, lambda c, k, drive, bias: synapse(c, f"syn{k}", drive, bias * amp, warm), warm
    )
    start = time.perf_counter()
    run = simulate_circuit(
        c,
        {f"src{k}": _T_IN for k in range(values.size)},
        duration=_T_IN + 40 * psecond,
        copies=trials,
        dt=dt,
        seed=seed,
        target=target,
    )
    passed = np.array([int(np.sum(run.counts(out) > 0)) for out in outputs])
    low, high = np.array([binomial_ci(int(p), trials) for p in passed]).T
    fit = fit_switching_curve(values * amp, passed, np.full(values.size, trials))
    return SynapseSwitching(
        biases=values * amp,
        passed=passed,
        trials=trials,
        probability=passed / trials,
        ci_low=low,
        ci_high=high,
        fit=fit,
        temperature=warm.temperature,
        wall_time=time.perf_counter() - start,
    )


def soma_threshold(
    fire_biases: Quantity,
    cells: CellParameters = DEFAULT_CELLS,
    pulses: int = 6,
    dt: Quantity = 0.02 * psecond,
    target: str = "numpy",
) -> np.ndarray:
    """Input fluxons (pulses 40 ps apart) before the soma's first output, per fire bias.

    0 where it never fired within ``pulses`` inputs. Noise off.
    """
    values = np.atleast_1d(
        np.asarray(check_quantity(fire_biases, uamp, "fire_biases", allow_array=True))
    )
    cold = replace(cells, temperature=0 * kelvin)
    c, outputs = _benches(
        values,
        lambda c, k, drive, bias: soma(c, f"soma{k}", drive, fire_bias=bias * amp, cells=cold),
        cold,
    )
    arrivals = float(_T_IN) + float(_SPACING) * np.arange(pulses)
    run = simulate_circuit(
        c,
        {f"src{k}": arrivals * second for k in range(values.size)},
        duration=_T_IN + _SPACING * pulses + 40 * psecond,
        dt=dt,
        target=target,
    )
    found = []
    for out in outputs:
        fired = run.pulse_times(out)
        if fired.size == 0:
            found.append(0)
            continue
        found.append(int(np.sum(arrivals < fired[0])))
    return np.array(found)


@dataclass(frozen=True, eq=False)
class CellCharacterization:
    """Result of :func:`characterize_cells` (see its fields' functions)."""

    delays: dict
    pulses: dict
    synapse: SynapseSwitching
    soma_fire_biases: Quantity
    soma_thresholds: np.ndarray
    jj_counts: dict
    wall_time: float

    def to_dict(self) -> dict:
        """JSON-ready values in ps, J, uA and units of Phi0."""
        return {
            "bias_fractions": [float(f) for f in self.delays["bias_fraction"]],
            "delays_ps": {
                name: [
                    round(float(v) * 1e12, 4) if np.isfinite(v) else None for v in self.delays[name]
                ]
                for name in CELL_NAMES
            },
            "energy_per_pulse_j": {
                name: [float(v) if np.isfinite(v) else None for v in self.delays["energy"][name]]
                for name in CELL_NAMES
            },
            "pulse_areas_phi0": [float(a / PHI0) for a in self.pulses["area"]],
            "pulse_peak_mv": [float(v) * 1e3 for v in np.asarray(self.pulses["peak"])],
            "pulse_fwhm_ps": [float(w) * 1e12 for w in np.asarray(self.pulses["fwhm"])],
            "synapse": self.synapse.to_dict(),
            "soma": {
                "fire_biases_ua": [float(b) for b in np.asarray(self.soma_fire_biases / uamp)],
                "threshold_fluxons": [int(t) for t in self.soma_thresholds],
            },
            "jj_counts": self.jj_counts,
            "wall_time_s": round(self.wall_time, 3),
        }


def _line(circuit: Circuit, source: str, cells: CellParameters) -> str:
    """A junction-free node fed from ``source`` (an input for a series junction)."""
    node = f"{source}.node"
    circuit.inductor(source, node, cells.inductance)
    circuit.capacitor(node, cells.junction().capacitance)
    return node


def jj_counts(cells: CellParameters = DEFAULT_CELLS) -> dict:
    """Junctions of each cell (grounded plus series), counted from its netlist."""
    counts = {}
    for name, build in (
        ("jtl stage", lambda c: jtl(c, "x", "src", stages=1, cells=cells)),
        ("splitter", lambda c: splitter(c, "x", "src", cells)),
        ("merger", lambda c: merger(c, "x", "src", "src2", cells)),
        ("synapse", lambda c: synapse(c, "x", "src", _SURE_SYNAPSE_BIAS, cells)),
        ("soma", lambda c: soma(c, "x", "src", cells=cells)),
        ("gated soma", lambda c: gated_soma(c, "x", "src", _line(c, "src2", cells), cells)),
    ):
        circuit = Circuit().input("src").input("src2")
        build(circuit)
        counts[name] = circuit.jj_count
    return counts


def characterize_cells(
    trials: int = 200,
    synapse_biases: Quantity | None = None,
    bias_fractions=(0.6, 0.65, 0.7, 0.75, 0.8),
    soma_fire_biases: Quantity | None = None,
    cells: CellParameters = DEFAULT_CELLS,
    seed: int = 0,
    target: str = "numpy",
) -> CellCharacterization:
    """Delays, pulse areas, synapse p(Ib), soma threshold and junction counts of the cells.

    The synapse runs at ``cells.temperature``; defaults: synapse biases 84 to 92 uA in 9
    points, soma fire biases 40 to 95 uA in 12 points.
    """
    start = time.perf_counter()
    if synapse_biases is None:
        synapse_biases = np.linspace(84, 92, 9) * uamp
    if soma_fire_biases is None:
        soma_fire_biases = np.linspace(40, 95, 12) * uamp
    return CellCharacterization(
        delays=cell_delays(bias_fractions, cells, target=target),
        pulses=pulse_shapes(cells, target=target),
        synapse=synapse_switching(
            synapse_biases, trials, cells, cells.temperature, seed=seed, target=target
        ),
        soma_fire_biases=soma_fire_biases,
        soma_thresholds=soma_threshold(soma_fire_biases, cells, target=target),
        jj_counts=jj_counts(cells),
        wall_time=time.perf_counter() - start,
    )
