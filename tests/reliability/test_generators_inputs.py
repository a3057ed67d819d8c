"""Bad input to the generator pillar: a clear one-line error, exit status 2, nothing written.

Every command case runs ``qneuro.cli.main`` in-process and checks the exit status, that
no traceback is printed, that stderr is one ``qneuro: error:`` line and that it names the
bad value or file. API cases check the exception and its message the same way.
"""

from __future__ import annotations

import json
import math
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from qneuro.cli import main
from qneuro.files import FolderLock
from qneuro.generators.corpus import Corpus, build_corpus, random_program
from qneuro.generators.dataset import GenerateOptions, generate_dataset, parse_range
from qneuro.generators.decoding import sample_tokens
from qneuro.generators.model import ModelConfig, load_model, pick_device
from qneuro.generators.normal_form import NormalForm
from qneuro.generators.tokenizer import Tokenizer
from qneuro.generators.train import load_checkpoint, train
from qneuro.generators.verify import verify_dataset

FAMILIES = ("ghz", "qft")
SPLITS = ["train"] * 8 + ["val"] * 2 + ["test"] * 2


def write_corpus(root: Path) -> Path:
    """A small corpus folder written by hand (random programs; no MQT Bench needed)."""
    rng = np.random.default_rng(0)
    rows = []
    for i, split in enumerate(SPLITS):
        for source, folder in (("mqt.bench", "real"), ("random", "random")):
            program = random_program(2 + i % 3, 4 + i, rng)
            rel = f"{folder}/c{i}.qasm"
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(program.to_qasm())
            rows.append(
                {
                    "file": rel,
                    "family": FAMILIES[i % 2],
                    "qubits": program.num_qubits,
                    "source": source,
                    "split": split,
                    "seed": 0,
                }
            )
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def model(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    torch.set_num_threads(1)
    train(
        corpus,
        out,
        layers=1,
        heads=2,
        width=16,
        context=128,
        epochs=1,
        device="cpu",
        progress=False,
        echo=lambda line: None,
    )
    return out


@pytest.fixture
def ctx(tmp_path, corpus, model):
    """Paths a case may use or tamper with (tampering works on copies)."""
    gen = tmp_path / "gen"
    gen.mkdir()
    for path in sorted((corpus / "real").glob("*.qasm"))[:3]:
        shutil.copy(path, gen / path.name)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n")
    return SimpleNamespace(
        tmp=tmp_path, corpus=corpus, model=model, out=tmp_path / "out", file=a_file, gen=gen
    )


# --- tampering helpers: each edits a copy and points the context at it ---------------------


def _copy(ctx, name: str) -> Path:
    copy = ctx.tmp / f"{name}_copy"
    shutil.copytree(getattr(ctx, name), copy)
    setattr(ctx, name, copy)
    return copy


def _model_file(name: str, edit):  # noqa: ANN001
    def prepare(ctx):
        path = _copy(ctx, "model") / name
        edit(path)

    return prepare


def _write(text: str | bytes):
    def edit(path: Path) -> None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return edit


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _huge_header(path: Path) -> None:
    path.write_bytes((2**40).to_bytes(8, "little") + path.read_bytes()[8:])


def _config(**changes):
    def edit(path: Path) -> None:
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))

    return edit


def _out_file(name: str, text: str):
    def prepare(ctx):
        ctx.out.mkdir()
        (ctx.out / name).write_text(text)

    return prepare


def _manifest_row(**row):
    return _out_file("manifest.jsonl", json.dumps({"valid": True, **row}) + "\n")


def _symlink_in_out(name: str):
    def prepare(ctx):
        ctx.out.mkdir()
        (ctx.out / name).symlink_to(ctx.file)

    return prepare


def _link_out(ctx):
    target = ctx.tmp / "elsewhere"
    target.mkdir()
    ctx.out.symlink_to(target)


def _out_is_file(ctx):
    ctx.out = ctx.file


def _out_under_file(ctx):
    ctx.out = ctx.file / "sub"


def _corpus_line(line: str):
    def prepare(ctx):
        manifest = _copy(ctx, "corpus") / "manifest.jsonl"
        manifest.write_text(manifest.read_text() + line + "\n")

    return prepare


def _corpus_row(**changes):
    """A row appended to the corpus manifest (a change to None drops that key)."""
    row = {"file": "real/c0.qasm", "family": "ghz", "qubits": 2, "source": "mqt.bench"}
    row = {**row, "split": "train", **changes}
    return _corpus_line(json.dumps({k: v for k, v in row.items() if v is not None}))


def _corpus_without(source: str, split: str):
    def prepare(ctx):
        manifest = _copy(ctx, "corpus") / "manifest.jsonl"
        rows = [json.loads(line) for line in manifest.read_text().splitlines()]
        kept = [r for r in rows if not (r["source"] == source and r["split"] == split)]
        manifest.write_text("".join(json.dumps(r) + "\n" for r in kept))

    return prepare


def _checkpoint(data: bytes | None):
    def prepare(ctx):
        model = _copy(ctx, "model")
        if data is not None:
            (model / "checkpoint.pt").write_bytes(data)
        else:
            _truncate(model / "checkpoint.pt")

    return prepare


class _Evil:
    def __reduce__(self):
        return (print, ("pickle payload ran",))


def _no_checkpoint(ctx):
    (_copy(ctx, "model") / "checkpoint.pt").unlink()


def _non_empty_out(ctx):
    ctx.out.mkdir()
    (ctx.out / "keep.txt").write_text("x")


def _figure_folder(ctx):
    (ctx.tmp / "fig").mkdir()


def _gen_native(ctx):
    settings = {"level": "native", "backend": "mumbai"}
    (ctx.gen / "generate.json").write_text(json.dumps({"settings": settings}))


def _empty_gen(ctx):
    for path in ctx.gen.glob("*.qasm"):
        path.unlink()


NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")

GEN = ["generate", "--n", "2", "--qubits", "2-3", "--model", "{model}", "--out", "{out}"]
TRAIN = (
    "generators train --corpus {corpus} --out {out} --layers 1 --heads 2 --width 16 "
    "--context 128 --epochs 1 --device cpu"
).split()
RESUME = [a.replace("{out}", "{model}") for a in TRAIN] + ["--resume"]
CORPUS = ["generators", "corpus", "--out", "{out}", "--max-qubits", "3", "--families", "ghz"]
VERIFY = ["generators", "verify", "{gen}", "--reference", "{corpus}", "--no-aer"]
MAPPED = [*GEN, "--level", "mapped", "--backend"]
CUSTOM = [*GEN, "--level", "mapped", "--basis-gates", "cx,rz,sx,x", "--coupling-map"]

# (id, argv, words the message must contain, optional preparation of the context)
CLI_CASES = [
    # generate: every numeric option
    ("gen-n-zero", [*GEN, "--n", "0"], ["n=0", ">= 1"], None),
    ("gen-n-negative", [*GEN, "--n", "-3"], ["n=-3", "allowed"], None),
    ("gen-batch-zero", [*GEN, "--batch-size", "0"], ["batch_size", "0"], None),
    ("gen-temperature-nan", [*GEN, "--temperature", "nan"], ["temperature", "nan"], None),
    ("gen-temperature-inf", [*GEN, "--temperature", "inf"], ["temperature", "inf"], None),
    ("gen-temperature-neg", [*GEN, "--temperature", "-1"], ["temperature", "-1"], None),
    ("gen-temperature-zero", [*GEN, "--temperature", "0"], ["temperature", "0.0"], None),
    ("gen-top-k-negative", [*GEN, "--top-k", "-5"], ["top_k", "-5", ">= 1"], None),
    ("gen-top-k-zero", [*GEN, "--top-k", "0"], ["top_k", "0"], None),
    ("gen-top-p-zero", [*GEN, "--top-p", "0"], ["top_p", "(0, 1]"], None),
    ("gen-top-p-big", [*GEN, "--top-p", "1.5"], ["top_p", "1.5"], None),
    ("gen-top-p-nan", [*GEN, "--top-p", "nan"], ["top_p", "nan"], None),
    ("gen-threads-negative", [*GEN, "--threads", "-1"], ["threads", "-1"], None),
    ("gen-threads-zero", [*GEN, "--threads", "0"], ["threads", "0"], None),
    ("gen-seed-negative", [*GEN, "--seed", "-1"], ["seed", "-1"], None),
    ("gen-device-foo", [*GEN, "--device", "foo"], ["device 'foo'", "cpu"], None),
    pytest.param(
        "gen-device-cuda",
        [*GEN, "--device", "cuda"],
        ["device 'cuda'", "use cpu"],
        None,
        marks=NO_CUDA,
    ),
    ("gen-qubits-reversed", [*GEN, "--qubits", "5-2"], ["qubit range", "5-2"], None),
    ("gen-qubits-text", [*GEN, "--qubits", "a-b"], ["qubit range", "a-b"], None),
    ("gen-qubits-over-32", [*GEN, "--qubits", "2-99"], ["qubits high", "99"], None),
    ("gen-qubits-over-model", [*GEN, "--qubits", "2-20"], ["2-20", "exceeds the model"], None),
    ("gen-family-unknown", [*GEN, "--family", "nosuch"], ["family 'nosuch'"], None),
    # generate: device levels and formats
    ("gen-level-unknown", [*GEN, "--level", "quantum"], ["'quantum'", "indep, native"], None),
    ("gen-format-unknown", [*GEN, "--format", "json"], ["'json'", "qasm2, qasm3, qpy"], None),
    ("gen-backend-indep", [*GEN, "--backend", "mumbai"], ["backend", "'indep'"], None),
    ("gen-backend-unknown", [*MAPPED, "nosuch"], ["backend 'nosuch'", "allowed", "mumbai"], None),
    (
        "gen-backend-too-wide",
        [*MAPPED, "manila", "--qubits", "2-7"],
        ["7 qubits", "'manila'", "5 qubits"],
        None,
    ),
    (
        "gen-backend-unconstrained",
        [*MAPPED, "mumbai", "--unconstrained"],
        ["unconstrained", "indep"],
        None,
    ),
    (
        "gen-basis-unknown",
        [*GEN, "--level", "native", "--basis-gates", "cx,foo"],
        ["basis gate 'foo'", "allowed"],
        None,
    ),
    (
        "gen-basis-weak",
        [*GEN, "--level", "native", "--basis-gates", "rz,sx"],
        ["rz,sx", "cannot express"],
        None,
    ),
    (
        "gen-coupling-text",
        [*CUSTOM, "0-1,1-x"],
        ["coupling map", "'0-1,1-x'"],
        None,
    ),
    ("gen-coupling-disconnected", [*CUSTOM, "0-1,2-3"], ["not connected", "[2, 3]"], None),
    ("gen-coupling-too-wide", [*CUSTOM, "0-1"], ["3 qubits", "coupling map (2 qubits)"], None),
    (
        "gen-settings-other-level",
        GEN,
        ["other settings", "level 'native' there, 'indep' now"],
        _out_file("generate.json", json.dumps({"settings": {"level": "native"}})),
    ),
    (
        "gen-manifest-other-format",
        [*GEN, "--format", "qpy"],
        ["circuit_000000.qasm", "circuit_NNNNNN.qpy"],
        _manifest_row(file="circuit_000000.qasm"),
    ),
    # generate: output folder
    ("gen-out-is-file", GEN, ["a_file", "is a file"], _out_is_file),
    ("gen-out-under-file", GEN, ["a_file", "is a file"], _out_under_file),
    ("gen-out-symlink", GEN, ["out", "symbolic link"], _link_out),
    (
        "gen-manifest-symlink",
        GEN,
        ["manifest.jsonl", "symbolic link"],
        _symlink_in_out("manifest.jsonl"),
    ),
    (
        "gen-settings-symlink",
        GEN,
        ["generate.json", "symbolic link"],
        _symlink_in_out("generate.json"),
    ),
    (
        "gen-settings-array",
        GEN,
        ["generate.json", "JSON object", "array"],
        _out_file("generate.json", "[1]"),
    ),
    (
        "gen-settings-not-json",
        GEN,
        ["generate.json", "not valid JSON"],
        _out_file("generate.json", "{"),
    ),
    (
        "gen-settings-other",
        GEN,
        ["other settings", "seed 5 there, 0 now"],
        _out_file("generate.json", json.dumps({"settings": {"seed": 5}})),
    ),
    (
        "gen-manifest-not-object",
        GEN,
        ["manifest.jsonl line 1", "JSON object", "array"],
        _out_file("manifest.jsonl", "[1]\n"),
    ),
    (
        "gen-manifest-etc",
        GEN,
        ["manifest.jsonl line 1", "/etc/hostname"],
        _manifest_row(file="/etc/hostname"),
    ),
    ("gen-manifest-parent", GEN, ["manifest.jsonl line 1", "../x"], _manifest_row(file="../x")),
    ("gen-manifest-no-file", GEN, ["manifest.jsonl line 1", "missing 'file'"], _manifest_row()),
    (
        "gen-manifest-valid-type",
        GEN,
        ["line 1: valid", "'yes'"],
        _manifest_row(file="circuit_000000.qasm", valid="yes"),
    ),
    (
        "gen-manifest-mid-garbage",
        GEN,
        ["manifest.jsonl line 1", "not valid JSON"],
        _out_file("manifest.jsonl", "{oops\n{}\n"),
    ),
    # generate: tampered model folder
    ("gen-model-missing", [*GEN, "--model", "{tmp}/nomodel"], ["nomodel", "lacks"], None),
    (
        "gen-weights-truncated",
        GEN,
        ["model.safetensors", "truncated"],
        _model_file("model.safetensors", _truncate),
    ),
    (
        "gen-weights-empty",
        GEN,
        ["model.safetensors", "truncated"],
        _model_file("model.safetensors", _write(b"")),
    ),
    (
        "gen-weights-huge-header",
        GEN,
        ["model.safetensors", "header of", "limit"],
        _model_file("model.safetensors", _huge_header),
    ),
    (
        "gen-weights-shape",
        GEN,
        ["model.safetensors", "shape", "config.json"],
        _model_file("config.json", _config(width=32)),
    ),
    (
        "gen-weights-extra-layer",
        GEN,
        ["model.safetensors", "missing tensors"],
        _model_file("config.json", _config(layers=2)),
    ),
    (
        "gen-config-array",
        GEN,
        ["config.json", "JSON object", "array"],
        _model_file("config.json", _write("[1]")),
    ),
    (
        "gen-config-type",
        GEN,
        ["config.json", "vocab_size", "'many'"],
        _model_file("config.json", _config(vocab_size="many")),
    ),
    (
        "gen-config-unknown-key",
        GEN,
        ["config.json", "unknown keys", "colour"],
        _model_file("config.json", _config(colour=1)),
    ),
    (
        "gen-config-huge",
        GEN,
        ["config.json", "width", "1000000000"],
        _model_file("config.json", _config(width=10**9)),
    ),
    (
        "gen-tokenizer-not-json",
        GEN,
        ["tokenizer.json", "not valid JSON"],
        _model_file("tokenizer.json", _write("{")),
    ),
    (
        "gen-tokenizer-families",
        GEN,
        ["tokenizer.json", "families"],
        _model_file("tokenizer.json", _config(families=3)),
    ),
    (
        "gen-normal-form-array",
        GEN,
        ["normal_form.json", "JSON object"],
        _model_file("normal_form.json", _write("[1]")),
    ),
    (
        "gen-weights-symlink",
        GEN,
        ["model.safetensors", "symbolic link"],
        _model_file("model.safetensors", lambda p: (p.unlink(), p.symlink_to("/etc/hostname"))),
    ),
    # generators train
    ("train-epochs-zero", [*TRAIN, "--epochs", "0"], ["epochs", "0", ">= 1"], None),
    ("train-batch-zero", [*TRAIN, "--batch-size", "0"], ["batch_size", "0"], None),
    ("train-lr-nan", [*TRAIN, "--lr", "nan"], ["lr", "nan"], None),
    ("train-lr-zero", [*TRAIN, "--lr", "0"], ["lr", "> 0"], None),
    ("train-dropout", [*TRAIN, "--dropout", "1.5"], ["dropout", "1.5"], None),
    ("train-heads", [*TRAIN, "--heads", "3"], ["heads (3)", "width (16)"], None),
    ("train-layers-zero", [*TRAIN, "--layers", "0"], ["layers", "0"], None),
    ("train-width-huge", [*TRAIN, "--width", "100000000"], ["width", "100000000"], None),
    ("train-context-zero", [*TRAIN, "--context", "0"], ["context", "0"], None),
    ("train-minutes", [*TRAIN, "--max-minutes", "-1"], ["max_minutes", "-1"], None),
    ("train-minutes-nan", [*TRAIN, "--max-minutes", "nan"], ["max_minutes", "nan"], None),
    ("train-patience", [*TRAIN, "--patience", "-1"], ["patience", "-1"], None),
    ("train-seed", [*TRAIN, "--seed", "-1"], ["seed", "-1"], None),
    ("train-device", [*TRAIN, "--device", "tpu"], ["device 'tpu'"], None),
    ("train-out-is-file", TRAIN, ["a_file", "is a file"], _out_is_file),
    ("train-out-under-file", TRAIN, ["a_file", "is a file"], _out_under_file),
    ("train-corpus-missing", [*TRAIN, "--corpus", "{tmp}/nocorpus"], ["nocorpus"], None),
    (
        "train-corpus-no-source",
        TRAIN,
        ["manifest.jsonl line 25", "missing 'source'"],
        _corpus_row(source=None),
    ),
    (
        "train-corpus-bad-source",
        TRAIN,
        ["line 25", "source", "'bogus'"],
        _corpus_row(source="bogus"),
    ),
    ("train-corpus-etc", TRAIN, ["line 25", "/etc/hostname"], _corpus_row(file="/etc/hostname")),
    ("train-corpus-parent", TRAIN, ["line 25", "../x.qasm"], _corpus_row(file="../x.qasm")),
    ("train-corpus-not-object", TRAIN, ["line 25", "JSON object", "a number"], _corpus_line("7")),
    ("train-corpus-not-json", TRAIN, ["line 25", "not valid JSON"], _corpus_line("{")),
    ("train-corpus-qubits", TRAIN, ["line 25", "qubits", "'two'"], _corpus_row(qubits="two")),
    (
        "train-resume-pickle",
        RESUME,
        ["checkpoint.pt", "refused"],
        _checkpoint(pickle.dumps({"model": _Evil()})),
    ),
    ("train-resume-truncated", RESUME, ["checkpoint.pt", "refused"], _checkpoint(None)),
    ("train-resume-empty", RESUME, ["checkpoint.pt", "refused"], _checkpoint(b"")),
    ("train-resume-missing", RESUME, ["nothing to resume", "checkpoint.pt"], _no_checkpoint),
    ("train-model-exists", [*TRAIN, "--out", "{model}"], ["already holds a model"], None),
    # generators corpus
    ("corpus-max-qubits", [*CORPUS, "--max-qubits", "40"], ["max_qubits", "40"], None),
    ("corpus-min-qubits", [*CORPUS, "--min-qubits", "0"], ["min_qubits", "0"], None),
    ("corpus-min-over-max", [*CORPUS, "--min-qubits", "5"], ["min_qubits=5", "1..3"], None),
    ("corpus-seeds", [*CORPUS, "--seeds", "0"], ["seeds", "0"], None),
    ("corpus-max-gates", [*CORPUS, "--max-gates", "0"], ["max_gates", "0"], None),
    ("corpus-split-seed", [*CORPUS, "--split-seed", "-2"], ["split_seed", "-2"], None),
    ("corpus-families", [*CORPUS, "--families", "nosuch"], ["'nosuch'", "available"], None),
    ("corpus-out-is-file", CORPUS, ["a_file", "is a file"], _out_is_file),
    ("corpus-out-under-file", CORPUS, ["a_file", "is a file"], _out_under_file),
    ("corpus-out-symlink", CORPUS, ["symbolic link"], _link_out),
    ("corpus-out-not-empty", CORPUS, ["not empty", "overwrite"], _non_empty_out),
    # generators verify
    ("verify-seed", [*VERIFY, "--seed", "-1"], ["seed", "-1"], None),
    ("verify-figure-folder", [*VERIFY, "--figure", "{tmp}/fig"], ["fig", "folder"], _figure_folder),
    ("verify-figure-empty", [*VERIFY, "--figure", ""], ["figure .", "folder"], None),
    ("verify-figure-suffix", [*VERIFY, "--figure", "{tmp}/f.xyz"], ["f.xyz", ".png"], None),
    (
        "verify-figure-under-file",
        [*VERIFY, "--figure", "{file}/f.png"],
        ["a_file", "is a file"],
        None,
    ),
    ("verify-no-qasm", VERIFY, ["no .qasm files"], _empty_gen),
    ("verify-other-level", VERIFY, ["level 'native'", "--level indep --format qasm2"], _gen_native),
    ("verify-reference-missing", [*VERIFY, "--reference", "{tmp}/nocorpus"], ["nocorpus"], None),
    (
        "verify-reference-no-random-test",
        VERIFY,
        ["no random circuits", "test"],
        _corpus_without("random", "test"),
    ),
    (
        "verify-reference-no-source",
        VERIFY,
        ["line 25", "missing 'source'"],
        _corpus_row(source=None, split="test"),
    ),
    (
        "verify-reference-etc",
        VERIFY,
        ["line 25", "/etc/hostname"],
        _corpus_row(file="/etc/hostname"),
    ),
]


def _case_id(case) -> str:
    return case.values[0] if hasattr(case, "values") else case[0]


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and stderr of ``qneuro ARGV`` run in-process."""
    status = main([*argv, "--quiet"])
    return status, capsys.readouterr().err


def assert_one_line_error(status: int, err: str, words: list[str]) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qneuro: error: "), err
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def _contents(folder: Path) -> dict[Path, bytes] | None:
    """Regular files under ``folder`` (but the lock file) and their bytes; None if absent."""
    if not folder.is_dir() or folder.is_symlink():
        return None
    return {
        p: p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and p.name != ".lock"
    }


@pytest.mark.parametrize("name, argv, words, prepare", CLI_CASES, ids=map(_case_id, CLI_CASES))
def test_bad_command_input_is_one_clear_line(name, argv, words, prepare, ctx, capsys):
    if prepare is not None:
        prepare(ctx)
    before = _contents(ctx.out)
    status, err = run_cli([a.format(**vars(ctx)) for a in argv], capsys)
    assert_one_line_error(status, err, words)
    assert "pickle payload ran" not in capsys.readouterr().out
    assert _contents(ctx.out) == before  # refused before anything is written


def test_refused_settings_leave_the_folder_usable(ctx, capsys):
    argv = [a.format(**vars(ctx)) for a in GEN]
    status, err = run_cli([*argv, "--temperature", "0"], capsys)
    assert_one_line_error(status, err, ["temperature"])
    assert not (ctx.out / "generate.json").exists()
    assert run_cli(argv, capsys)[0] == 0
    assert len(list(ctx.out.glob("circuit_*.qasm"))) == 2


# --- the Python API ------------------------------------------------------------------------


def _pickle_checkpoint(ctx) -> Path:
    path = ctx.tmp / "checkpoint.pt"
    path.write_bytes(pickle.dumps({"model": _Evil()}))
    return path


def _corpus_with(ctx, line: str) -> Path:
    _corpus_line(line)(ctx)
    return ctx.corpus


API_CASES = [
    ("options-temperature", lambda c: GenerateOptions(temperature=math.nan), ["temperature"]),
    ("options-qubits-pair", lambda c: GenerateOptions(qubits=(3,)), ["qubits", "pair"]),
    ("options-n-bool", lambda c: GenerateOptions(n=True), ["n=True", "an integer"]),
    ("options-top-k-float", lambda c: GenerateOptions(top_k=2.5), ["top_k", "2.5"]),
    ("options-family-type", lambda c: GenerateOptions(family=3), ["family", "3"]),
    (
        "generate-threads",
        lambda c: generate_dataset(c.out, GenerateOptions(n=1), threads=0),
        ["threads", "0"],
    ),
    (
        "generate-device",
        lambda c: generate_dataset(c.out, GenerateOptions(n=1), device="gpu"),
        ["device 'gpu'"],
    ),
    (
        "sample-temperature",
        lambda c: sample_tokens(*load_model(c.model), [2], temperature=0),
        ["temperature", "0"],
    ),
    (
        "sample-max-tokens",
        lambda c: sample_tokens(*load_model(c.model), [2], max_tokens=1),
        ["max_tokens", "1"],
    ),
    ("parse-range", lambda c: parse_range("2-x"), ["qubit range", "2-x"]),
    ("model-config-bool", lambda c: ModelConfig(vocab_size=10, heads=True), ["heads", "True"]),
    ("pick-device", lambda c: pick_device("tpu"), ["device 'tpu'", "cuda:N"]),
    ("tokenizer-array", lambda c: Tokenizer.from_json([1]), ["JSON object"]),
    ("normal-form-array", lambda c: NormalForm.load(c.file), ["a_file", "not valid JSON"]),
    ("checkpoint-pickle", lambda c: load_checkpoint(_pickle_checkpoint(c)), ["checkpoint.pt"]),
    ("train-epochs", lambda c: train(c.corpus, c.out, epochs=0), ["epochs", "0"]),
    ("train-warmup", lambda c: train(c.corpus, c.out, warmup=-1), ["warmup", "-1"]),
    (
        "train-weight-decay",
        lambda c: train(c.corpus, c.out, weight_decay=math.inf),
        ["weight_decay", "inf"],
    ),
    ("train-dtype", lambda c: train(c.corpus, c.out, weights_dtype="int8"), ["weights_dtype"]),
    ("corpus-ratios-two", lambda c: build_corpus(c.out, ratios=(0.5, 0.5)), ["ratios", "three"]),
    (
        "corpus-ratios-negative",
        lambda c: build_corpus(c.out, ratios=(0.6, 0.5, -0.1)),
        ["ratios[2]", "-0.1"],
    ),
    (
        "corpus-families-string",
        lambda c: build_corpus(c.out, families="ghz"),
        ["families", "'ghz'"],
    ),
    ("corpus-measure", lambda c: build_corpus(c.out, measure="mid"), ["measure", "'mid'"]),
    (
        "corpus-load-row",
        lambda c: Corpus.load(_corpus_with(c, '{"file": 3}')),
        ["line 25", "file", "3"],
    ),
    (
        "verify-seed-big",
        lambda c: verify_dataset(c.gen, c.corpus, seed=2**40),
        ["seed", str(2**40)],
    ),
]


@pytest.mark.parametrize("name, call, words", API_CASES, ids=[c[0] for c in API_CASES])
def test_bad_api_input_raises_a_named_value_error(name, call, words, ctx):
    with pytest.raises(ValueError) as info:
        call(ctx)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
    assert not ctx.out.exists()


# --- symbolic links and a second writer ----------------------------------------------------


def test_symlinked_manifest_is_refused_and_its_target_untouched(ctx, capsys):
    _symlink_in_out("manifest.jsonl")(ctx)
    status, err = run_cli([a.format(**vars(ctx)) for a in GEN], capsys)
    assert_one_line_error(status, err, ["manifest.jsonl", "symbolic link"])
    assert ctx.file.read_text() == "not a folder\n"
    assert not list(ctx.out.glob("circuit_*"))


def test_verify_reports_a_symlinked_qasm_without_reading_it(ctx):
    outside = ctx.tmp / "outside.qasm"
    shutil.copy(ctx.gen / sorted(p.name for p in ctx.gen.glob("*.qasm"))[0], outside)
    (ctx.gen / "link.qasm").symlink_to(outside)
    result = verify_dataset(ctx.gen, ctx.corpus, figure="", run_aer=False, progress=False)
    assert result["n"] == 4 and set(result["failures"]) == {"link.qasm"}
    assert "symbolic link" in result["failures"]["link.qasm"]


def test_a_symlinked_corpus_file_is_refused(ctx):
    corpus = _copy(ctx, "corpus")
    (corpus / "real" / "c0.qasm").unlink()
    (corpus / "real" / "c0.qasm").symlink_to(ctx.file)
    with pytest.raises(ValueError, match="c0.qasm is a symbolic link"):
        Corpus.load(corpus).programs("mqt.bench", "train")


@pytest.mark.parametrize("command", [GEN, TRAIN, CORPUS], ids=["generate", "train", "corpus"])
def test_a_second_writer_is_refused(command, ctx, capsys):
    ctx.out.mkdir()
    with FolderLock(ctx.out):
        status, err = run_cli([a.format(**vars(ctx)) for a in command], capsys)
    assert_one_line_error(status, err, [str(ctx.out), "in use by another qneuro process"])
    assert _contents(ctx.out) == {}
