"""Compare sampling settings on the validation split (never the test split) to choose one.

For each setting (temperature 1, 0.9, 0.8; nucleus top-p 0.95) generates N circuits with
the bundled model (2-10 qubits, seed 1) and reports the structure MMD² to the corpus's
real *validation* circuits (qubit-count matched, as ``verify`` does against the test
split) and the random forest's judged-real share; writes one JSON.

    OMP_NUM_THREADS=1 python benchmarks/generator_sampling.py --corpus .gencorpus --out s.json
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import sys
from pathlib import Path

from qneuro.files import atomic_write_json
from qneuro.generators.corpus import Corpus, build_corpus
from qneuro.generators.dataset import GenerateOptions, generate_dataset
from qneuro.generators.features import structure_distance
from qneuro.generators.tokenizer import parse_normalised
from qneuro.generators.verify import verify_dataset

SETTINGS = {
    "temperature 1": {},
    "temperature 0.9": {"temperature": 0.9},
    "temperature 0.8": {"temperature": 0.8},
    "top-p 0.95": {"top_p": 0.95},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(".gencorpus"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/gen-sampling"))
    parser.add_argument("--n", type=int, default=400, help="circuits per setting")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="JSON file of every row")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.jsonl").is_file():
        build_corpus(args.corpus)
    validation = Corpus.load(args.corpus).programs("mqt.bench", "val")
    rows = []
    print("| setting | MMD² to real validation circuits | random forest judged real |")
    print("| --- | ---: | ---: |")
    for name, kwargs in SETTINGS.items():
        folder = args.work / name.replace(" ", "-")
        shutil.rmtree(folder, ignore_errors=True)
        options = GenerateOptions(n=args.n, qubits=(2, 10), seed=args.seed, **kwargs)
        generate_dataset(folder, options, progress=False)
        programs = [parse_normalised(p.read_text()) for p in sorted(folder.glob("*.qasm"))]
        mmd = structure_distance(programs, validation, match_qubits=True)
        report = verify_dataset(
            folder,
            args.corpus,
            run_aer=False,
            second_parser=False,
            sequence_judge=False,
            progress=False,
        )
        judged = report["judged_real"]
        rows.append({"setting": name, **kwargs, "mmd2_validation": mmd, "judged_real": judged})
        print(f"| {name} | {mmd:.4f} | {judged:.1%} |")
    if args.out:
        command = shlex.join(["python", "benchmarks/generator_sampling.py", *argv])
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        atomic_write_json(args.out, {"command": command, "machine": machine, "rows": rows})


if __name__ == "__main__":
    main()
