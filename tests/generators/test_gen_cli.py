from __future__ import annotations

import argparse
import json

import pytest

from qneuro.generators.cli import add_commands, demo_step


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.run(args)
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1]) if "--json" in argv else out


@pytest.mark.slow
def test_end_to_end_train_generate_verify(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    r = _run(
        [
            "generators",
            "corpus",
            "--out",
            str(corpus),
            "--max-qubits",
            "4",
            "--families",
            "ghz,qft,dj,wstate",
            "--seeds",
            "1",
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert r["real"] > 5
    model = tmp_path / "model"
    r = _run(
        [
            "generators",
            "train",
            "--corpus",
            str(corpus),
            "--out",
            str(model),
            "--layers",
            "1",
            "--width",
            "32",
            "--heads",
            "2",
            "--context",
            "128",
            "--epochs",
            "2",
            "--device",
            "cpu",
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert r["epochs_run"] == 2 and (model / "model.safetensors").is_file()
    r = _run(
        [
            "generators",
            "train",
            "--corpus",
            str(corpus),
            "--out",
            str(model),
            "--epochs",
            "3",
            "--resume",
            "--device",
            "cpu",
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert r["epochs_run"] == 3
    gen = tmp_path / "gen"
    r = _run(
        [
            "generate",
            "--n",
            "20",
            "--qubits",
            "2-4",
            "--out",
            str(gen),
            "--model",
            str(model),
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert r["n"] == 20 and r["valid"] == 1.0 and r["circuits_per_second"] > 0
    r = _run(
        [
            "generators",
            "verify",
            str(gen),
            "--reference",
            str(corpus),
            "--no-aer",
            "--quiet",
            "--json",
        ],
        capsys,
    )
    for key in (
        "n",
        "validity",
        "classifier_accuracy",
        "judged_real",
        "structure_distance_generated",
        "structure_distance_random",
        "novelty",
    ):
        assert key in r
    assert r["n"] == 20 and r["validity"] == 1.0


def test_bad_input_raises_value_error(tmp_path, capsys):
    with pytest.raises(ValueError, match="qubit range"):
        _run(["generate", "--n", "2", "--qubits", "5-2", "--out", str(tmp_path / "g")], capsys)
    with pytest.raises(FileNotFoundError):
        _run(["generators", "verify", str(tmp_path), "--reference", str(tmp_path)], capsys)


def test_bundled_model_generates_valid_circuits():
    import torch
    from qiskit import qasm2

    from qneuro.generators.decoding import sample_tokens
    from qneuro.generators.model import default_model_dir, load_model

    assert (default_model_dir() / "recipe.json").is_file()
    model, tok = load_model()
    seqs = sample_tokens(model, tok, [2, 5, 8], generator=torch.Generator().manual_seed(0))
    for n, ids in zip([2, 5, 8], seqs, strict=False):
        assert qasm2.loads(tok.decode(ids)).num_qubits == n


@pytest.mark.slow
def test_demo_step():
    lines = []
    result = demo_step(False, lines.append)
    assert result["valid"] == 1.0 and result["circuits"] == 6
    assert lines and "parse and run on Aer" in lines[0]
    json.dumps(result)


def test_module_entry_point_refuses_like_qneuro(capsys, tmp_path):
    """``python -m qneuro.generators``: help without a command; bad input exits 2, one line."""
    from qneuro.generators.__main__ import main

    assert main([]) == 0
    assert "generate" in capsys.readouterr().out
    assert main(["generate", "--n", "0", "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m qneuro.generators: error: ")
    assert "n=0" in err[0] or "--n" in err[0]
    assert main(["generate", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "python -m qneuro.generators: error: python -m qneuro.generators generate: the "
        "following arguments are required: --out (see python -m qneuro.generators generate "
        "--help)"
    ]


def test_corpus_command_at_32_qubits_reports_skipped_circuits(tmp_path, capsys):
    out = tmp_path / "c32"
    argv = ["generators", "corpus", "--out", str(out), "--min-qubits", "29"]
    argv += ["--max-qubits", "32", "--families", "ghz,cdkm_ripple_carry_adder,bmw_quark_copula"]
    r = _run([*argv, "--seeds", "1", "--max-gates", "1000", "--quiet", "--json"], capsys)
    assert r["real"] == 6  # ghz 29-32, the adder at 30 and 32
    skipped = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    assert r["skipped"] == len(skipped) == 6
    reasons = {(s["family"], s["qubits"]): s["reason"] for s in skipped}
    assert "even integer" in reasons[("cdkm_ripple_carry_adder", 31)]
    assert "> max_gates 1000" in reasons[("bmw_quark_copula", 30)]
    assert reasons[("bmw_quark_copula", 32)].startswith("not built: 30 qubits already had")
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert max(row["qubits"] for row in rows) == 32
