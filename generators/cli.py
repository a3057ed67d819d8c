"""Command line of the generator pillar: ``qneuro generators ...`` and ``qneuro generate``.

Subcommands: ``generators corpus``, ``generators train``, ``generators verify`` and the
top-level ``generate``.

Heavy imports (qiskit, mqt.bench, torch) happen inside the command functions, so building
the parser stays cheap.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from qneuro.commands import finish, output_options
from qneuro.generators.formats import DEFAULT_BATCH_SIZE


def add_commands(commands) -> None:
    """Register ``generators`` (corpus, train, verify) and ``generate`` on ``commands``.

    Args:
        commands: The top-level argparse sub-parsers object.
    """
    group = commands.add_parser("generators", help="transformer OpenQASM circuit generator")
    sub = group.add_subparsers(title="commands", metavar="COMMAND")

    corpus = sub.add_parser("corpus", help="build the real + random corpus from MQT Bench")
    corpus.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    corpus.add_argument("--max-qubits", type=int, default=16, help="largest qubit count (16)")
    corpus.add_argument("--min-qubits", type=int, default=2, help="smallest qubit count (2)")
    corpus.add_argument("--seeds", type=int, default=3, help="parameter seeds per size (3)")
    corpus.add_argument("--max-gates", type=int, default=2000, help="skip larger circuits")
    corpus.add_argument(
        "--families", default=None, help="comma-separated MQT Bench families (default: all)"
    )
    corpus.add_argument(
        "--measure",
        choices=["none", "final"],
        default="none",
        help="drop final measurements (none) or end every program with measure q -> c (final)",
    )
    corpus.add_argument("--split-seed", type=int, default=0)
    corpus.add_argument("--random-seed", type=int, default=0, help="random baseline seed")
    corpus.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    output_options(corpus)
    corpus.set_defaults(run=_corpus)

    train = sub.add_parser("train", help="train the transformer on a corpus")
    train.add_argument("--corpus", type=Path, required=True)
    train.add_argument("--out", type=Path, required=True, help="model folder")
    train.add_argument("--layers", type=int, default=4)
    train.add_argument("--heads", type=int, default=4)
    train.add_argument("--width", type=int, default=128)
    train.add_argument("--context", type=int, default=1024)
    train.add_argument("--dropout", type=float, default=0.3)
    train.add_argument(
        "--attention-dropout",
        type=float,
        default=None,
        help="dropout on attention weights (default: --dropout); 0 keeps long contexts fast on CPU",
    )
    train.add_argument("--epochs", type=int, default=200)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--patience", type=int, default=25, help="early-stopping epochs")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto (cuda if present), cpu, cuda")
    train.add_argument("--max-minutes", type=float, default=None, help="wall-time limit")
    train.add_argument("--resume", action="store_true", help="continue from checkpoint.pt")
    output_options(train)
    train.set_defaults(run=_train)

    verify = sub.add_parser("verify", help="validity, realism, structure, novelty of a dataset")
    verify.add_argument("dir", type=Path, help="folder of generated .qasm files")
    verify.add_argument("--reference", type=Path, required=True, help="corpus folder")
    verify.add_argument(
        "--figure", type=Path, default=None, help="image file (default DIR/verify.png)"
    )
    verify.add_argument("--no-aer", action="store_true", help="skip the Aer execution check")
    verify.add_argument("--seed", type=int, default=0, help="seed of both judges")
    verify.add_argument(
        "--no-sequence-judge",
        action="store_true",
        help="skip the sequence judge (a CNN trained on real vs generated; seconds)",
    )
    verify.add_argument(
        "--no-second-parser",
        action="store_true",
        help="skip the independent parse (openqasm3) of every file",
    )
    verify.add_argument(
        "--no-card", action="store_true", help="leave DIR/CARD.md and DIR/card.json as they are"
    )
    output_options(verify)
    verify.set_defaults(run=_verify)

    generate = commands.add_parser("generate", help="generate OpenQASM circuits with a model")
    generate.add_argument("--n", type=int, default=1000, help="number of circuits (1000)")
    generate.add_argument("--qubits", default="2-10", help="qubit range, e.g. 2-10 (uniform)")
    generate.add_argument("--out", type=Path, required=True, help="output folder (resumable)")
    generate.add_argument("--model", type=Path, default=None, help="model folder (bundled)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--temperature", type=float, default=1.0, help="softmax temperature (>= 1e-6; 1.0)"
    )
    generate.add_argument(
        "--top-k", type=int, default=None, help="keep the k most likely tokens (k >= 1; all)"
    )
    generate.add_argument("--top-p", type=float, default=None, help="nucleus threshold in (0, 1]")
    generate.add_argument("--family", default=None, help="condition on one corpus family")
    generate.add_argument(
        "--unconstrained", action="store_true", help="no grammar masks (for comparison)"
    )
    generate.add_argument(
        "--no-normal-form",
        action="store_true",
        help="grammar masks only, without the corpus's single-qubit gate pairs (comparison)",
    )
    generate.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    generate.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="corpus folder: the dataset card's histograms show its real circuits too",
    )
    generate.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, auto")
    generate.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch CPU threads (default: every core; the circuits do not depend on it)",
    )
    generate.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Ray workers sampling batches in parallel (1: no Ray); same files as one process",
    )
    generate.add_argument(
        "--address",
        default=None,
        help="Ray cluster for --workers: auto or HOST:PORT (default: a local Ray)",
    )
    _device_options(generate)
    output_options(generate)
    generate.set_defaults(run=_generate)


def _device_options(generate) -> None:  # noqa: ANN001
    """``generate``'s level, target and format options (checked by ``GenerateOptions``)."""
    generate.add_argument(
        "--level",
        default="indep",
        help="indep (generator gate set, default), native (a device's basis gates) or "
        "mapped (basis gates and coupling map)",
    )
    generate.add_argument(
        "--backend", default=None, help="device for native/mapped: a fake backend, e.g. mumbai"
    )
    generate.add_argument(
        "--basis-gates", default=None, help="custom device instead of --backend: e.g. cx,rz,sx,x"
    )
    generate.add_argument(
        "--coupling-map", default=None, help="custom device for mapped: undirected edges 0-1,1-2"
    )
    generate.add_argument(
        "--format", default="qasm2", help="qasm2 (.qasm, default), qasm3 (.qasm3) or qpy (.qpy)"
    )


def _corpus(args: argparse.Namespace) -> None:
    from qneuro.generators.corpus import build_corpus

    families = args.families.split(",") if args.families else None
    result = build_corpus(
        args.out,
        max_qubits=args.max_qubits,
        min_qubits=args.min_qubits,
        families=families,
        seeds=args.seeds,
        max_gates=args.max_gates,
        measure=args.measure,
        split_seed=args.split_seed,
        random_seed=args.random_seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    text = (
        f"corpus {args.out}: {result['real']} real + {result['random']} random circuits, "
        f"{len(result['families'])} families, splits {result['splits']}, "
        f"{result['skipped']} skipped (see skipped.jsonl)"
    )
    result.pop("options")
    finish(args, {**result, "out": str(args.out)}, text=text)


def _train(args: argparse.Namespace) -> None:
    from qneuro.generators.train import TrainConfig, train

    config = TrainConfig(
        layers=args.layers,
        heads=args.heads,
        width=args.width,
        context=args.context,
        dropout=args.dropout,
        attention_dropout=args.attention_dropout,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        seed=args.seed,
        device=args.device,
        resume=args.resume,
        max_minutes=args.max_minutes,
        progress=not args.quiet,
    )
    result = train(args.corpus, args.out, config, echo=(lambda s: None) if args.json else print)
    text = (
        f"model {args.out}: {result['parameters']} parameters, best validation loss "
        f"{result['best_val_loss']:.4f} at epoch {result['best_epoch']} ({result['stopped']})"
    )
    if result["left_out_too_long"]:
        text += (
            f"; {result['left_out_too_long']} train/val circuits longer than the context "
            f"({result['config']['context']} tokens) left out, listed in training.json"
        )
    result.pop("history")
    finish(args, {**result, "out": str(args.out)}, text=text)


def _generate(args: argparse.Namespace) -> None:
    from qneuro.generators.dataset import GenerateOptions, generate_dataset, parse_range
    from qneuro.generators.levels import parse_basis_gates, parse_coupling_map

    options = GenerateOptions(
        n=args.n,
        qubits=parse_range(args.qubits),
        seed=args.seed,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        constrained=not args.unconstrained,
        normal_form=not args.no_normal_form,
        family=args.family,
        batch_size=args.batch_size,
        model=str(args.model) if args.model else "default",
        level=args.level,
        backend=args.backend,
        basis_gates=None if args.basis_gates is None else parse_basis_gates(args.basis_gates),
        coupling_map=None if args.coupling_map is None else parse_coupling_map(args.coupling_map),
        format=args.format,
    )
    try:
        result = generate_dataset(
            args.out,
            options,
            model_dir=args.model,
            device=args.device,
            progress=not args.quiet,
            threads=args.threads,
            workers=args.workers,
            address=args.address,
            reference=args.reference,
        )
    except ImportError as exc:  # --workers without the ray extra
        raise ValueError(str(exc)) from None
    rate = result["circuits_per_second"]
    text = (
        f"generated {result['generated']} new circuits in {args.out} "
        f"({result['skipped']} already there); decodable {100 * result['valid']:.1f}%"
        + (f"; {rate:.0f} circuits/s" if rate else "")
    )
    finish(args, result, text=text)


def _verify(args: argparse.Namespace) -> None:
    import shlex

    from qneuro.files import FolderLock
    from qneuro.generators.card import CARD_MD, write_card
    from qneuro.generators.verify import format_report, verify_dataset

    result = verify_dataset(
        args.dir,
        args.reference,
        figure=args.figure,
        run_aer=not args.no_aer,
        seed=args.seed,
        progress=not args.quiet,
        sequence_judge=not args.no_sequence_judge,
        second_parser=not args.no_second_parser,
    )
    if not args.no_card:
        command = ["qneuro", "generators", "verify", str(args.dir)]
        command += ["--reference", str(args.reference), "--seed", str(args.seed)]
        for flag in ("no_aer", "no_sequence_judge", "no_second_parser"):
            if getattr(args, flag):
                command.append("--" + flag.replace("_", "-"))
        with FolderLock(args.dir):  # not while a generate run writes there
            write_card(
                args.dir,
                reference=args.reference,
                verification=result,
                verify_command=shlex.join(command),
            )
        result["card"] = str(args.dir / CARD_MD)
    text = format_report(result)
    finish(args, result, text=text + (f"\ncard: {result['card']}" if "card" in result else ""))


def demo_step(progress: bool, echo) -> dict:  # noqa: ANN001
    """Generate a few circuits with the bundled model and check they parse and run.

    Returns:
        ``{"circuits", "valid", "qubits_range", "mean_gates", "circuits_per_second"}``.
    """
    import time

    import torch

    from qneuro.generators.decoding import sample_tokens
    from qneuro.generators.model import load_model
    from qneuro.generators.verify import check_validity

    model, tokenizer = load_model()
    gen = torch.Generator().manual_seed(0)
    qubits = [2, 3, 4, 5, 6, 8]
    t0 = time.perf_counter()
    seqs = sample_tokens(model, tokenizer, qubits, generator=gen)
    seconds = time.perf_counter() - t0
    texts = [tokenizer.decode(s) for s in seqs]
    checks = [check_validity(t, run_aer=True) for t in texts]
    valid = sum(c["valid"] for c in checks)
    gates = [len(t.splitlines()) - 3 for t in texts]
    echo(
        f"generators: {len(texts)} circuits from the bundled model ({min(qubits)}-{max(qubits)} "
        f"qubits, {sum(gates) / len(gates):.0f} gates on average), {valid}/{len(texts)} parse "
        "and run on Aer"
    )
    return {
        "circuits": len(texts),
        "valid": valid / len(texts),
        "qubits_range": [min(qubits), max(qubits)],
        "mean_gates": sum(gates) / len(gates),
        "circuits_per_second": len(texts) / seconds,
    }
