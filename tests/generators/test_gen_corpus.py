from __future__ import annotations

import json

import pytest
from qiskit import QuantumCircuit, qasm2
from qiskit.quantum_info import Operator

from qneuro.generators.corpus import Corpus, build_corpus, normalise_circuit
from qneuro.generators.features import NearDuplicateIndex, circuit_features
from qneuro.generators.tokenizer import GATES


def test_manifest_and_files(tiny_corpus):
    corpus = Corpus.load(tiny_corpus)
    real = corpus.select("mqt.bench")
    rand = corpus.select("random")
    assert len(real) == len(rand) > 10
    assert {r["family"] for r in real} >= {"ghz", "qft", "dj"}
    texts = [(tiny_corpus / r["file"]).read_text() for r in real]
    assert len(set(texts)) == len(texts)  # duplicates removed
    for row, text in zip(real, texts, strict=False):
        qc = qasm2.loads(text)
        assert qc.num_qubits == row["qubits"]
        assert qc.size() == row["gates"]
        assert qc.depth() == row["depth"]
        assert sum(len(i.qubits) >= 2 for i in qc.data) == row["two_qubit_gates"]
        assert {i.operation.name for i in qc.data} <= set(GATES)
    summary = json.loads((tiny_corpus / "corpus.json").read_text())
    assert summary["real"] == len(real)
    assert sum(summary["splits"].values()) == len(real)


def test_random_twins_match_qubits_gates_split(tiny_corpus):
    corpus = Corpus.load(tiny_corpus)
    real = {r["file"].split("/")[1]: r for r in corpus.select("mqt.bench")}
    for r in corpus.select("random"):
        twin = real[r["file"].split("/")[1]]
        assert (r["qubits"], r["gates"], r["split"]) == (
            twin["qubits"],
            twin["gates"],
            twin["split"],
        )


def test_splits_by_group_and_no_near_copy_in_train(tiny_corpus):
    corpus = Corpus.load(tiny_corpus)
    groups = {}
    for r in corpus.select("mqt.bench"):
        groups.setdefault((r["family"], r["qubits"]), set()).add(r["split"])
    moved = json.loads((tiny_corpus / "corpus.json").read_text())["moved_to_train_near_duplicates"]
    if moved == 0:
        assert all(len(s) == 1 for s in groups.values())
    index = NearDuplicateIndex(corpus.programs("mqt.bench", "train"))
    for split in ("val", "test"):
        for p in corpus.programs("mqt.bench", split):
            assert index.match(p) is None


def test_normalise_keeps_the_unitary_up_to_quantisation():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cp(3.14159265 / 4, 0, 1)
    qc.cy(1, 2)
    qc.ccx(0, 1, 2)
    qc.measure_all()
    prog = normalise_circuit(qc)
    back = qasm2.loads(prog.to_qasm())
    ref = qc.remove_final_measurements(inplace=False)
    assert Operator(back).equiv(Operator(ref), atol=1e-6)


def test_normalising_pass_manager_is_the_documented_transpile():
    """The cached pass manager gives ``transpile(basis_gates=TRANSPILE_BASIS,
    optimization_level=2, seed_transpiler=10)``, whatever it ran before."""
    from qiskit import transpile

    from qneuro.generators import corpus

    first = QuantumCircuit(3)
    first.h(0)
    first.cp(0.3, 0, 1)
    first.cy(1, 2)
    first.ccx(0, 1, 2)
    first.swap(0, 2)
    other = QuantumCircuit(2)
    other.u(0.1, 0.2, 0.3, 0)
    other.cx(0, 1)
    reference = transpile(
        first, basis_gates=corpus.TRANSPILE_BASIS, optimization_level=2, seed_transpiler=10
    )
    for circuit in (first, other, first):
        ours = corpus._normalising_pass_manager().run(circuit)
    assert qasm2.dumps(ours) == qasm2.dumps(reference)


def test_swaps_are_elided_as_in_mqt_bench_indep():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.swap(0, 1)
    prog = normalise_circuit(qc)
    assert [st.gate for st in prog.statements] == ["h"]  # output equals input up to a permutation


def test_mid_circuit_measurement_rejected():
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    qc.h(0)
    with pytest.raises(ValueError, match="mid-circuit"):
        normalise_circuit(qc)


def test_final_measure_option(tmp_path):
    build_corpus(
        tmp_path / "c", max_qubits=3, families=["ghz"], seeds=1, measure="final", progress=False
    )
    text = (tmp_path / "c" / "real" / "ghz_n3_s0.qasm").read_text()
    assert text.endswith("creg c[3];\nmeasure q -> c;\n")
    assert qasm2.loads(text).num_clbits == 3


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown families"):
        build_corpus(tmp_path / "x", families=["nope"], progress=False)
    with pytest.raises(ValueError, match="max_qubits"):
        build_corpus(tmp_path / "x", max_qubits=40, progress=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        build_corpus(tmp_path / "full", families=["ghz"], max_qubits=2, progress=False)


def test_features_of_ghz():
    from qneuro.generators.tokenizer import Program, Statement

    prog = Program(
        3,
        (Statement("h", None, (0,)), Statement("cx", None, (0, 1)), Statement("cx", None, (1, 2))),
    )
    f = circuit_features(prog)
    assert f["depth"] == 3 and f["gates"] == 3
    assert f["two_qubit_share"] == pytest.approx(2 / 3)
    assert f["degree"] == pytest.approx((4 / 3) / 2)  # path graph: mean degree 4/3, / (n-1)
    assert f["liveness"] == pytest.approx(5 / 9)
    assert f["parallelism"] == 0.0
