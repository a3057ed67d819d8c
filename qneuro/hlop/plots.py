"""Pictures of a continual-learning run: accuracy-matrix heatmap and per-task curves.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas (no global
backend change) and written atomically (temporary file, then rename).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qneuro.files import atomic_save_figure


def plot_accuracy(result, path: str | Path) -> Path:
    """Write a two-panel figure for one ``ContinualResult`` (or its ``to_dict()``).

    Left: the accuracy matrix ``R[i, j]`` as a heatmap (rows: after task i; columns:
    task j). Right: the accuracy of each task as later tasks are learned.

    Returns:
        The written path (format from its suffix, e.g. ``.png`` or ``.pdf``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = result if isinstance(result, dict) else result.to_dict()
    r = np.asarray(data["accuracy_matrix"], dtype=float)
    n = r.shape[0]
    fig = Figure(figsize=(10, 4.2))
    FigureCanvasAgg(fig)
    ax_map, ax_curve = fig.subplots(1, 2)
    image = ax_map.imshow(r, vmin=0, vmax=1, cmap="viridis")
    for i in range(n):
        for j in range(n):
            ax_map.text(
                j,
                i,
                f"{r[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if r[i, j] < 0.6 else "black",
            )
    ax_map.set_xlabel("evaluated task j")
    ax_map.set_ylabel("after training task i")
    ax_map.set_xticks(range(n))
    ax_map.set_yticks(range(n))
    fig.colorbar(image, ax=ax_map, fraction=0.046, label="test accuracy")
    for j in range(n):
        ax_curve.plot(range(j, n), r[j:, j], marker="o", ms=3, label=f"task {j}")
    ax_curve.set_xlabel("tasks learned (index of last task)")
    ax_curve.set_ylabel("test accuracy")
    ax_curve.set_ylim(0, 1.02)
    ax_curve.set_xticks(range(n))
    if n <= 10:
        ax_curve.legend(fontsize=7, ncol=2, loc="lower left")
    fig.suptitle(
        f"{data['method']} on {data['stream']}: ACC {data['acc']:.3f}, BWT {data['bwt']:+.3f}"
    )
    fig.tight_layout()
    return _save(fig, Path(path))


def _save(fig, path: Path) -> Path:
    return atomic_save_figure(fig, path, dpi=120)
