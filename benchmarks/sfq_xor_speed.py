"""Speed of the SFQ XOR network in Brian2: codegen targets, batching, full evaluation.

Measures, on the shipped XOR setting (2 ns trial window, dt = 1 ps):

1. the full 4-pattern x 200-trial XOR evaluation (one batched run), wall seconds, with
   brian2's numpy and cython code generation, each after one identical warm-up run
   (for cython the warm-up compiles into brian2's cache, ~/.cython; target: < 10 s);
2. simulated pulse time per wall second: per copy (the window / wall time) and summed
   over the 800 copies run together;
3. batched vs one run per trial: ``--single`` trials per pattern run once as one batched
   run and once as separate runs.

Usage::

    .venv/bin/python benchmarks/sfq_xor_speed.py            # add --json for one JSON line
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import brian2  # noqa: E402
import numpy as np  # noqa: E402

from qneuro.sfq import DEFAULT_XOR_SETTING, evaluate_xor, simulate, xor_network  # noqa: E402
from qneuro.sfq.units import Ghertz, psecond  # noqa: E402
from qneuro.sfq.xor import XOR_PATTERNS  # noqa: E402


def _time(call) -> tuple[float, object]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="trials per pattern (200)")
    parser.add_argument(
        "--single",
        type=int,
        default=10,
        help="trials per pattern for the batched-vs-separate comparison (10)",
    )
    parser.add_argument("--targets", default="numpy,cython", help="codegen targets to time")
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    args = parser.parse_args()
    setting = DEFAULT_XOR_SETTING
    window_ps = float(setting.duration / psecond)
    print(
        f"brian2 {brian2.__version__}, numpy {np.__version__}, python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; XOR window {window_ps:g} ps, "
        f"dt 1 ps"
    )
    result = {"trials": args.trials, "window_ps": window_ps, "targets": {}}
    for target in [t for t in args.targets.split(",") if t]:
        # same sizes as the timed run: brian2 compiles group sizes into the code (cython)
        warm, _ = _time(lambda target=target: evaluate_xor(trials=args.trials, target=target))
        wall, res = _time(lambda target=target: evaluate_xor(trials=args.trials, target=target))
        copies = 4 * args.trials
        per_copy = window_ps / wall  # simulated ps per wall second, one copy
        entry = {
            "warmup_s": warm,
            "xor_eval_s": wall,
            "margin": res.margin,
            "correct": res.correct,
            "simulated_ns_per_wall_s": per_copy / 1e3,
            "simulated_copy_ns_per_wall_s": per_copy * copies / 1e3,
        }
        result["targets"][target] = entry
        verdict = "PASS" if wall < 10 else "FAIL"
        print(
            f"[{target}] 4 x {args.trials} XOR evaluation: {wall:.2f} s ({verdict}: target "
            f"< 10 s; warm-up/compile {warm:.1f} s); margin {res.margin:.4f}; "
            f"{per_copy / 1e3:.2f} ns simulated per wall second "
            f"({per_copy * copies / 1e3:.0f} copy-ns/s over {copies} copies)"
        )

    spec = xor_network(setting)
    bits = np.repeat(np.array(XOR_PATTERNS), args.single, axis=0)
    rates = np.where(bits == 1, 20.0, 2.0) * Ghertz
    batched, _ = _time(lambda: simulate(spec, rates, setting.duration, seed=1))
    separate, _ = _time(
        lambda: [
            simulate(spec, rates[k : k + 1], setting.duration, seed=k)
            for k in range(rates.shape[0])
        ]
    )
    result["batched_vs_separate"] = {
        "runs": int(rates.shape[0]),
        "batched_s": batched,
        "separate_s": separate,
        "speedup": separate / batched,
    }
    print(
        f"[numpy] {rates.shape[0]} trials: one batched run {batched:.2f} s, "
        f"{rates.shape[0]} separate runs {separate:.2f} s ({separate / batched:.0f}x)"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
