import math

import numpy as np
import pytest

from qneuro import checks


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: checks.integer("n", True, 1), "n=True; allowed: an integer >= 1"),
        (lambda: checks.integer("n", 2.0, 1), "n=2.0; allowed: an integer >= 1"),
        (lambda: checks.integer("n", 0, 1, 3), "n=0; allowed: an integer in 1..3"),
        (lambda: checks.real("lr", math.nan, 0, above=True), "lr=nan; allowed: a finite num"),
        (lambda: checks.real("p", 1.0, 0, 1, below=True), "p=1.0; allowed: a finite number in [0,"),
        (lambda: checks.real("x", None), "x=None; allowed: a finite number"),
        (lambda: checks.flag("f", 1), "f=1; allowed: true or false"),
        (lambda: checks.one_of("algo", "sac", ("dqn", "ppo")), "algo='sac'; allowed: dqn, ppo"),
        (lambda: checks.keywords("kw", {"zz": 1}, ("a",)), "kw has unknown keys ['zz']"),
        (lambda: checks.seed("seed", -1), "seed=-1; allowed: an integer in 0.."),
    ],
)
def test_refusals_name_the_setting_the_value_and_what_is_allowed(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_accepted_values_come_back_normalised():
    assert checks.integer("n", np.int64(3), 1) == 3 and type(checks.integer("n", 3)) is int
    assert checks.real("x", np.float32(0.5), 0, 1) == 0.5
    assert checks.flag("f", np.bool_(True)) is True
    assert checks.integer("n", None, optional=True) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON: Expecting property name"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("1" * 5000, "not valid JSON: Exceeds the limit"),
    ],
)
def test_parse_json_names_the_source_whatever_the_refusal(text, message):
    with pytest.raises(ValueError, match="settings.json is not valid JSON") as caught:
        checks.parse_json(text, "settings.json")
    assert message in str(caught.value)


def test_json_files_must_hold_objects_and_jsonl_lines_are_named(tmp_path):
    (tmp_path / "a.json").write_text("[1]")
    with pytest.raises(ValueError, match="config .*a.json must hold a JSON object, got an array"):
        checks.read_json_object(tmp_path / "a.json", what="config")
    (tmp_path / "m.jsonl").write_text('{"a": 1}\n[2]\n')
    with pytest.raises(ValueError, match="m.jsonl line 2 must be a JSON object"):
        checks.read_jsonl_objects(tmp_path / "m.jsonl", what="manifest")
    (tmp_path / "torn.jsonl").write_text('{"a": 1}\n{"b": ')
    rows = checks.read_jsonl_objects(tmp_path / "torn.jsonl", what="manifest", torn_tail_ok=True)
    assert [row for _, _, row in rows] == [{"a": 1}]
