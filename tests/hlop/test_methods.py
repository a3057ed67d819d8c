"""Short continual-learning runs: HLOP forgets less than fine-tuning; the baselines run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qneuro.hlop.config import HLOPConfig
from qneuro.hlop.methods import ContinualLearner, fisher_diagonal, run_continual
from qneuro.hlop.streams import make_stream

SMALL = HLOPConfig(
    n_tasks=3,
    n_hidden=64,
    epochs_per_task=3,
    batch_size=16,
    subspace_initial=(24, 20),
    subspace_per_task=(16, 14),
    oja_passes=2,
)


@pytest.fixture(scope="module")
def permuted():
    """Three Permuted-Digits tasks with 400 training samples each (for speed)."""
    stream = make_stream("permuted-digits", 3, 16, seed=0)
    tasks = tuple(
        replace(t, x_train=t.x_train[:400], y_train=t.y_train[:400]) for t in stream.tasks
    )
    return replace(stream, tasks=tasks)


@pytest.mark.slow
def test_hlop_forgets_less_than_finetune(permuted):
    finetune = run_continual(permuted, "finetune", SMALL)
    hlop = run_continual(permuted, "hlop", SMALL)
    r_ft, r_hl = np.array(finetune.accuracy_matrix), np.array(hlop.accuracy_matrix)
    assert r_ft.shape == r_hl.shape == (3, 3)
    assert np.diag(r_hl).min() > 0.7 and np.diag(r_ft).min() > 0.7  # both learn each task
    assert finetune.bwt < -0.1  # fine-tuning forgets
    assert hlop.bwt > -0.05  # HLOP nearly does not
    assert hlop.bwt > finetune.bwt + 0.1
    assert hlop.acc > finetune.acc + 0.1
    # the lateral neurons (two Oja passes only) capture nearly what PCA captures
    for entry in hlop.subspace:
        assert entry["orthonormality_error"] < 0.05
        assert entry["captured_energy"] > entry["captured_energy_pca"] - 0.05
    # seeded: the same run twice gives the same matrix
    again = run_continual(permuted, "finetune", SMALL)
    assert again.accuracy_matrix == finetune.accuracy_matrix


@pytest.mark.slow
@pytest.mark.parametrize("method", ["multitask", "ewc"])
def test_baselines_run(permuted, method):
    cfg = SMALL.replace(n_tasks=2, epochs_per_task=2)
    result = run_continual(permuted, method, cfg)
    r = np.array(result.accuracy_matrix)
    assert r.shape == (2, 2) and r[0, 0] > 0.7
    assert result.to_dict()["method"] == method


def test_split_digits_is_multi_head():
    cfg = SMALL.replace(n_tasks=2, epochs_per_task=1)
    result = run_continual("split-digits", "hlop", cfg)
    r = np.array(result.accuracy_matrix)
    assert r.shape == (2, 2)
    assert r[0, 0] > 0.9  # two classes of digits are easy
    assert result.stream == "split-digits"


def test_fisher_is_nonnegative_and_shaped(permuted):
    cfg = SMALL.replace(n_tasks=1, epochs_per_task=1, n_hidden=32)
    learner = ContinualLearner(permuted, "ewc", cfg)
    act = learner.model.present(permuted.tasks[0].x_train[:50], 50)
    f_in, f_out = fisher_diagonal(learner.model, act, learner._allowed(np.zeros(50, int)))
    assert f_in.shape == learner.model.w_in.shape and f_out.shape == learner.model.w_out.shape
    assert f_in.min() >= 0 and f_out.min() >= 0 and f_out.max() > 0


def test_bad_method_and_sizes(permuted):
    with pytest.raises(ValueError, match="unknown method"):
        run_continual(permuted, "replay", SMALL)
    with pytest.raises(ValueError, match="exceeds"):
        run_continual(permuted, "hlop", SMALL.replace(n_tasks=4))
    with pytest.raises(ValueError, match="inputs"):
        run_continual(permuted, "hlop", SMALL.replace(image_size=8, n_tasks=2))
