"""Compare sampling settings on the validation split (never the test split) to choose one.

For each sampling seed (``--seeds``, default 1) and setting (temperature 1, 0.9, 0.8,
0.7; nucleus top-p 0.95, 0.9; top-k 20) generates N circuits with the bundled model
(2-10 qubits) and reports, against the corpus's real *validation* circuits:

- the structure MMD² (qubit-count matched, as ``verify`` does against the test split);
- the random forest's judged-real share (``verify``);
- the sequence judge (:func:`~qneuro.generators.judge.judge_generated`, trained on the
  real training circuits and half of the generated ones, tested on the validation
  circuits and the other half), mean over judge seeds 0-2: generated and real judged
  real, and the gap;
- the share of circuits whose statements are in the order qiskit writes them (a
  topological order of the circuit's DAG; printed first for the real 2-10 qubit train and
  validation circuits).

One more row re-judges the temperature-1 circuits with their statements put in qiskit's
order (the same circuits): whether the sequence judge reads the statement order. Last,
the token windows that mark the temperature-1 circuits the judge finds least real
(:func:`telltale_windows`). Writes one JSON.

    OMP_NUM_THREADS=1 python benchmarks/generator_sampling.py --seeds 1,2,3 --out s.json
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.converters import circuit_to_dag, dag_to_circuit

from qneuro.files import atomic_write_json
from qneuro.generators.corpus import Corpus, build_corpus
from qneuro.generators.dataset import GenerateOptions, generate_dataset
from qneuro.generators.features import structure_distance
from qneuro.generators.judge import (
    JudgeConfig,
    SequenceJudge,
    judge_generated,
    qubit_matched_weights,
    split_generated,
)
from qneuro.generators.tokenizer import Program, parse_normalised
from qneuro.generators.verify import verify_dataset

SETTINGS = {
    "temperature 1": {},
    "temperature 0.9": {"temperature": 0.9},
    "temperature 0.8": {"temperature": 0.8},
    "temperature 0.7": {"temperature": 0.7},
    "top-p 0.95": {"top_p": 0.95},
    "top-p 0.9": {"top_p": 0.9},
    "top-k 20": {"top_k": 20},
}
JUDGE_SEEDS = (0, 1, 2)
QUBITS = (2, 10)


def qiskit_order(program: Program) -> Program:
    """``program`` with its statements in the order qiskit writes its DAG (same circuit)."""
    circuit = QuantumCircuit(program.num_qubits)
    for i, statement in enumerate(program.statements):
        circuit.append(Gate(f"s{i}", len(statement.qubits), []), list(statement.qubits))
    order = [int(ci.operation.name[1:]) for ci in dag_to_circuit(circuit_to_dag(circuit)).data]
    statements = tuple(program.statements[i] for i in order)
    return Program(program.num_qubits, statements, program.measured)


def sequence_judge(train: list[Program], validation: list[Program], generated: list[Program]):
    """Mean over :data:`JUDGE_SEEDS` of the judged-real shares and the gap."""
    reports = [
        judge_generated(train, validation, generated, config=JudgeConfig(seed=seed))
        for seed in JUDGE_SEEDS
    ]
    keys = ("judged_real_generated", "judged_real_held_out_real", "gap")
    return {key: float(np.mean([r[key] for r in reports])) for key in keys}


def _peaks(judge: SequenceJudge, program: Program) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Per channel, the judge's max-pooled activation and where it peaks; and the token ids.

    The judge's own activations (eval mode after ``fit``, one unpadded sequence).
    """
    ids = judge.tokenizer.encode_program(program)[: judge.config.max_tokens]
    with torch.no_grad():
        x = judge.net.activations(torch.tensor([ids]))[0][0]  # (channels, time)
    peaks, where = x.max(dim=1)
    return peaks, where, ids


def telltale_windows(
    train: list[Program], validation: list[Program], generated: list[Program], count: int = 5
) -> list[str]:
    """Token windows (13 tokens, the judge's receptive field) that mark generated circuits.

    A judge (seed 0) is trained as :func:`judge_generated` trains it. In each of the
    ``count`` held-out generated circuits it finds least real: the channel whose peak,
    measured from that channel's mean peak over the real ``validation`` circuits, lowers
    the logit most (head weight x difference); the window is centred where it peaks.
    """
    trained, held_out = split_generated(generated)
    judge = SequenceJudge(JudgeConfig(seed=0)).fit(
        train, trained, qubit_matched_weights(trained, train)
    )
    real_peaks = torch.stack([_peaks(judge, p)[0] for p in validation]).mean(dim=0)
    weights = judge.net.head.weight[0, len(real_peaks) :].detach()  # the max-pooled half
    windows = []
    for index in np.argsort(judge.probabilities(held_out))[:count]:
        peaks, where, ids = _peaks(judge, held_out[index])
        centre = int(where[int(torch.argmin(weights * (peaks - real_peaks)))])
        window = ids[max(0, centre - 6) : centre + 7]
        windows.append(" ".join(judge.tokenizer.vocab[t] for t in window))
    return windows


def in_range(programs: list[Program]) -> list[Program]:
    """The programs of :data:`QUBITS` qubits."""
    return [p for p in programs if QUBITS[0] <= p.num_qubits <= QUBITS[1]]


def compare_settings(
    corpus: Path,
    train: list[Program],
    validation: list[Program],
    work: Path,
    n: int,
    seed: int,
) -> dict:
    """Every setting's row at one sampling seed, the reordered row and the windows.

    ``train`` and ``validation`` are the corpus's real circuits of :data:`QUBITS` qubits.
    """
    rows, generated = [], {}
    print(f"sampling seed {seed}, {n} circuits per setting")
    print(
        "| setting | MMD² to real validation circuits | random forest judged real "
        "| sequence judge gen / real (gap) | in qiskit's order |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")

    def report(name: str, programs: list[Program], extra: dict, judged: float | None) -> None:
        mmd = structure_distance(programs, validation, match_qubits=True)
        sequence = sequence_judge(train, validation, programs)
        in_order = float(np.mean([qiskit_order(p) == p for p in programs]))
        rows.append(
            {"setting": name, **extra, "mmd2_validation": mmd, "judged_real": judged}
            | {f"sequence_{key}": value for key, value in sequence.items()}
            | {"in_qiskit_order": in_order}
        )
        forest = "-" if judged is None else f"{judged:.1%}"
        print(
            f"| {name} | {mmd:.4f} | {forest} | {sequence['judged_real_generated']:.1%} / "
            f"{sequence['judged_real_held_out_real']:.1%} ({100 * sequence['gap']:.1f}) "
            f"| {in_order:.1%} |",
            flush=True,
        )

    for name, kwargs in SETTINGS.items():
        folder = work / f"seed-{seed}" / name.replace(" ", "-")
        shutil.rmtree(folder, ignore_errors=True)
        options = GenerateOptions(n=n, qubits=QUBITS, seed=seed, **kwargs)
        generate_dataset(folder, options, progress=False)
        programs = [parse_normalised(p.read_text()) for p in sorted(folder.glob("*.qasm"))]
        forest = verify_dataset(
            folder, corpus, run_aer=False, second_parser=False, sequence_judge=False, progress=False
        )
        report(name, programs, kwargs, forest["judged_real"])
        generated[name] = programs
    reordered = [qiskit_order(p) for p in generated["temperature 1"]]
    report("temperature 1, statements in qiskit's order", reordered, {}, None)
    windows = telltale_windows(train, validation, generated["temperature 1"])
    print("windows of the temperature-1 circuits the sequence judge finds least real:")
    for window in windows:
        print("  " + window)
    return {"seed": seed, "rows": rows, "telltale_windows": windows}


def seed_list(text: str) -> list[int]:
    """``--seeds``: comma-separated integers >= 0."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give integers >= 0 separated by commas")
    return seeds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(".gencorpus"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/gen-sampling"))
    parser.add_argument("--n", type=int, default=400, help="circuits per setting")
    parser.add_argument("--seeds", type=seed_list, default=[1], help="sampling seeds, e.g. 1,2,3")
    parser.add_argument("--out", type=Path, default=None, help="JSON file of every row")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if not (args.corpus / "manifest.jsonl").is_file():
        build_corpus(args.corpus)
    corpus = Corpus.load(args.corpus)
    train = in_range(corpus.programs("mqt.bench", "train"))
    validation = in_range(corpus.programs("mqt.bench", "val"))
    real_in_order = float(np.mean([qiskit_order(p) == p for p in train + validation]))
    print(f"real train and validation circuits in qiskit's order: {real_in_order:.1%}")
    runs = [
        compare_settings(args.corpus, train, validation, args.work, args.n, seed)
        for seed in args.seeds
    ]
    if args.out:
        command = shlex.join(["python", "benchmarks/generator_sampling.py", *argv])
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        result = {"command": command, "machine": machine, "real_in_qiskit_order": real_in_order}
        atomic_write_json(args.out, result | {"runs": runs})


if __name__ == "__main__":
    main()
