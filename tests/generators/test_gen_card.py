"""The dataset card (generators/card.py) that generate and verify write."""

from __future__ import annotations

import json
import shlex
from collections import Counter

import pytest

from qneuro.cli import main
from qneuro.generators import dataset
from qneuro.generators.card import CARD_FIGURE, CARD_JSON, CARD_MD, write_card
from qneuro.generators.dataset import GenerateOptions, generate_dataset


def _options(**kw):
    return GenerateOptions(**{"n": 6, "qubits": (2, 4), "seed": 5, "batch_size": 4, **kw})


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("circuit_*"))}


def test_card_counts_match_the_manifest_and_its_command_reproduces_the_bytes(
    tiny_model, tiny_corpus, tmp_path, capsys
):
    out = tmp_path / "gen"
    options = _options(model=str(tiny_model), temperature=0.9)
    result = generate_dataset(
        out, options, model_dir=tiny_model, progress=False, reference=tiny_corpus
    )
    assert result["card"] == str(out / CARD_MD)
    for name in (CARD_MD, CARD_JSON, CARD_FIGURE):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    card = json.loads((out / CARD_JSON).read_text())
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    valid = [r for r in rows if r["valid"]]
    assert card["dataset"]["circuits"] == 6 and card["dataset"]["valid"] == len(valid)
    by_qubits = {q: c["circuits"] for q, c in card["dataset"]["by_qubits"].items()}
    assert by_qubits == {str(q): c for q, c in Counter(r["qubits"] for r in valid).items()}
    assert sum(card["dataset"]["by_family"].values()) == len(valid)
    assert card["histograms"]["reference"]["corpus"] == str(tiny_corpus)
    assert sum(card["histograms"]["generated"]["gates"]) == len(valid)
    assert card["generation"]["model"]["training_corpus_path"] == str(tiny_corpus)
    assert card["verification"] is None
    command = card["generation"]["command"]
    assert command in (out / CARD_MD).read_text()
    assert "--temperature 0.9" in command and "--batch-size 4" in command
    # the command, run as printed but into another folder, writes the same bytes
    args = shlex.split(command)
    assert args[:2] == ["qneuro", "generate"]
    again = tmp_path / "again"
    args[args.index("--out") + 1] = str(again)
    assert main([*args[1:], "--quiet", "--threads", "1"]) == 0
    capsys.readouterr()
    assert _files(again) == _files(out) and len(_files(out)) == 6
    assert (again / "manifest.jsonl").read_bytes() == (out / "manifest.jsonl").read_bytes()


def test_a_killed_run_leaves_no_card_and_a_resumed_one_writes_it(tiny_model, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    options = _options(model=str(tiny_model))
    generate_dataset(
        out, _options(model=str(tiny_model), n=2), model_dir=tiny_model, progress=False
    )
    assert (out / CARD_JSON).is_file()
    real_write = dataset._write_missing

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset, "_write_missing", killed)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(out, options, model_dir=tiny_model, progress=False)
    assert not (out / CARD_JSON).exists() and not (out / CARD_MD).exists()
    assert not list(out.glob(".*.tmp"))
    monkeypatch.setattr(dataset, "_write_missing", real_write)
    generate_dataset(out, options, model_dir=tiny_model, progress=False)
    card = json.loads((out / CARD_JSON).read_text())
    assert card["dataset"]["circuits"] == 6 and "--n 6" in card["generation"]["command"]


def test_verify_updates_the_card_and_a_no_op_resume_keeps_it(
    tiny_model, tiny_corpus, tmp_path, capsys
):
    out = tmp_path / "gen"
    options = _options(model=str(tiny_model), n=8, qubits=(2, 5))
    generate_dataset(out, options, model_dir=tiny_model, progress=False)
    # no --reference, but the model's training.json names its corpus, which is here
    first = json.loads((out / CARD_JSON).read_text())
    assert first["histograms"]["reference"]["corpus"] == str(tiny_corpus)
    assert (out / CARD_FIGURE).is_file()
    argv = ["generators", "verify", str(out), "--reference", str(tiny_corpus), "--no-aer"]
    assert main([*argv, "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result["judges"]) == {"random_forest", "sequence"}
    card = json.loads((out / CARD_JSON).read_text())
    verification = card["verification"]
    assert verification["validity"] == result["validity"]
    assert verification["judges"]["sequence"] == result["judges"]["sequence"]
    assert verification["command"].startswith(f"qneuro generators verify {out} --reference")
    assert "--no-aer" in verification["command"]
    text = (out / CARD_MD).read_text()
    assert "| random_forest |" in text and "| sequence |" in text and "## Verification" in text
    generate_dataset(out, options, model_dir=tiny_model, progress=False)  # nothing to do
    kept = json.loads((out / CARD_JSON).read_text())
    assert kept["verification"] == verification and (out / CARD_FIGURE).is_file()
    generate_dataset(
        out,
        _options(model=str(tiny_model), n=9, qubits=(2, 5)),
        model_dir=tiny_model,
        progress=False,
    )
    assert json.loads((out / CARD_JSON).read_text())["verification"] is None  # new circuits


def test_a_card_of_an_earlier_draw_method_says_its_command_writes_other_circuits(
    tiny_model, tmp_path
):
    out = tmp_path / "gen"
    generate_dataset(out, _options(model=str(tiny_model)), model_dir=tiny_model, progress=False)
    assert "writes the same bytes" in (out / CARD_MD).read_text()
    saved = json.loads((out / "generate.json").read_text())
    del saved["settings"]["sampler"]  # as a folder written before the draw method was recorded
    (out / "generate.json").write_text(json.dumps(saved))
    write_card(out)
    card = json.loads((out / CARD_JSON).read_text())
    assert card["generation"]["reproduces"] is False
    text = (out / CARD_MD).read_text()
    assert "drawn by `multinomial`; this version writes others" in text
    assert "writes the same bytes" not in text
