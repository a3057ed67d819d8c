import math

import pytest
from qiskit import QuantumCircuit, qasm2

from qneuro.qasm import QasmError, parse_qasm, read_qasm

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def test_a_valid_program_parses_as_qiskit_would():
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.rz(0.25, 1)
    assert parse_qasm(qasm2.dumps(circuit)) == circuit


@pytest.mark.parametrize("include", ["/etc/passwd", "local.inc", "../qelib1.inc"])
def test_only_the_standard_include_is_allowed(tmp_path, monkeypatch, include):
    (tmp_path / "local.inc").write_text("gate secret a { x a; }\n")
    monkeypatch.chdir(tmp_path)
    text = f'OPENQASM 2.0;\ninclude "{include}";\nqreg q[1];\n'
    with pytest.raises(QasmError, match="refused") as caught:
        parse_qasm(text, source="in.qasm")
    assert "root" not in str(caught.value) and "secret" not in str(caught.value)


def test_a_malformed_include_is_refused():
    with pytest.raises(QasmError, match="malformed include"):
        parse_qasm("OPENQASM 2.0;\ninclude qelib1.inc;\nqreg q[1];\n")


@pytest.mark.parametrize("angle", ["1e400", "-1e400"])
def test_non_finite_angles_are_refused(angle):
    assert math.isinf(float(angle))
    with pytest.raises(QasmError, match=r"instruction 0 \(rx\) has angle -?inf"):
        parse_qasm(HEADER + f"qreg q[1];\nrx({angle}) q[0];\n", source="a.qasm")


def test_qubit_limit_and_parse_errors_name_the_source():
    with pytest.raises(QasmError, match="wide.qasm has 1000 qubits; allowed: at most 12"):
        parse_qasm(HEADER + "qreg q[1000];\n", source="wide.qasm", max_qubits=12)
    expected = r"bad.qasm is not valid OpenQASM 2: bad.qasm:4,0: 'foo' is not defined"
    with pytest.raises(QasmError, match=expected):
        parse_qasm(HEADER + "qreg q[1];\nfoo q[0];\n", source="bad.qasm")


def test_read_qasm_reads_regular_files_only(tmp_path):
    path = tmp_path / "c.qasm"
    path.write_text(HEADER + "qreg q[1];\nx q[0];\n")
    assert read_qasm(path).count_ops() == {"x": 1}
    with pytest.raises(ValueError, match="not a regular file"):
        read_qasm("/dev/zero")
    with pytest.raises(ValueError, match="larger than"):
        read_qasm(path, max_bytes=10)


def test_huge_registers_are_refused_before_qiskit_allocates_them():
    with pytest.raises(QasmError, match="has 100000000 qubits; allowed: at most 1024"):
        parse_qasm("OPENQASM 2.0;\nqreg q[100000000];\n", source="huge.qasm")
    with pytest.raises(QasmError, match="100000000 classical bits; allowed: at most 65536"):
        parse_qasm("OPENQASM 2.0;\nqreg q[1];\ncreg c[100000000];\n", source="huge.qasm")
    # commented-out declarations do not count
    assert parse_qasm("OPENQASM 2.0;\n// qreg big[99999999];\nqreg q[2];\n").num_qubits == 2


def test_gate_definitions_that_expand_past_the_limit_are_refused_quickly():
    definitions = "gate g0 a { x a; }\n" + "".join(
        f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, 40)
    )
    with pytest.raises(QasmError, match=r"expands to [\d,]+ gates .* at most 1,000,000"):
        parse_qasm(HEADER + "qreg q[1];\n" + definitions + "g39 q[0];\n", source="bomb.qasm")
    # the same definitions used at a size within the limit parse (2**10 gates)
    assert parse_qasm(HEADER + "qreg q[1];\n" + definitions + "g10 q[0];\n").size() == 1
