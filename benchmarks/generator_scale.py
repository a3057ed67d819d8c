r"""The generator's table per qubit range and device level: validity, realism, structure, speed.

For each qubit range, N circuits are generated at the target-independent level (timed)
and verified against the model's corpus: validity (qiskit, the second parser, Aer), the
random-forest and sequence judges next to the held-out real circuits (the gap is what
the targets bound), MMD² generated / random and novelty. The same circuits (same seed)
are then generated at the ``native`` and ``mapped`` levels of one device, and every file
is read back and checked against that device
(:func:`qneuro.generators.levels.device_violation`: device gates only, the right width,
coupled qubits only). Realism is judged on the target-independent circuits: the device
levels hold the same circuits transpiled. Speed is circuits per second of the whole run
(sampling, transpiling, writing), the sampling alone in parentheses.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generator_scale.py --corpus .gencorpus \
        --ranges 2-10,11-16 --n 1000 --backend brisbane \
        --out benchmarks/results/generator-scale.json

``--model DIR`` takes a model trained with ``qneuro generators train`` (with the corpus it
was trained on as ``--corpus``); the bundled model covers up to 16 qubits. One JSON holds
every row, the settings and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path

from qneuro.files import atomic_write_json
from qneuro.generators import levels
from qneuro.generators.dataset import GenerateOptions, generate_dataset, parse_range
from qneuro.generators.formats import DEFAULT_BATCH_SIZE, read_circuit
from qneuro.generators.model import load_model
from qneuro.generators.verify import verify_dataset

HEADER = (
    "| qubits | level | circuits | valid | circuits/s (sampling) | random forest gen / real (gap) "
    "| sequence judge gen / real (gap) | held-out real | MMD² gen / random | novelty |"
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(".gencorpus"))
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: bundled)")
    parser.add_argument("--ranges", default="2-10,11-16", help="comma-separated qubit ranges")
    parser.add_argument("--levels", default=",".join(levels.LEVELS))
    parser.add_argument("--backend", default="brisbane", help="fake backend of the device levels")
    parser.add_argument("--n", type=int, default=1000, help="circuits per range")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads while sampling")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--work", type=Path, default=Path("/tmp/gen-scale"))
    parser.add_argument("--out", type=Path, default=None, help="JSON file of every row")
    args = parser.parse_args(argv)
    try:
        ranges = [parse_range(text) for text in args.ranges.split(",")]
    except ValueError as exc:
        raise SystemExit(f"--ranges {args.ranges!r}: {exc}") from None
    chosen = args.levels.split(",")
    if "indep" not in chosen or any(level not in levels.LEVELS for level in chosen):
        raise SystemExit(f"--levels {args.levels!r}: indep and any of native, mapped")
    if not (args.corpus / "manifest.jsonl").is_file():
        raise SystemExit(f"--corpus {args.corpus}: no manifest.jsonl (qneuro generators corpus)")
    _, tokenizer = load_model(args.model)
    for lo, hi in ranges:  # before minutes of work
        if hi > tokenizer.max_qubits:
            raise SystemExit(
                f"range {lo}-{hi} exceeds the model's {tokenizer.max_qubits} qubits; allowed: "
                f"ranges up to {tokenizer.max_qubits} (or --model trained on a wider corpus)"
            )
    words = sys.argv[1:] if argv is None else argv
    summary = {
        "command": shlex.join(["python", "benchmarks/generator_scale.py", *words]),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": [],
    }
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for lo, hi in ranges:
        for level in chosen:
            row = measure(args, (lo, hi), level)
            summary["rows"].append(row)
            print(format_row(row), flush=True)
    if args.out:
        atomic_write_json(args.out, summary)
    return summary


def measure(args: argparse.Namespace, qubits: tuple[int, int], level: str) -> dict:
    """Generate ``args.n`` circuits of ``qubits`` at ``level``; validate (and judge at indep)."""
    folder = args.work / f"{qubits[0]}-{qubits[1]}-{level}"
    shutil.rmtree(folder, ignore_errors=True)
    device = {} if level == "indep" else {"level": level, "backend": args.backend}
    options = GenerateOptions(
        n=args.n, qubits=qubits, seed=args.seed, batch_size=args.batch_size, **device
    )
    start = time.perf_counter()
    generated = generate_dataset(
        folder, options, model_dir=args.model, threads=args.threads, progress=False
    )
    wall = time.perf_counter() - start
    row = {
        "qubits": list(qubits),
        "level": level,
        "n": args.n,
        "circuits_per_second": args.n / wall,
        "sampling_circuits_per_second": generated["circuits_per_second"],
    }
    if level == "indep":
        result = verify_dataset(folder, args.corpus, figure="", progress=False)
        result.pop("classifier", None)
        row["validity"] = result["validity"]
        row["verify"] = {k: v for k, v in result.items() if k != "failures"}
        row["failures"] = dict(list(result["failures"].items())[:10])
        return row
    target = levels.resolve_device(level, args.backend, None, None, qubits[1])
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    failures = {}
    for entry in manifest:
        try:
            circuit = read_circuit(folder / entry["file"])
        except Exception as exc:  # noqa: BLE001 - an unreadable file is an invalid one
            failures[entry["file"]] = f"read: {type(exc).__name__}: {exc}"[:300]
            continue
        reason = levels.device_violation(circuit, level, target, entry["qubits"])
        if reason:
            failures[entry["file"]] = reason
    row["validity"] = 1 - len(failures) / len(manifest)
    row["validity_checks"] = f"qiskit reads the file; {level} on {args.backend}: device_violation"
    row["failures"] = dict(list(failures.items())[:10])
    return row


def format_row(row: dict) -> str:
    """One Markdown table row of :func:`measure`'s result."""
    verify = row.get("verify")
    not_run = (verify or {}).get("aer_not_run")
    cells = [
        f"{row['qubits'][0]}-{row['qubits'][1]}",
        row["level"],
        str(row["n"]),
        f"{100 * row['validity']:.1f}%" + (f" ({not_run} not run on Aer)" if not_run else ""),
        f"{row['circuits_per_second']:.1f} ({row['sampling_circuits_per_second']:.1f})",
    ]
    if verify is None:
        cells += ["(indep row)"] * 5
    else:
        for name in ("random_forest", "sequence"):
            judge = verify["judges"][name]
            gen, real = judge["judged_real_generated"], judge["judged_real_held_out_real"]
            cells.append(f"{100 * gen:.1f}% / {100 * real:.1f}% ({100 * judge['gap']:.1f})")
        held_out = verify["reference_circuits"]
        lo, hi = verify["reference_qubit_range"]
        cells.append(f"{held_out} ({lo}-{hi} qubits)")
        generated = verify["structure_distance_generated"]
        random = verify["structure_distance_random"]
        ratio = f" = {generated / random:.2f}" if generated is not None and random else ""
        cells.append(f"{_num(generated)} / {_num(random)}{ratio}")
        cells.append(f"{100 * verify['novelty']:.1f}%")
    return "| " + " | ".join(cells) + " |"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


if __name__ == "__main__":
    main()
