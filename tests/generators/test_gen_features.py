import json

import numpy as np
import pytest

from qneuro.generators.corpus import random_program
from qneuro.generators.features import feature_distances, structure_distance
from qneuro.generators.normal_form import NormalForm, load_normal_form, single_qubit_pairs
from qneuro.generators.tokenizer import parse_normalised

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'


def test_single_qubit_pairs_reset_after_multi_qubit_gates():
    program = parse_normalised(HEAD + "h q[0];\nrz(pi/2) q[0];\ncx q[0],q[1];\nrz(pi/4) q[0];\n")
    assert single_qubit_pairs(program) == [("h", "rz")]
    form = NormalForm.from_programs([program])
    assert form.allowed == {("h", "rz")}
    other = parse_normalised(HEAD + "rz(pi/2) q[1];\nrz(pi/4) q[1];\nh q[0];\nrz(pi) q[0];\n")
    assert form.forbidden_in(other) == [("rz", "rz")]


def test_normal_form_file_round_trip_and_errors(tmp_path):
    form = NormalForm(frozenset({("h", "rz"), ("rz", "rx")}))
    form.save(tmp_path / "normal_form.json")
    assert load_normal_form(tmp_path) == form
    assert load_normal_form(tmp_path / "missing") is None
    (tmp_path / "bad.json").write_text(json.dumps({"pairs": []}))
    with pytest.raises(ValueError, match="not a normal-form file"):
        NormalForm.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="cx"):
        NormalForm(frozenset({("cx", "h")}))


def test_bundled_model_normal_form_forbids_merging_pairs():
    from qneuro.generators.model import default_model_dir

    form = load_normal_form(default_model_dir())
    assert form is not None
    for gate in ("rz", "rx", "ry", "h", "x"):
        assert (gate, gate) not in form.allowed
    assert ("rz", "rx") in form.allowed


def _ghz_like(rng, n):
    """GHZ preparation with a random number of extra rz layers: one structured family."""
    lines = ["h q[0];"] + [f"cx q[{i}],q[{i + 1}];" for i in range(n - 1)]
    for _ in range(rng.integers(0, 3)):
        lines += [f"rz(pi/4) q[{i}];" for i in range(n)] + ["h q[0];"]
    return parse_normalised(HEAD.replace("q[2]", f"q[{n}]") + "\n".join(lines) + "\n")


def test_structure_mmd_is_near_zero_within_a_distribution_and_larger_for_random():
    rng = np.random.default_rng(0)
    sizes = rng.integers(2, 7, size=120)
    real_a = [_ghz_like(rng, n) for n in sizes[:60]]
    real_b = [_ghz_like(rng, n) for n in sizes[60:]]
    rand = [random_program(p.num_qubits, len(p.statements), rng) for p in real_b]
    within = structure_distance(real_a, real_b, match_qubits=True)
    against_random = structure_distance(rand, real_b, match_qubits=True)
    assert against_random > 0.1
    assert abs(within) < against_random / 10
    # unbiased: a set against itself sits just below 0 (no diagonal terms)
    assert structure_distance(real_b, real_b) <= 0
    terms = feature_distances(rand, real_b)
    assert terms["gates"] == pytest.approx(0.0) and 0 < terms["gate_types"] <= 1
    with pytest.raises(ValueError, match="need >= 2"):
        structure_distance(real_a[:1], real_b)


def test_qubit_matched_mmd_is_unbiased_for_fixed_strata_sizes():
    # a small reference with an uneven qubit mix against many candidates drawn
    # uniformly over the counts, all from one distribution per count: mean ~ 0
    rng = np.random.default_rng(1)
    values = []
    for _ in range(60):
        sizes = rng.choice([2, 3, 3, 4, 5, 5, 5, 6, 7, 8], size=22)
        reference = [_ghz_like(rng, n) for n in sizes]
        candidates = [_ghz_like(rng, n) for n in rng.integers(2, 9, size=120)]
        values.append(structure_distance(candidates, reference, match_qubits=True))
    values = np.array(values)
    assert abs(values.mean()) < 3 * values.std() / np.sqrt(len(values)) + 1e-3
