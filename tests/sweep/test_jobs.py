"""Each job kind runs through its single command's entry point (no Ray needed here)."""

import json

import pytest

from qneuro.sweep import JOBS, run_trial
from qneuro.sweep.runner import ERROR_FILE, RESULT_FILE

HLOP_TINY = {
    "n_tasks": 2,
    "n_hidden": 32,
    "epochs_per_task": 1,
    "subspace_initial": [10, 10],
    "subspace_per_task": [5, 5],
    "oja_passes": 1,
}


def test_vqe_trial_equals_a_direct_vqe_run(tmp_path):
    from qneuro import chem, vqe

    args = {"problem": "H2-2q", "budget": 80, "seed": 3, "noise": "depolarizing-0.001-0.005"}
    row = run_trial("vqe", args, tmp_path / "t")
    problem = chem.load("H2-2q")
    direct = vqe.run(
        problem,
        vqe.hardware_efficient_ansatz(2, 1),
        noise="depolarizing-0.001-0.005",
        budget=80,
        seed=3,
    )
    assert row["status"] == "finished"
    assert row["energy"] == direct.energy and row["error"] == direct.error
    assert row["within_chemical_accuracy"] == (abs(direct.error) <= vqe.CHEMICAL_ACCURACY)
    assert json.loads((tmp_path / "t" / RESULT_FILE).read_text()) == {"args": args, "row": row}
    assert set(row) == {"status", "trial_wall_s", *JOBS["vqe"].outputs}


def test_sfq_trial_equals_evaluate_xor_at_the_same_biases(tmp_path):
    from qneuro.sfq.units import uamp
    from qneuro.sfq.xor import DEFAULT_XOR_SETTING, evaluate_xor

    row = run_trial(
        "sfq-xor", {"trials": 12, "seed": 2, "excitatory_bias_ua": 94.0}, tmp_path / "t"
    )
    setting = DEFAULT_XOR_SETTING.__class__(
        **{**DEFAULT_XOR_SETTING.__dict__, "excitatory_bias": 94.0 * uamp}
    )
    direct = evaluate_xor(setting, trials=12, seed=2)
    assert row["margin"] == direct.margin and row["correct"] == direct.correct
    assert set(row) == {"status", "trial_wall_s", *JOBS["sfq-xor"].outputs}
    assert row["worst_case_margin"] == direct.worst_case_margin


def test_hlop_trial_equals_run_continual(tmp_path):
    from qneuro.hlop.config import HLOPConfig
    from qneuro.hlop.methods import run_continual

    row = run_trial("hlop-run", {**HLOP_TINY, "method": "hlop", "seed": 1}, tmp_path / "t")
    direct = run_continual("permuted-digits", "hlop", HLOPConfig(**HLOP_TINY, seed=1))
    assert row["acc"] == direct.acc and row["bwt"] == direct.bwt
    assert row["accuracy_matrix"] == direct.accuracy_matrix
    assert set(row) == {"status", "trial_wall_s", *JOBS["hlop-run"].outputs}


def test_qas_trial_trains_in_its_run_folder_and_resumes_there(tmp_path):
    args = {
        "env": "qneuro/QAS-H2-2q-v0",
        "timesteps": 150,
        "learning_starts": 50,
        "net_arch": [16],
        "seed": 2,
        "env_kwargs": {"optimizer_budget": 30},
    }
    row = run_trial("qas-train", args, tmp_path / "t")
    saved = json.loads((tmp_path / "t" / "run" / "config.json").read_text())
    assert saved["env"] == args["env"] and saved["seed"] == 2 and saved["timesteps"] == 150
    assert row["timesteps"] == 150 and row["episodes"] > 0
    assert row["best_noiseless_error"] is not None and row["qasm"].startswith("OPENQASM 2.0")
    assert set(row) == {"status", "trial_wall_s", *JOBS["qas-train"].outputs}
    # a trial that runs again after its run finished, but before result.json: resumes
    (tmp_path / "t" / RESULT_FILE).unlink()
    again = run_trial("qas-train", args, tmp_path / "t")
    assert again["episodes"] == row["episodes"] and again["qasm"] == row["qasm"]


def test_a_finished_trial_is_not_run_again(tmp_path, monkeypatch):
    first = run_trial("vqe", {"budget": 20}, tmp_path / "t")

    def explode(args, folder):
        raise AssertionError("ran again")

    monkeypatch.setitem(
        JOBS, "vqe", JOBS["vqe"].__class__(**{**JOBS["vqe"].__dict__, "run": explode})
    )
    assert run_trial("vqe", {"budget": 20}, tmp_path / "t") == first
    # a folder holding another trial's result is a failure, not that result
    other = run_trial("vqe", {"budget": 21}, tmp_path / "t")
    assert other["status"] == "failed" and "holds the result of other arguments" in other["error"]


def test_a_failing_trial_is_a_row_with_its_error_and_a_traceback(tmp_path):
    row = run_trial("vqe", {"problem": "H2-9q"}, tmp_path / "t")
    assert row["status"] == "failed"
    assert row["error"].startswith("ValueError: problem='H2-9q'; allowed:")
    assert "Traceback" in (tmp_path / "t" / ERROR_FILE).read_text()
    assert not (tmp_path / "t" / RESULT_FILE).exists()
    (tmp_path / "file").write_text("x")
    row = run_trial("vqe", {}, tmp_path / "file")
    assert row["status"] == "failed" and "file" in row["error"]


@pytest.mark.parametrize(
    "kind, args, message",
    [
        ("qas-train", {"out": "x"}, r"arguments \['out'\] are set by the sweep"),
        ("qas-train", {"env": "qneuro/QAS-H9-v0"}, "env='qneuro/QAS-H9-v0' is not a registered"),
        ("qas-train", {"timestep": 5}, r"unknown TrainConfig fields \['timestep'\]"),
        ("hlop-run", {"method": "sgd"}, "method='sgd'; allowed"),
        ("hlop-run", {"tasks": 2}, r"unknown hlop-run arguments \['tasks'\]"),
        ("sfq-xor", {"bias_ua": 1.0}, r"unknown XOR setting keys \['bias_ua'\]"),
        ("sfq-xor", {"trials": 0}, "trials=0"),
        ("vqe", {"optimizer": "adam"}, "optimizer='adam'; allowed"),
        ("vqe", {"noise": "loud"}, "loud"),
        ("vqe", {"budgets": 3}, r"unknown vqe arguments \['budgets'\]"),
    ],
)
def test_checks_name_the_bad_argument(kind, args, message):
    with pytest.raises(ValueError, match=message):
        JOBS[kind].check(args)


def test_python_tuples_in_arguments_match_their_json_on_a_rerun(tmp_path):
    from qneuro.sweep import SweepSpec
    from qneuro.sweep.runner import finished_row

    spec = SweepSpec("qas-train", fixed={"env": "qneuro/QAS-H2-2q-v0", "net_arch": (16, 16)})
    args = spec.trials()[0].args
    assert args["net_arch"] == (16, 16)
    (tmp_path / RESULT_FILE).write_text(json.dumps({"args": args, "row": {"status": "finished"}}))
    assert finished_row(tmp_path, args) == {"status": "finished"}
    with pytest.raises(ValueError, match="other arguments"):
        finished_row(tmp_path, {**args, "net_arch": (16, 32)})
