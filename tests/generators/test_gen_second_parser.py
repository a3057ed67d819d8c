"""The independent OpenQASM 2 reading (generators/second_parser.py) and its place in validity."""

from __future__ import annotations

import pytest

from qneuro.generators import second_parser
from qneuro.generators.verify import check_validity, verify_dataset
from qneuro.qasm import parse_qasm

pytest.importorskip("openqasm3")

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def test_agrees_with_qiskit_on_every_corpus_circuit(tiny_corpus):
    files = sorted((tiny_corpus / "real").glob("*.qasm")) + sorted(
        (tiny_corpus / "random").glob("*.qasm")
    )
    assert len(files) > 20
    operations = 0
    for path in files:
        text = path.read_text()
        reading = second_parser.read(text)
        assert second_parser.compare_with_qiskit(reading, parse_qasm(text)) is None, path.name
        operations += len(reading.operations)
    assert operations > 200


def test_broadcast_definitions_and_expressions_agree():
    text = HEAD + (
        "qreg a[2];\nqreg b[2];\ncreg c[2];\ncx a,b;\nh a;\nu3(0.1,sin(0.2),2^3) b[1];\n"
        "barrier a,b[0];\ngate g(t) x,y { cx x,y; rz(t) y; }\ng(-pi/4) a[1],b[0];\n"
        "measure b -> c;\n"
    )
    reading = second_parser.read(text)
    assert reading.num_qubits == 4 and len(reading.operations) == 9
    assert second_parser.compare_with_qiskit(reading, parse_qasm(text)) is None


@pytest.mark.parametrize(
    "text, words",
    [
        ('include "qelib1.inc";\nqreg q[2];\nh q[0];\n', "OPENQASM 2.0"),  # no version line
        (HEAD + "qreg q[2];\nh q[0];;\n", "openqasm3 parser"),  # empty statement
        (HEAD + "qreg q[0];\n", "positive"),  # zero-size register
    ],
)
def test_catches_programs_qiskit_lets_through(text, words):
    assert check_validity(text, run_aer=False, second_parser=False)["valid"]  # qiskit: fine
    check = check_validity(text, run_aer=False)
    assert not check["valid"] and check["stage"] == "second_parser"
    assert words in check["reason"]


def test_a_disagreement_is_named():
    mine = second_parser.read(HEAD + "qreg q[2];\nrz(pi/4) q[0];\ncx q[0],q[1];\n")
    theirs = parse_qasm(HEAD + "qreg q[2];\nrz(pi/8) q[0];\ncx q[0],q[1];\n")
    assert "angles" in second_parser.compare_with_qiskit(mine, theirs)
    theirs = parse_qasm(HEAD + "qreg q[2];\nrz(pi/4) q[0];\ncx q[1],q[0];\n")
    assert "cx[0, 1] here, cx[1, 0] in qiskit" in second_parser.compare_with_qiskit(mine, theirs)
    theirs = parse_qasm(HEAD + "qreg q[3];\nrz(pi/4) q[0];\ncx q[0],q[1];\n")
    assert "qubits: 2 here, 3 in qiskit" in second_parser.compare_with_qiskit(mine, theirs)


@pytest.mark.parametrize(
    "body, words",
    [
        ("qreg q[2];\nfoo q[0];\n", "unknown gate"),
        ("qreg q[2];\ncx q[0];\n", "2 qubit"),
        ("qreg q[2];\nh q[2];\n", "outside qreg"),
        ("qreg q[2];\ncx q[1],q[1];\n", "repeats"),
        ("qreg q[2];\nrz q[0];\n", "angle"),
    ],
)
def test_rules_of_openqasm2(body, words):
    with pytest.raises(second_parser.SecondParserError, match=words):
        second_parser.read(HEAD + body)


def test_missing_package_degrades_with_a_message(tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(second_parser, "available", lambda: False)
    assert check_validity(HEAD + "qreg q[2];\nh q[0];;\n", run_aer=False)["valid"]
    d = tmp_path / "gen"
    d.mkdir()
    for i, f in enumerate(sorted((tiny_corpus / "real").glob("*.qasm"))[:4]):
        (d / f"c{i}.qasm").write_text(f.read_text())
    result = verify_dataset(
        d, tiny_corpus, figure="", run_aer=False, sequence_judge=False, progress=False
    )
    assert second_parser.MISSING in result["validity_checks"]
    assert "not installed" in second_parser.MISSING
