"""Sweep files: grid expansion, ranges, dotted and table axes, and refusals (no Ray)."""

import datetime

import pytest

from qneuro.sweep import SweepSpec
from qneuro.sweep.spec import MAX_TRIALS, parse_range


def test_grid_is_the_product_in_file_order_last_axis_fastest():
    spec = SweepSpec(
        "vqe", fixed={"budget": 50}, grid={"problem": ["H2-2q", "H2-4q"], "seed": "0-2"}
    )
    trials = spec.trials()
    assert [t.name for t in trials] == ["0000", "0001", "0002", "0003", "0004", "0005"]
    assert [(t.args["problem"], t.args["seed"]) for t in trials] == [
        ("H2-2q", 0),
        ("H2-2q", 1),
        ("H2-2q", 2),
        ("H2-4q", 0),
        ("H2-4q", 1),
        ("H2-4q", 2),
    ]
    assert all(t.args["budget"] == 50 for t in trials)
    assert trials[4].axes == {"problem": "H2-4q", "seed": 1}


def test_dotted_axes_and_table_values_merge_into_the_fixed_tables(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'kind = "qas-train"\n'
        '[fixed]\ntimesteps = 100\nenv_kwargs = { optimizer_budget = 60, optimizer = "spsa" }\n'
        '[grid]\n"env_kwargs.optimizer" = ["rotosolve", "adam-spsa"]\n'
        'task = [{ env = "qneuro/QAS-H2-2q-v0", timesteps = 7 }, { env = "qneuro/QAS-H2-3q-v0" }]\n'
    )
    spec = SweepSpec.load(path)
    assert list(spec.grid) == ["env_kwargs.optimizer", "task"]
    first, second, third = spec.trials()[:3]
    assert first.args == {
        "timesteps": 7,
        "env": "qneuro/QAS-H2-2q-v0",
        "env_kwargs": {"optimizer_budget": 60, "optimizer": "rotosolve"},
    }
    assert second.args["timesteps"] == 100 and second.args["env"] == "qneuro/QAS-H2-3q-v0"
    assert third.args["env_kwargs"]["optimizer"] == "adam-spsa"
    assert spec.fixed["env_kwargs"]["optimizer"] == "spsa"  # trials do not share tables
    # TOML's own nesting ([grid.env_kwargs]) names the same axis
    nested = SweepSpec("qas-train", grid={"env_kwargs": {"optimizer": ["rotosolve"]}})
    assert list(nested.grid) == ["env_kwargs.optimizer"]


def test_round_trip_through_to_dict():
    spec = SweepSpec(
        "hlop-run",
        fixed={"n_tasks": 2},
        grid={"method": ["hlop", "ewc"]},
        cpus_per_trial=2,
        max_concurrent=3,
    )
    again = SweepSpec.from_dict(spec.to_dict())
    assert again == spec and again.trials() == spec.trials()


def test_ranges():
    assert parse_range("0-3") == [0, 1, 2, 3]
    assert parse_range("4") == [4]
    assert parse_range("0-1,5,7-8") == [0, 1, 5, 7, 8]
    for bad in ("3-1", "a", "-1", "1.5", ""):
        with pytest.raises(ValueError, match="seeds="):
            parse_range(bad)
    with pytest.raises(ValueError, match=f"more than {MAX_TRIALS} values"):
        parse_range(",".join(["0-99999"] * 1000))  # refused before a billion values


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "nope"}, "kind='nope'; allowed: qas-train, hlop-run, sfq-xor, vqe"),
        ({"fixed": {}}, "no 'kind'"),
        ({"kind": "vqe", "axes": {}}, r"unknown keys \['axes'\]"),
        ({"kind": "vqe", "grid": {"seed": []}}, "grid.seed = \\[\\]; allowed: a non-empty list"),
        ({"kind": "vqe", "grid": {"seed": "9-0"}}, "must run upwards"),
        ({"kind": "vqe", "grid": {"seed": 3}}, "grid.seed = 3; allowed"),
        ({"kind": "vqe", "resources": {"gpus": 1}}, r"unknown resources \['gpus'\]"),
        ({"kind": "vqe", "resources": {"cpus_per_trial": 0}}, "cpus_per_trial=0"),
        (
            {"kind": "vqe", "grid": {"a": list(range(1000)), "b": list(range(1000))}},
            f"1000000 trials; at most {MAX_TRIALS}",
        ),
        ({"kind": ["vqe"]}, "kind = \\['vqe'\\] must be a string"),
        (
            {"kind": "vqe", "grid": {"day": [datetime.date(2026, 1, 1)]}},
            "grid.day = datetime.date.*allowed: strings, numbers",
        ),
        ({"kind": "vqe", "grid": {"x": [{"bad key": 1}]}}, "key 'bad key'; allowed: names"),
        ({"kind": "vqe", "grid": {"error": [1, 2]}}, r"grid axes \['error'\] share their names"),
        ({"kind": "qas-train", "grid": {"timesteps": [1, 2]}}, r"\['timesteps'\] share"),
        ({"kind": "vqe", "grid": {"status": [1]}}, r"\['status'\] share"),
    ],
)
def test_bad_sweeps_are_refused_naming_the_value(data, message):
    with pytest.raises(ValueError, match=message):
        SweepSpec.from_dict(data, where="s.toml")


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("kind = \n")
    with pytest.raises(ValueError, match="bad.toml: not valid TOML"):
        SweepSpec.load(path)
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        SweepSpec.load(tmp_path / "missing.toml")
