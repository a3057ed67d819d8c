"""Sweeps on a local Ray with 2 CPUs: the table, failures, refusals, a kill and a resume."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from qneuro.sweep import SweepSpec, run_sweep
from qneuro.sweep.runner import RESULT_FILE

VQE_2X2 = SweepSpec(
    "vqe", fixed={"budget": 40}, grid={"problem": ["H2-2q", "H2-3q"], "seed": "0-1"}
)


def test_a_2x2_grid_completes_and_its_table_is_right(local_ray, tmp_path):
    from qneuro import chem, vqe

    result = run_sweep(VQE_2X2, tmp_path / "s", progress=False, echo=lambda line: None)
    assert result.counts == {"finished": 4, "failed": 0, "running": 0, "pending": 0}
    assert not result.interrupted and result.ran == 4
    for row, (problem, seed) in zip(
        result.rows, [("H2-2q", 0), ("H2-2q", 1), ("H2-3q", 0), ("H2-3q", 1)], strict=True
    ):
        loaded = chem.load(problem)
        direct = vqe.run(
            loaded, vqe.hardware_efficient_ansatz(loaded.num_qubits, 1), budget=40, seed=seed
        )
        assert (row["problem"], row["seed"], row["status"]) == (problem, seed, "finished")
        assert row["error"] == direct.error and row["energy"] == direct.energy
        assert row["node"] == local_ray.get_runtime_context().get_node_id()
    with open(tmp_path / "s" / "results.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [r["trial"] for r in table] == ["0000", "0001", "0002", "0003"]
    assert [float(r["error"]) for r in table] == [r["error"] for r in result.rows]
    groups = json.loads((tmp_path / "s" / "summary.json").read_text())["groups"]
    assert [g["group"] for g in groups] == ["problem=H2-2q", "problem=H2-3q"]
    for group, rows in zip(groups, (result.rows[:2], result.rows[2:]), strict=True):
        errors = sorted(r["error"] for r in rows)
        assert group["trials"] == group["finished"] == 2
        assert group["error (Ha, min)"] == errors[0]
        assert group["error (Ha, median)"] == pytest.approx(sum(errors) / 2)
        assert group["within chemical accuracy"] == sum(abs(e) <= 1.6e-3 for e in errors) / 2
    assert (tmp_path / "s" / "summary.png").stat().st_size > 1000


def test_a_failing_trial_is_reported_while_the_others_finish(local_ray, tmp_path):
    out = tmp_path / "s"
    (out / "trials").mkdir(parents=True)
    (out / "trials" / "0002").write_text("in the way")  # the trial cannot make its folder
    lines = []
    result = run_sweep(VQE_2X2, out, progress=False, echo=lines.append)
    statuses = [row["status"] for row in result.rows]
    assert statuses == ["finished", "finished", "failed", "finished"]
    assert "0002" in result.rows[2]["error"]
    assert any(line.startswith("trial 0002 (problem=H2-3q seed=0) failed:") for line in lines)
    # the failed trial runs again on resume; the finished ones do not
    (out / "trials" / "0002").unlink()
    stamps = {
        n: (out / "trials" / n / RESULT_FILE).stat().st_mtime_ns for n in ("0000", "0001", "0003")
    }
    again = run_sweep(VQE_2X2, out, resume=True, progress=False, echo=lambda line: None)
    assert again.ran == 1 and again.counts["finished"] == 4
    assert stamps == {n: (out / "trials" / n / RESULT_FILE).stat().st_mtime_ns for n in stamps}


def test_a_sweep_folder_is_refused_without_resume_or_for_another_grid(local_ray, tmp_path):
    small = SweepSpec("vqe", fixed={"budget": 10}, grid={"seed": [0]})
    run_sweep(small, tmp_path / "s", progress=False, plot=False, echo=lambda line: None)
    with pytest.raises(ValueError, match="already holds a sweep; resume it"):
        run_sweep(small, tmp_path / "s", progress=False)
    other = SweepSpec("vqe", fixed={"budget": 10}, grid={"seed": [0, 1]})
    with pytest.raises(ValueError, match="whose grid differ"):
        run_sweep(other, tmp_path / "s", resume=True, progress=False)


def test_resuming_with_the_axes_reordered_is_refused(local_ray, tmp_path):
    first = SweepSpec("vqe", fixed={"budget": 10}, grid={"seed": [0, 1], "problem": ["H2-2q"]})
    run_sweep(first, tmp_path / "s", progress=False, plot=False, echo=lambda line: None)
    swapped = SweepSpec("vqe", fixed={"budget": 10}, grid={"problem": ["H2-2q"], "seed": [0, 1]})
    with pytest.raises(ValueError, match="whose grid differ"):
        run_sweep(swapped, tmp_path / "s", resume=True, progress=False)
    saved = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert list(saved["grid"]) == ["seed", "problem"]  # left as it was


def test_a_relative_sweep_folder_works_from_the_command_line(
    local_ray, tmp_path, monkeypatch, capsys
):
    from qneuro.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('kind = "vqe"\n[fixed]\nbudget = 10\n[grid]\nseed = [0, 1]\n')
    assert main(["sweep", "run", "s.toml", "--out", "runs/s", "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["counts"]["finished"] == 2 and result["out"] == str(tmp_path / "runs" / "s")
    assert sorted(p.name for p in (tmp_path / "runs" / "s" / "trials").iterdir()) == [
        "0000",
        "0001",
    ]


def test_bad_trial_arguments_are_refused_before_anything_is_written(tmp_path):
    spec = SweepSpec("vqe", grid={"problem": ["H2-2q", "H2-5q"]})
    with pytest.raises(ValueError, match=r"trial 0001 \(problem=H2-5q\): problem='H2-5q'"):
        run_sweep(spec, tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()


QAS_SWEEP = """kind = "qas-train"
[fixed]
timesteps = 300
learning_starts = 100
net_arch = [32]
checkpoint_every = 5
env_kwargs = { optimizer_budget = 40 }
[grid]
env = ["qneuro/QAS-H2-2q-v0"]
seed = "0-2"
"""


def _wait_for_quiet(folder, quiet_s: float = 3.0, limit_s: float = 60.0) -> None:
    """Wait until no file under ``folder`` has changed for ``quiet_s`` seconds."""

    def mtime(path):
        try:
            return path.stat().st_mtime
        except FileNotFoundError:  # a temporary renamed meanwhile
            return time.time()

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        newest = max((mtime(p) for p in folder.rglob("*")), default=0)
        if time.time() - newest >= quiet_s:
            return
        time.sleep(0.5)


def _episodes(run_folder):
    with open(run_folder / "episodes.csv") as fh:
        return [int(row["episode"]) for row in csv.DictReader(fh)]


@pytest.mark.slow
def test_a_killed_sweep_resumes_without_rerunning_or_doubling(tmp_path):
    file, out = tmp_path / "qas.toml", tmp_path / "s"
    file.write_text(QAS_SWEEP)
    command = [
        sys.executable,
        "-m",
        "qneuro",
        "sweep",
        "run",
        str(file),
        "--out",
        str(out),
        "--num-cpus",
        "2",
        "--max-concurrent",
        "1",
        "--quiet",
        "--no-plot",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    checkpoint = out / "trials" / "0001" / "run" / "checkpoints" / "state.json"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.exists(), "trial 0001 never took a checkpoint"
    os.killpg(process.pid, signal.SIGKILL)  # the driver and everything in its session
    process.wait()
    first = out / "trials" / "0000"
    stamp = (first / RESULT_FILE).stat().st_mtime_ns
    # Ray's worker processes live in their own sessions: one may still finish trial 0001
    # after the driver is killed (its result.json then counts as finished on resume).
    _wait_for_quiet(out / "trials" / "0001")
    finished = sum((out / "trials" / n / RESULT_FILE).exists() for n in ("0000", "0001", "0002"))
    assert finished in (1, 2)

    done = subprocess.run(
        [*command, "--resume", "--json"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["counts"]["finished"] == 3
    assert result["ran"] == 3 - finished  # 0001 (resumed unless finished) and 0002
    assert (first / RESULT_FILE).stat().st_mtime_ns == stamp
    state = json.loads((out / "trials" / "0001" / "run" / "checkpoints" / "state.json").read_text())
    assert state["timesteps"] == 300
    for name in ("0000", "0001", "0002"):
        episodes = _episodes(out / "trials" / name / "run")
        assert episodes == list(range(1, len(episodes) + 1)), name  # no row twice or lost
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["trial"] for r in rows] == ["0000", "0001", "0002"]
