"""The learning-curve figure of a run (matplotlib, Agg backend, written to a file)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from qneuro.chem import CHEMICAL_ACCURACY
from qneuro.files import atomic_save_figure


def read_episodes(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of ``episodes.csv`` as float arrays (empty arrays when there are no rows)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keys = ("episode", "error", "noiseless_error", "threshold", "success", "solved", "gates")
    return {k: np.array([float(r[k]) for r in rows], dtype=float) for k in keys}


def learning_curve(csv_path: str | Path, png_path: str | Path, window: int = 50) -> Path:
    """Energy error and threshold vs episode (log scale), and the success rate.

    Args:
        csv_path: the run's ``episodes.csv``.
        png_path: the PNG to write (atomically).
        window: episodes in the moving average of the success and solve rates.

    Returns:
        ``png_path`` as a Path.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = read_episodes(csv_path)
    episode = data["episode"]
    figure = Figure(figsize=(7, 6))
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    floor = 1e-10
    top.semilogy(
        episode, np.maximum(data["error"], floor), ".", ms=3, alpha=0.5, label="error (measured)"
    )
    top.semilogy(
        episode,
        np.maximum(data["noiseless_error"], floor),
        ".",
        ms=3,
        alpha=0.5,
        label="noiseless error",
    )
    top.semilogy(episode, np.maximum(data["threshold"], floor), "-", color="k", label="threshold")
    top.axhline(CHEMICAL_ACCURACY, color="tab:red", ls="--", lw=1, label="chemical accuracy")
    top.set_ylabel("|E - E_exact| (Ha)")
    top.legend(loc="upper right", fontsize=8)
    for key, label in (("success", "success rate"), ("solved", "chemical-accuracy rate")):
        bottom.plot(episode, _moving_average(data[key], window), label=label)
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_xlabel("episode")
    bottom.set_ylabel(f"rate ({window}-episode mean)")
    bottom.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return atomic_save_figure(figure, png_path, dpi=100)


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    if values.size == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    ends = np.arange(1, values.size + 1)
    return (cumulative[ends] - cumulative[ends - counts]) / counts
