"""``qneuro hlop ...``: continual-learning runs of the spiking network from the shell.

``qneuro hlop run --stream permuted-digits --method hlop [--tasks N] [--seed S]
[--epochs E] [--codegen numpy|cython] [--plot FILE] [--json] [--quiet]``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qneuro.commands import emit, output_options

from .config import DEFAULT_TASKS, METHODS, STREAMS, HLOPConfig


def add_commands(commands) -> None:
    """Register ``qneuro hlop run`` on the top-level sub-parsers ``commands``."""
    hlop = commands.add_parser(
        "hlop", help="spiking continual learning with Hebbian orthogonal projection (Brian2)"
    )
    sub = hlop.add_subparsers(title="commands", metavar="COMMAND")
    run = sub.add_parser("run", help="train one method on a task stream; accuracy matrix, ACC, BWT")
    run.add_argument("--stream", default="permuted-digits", choices=STREAMS)
    run.add_argument("--method", default="hlop", choices=METHODS)
    run.add_argument(
        "--tasks", type=int, default=None, help="number of tasks (default: 10 permuted, 5 split)"
    )
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--epochs", type=int, default=None, help="epochs per task")
    run.add_argument(
        "--codegen",
        default="numpy",
        choices=["numpy", "cython"],
        help="Brian2 target for this run's objects",
    )
    run.add_argument("--plot", default=None, help="write the accuracy heatmap/curves here")
    output_options(run)
    run.set_defaults(run=_run)


def config_from_args(args) -> HLOPConfig:
    """The ``HLOPConfig`` for parsed ``qneuro hlop run`` options (validated)."""
    n_tasks = args.tasks if args.tasks is not None else DEFAULT_TASKS[args.stream]
    changes: dict[str, Any] = {"n_tasks": n_tasks, "seed": args.seed, "codegen": args.codegen}
    if args.epochs is not None:
        changes["epochs_per_task"] = args.epochs
    return HLOPConfig(**changes)


def _run(args) -> None:
    from qneuro.files import figure_file

    from .methods import run_continual

    config = config_from_args(args)
    figure_file(args.plot)
    quiet = getattr(args, "quiet", False)
    result = run_continual(args.stream, args.method, config, progress=not quiet)
    data = result.to_dict()
    if args.plot is not None:
        from .plots import plot_accuracy

        data["plot"] = str(plot_accuracy(result, args.plot))
    if not quiet or not args.json:
        print(f"{args.method} on {args.stream}, {config.n_tasks} tasks (seed {args.seed})")
        print("accuracy matrix (rows: after task i, columns: task j):")
        for row in result.accuracy_matrix:
            print("  " + " ".join(f"{v:.3f}" for v in row))
        print(f"ACC {result.acc:.3f}  BWT {result.bwt:+.3f}  wall {result.wall_s:.1f} s")
        if result.subspace:
            angles = [s["median_angle_deg"] for s in result.subspace]
            print(
                f"subspace vs PCA: median principal angle per task/layer "
                f"{np.median(angles):.1f} deg (see JSON 'subspace')"
            )
        if args.plot is not None:
            print(f"plot: {data['plot']}")
    emit(args, data)


DEMO_CONFIG = HLOPConfig(
    n_tasks=3,
    n_hidden=128,
    epochs_per_task=4,
    subspace_initial=(30, 30),
    subspace_per_task=(20, 20),
    oja_passes=3,
)
"""Small settings of ``demo_step`` (three Permuted-Digits tasks)."""


def demo_step(progress: bool, echo: Callable[[str], None]) -> dict:
    """A short tour: three Permuted-Digits tasks, fine-tuning vs HLOP; returns the numbers."""
    from .methods import run_continual

    echo(
        "HLOP: spiking network (Brian2 LIF) on 3 Permuted-Digits tasks, "
        "fine-tuning vs Hebbian orthogonal projection"
    )
    out: dict[str, Any] = {}
    for method in ("finetune", "hlop"):
        result = run_continual("permuted-digits", method, DEMO_CONFIG, progress=progress)
        first = [row[0] for row in result.accuracy_matrix]
        echo(
            f"  {method:8s}: task-0 accuracy after each task "
            f"{' -> '.join(f'{a:.2f}' for a in first)}; ACC {result.acc:.3f}, "
            f"BWT {result.bwt:+.3f} ({result.wall_s:.1f} s)"
        )
        out[method] = {
            "acc": round(result.acc, 4),
            "bwt": round(result.bwt, 4),
            "wall_s": round(result.wall_s, 2),
        }
    return out
