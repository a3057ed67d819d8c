from __future__ import annotations

import pytest

from qneuro.hlop.config import HLOPConfig


def test_defaults_are_valid_and_fit_ten_tasks():
    cfg = HLOPConfig()
    assert cfg.n_inputs == 256
    assert cfg.subspace_total(0) <= cfg.n_inputs
    assert cfg.subspace_total(1) <= cfg.n_hidden
    assert cfg.neurons_for_task(0, 1) == cfg.subspace_initial[1]
    assert cfg.neurons_for_task(3, 0) == cfg.subspace_per_task[0]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n_tasks": 0}, "n_tasks"),
        ({"n_tasks": -2}, "n_tasks"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"oja_rate": 0.0}, "oja_rate"),
        ({"tau_membrane_ms": -5.0}, "tau_membrane_ms"),
        ({"ewc_lambda": -1.0}, "ewc_lambda"),
        ({"subspace_initial": (300, 10)}, "exceed its 256 inputs"),
        ({"n_hidden": 32, "subspace_per_task": (10, 10)}, "exceed its 32 inputs"),
        ({"subspace_initial": (0, 5)}, "subspace_initial"),
        ({"subspace_per_task": (5,)}, "subspace_per_task"),
        ({"input_coding": "latency"}, "input_coding"),
        ({"codegen": "cpp_standalone"}, "codegen"),
        ({"image_size": 4}, "image_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"poisson_max_prob": 1.5}, "poisson_max_prob"),
    ],
)
def test_bad_config_raises_value_error(changes, match):
    with pytest.raises(ValueError, match=match):
        HLOPConfig(**changes)


def test_replace_validates():
    with pytest.raises(ValueError, match="n_tasks"):
        HLOPConfig().replace(n_tasks=0)
    assert HLOPConfig().replace(n_tasks=3).n_tasks == 3


def test_to_dict_is_json_ready():
    import json

    data = HLOPConfig().to_dict()
    assert json.loads(json.dumps(data))["subspace_initial"] == list(HLOPConfig().subspace_initial)
    assert set(data) == set(HLOPConfig.field_names())
