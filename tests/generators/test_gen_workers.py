"""``generate --workers``: Ray workers sample batches; the output equals one process's."""

import json

import pytest

from qneuro.generators.card import CARD_FILES
from qneuro.generators.dataset import GenerateOptions, generate_dataset

OPTIONS = GenerateOptions(n=14, qubits=(2, 4), batch_size=3, seed=7)


def _folder_bytes(folder):
    """Every file but the lock and the dataset card (which names its folder)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != ".lock" and p.name not in CARD_FILES
    }


def test_sharded_generation_is_byte_identical_and_resumes_per_batch(
    tiny_model, local_ray, tmp_path
):
    single = generate_dataset(tmp_path / "one", OPTIONS, model_dir=tiny_model, progress=False)
    sharded = generate_dataset(
        tmp_path / "two", OPTIONS, model_dir=tiny_model, progress=False, workers=2
    )
    assert single["generated"] == sharded["generated"] == 14
    expected = _folder_bytes(tmp_path / "one")
    assert set(expected) >= {"manifest.jsonl", "generate.json", "circuit_000013.qasm"}
    assert _folder_bytes(tmp_path / "two") == expected

    # lose batch 1 (circuits 3-5) and one circuit of batch 4, then resume with workers
    out = tmp_path / "two"
    for i in (3, 4, 5, 13):
        (out / f"circuit_{i:06d}.qasm").unlink()
    again = generate_dataset(out, OPTIONS, model_dir=tiny_model, progress=False, workers=2)
    assert again["generated"] == 4 and again["skipped"] == 10
    now = _folder_bytes(out)
    assert {k: v for k, v in now.items() if k.endswith(".qasm")} == {
        k: v for k, v in expected.items() if k.endswith(".qasm")
    }
    rows = sorted(json.loads(line)["index"] for line in now["manifest.jsonl"].splitlines())
    assert rows == list(range(14))  # every circuit once, none doubled

    # more workers than the Ray has CPUs would wait forever: refused before any write
    with pytest.raises(ValueError, match="workers=3 exceeds the 2 CPUs"):
        generate_dataset(
            tmp_path / "three", OPTIONS, model_dir=tiny_model, progress=False, workers=3
        )
    assert not (tmp_path / "three").exists()


def test_bad_workers_and_addresses_are_refused_before_writing(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="address='nowhere'"):
        generate_dataset(
            tmp_path / "x", OPTIONS, model_dir=tiny_model, progress=False, address="nowhere"
        )
    with pytest.raises(ValueError, match="workers=0"):
        generate_dataset(tmp_path / "x", OPTIONS, model_dir=tiny_model, progress=False, workers=0)
    assert not (tmp_path / "x").exists()


def test_workers_without_ray_name_the_extra(tiny_model, tmp_path, capsys, monkeypatch):
    import sys

    from qneuro.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)
    code = main(
        [
            "generate",
            "--n",
            "4",
            "--workers",
            "2",
            "--model",
            str(tiny_model),
            "--out",
            str(tmp_path / "x"),
            "--quiet",
        ]
    )
    assert code == 2 and 'pip install "qneuro[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_sharded_device_levels_match_one_process(tiny_model, local_ray, tmp_path):
    """Workers transpile their batches: same bytes (QPY too) as one process."""
    pytest.importorskip("qiskit_ibm_runtime")
    options = GenerateOptions(
        n=6, qubits=(2, 4), batch_size=2, seed=7, level="mapped", backend="mumbai", format="qpy"
    )
    for folder, workers in (("one", 1), ("two", 2)):
        generate_dataset(
            tmp_path / folder, options, model_dir=tiny_model, progress=False, workers=workers
        )
    expected = _folder_bytes(tmp_path / "one")
    assert "circuit_000005.qpy" in expected
    assert _folder_bytes(tmp_path / "two") == expected
