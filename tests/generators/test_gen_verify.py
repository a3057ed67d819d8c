from __future__ import annotations

import pytest

from qneuro.generators.verify import MAX_AER_QUBITS, check_validity, format_report, verify_dataset

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
WIDTH = MAX_AER_QUBITS + 2


def _chain(width: int) -> str:
    """A valid program: a CX chain with angles, a barrier, a gate Aer transpiles (ch), measures."""
    return (
        f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{width}];\ncreg c[{width}];\nh q[0];\n'
        + "".join(f"cx q[{i}],q[{i + 1}];\nrz(pi/4) q[{i + 1}];\n" for i in range(width - 1))
        + "barrier q;\nch q[0],q[1];\nmeasure q -> c;\n"
    )


WIDE = _chain(WIDTH)  # too wide for Aer's statevector: transpiled for Aer, not run


@pytest.mark.parametrize(
    "body, stage, words",
    [
        ("h q[0]\ncx q[0],q[1];\n", "parse", "needed ';'"),
        ("foo q[0];\n", "parse", "foo"),
        ("h q[5];\n", "parse", "index"),
        ("rz q[0];\n", "parse", "phi"),
    ],
)
def test_malformed_qasm_gets_a_reason(body, stage, words):
    check = check_validity(HEAD + body)
    assert not check["valid"] and check["stage"] == stage
    assert words.lower() in check["reason"].lower()


def test_include_of_local_file_refused(tmp_path, monkeypatch):
    secret = tmp_path / "secret.inc"
    secret.write_text("gate mine a { h a; }\n")
    monkeypatch.chdir(tmp_path)
    for inc in ("secret.inc", str(secret), "/etc/passwd"):
        check = check_validity(f'OPENQASM 2.0;\ninclude "{inc}";\nqreg q[1];\n')
        assert not check["valid"] and check["stage"] == "include"
    assert check_validity(HEAD + "h q[0];\ncx q[0],q[1];\n")["valid"]


def test_a_circuit_wider_than_a_statevector_is_valid_unrun():
    check = check_validity(WIDE)
    assert check["valid"], check["reason"]
    assert check["circuit"].num_qubits == WIDTH
    assert check_validity(_chain(5))["valid"]  # the same operations run on Aer when narrow
    broken = WIDE.replace("rz(pi/4) q[3];", "rz(pi/4) q[30];")  # outside the register
    assert check_validity(broken)["stage"] == "parse"


def test_verify_reports_failures_without_crashing(tiny_corpus, tmp_path):
    d = tmp_path / "gen"
    d.mkdir()
    corpus_files = sorted((tiny_corpus / "real").glob("*.qasm"))[:6]
    for i, f in enumerate(corpus_files):
        (d / f"ok_{i}.qasm").write_text(f.read_text())
    (d / "bad_semicolon.qasm").write_text(HEAD + "h q[0]\n")
    (d / "bad_include.qasm").write_text('OPENQASM 2.0;\ninclude "x.inc";\nqreg q[1];\n')
    (d / "bad_angle.qasm").write_text(HEAD + "rz q[0];\n")
    (d / "binary.qasm").write_bytes(b"\xff\xfe\x00")
    (d / "wide.qasm").write_text(WIDE)
    result = verify_dataset(d, tiny_corpus, progress=False)
    assert result["n"] == 11
    assert result["validity"] == pytest.approx(7 / 11)
    assert result["aer_not_run"] == 1  # the wide one: valid, not run
    assert "(1 not run)" in format_report(result)
    assert set(result["failures"]) == {
        "bad_semicolon.qasm",
        "bad_include.qasm",
        "bad_angle.qasm",
        "binary.qasm",
    }
    # copies of corpus circuits: real-looking; training ones are not novel
    assert 0.0 <= result["novelty"] <= 1.0
    assert 0.0 <= result["classifier_accuracy"] <= 1.0
    assert (d / "verify.png").stat().st_size > 0
    for key in ("judged_real", "structure_distance_generated", "structure_distance_random"):
        assert key in result
    forest, sequence = result["judges"]["random_forest"], result["judges"]["sequence"]
    assert forest["judged_real_generated"] == result["judged_real"]
    assert 0.0 <= forest["judged_real_held_out_real"] <= 1.0
    assert sequence.get("skipped") or 0.0 <= sequence["judged_real_generated"] <= 1.0
    assert any("Aer" in check for check in result["validity_checks"])
