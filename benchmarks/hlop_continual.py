"""HLOP against fine-tuning, multitask training and EWC on the digits task streams.

What it measures, for one stream (``permuted-digits``: 10 tasks; ``split-digits``: 5):

* for each method, the full accuracy matrix ``R[i, j]`` (test accuracy on task j after
  training task i), ACC (mean of the last row) and BWT (mean over earlier tasks of final
  minus just-learned accuracy), with the default ``HLOPConfig`` and the given seed;
* for HLOP, per task and layer, the learned lateral neurons against numpy PCA of the
  same (residual) traces: principal angles (median and largest), ``||H H^T - I||`` and
  the fraction of the task's trace energy inside the frozen subspace, learned vs PCA;
* wall-clock seconds of each run (the full 10-task HLOP run should take < 15 minutes
  on a 2-core laptop);
* the targets: HLOP BWT >= -0.03, fine-tuning BWT <= -0.15, HLOP ACC within 0.08 of
  multitask (PASS/FAIL printed; reported, not enforced).

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/hlop_continual.py
        --stream permuted-digits [--methods hlop,finetune,multitask,ewc] [--tasks N]
        [--seed 0] [--codegen numpy|cython] [--input-coding current|poisson]
        [--ewc-lambda 50] [--out benchmarks/results/hlop] [--json]

It writes ``<out>/<stream>-<method>.json`` and ``.png`` (heatmap and per-task curves).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from qneuro.hlop.config import DEFAULT_TASKS, METHODS, STREAMS, HLOPConfig
from qneuro.hlop.methods import run_continual
from qneuro.hlop.plots import plot_accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", default="permuted-digits", choices=STREAMS)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--tasks", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--codegen", default="numpy", choices=["numpy", "cython"])
    parser.add_argument("--input-coding", default="current", choices=["current", "poisson"])
    parser.add_argument("--ewc-lambda", type=float, default=HLOPConfig.ewc_lambda)
    parser.add_argument("--out", default="benchmarks/results/hlop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in METHODS:
            parser.error(f"unknown method {m!r}; choose from {METHODS}")
    n_tasks = args.tasks or DEFAULT_TASKS[args.stream]
    config = HLOPConfig(
        n_tasks=n_tasks,
        seed=args.seed,
        codegen=args.codegen,
        input_coding=args.input_coding,
        ewc_lambda=args.ewc_lambda,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for method in methods:
        start = time.perf_counter()
        result = run_continual(args.stream, method, config, progress=True)
        data = result.to_dict()
        stem = out / f"{args.stream}-{method}"
        tmp = stem.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(stem.with_suffix(".json"))
        plot_accuracy(result, stem.with_suffix(".png"))
        results[method] = data
        print(
            f"{method:10s} ACC {result.acc:.3f}  BWT {result.bwt:+.3f}  "
            f"wall {time.perf_counter() - start:7.1f} s"
        )
    summary = {
        "stream": args.stream,
        "tasks": n_tasks,
        "seed": args.seed,
        "methods": {m: {k: results[m][k] for k in ("acc", "bwt", "wall_s")} for m in results},
    }
    print("\nmethod      ACC     BWT     wall_s")
    for m, r in summary["methods"].items():
        print(f"{m:10s} {r['acc']:.3f}  {r['bwt']:+.3f}  {r['wall_s']:8.1f}")
    if "hlop" in results:
        sub = results["hlop"]["subspace"]
        for layer in (0, 1):
            rows = [s for s in sub if s["layer"] == layer]
            summary[f"subspace_layer{layer}"] = {
                "median_angle_deg": float(np.median([s["median_angle_deg"] for s in rows])),
                "max_angle_deg": float(np.max([s["max_angle_deg"] for s in rows])),
                "orthonormality_error_max": float(max(s["orthonormality_error"] for s in rows)),
                "captured_energy_min": float(min(s["captured_energy"] for s in rows)),
                "captured_energy_pca_min": float(min(s["captured_energy_pca"] for s in rows)),
            }
            print(f"subspace layer {layer}: {summary[f'subspace_layer{layer}']}")
        checks = {"hlop_bwt >= -0.03": results["hlop"]["bwt"] >= -0.03}
        if "finetune" in results:
            checks["finetune_bwt <= -0.15"] = results["finetune"]["bwt"] <= -0.15
        if "multitask" in results:
            checks["hlop_acc within 0.08 of multitask"] = (
                results["multitask"]["acc"] - results["hlop"]["acc"] <= 0.08
            )
        checks["hlop wall < 900 s"] = results["hlop"]["wall_s"] < 900
        summary["checks"] = checks
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
