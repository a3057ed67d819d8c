"""Pictures: pulse rasters through the layers, margin-vs-bias heatmaps, p(Ib) curves.

Every function writes a file (atomically: a temporary file in the same folder, then a
rename) with matplotlib's Agg backend and returns the path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qneuro.files import atomic_save_figure

from .units import check_quantity, kelvin, psecond, uamp

__all__ = [
    "plot_raster",
    "plot_margin_heatmap",
    "plot_switching_curve",
    "plot_characterization",
    "plot_calibration",
    "plot_cells",
    "plot_confusion",
]


def _figure(*args, **kwargs):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


def _save(fig, path) -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise FileNotFoundError(f"folder {path.parent} does not exist")
    return atomic_save_figure(fig, path, dpi=120, bbox_inches="tight")


def plot_raster(result, path, *, trial: int = 0, window=None) -> Path:
    """Raster of one trial of each XOR pattern: input, hidden and output pulses.

    Args:
        result: an :class:`~qneuro.sfq.xor.XorResult` evaluated with ``record=True``.
        path: the image file to write.
        trial: which trial of each pattern to draw.
        window: time span to draw (default: the whole trial window).
    """
    from .xor import XOR_LABELS, XOR_PATTERNS

    sim = result.simulation
    if getattr(sim, "spikes", None) is None:
        raise ValueError("the result has no pulse record; evaluate at pulse level with record=True")
    if not 0 <= trial < result.trials:
        raise ValueError(f"trial={trial} must lie in [0, {result.trials})")
    if window is not None:
        window = check_quantity(window, psecond, "window", minimum=0, strict_minimum=True)
    end = float((window if window is not None else sim.duration) / psecond)
    names = ["input", "hidden", "output"] + [f"layer {k}" for k in range(3, len(sim.spikes))]
    fig = _figure(figsize=(11, 6.5))
    axes = fig.subplots(2, 2, sharex=True).ravel()
    colors = ["tab:blue", "tab:orange", "tab:red", "tab:green", "tab:purple"]
    for k, (pattern, ax) in enumerate(zip(XOR_PATTERNS, axes, strict=True)):
        copy = k * result.trials + trial
        row = 0
        ticks, labels = [], []
        for layer, (copies, neuron, times) in enumerate(sim.spikes):
            size = sim.spec.layer_sizes[layer]
            keep = copies == copy
            t = np.asarray(times[keep] / psecond)
            ax.scatter(
                t[t <= end],
                row + neuron[keep][t <= end],
                s=120,
                marker="|",
                color=colors[layer % len(colors)],
                linewidths=1.2,
            )
            for n in range(size):
                ticks.append(row + n)
                labels.append(f"{names[min(layer, len(names) - 1)]} {n}")
            row += size
        ax.set_yticks(ticks, labels, fontsize=7)
        ax.set_ylim(-0.7, row - 0.3)
        ax.set_xlim(0, end)
        rate = result.rates[k, trial]
        ax.set_title(
            f"inputs {pattern} -> XOR {XOR_LABELS[k]}: output {rate:.2f} GHz "
            f"(mean {result.mean[k]:.2f})",
            fontsize=9,
        )
    for ax in axes[2:]:
        ax.set_xlabel("time (ps)")
    fig.suptitle(
        f"SFQ rate-coded XOR: pulses of one trial per pattern; margin {result.margin:.3f} "
        f"over {result.trials} trials"
    )
    return _save(fig, path)


def plot_margin_heatmap(sweep: dict, path, *, key: str = "worst_case_margin") -> Path:
    """Heatmap of a :func:`~qneuro.sfq.xor.sweep_xor` result (margin vs the two biases)."""
    if key not in ("margin", "worst_case_margin"):
        raise ValueError(f"key={key!r}; allowed: 'margin', 'worst_case_margin'")
    exc = np.asarray(sweep["excitatory_ua"])
    inh = np.asarray(sweep["inhibitory_ua"])
    values = np.asarray(sweep[key])
    fig = _figure(figsize=(6.5, 5))
    ax = fig.subplots()
    image = ax.imshow(
        values.T,
        origin="lower",
        aspect="auto",
        cmap="RdYlGn",
        vmin=-1,
        vmax=1,
        extent=_extent(exc, inh),
    )
    best = np.unravel_index(np.argmax(values), values.shape)
    ax.plot(exc[best[0]], inh[best[1]], "k*", markersize=12, label=f"best {values[best]:.3f}")
    ax.set_xlabel("excitatory synapse bias (uA)")
    ax.set_ylabel("inhibitory synapse bias (uA)")
    ax.set_title(f"XOR {key.replace('_', ' ')} vs synapse bias currents")
    ax.legend(loc="lower right", fontsize=8)
    fig.colorbar(image, ax=ax, label=key.replace("_", " "))
    return _save(fig, path)


def _extent(x: np.ndarray, y: np.ndarray) -> list[float]:
    dx = (x[1] - x[0]) / 2 if x.size > 1 else 0.5
    dy = (y[1] - y[0]) / 2 if y.size > 1 else 0.5
    return [x[0] - dx, x[-1] + dx, y[0] - dy, y[-1] + dy]


def plot_switching_curve(curve, path, *, points: int = 400) -> Path:
    """The p(Ib) curve of a synapse over its whole bias range."""
    lo, hi = (float(b / uamp) for b in curve.bias_range)
    bias = np.linspace(lo, hi, points)
    fig = _figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(bias, curve.probability(bias * uamp))
    ax.axvline(float(curve.i50 / uamp), color="grey", linestyle=":", label="I50")
    ax.set_xlabel("bias current (uA)")
    ax.set_ylabel("pass probability p(Ib)")
    ax.set_title(type(curve).__name__)
    ax.legend()
    return _save(fig, path)


def plot_characterization(result, path) -> Path:
    """Draw a :class:`~qneuro.sfq.characterize.Characterization`.

    Left: p(Ib) per temperature with its 99% intervals; right: the ramp's
    switching-current histogram against escape theory.
    """
    fig = _figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    bias = np.asarray(result.biases / uamp)
    for k, temp in enumerate(np.asarray(result.temperatures)):
        p = result.probability[k]
        err = [p - result.ci_low[k], result.ci_high[k] - p]
        left.errorbar(bias, p, yerr=err, marker="o", capsize=2, label=f"{temp:g} K")
    left.axvline(float(result.threshold / uamp), color="grey", ls=":", label="noise-free")
    left.set_xlabel("bias current (uA)")
    left.set_ylabel("switching probability p(Ib)")
    left.set_title(f"RCSJ junction, one input pulse, {result.trials} trials per point")
    left.legend(fontsize=8)
    ramp = result.ramp
    if ramp is None:
        right.set_axis_off()
    else:
        currents = np.asarray(ramp.currents / uamp)
        right.hist(currents[np.isfinite(currents)], bins=30, density=True, alpha=0.6, label="RCSJ")
        grid = np.asarray(ramp.theory.currents / uamp)
        density = np.gradient(ramp.theory.cdf, grid)
        right.plot(grid, density, "k-", label="Fulton-Dunkleberger (Kramers)")
        right.set_xlabel("switching current (uA)")
        right.set_ylabel("density (1/uA)")
        right.set_title(
            f"linear ramp, {float(ramp.junction.ic / uamp):g} uA junction at "
            f"{float(ramp.junction.temperature / kelvin):g} K"
        )
        right.legend(fontsize=8)
    return _save(fig, path)


def plot_calibration(calibration, path) -> Path:
    """Draw a :class:`~qneuro.sfq.calibration.Calibration`.

    The circuit-level p(Ib) with its 99% intervals, the fitted curve, and the assumed
    pulse-level curve for comparison.
    """
    from .measures import binomial_ci
    from .synapse import TanhCurve

    fig = _figure(figsize=(6, 4))
    ax = fig.subplots()
    bias = np.asarray(calibration.biases / uamp)
    n = calibration.trials
    p = calibration.switched / n
    bounds = np.array([binomial_ci(int(k), n) for k in calibration.switched])
    ax.errorbar(
        bias, p, yerr=[p - bounds[:, 0], bounds[:, 1] - p], fmt="o", capsize=2, label="RCSJ"
    )
    grid = np.linspace(bias.min() - 2, bias.max() + 2, 400)
    fit = calibration.fit
    ax.plot(
        grid,
        calibration.curve().probability(grid * uamp),
        "k-",
        label=f"{fit.family} fit: I50 {float(fit.i50 / uamp):.2f} uA, "
        f"width {float(fit.width / uamp):.2f} uA",
    )
    assumed = TanhCurve(bias_min=0 * uamp, bias_max=200 * uamp)
    wide = np.linspace(bias.min() - 2, 120, 400)
    ax.plot(wide, assumed.probability(wide * uamp), "--", color="grey", label="assumed (tanh)")
    ax.set_xlabel("bias current (uA)")
    ax.set_ylabel("switching probability p(Ib)")
    ax.set_title(f"synapse calibration, {n} trials per point")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_cells(result, path) -> Path:
    """Draw a :class:`~qneuro.sfq.circuit_characterize.CellCharacterization`.

    Left: each cell's delay against the global bias fraction; middle: the synapse cell's
    p(Ib) at circuit level with its 99% intervals, its erf fit and the shipped calibration
    (fitted to the single junction); right: the soma's threshold against its fire bias.
    """
    from .calibration import load_calibration
    from .circuit_characterize import CELL_NAMES

    fig = _figure(figsize=(14, 4))
    left, middle, right = fig.subplots(1, 3)
    fractions = np.asarray(result.delays["bias_fraction"])
    for name in CELL_NAMES:
        left.plot(fractions, np.asarray(result.delays[name]) * 1e12, "o-", label=name)
    left.set_xlabel("bias fraction (of each junction's Ic)")
    left.set_ylabel("delay (ps)")
    left.set_title("cell delays, noise off")
    left.legend(fontsize=8)
    syn = result.synapse
    bias = np.asarray(syn.biases / uamp)
    err = [syn.probability - syn.ci_low, syn.ci_high - syn.probability]
    middle.errorbar(bias, syn.probability, yerr=err, fmt="o", capsize=2, label="synapse cell")
    grid = np.linspace(bias.min() - 1, bias.max() + 1, 200)
    fit = syn.fit
    middle.plot(
        grid,
        fit.curve().probability(grid * uamp),
        "k-",
        label=f"erf fit: I50 {float(fit.i50 / uamp):.2f}, width {float(fit.width / uamp):.2f} uA",
    )
    shipped = load_calibration().fit
    middle.plot(
        grid,
        shipped.curve().probability(grid * uamp),
        "--",
        color="grey",
        label=f"shipped calibration (junction): I50 {float(shipped.i50 / uamp):.2f} uA",
    )
    middle.set_xlabel("synapse bias current (uA)")
    middle.set_ylabel("pass probability")
    middle.set_title(
        f"synapse cell at {float(syn.temperature / kelvin):g} K, {syn.trials} trials per point"
    )
    middle.legend(fontsize=8)
    right.step(np.asarray(result.soma_fire_biases / uamp), result.soma_thresholds, where="mid")
    right.set_xlabel("soma fire bias (uA)")
    right.set_ylabel("input fluxons to the first output (0: never)")
    right.set_title("storing-loop soma")
    return _save(fig, path)


def plot_levels(result, path) -> Path:
    """Draw a :class:`~qneuro.sfq.circuit_xor.LevelComparison`.

    Left: the XOR's margin (markers) and worst-case margin (lines) against the global bias
    factor at each level; right: the mean output rate of each pattern (class 1 solid,
    class 0 dashed), circuit level against the pulse model of its neuron.
    """
    from .xor import XOR_LABELS, XOR_PATTERNS

    fig = _figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    factors = result.factors
    for level, color in zip(result.results, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        left.plot(factors, result.margins(level), "o", color=color, label=f"{level}: margin")
        left.plot(factors, result.margins(level, worst_case=True), "-", color=color)
    left.axhline(0, color="grey", lw=0.8)
    left.set_xlabel("global bias factor (every bias current)")
    left.set_ylabel("margin (line: worst case over the 95% CIs)")
    left.set_title("XOR margin vs global bias")
    left.legend(fontsize=8)
    for level, marker in (("pulse-decrement", "s"), ("circuit", "o")):
        rows = result.results[level]
        for k, pattern in enumerate(XOR_PATTERNS):
            rates = [np.nan if r is None else r.mean[k] for r in rows]
            right.plot(
                factors,
                rates,
                marker=marker,
                linestyle="-" if XOR_LABELS[k] else "--",
                color=f"C{k}",
                label=f"{level} {pattern[0]}{pattern[1]}",
            )
    right.set_xlabel("global bias factor")
    right.set_ylabel("mean output rate (GHz)")
    right.set_title("output rates: circuit (o) vs its pulse model (s)")
    right.legend(fontsize=7, ncol=2)
    return _save(fig, path)


def plot_confusion(result, path) -> Path:
    """Confusion matrix of a :class:`~qneuro.sfq.digits.DigitsResult` (rows: true class)."""
    confusion = np.asarray(result.confusion)
    fig = _figure(figsize=(5.2, 4.6))
    ax = fig.add_subplot()
    image = ax.imshow(confusion, cmap="Blues")
    for (i, j), value in np.ndenumerate(confusion):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(confusion.shape[1]))
    ax.set_yticks(range(confusion.shape[0]))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"SFQ digits, pulse level: accuracy {result.accuracy:.3f}")
    fig.colorbar(image, ax=ax, label="trials")
    return _save(fig, path)
