from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import qasm2

from qneuro.generators.corpus import Corpus, random_program
from qneuro.generators.tokenizer import (
    ANGLE_TEXTS,
    GATES,
    Program,
    Statement,
    Tokenizer,
    parse_normalised,
    quantise_angle,
)


def _value(text: str) -> float:
    return float(eval(text, {"pi": math.pi}))  # noqa: S307 - our own canonical texts


def test_angle_texts_are_canonical_and_quantise_to_themselves():
    assert len(set(ANGLE_TEXTS)) == len(ANGLE_TEXTS)
    for text in ANGLE_TEXTS:
        assert quantise_angle(_value(text)) == text


@pytest.mark.parametrize(
    "theta, expected",
    [
        (math.pi / 2, "pi/2"),
        (-math.pi / 4, "-pi/4"),
        (math.pi, "pi"),
        (-math.pi, "pi"),
        (3 * math.pi / 2, "-pi/2"),
        (2 * math.pi, "0"),
        (math.pi / 1024, "pi/1024"),
        (1e-9, "0"),
        (3 * math.pi / 128 + 1e-4, "3*pi/128"),
    ],
)
def test_quantise_known_angles(theta, expected):
    assert quantise_angle(theta) == expected


def test_quantisation_error_is_at_most_half_a_grid_step():
    rng = np.random.default_rng(0)
    for theta in rng.uniform(-10, 10, 500):
        text = quantise_angle(theta)
        err = abs(math.remainder(theta - _value(text), 2 * math.pi))
        assert err <= math.pi / 256 + 1e-12


def test_non_finite_angle_rejected():
    with pytest.raises(ValueError, match="finite"):
        quantise_angle(float("nan"))


def test_round_trip_on_random_programs_and_qiskit_parses_them():
    tok = Tokenizer(["qft"], max_qubits=6)
    rng = np.random.default_rng(1)
    for i in range(30):
        prog = random_program(int(rng.integers(1, 7)), int(rng.integers(0, 40)), rng)
        prog = Program(prog.num_qubits, prog.statements, measured=bool(i % 2))
        text = prog.to_qasm()
        ids = tok.encode(text, "qft")
        assert tok.decode(ids) == text
        assert tok.decode_program(ids)[1] == "qft"
        circuit = qasm2.loads(text)  # plain loads: only original qelib1.inc gates
        assert circuit.size() == len(prog.statements) + (prog.num_qubits if prog.measured else 0)


def test_round_trip_on_the_corpus(tiny_corpus):
    corpus = Corpus.load(tiny_corpus)
    tok = Tokenizer({r["family"] for r in corpus.rows}, 5)
    assert corpus.rows
    for row in corpus.rows:
        text = (tiny_corpus / row["file"]).read_text()
        assert tok.decode(tok.encode(text, row["family"])) == text


def test_save_load_same_vocab(tmp_path):
    tok = Tokenizer(["b", "a"], 7)
    tok.save(tmp_path / "t.json")
    again = Tokenizer.load(tmp_path / "t.json")
    assert again.vocab == tok.vocab


@pytest.mark.parametrize(
    "body, match",
    [
        ("foo q[0];", "gate set"),
        ("rz q[0];", "angle"),
        ("h q[3];", "qubit"),
        ("cx q[0],q[0];", "qubit"),
        ("rz(0.1) q[0];", "angle"),
        ("h q[0]", "statement"),
    ],
)
def test_parse_normalised_rejects(body, match):
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n' + body + "\n"
    with pytest.raises(ValueError, match=match):
        parse_normalised(text)


def test_decode_rejects_malformed_tokens():
    tok = Tokenizer([], 3)
    prog = Program(2, (Statement("cx", None, (0, 1)),))
    ids = tok.encode_program(prog)
    with pytest.raises(ValueError):
        tok.decode(ids[:-2] + ids[-1:])  # a cx with one qubit
    assert set(GATES) >= {"cx", "cu1", "ccx"}


def test_round_trip_of_a_28_qubit_program():
    tok = Tokenizer(["qft"], max_qubits=32)
    rng = np.random.default_rng(28)
    prog = random_program(28, 400, rng)
    assert max(q for st in prog.statements for q in st.qubits) >= 20
    text = prog.to_qasm()
    ids = tok.encode(text, "qft")
    assert tok.decode(ids) == text
    assert qasm2.loads(text).num_qubits == 28
    with pytest.raises(ValueError, match="max_qubits"):
        Tokenizer([], max_qubits=33)


def test_bundled_tokenizer_encodes_a_known_circuit_to_the_same_ids():
    from qneuro.generators.model import default_model_dir

    tok = Tokenizer.load(default_model_dir() / "tokenizer.json")
    assert (len(tok), tok.max_qubits) == (363, 16)
    prog = Program(
        16,
        (
            Statement("h", None, (0,)),
            Statement("cu1", "pi/4", (15, 0)),
            Statement("rz", "-3*pi/128", (7,)),
            Statement("ccx", None, (1, 2, 3)),
            Statement("cx", None, (14, 15)),
            Statement("ry", "pi/1024", (9,)),
        ),
        measured=True,
    )
    ids = tok.encode_program(prog, "qft")
    expected = [1, 19, 38, 53, 347, 63, 250, 362, 347, 60, 189, 354, 64, 348, 349, 350]
    expected += [61, 361, 362, 59, 216, 356, 3, 2]
    assert ids == expected
    assert tok.decode(ids) == prog.to_qasm()
