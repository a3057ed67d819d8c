"""The Brian2 network against a numpy oracle, and protection of old inputs by projection."""

from __future__ import annotations

import numpy as np
import pytest

from qneuro.hlop.config import HLOPConfig
from qneuro.hlop.network import SpikingMLP
from qneuro.hlop.subspace import Subspace

CFG = HLOPConfig(
    n_tasks=1, image_size=8, n_hidden=24, batch_size=5, window_steps=12, subspace_initial=(4, 4)
)


def numpy_oracle(model: SpikingMLP, x: np.ndarray):
    """The discrete dynamics of the module docstring, written out independently."""
    cfg = model.config
    d_m = np.exp(-cfg.dt_ms / cfg.tau_membrane_ms)
    d_x = np.exp(-cfg.dt_ms / cfg.tau_trace_ms)
    v = np.zeros((len(x), model.n_hidden))
    trace = np.zeros_like(v)
    u = np.zeros((len(x), model.n_outputs))
    count = np.zeros_like(v)
    current = x @ model.w_in
    for _ in range(cfg.window_steps):
        v = d_m * v + current
        s = (v > cfg.threshold).astype(float)
        v -= cfg.threshold * s
        trace = d_x * trace + s
        u = d_x * u + s @ model.w_out
        count += s
    z = sum(d_x**k for k in range(cfg.window_steps))
    return count, trace / z, u / z


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    m = SpikingMLP(64, 10, CFG, rng)
    m.w_in = rng.normal(0.0, 0.25, m.w_in.shape)  # busy hidden layer
    return m


def test_brian2_matches_numpy_oracle(model):
    rng = np.random.default_rng(1)
    x = rng.random((13, 64))  # 13 = two full batches and a partial one
    act = model.present(x)
    count, rate, logits = numpy_oracle(model, x)
    assert count.sum() > 100  # the layer spikes
    np.testing.assert_array_equal(act.hidden_spikes, count)
    np.testing.assert_allclose(act.hidden_rate, rate, atol=1e-12)
    np.testing.assert_allclose(act.logits, logits, atol=1e-12)
    np.testing.assert_allclose(act.logits, act.hidden_rate @ model.w_out, atol=1e-12)
    np.testing.assert_allclose(act.hidden_drive, x @ model.w_in, atol=1e-12)


def test_learning_inside_the_run_uses_new_weights(model):
    x = np.random.default_rng(2).random((10, 64))
    seen = []

    def on_window(indices, act):
        seen.append(indices.copy())
        model.w_out += 1.0  # takes effect from the next window on

    act = model.present(x, on_window=on_window)
    assert [list(s) for s in seen] == [list(range(5)), list(range(5, 10))]
    # w_out is now the original + 2; the second window saw the original + 1
    before = numpy_oracle(model, x[5:])[2] - numpy_oracle(model, x[5:])[1].sum(1)[:, None]
    np.testing.assert_allclose(act.logits[5:], before, atol=1e-9)


def test_projected_update_leaves_old_task_response_unchanged(model):
    rng = np.random.default_rng(3)
    span = np.abs(rng.normal(size=(4, 64)))
    old = rng.random((20, 4)) @ span / 4  # old-task inputs in a 4-d subspace
    before = model.present(old)
    layer_in, layer_hidden = Subspace(64), Subspace(model.n_hidden)
    layer_in.merge(span)
    u, s, vt = np.linalg.svd(before.hidden_rate, full_matrices=False)
    layer_hidden.merge(vt[s > 1e-9 * s[0]])  # the span of the old hidden traces
    g_in = rng.normal(0.0, 0.2, model.w_in.shape)
    g_out = rng.normal(0.0, 0.5, model.w_out.shape)
    w_in, w_out = model.w_in.copy(), model.w_out.copy()

    model.w_in = w_in - layer_in.project(g_in)
    model.w_out = w_out - layer_hidden.project(g_out)
    after = model.present(old)
    np.testing.assert_array_equal(after.hidden_spikes, before.hidden_spikes)
    np.testing.assert_allclose(after.logits, before.logits, atol=1e-10)

    model.w_in, model.w_out = w_in - g_in, w_out - g_out  # unprojected: response changes
    changed = model.present(old)
    assert not np.array_equal(changed.hidden_spikes, before.hidden_spikes)
    assert np.abs(changed.logits - before.logits).max() > 1e-2


def test_poisson_coding_runs_and_is_seeded():
    cfg = CFG.replace(input_coding="poisson")
    x = np.random.default_rng(4).random((6, 64))
    a = SpikingMLP(64, 10, cfg, np.random.default_rng(9)).present(x)
    b = SpikingMLP(64, 10, cfg, np.random.default_rng(9)).present(x)
    np.testing.assert_array_equal(a.hidden_spikes, b.hidden_spikes)
    assert 0 < a.input_rate.mean() < 1
    # the input trace tracks the intensity
    assert np.corrcoef(a.input_rate.ravel(), x.ravel())[0, 1] > 0.5


def test_bad_input_shape(model):
    with pytest.raises(ValueError, match="shape"):
        model.present(np.zeros((3, 10)))
