"""Cost of running trials through ``qneuro sweep`` on a local Ray, against running them directly.

Two measurements, side by side in one run:

1. **Overhead.** Four tiny trials (``--tiny`` kind) run back to back in this process with
   :func:`qneuro.sweep.run_trial`, then as a sweep with one trial at a time on a local Ray
   started and stopped by :func:`qneuro.sweep.run_sweep`. Printed: both wall times and
   the difference (target: under 30 s).
2. **Parallel speed-up.** Two equal architecture-search trials (H2-2q, ``--steps`` steps
   each) as a sweep with one trial at a time, then with two at once (2 CPUs, one per
   trial). Printed: both wall times and their ratio (target: under 0.65).

Run it on an otherwise idle machine (the parallel ratio needs two free cores)::

    .venv/bin/python benchmarks/sweep_overhead.py --json-out benchmarks/results/sweep-overhead.json
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from qneuro.files import atomic_write_json
from qneuro.sweep import SweepSpec, run_sweep, run_trial

TINY = {
    "vqe": SweepSpec("vqe", fixed={"problem": "H2-4q", "budget": 300}, grid={"seed": "0-3"}),
    "sfq-xor": SweepSpec("sfq-xor", fixed={"trials": 100}, grid={"seed": "0-3"}),
}


def _sweep_seconds(spec: SweepSpec, folder: Path, **options) -> float:
    started = time.perf_counter()
    result = run_sweep(
        spec, folder, progress=False, plot=False, echo=lambda line: None, num_cpus=2, **options
    )
    if result.counts["finished"] != len(spec.trials()):
        raise RuntimeError(f"trials failed: {[r.get('error') for r in result.rows]}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", default="vqe", choices=sorted(TINY), help="tiny trial kind")
    parser.add_argument("--steps", type=int, default=3000, help="steps of each parallel trial")
    parser.add_argument("--json-out", default=None, help="write the numbers to this file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="qneuro-sweep-bench-") as scratch:
        root = Path(scratch)
        tiny = TINY[args.tiny]
        started = time.perf_counter()
        for trial in tiny.trials():
            row = run_trial(tiny.kind, trial.args, root / "direct" / trial.name)
            if row["status"] != "finished":
                raise RuntimeError(row.get("error"))
        direct = time.perf_counter() - started
        swept = _sweep_seconds(tiny, root / "tiny", max_concurrent=1)
        print(
            f"4 tiny {args.tiny} trials: back to back {direct:.1f} s, as a sweep "
            f"{swept:.1f} s: overhead {swept - direct:.1f} s (target < 30 s)"
        )

        pair = SweepSpec(
            "qas-train",
            fixed={
                "env": "qneuro/QAS-H2-2q-v0",
                "timesteps": args.steps,
                "checkpoint_every": 0,
                "save_replay_buffer": False,
                "torch_threads": 1,
            },
            grid={"seed": [0, 1]},
        )
        sequential = _sweep_seconds(pair, root / "sequential", max_concurrent=1)
        parallel = _sweep_seconds(pair, root / "parallel", max_concurrent=2)
        ratio = parallel / sequential
        print(
            f"2 equal qas-train trials (H2-2q, {args.steps} steps): one at a time "
            f"{sequential:.1f} s, two at once {parallel:.1f} s: ratio {ratio:.2f} "
            "(target < 0.65)"
        )
    if args.json_out:
        atomic_write_json(
            args.json_out,
            {
                "command": " ".join(
                    [
                        "python benchmarks/sweep_overhead.py",
                        *(sys.argv[1:] if argv is None else argv),
                    ]
                ),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "python": platform.python_version(),
                "tiny_kind": args.tiny,
                "tiny_direct_s": round(direct, 2),
                "tiny_sweep_s": round(swept, 2),
                "overhead_s": round(swept - direct, 2),
                "pair_steps": args.steps,
                "sequential_s": round(sequential, 2),
                "parallel_s": round(parallel, 2),
                "parallel_ratio": round(ratio, 3),
            },
        )
    return 0 if swept - direct < 30 and ratio < 0.65 else 1


if __name__ == "__main__":
    sys.exit(main())
