"""Measure the generator targets with the bundled model.

Builds the default corpus if missing, generates N circuits with constrained decoding
(grammar + normal form, the default), with the grammar alone and unconstrained, verifies
each (parse + Aer, classifier, structure, novelty), counts the circuits holding a
single-qubit gate pair outside the corpus's normal form and writes one JSON summary.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generator_targets.py \
        --corpus .gencorpus --work /tmp/gen-bench --n 1000 --out benchmarks/generator_targets.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path

import torch

from qneuro.files import atomic_write_json
from qneuro.generators.corpus import build_corpus
from qneuro.generators.dataset import GenerateOptions, generate_dataset
from qneuro.generators.formats import DEFAULT_BATCH_SIZE
from qneuro.generators.model import default_model_dir
from qneuro.generators.normal_form import load_normal_form
from qneuro.generators.tokenizer import parse_normalised
from qneuro.generators.verify import verify_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(".gencorpus"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/gen-bench"))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--qubits", default="2-10")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--out", type=Path, default=None, help="JSON summary file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not (args.corpus / "manifest.jsonl").is_file():
        build_corpus(args.corpus)
    lo, hi = (int(x) for x in args.qubits.split("-"))
    summary: dict = {
        "n": args.n,
        "qubits": [lo, hi],
        "machine": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
    }
    variants = {
        "constrained": (True, True),
        "grammar_only": (True, False),
        "unconstrained": (False, False),
    }
    for name, (constrained, normal_form) in variants.items():
        folder = args.work / name
        shutil.rmtree(folder, ignore_errors=True)
        t0 = time.perf_counter()
        gen = generate_dataset(
            folder,
            GenerateOptions(
                n=args.n,
                qubits=(lo, hi),
                constrained=constrained,
                normal_form=normal_form,
                batch_size=args.batch_size,
            ),
            progress=False,
        )
        gen["wall_seconds"] = time.perf_counter() - t0
        ver = verify_dataset(folder, args.corpus, progress=False)
        failures = ver.pop("failures")
        ver["failure_examples"] = dict(list(failures.items())[:5])
        ver["outside_normal_form"] = _outside_normal_form(folder)
        summary[name] = {"generate": gen, "verify": ver}
        print(
            name,
            json.dumps({k: gen[k] for k in ("valid", "circuits_per_second")}),
            json.dumps(
                {
                    k: ver[k]
                    for k in (
                        "validity",
                        "classifier_accuracy",
                        "judged_real",
                        "structure_distance_generated",
                        "structure_distance_random",
                        "structure_distance_train",
                        "novelty",
                        "outside_normal_form",
                    )
                }
            ),
        )
    if args.out:
        atomic_write_json(args.out, summary)
    print(json.dumps(summary))


def _outside_normal_form(folder: Path) -> dict:
    """Parsable circuits of ``folder`` and the share holding a pair the normal form forbids."""
    form = load_normal_form(default_model_dir())
    programs = []
    for path in sorted(folder.glob("circuit_*.qasm")):
        try:
            programs.append(parse_normalised(path.read_text()))
        except ValueError:
            continue  # an unconstrained sample that is not a program
    outside = sum(bool(form.forbidden_in(p)) for p in programs)
    return {"parsed": len(programs), "share": outside / len(programs) if programs else None}


if __name__ == "__main__":
    main()
