"""Export formats of ``generate``: qasm2 (default), qasm3, qpy; round trips through qiskit."""

from __future__ import annotations

import json

import pytest
from qiskit.quantum_info import Operator

from qneuro.generators.dataset import GenerateOptions, generate_dataset
from qneuro.generators.formats import FORMATS, read_circuit
from qneuro.generators.verify import verify_dataset


def _generate(out, fmt, n=4, **settings):
    options = GenerateOptions(n=n, qubits=(2, 4), seed=4, batch_size=2, format=fmt, **settings)
    generate_dataset(out, options, progress=False, threads=1)
    return sorted(out.glob("circuit_*"))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    return {fmt: _generate(root / fmt, fmt) for fmt in FORMATS}


def test_each_format_has_its_suffix_and_manifest(folders):
    for fmt, files in folders.items():
        assert [p.suffix for p in files] == [FORMATS[fmt]] * 4
        rows = (files[0].parent / "manifest.jsonl").read_text().splitlines()
        assert [json.loads(r)["file"] for r in rows] == [p.name for p in files]
        assert all(json.loads(r).get("format", "qasm2") == fmt for r in rows)


def test_qpy_round_trip_is_the_same_circuit(folders):
    for qasm, qpy in zip(folders["qasm2"], folders["qpy"], strict=True):
        circuit = read_circuit(qpy)
        assert circuit == read_circuit(qasm)  # same instructions, qubits and parameters
        assert circuit.name == qasm.stem


def test_qasm3_round_trip_is_the_same_unitary(folders):
    pytest.importorskip("qiskit_qasm3_import")  # qiskit.qasm3.loads needs it
    for qasm, qasm3 in zip(folders["qasm2"], folders["qasm3"], strict=True):
        text = qasm3.read_text()
        assert text.startswith("OPENQASM 3.0;")
        assert Operator(read_circuit(qasm3)).equiv(Operator(read_circuit(qasm)))


def test_binary_format_resumes_to_the_same_bytes(folders, tmp_path):
    out = tmp_path / "qpy"
    _generate(out, "qpy")
    (out / "circuit_000003.qpy").unlink()
    again = _generate(out, "qpy")  # rewritten in this process: the name must not drift
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in folders["qpy"]]
    with pytest.raises(ValueError, match="format 'qpy' there, 'qasm3' now"):
        _generate(out, "qasm3")


def test_a_format_with_a_level(tmp_path):
    pytest.importorskip("qiskit_ibm_runtime")
    files = _generate(tmp_path / "g", "qpy", n=2, level="native", backend="mumbai")
    for path in files:
        assert set(read_circuit(path).count_ops()) <= {"cx", "id", "rz", "sx", "x"}


@pytest.mark.parametrize("fmt", ["qasm3", "qpy"])
def test_verify_refuses_other_formats_with_a_clear_message(fmt, folders):
    with pytest.raises(ValueError, match=f"format '{fmt}'.*--level indep --format qasm2"):
        verify_dataset(folders[fmt][0].parent, "no-corpus-needed", progress=False)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format 'json' unknown; allowed: qasm2, qasm3, qpy"):
        GenerateOptions(format="json")
