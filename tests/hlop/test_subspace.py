"""Oja's subspace rule in Brian2 and the orthogonal projection."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qneuro.hlop.subspace import (
    Subspace,
    learn_subspace,
    oja_brian2,
    oja_init,
    oja_numpy,
    orthonormality_error,
    pca_basis,
    principal_angles,
)

# Tolerances of the convergence test (synthetic data, known 3-d subspace in 20-d,
# signal standard deviations 3, 2.5, 2 and isotropic noise 0.2).
ORTHONORMALITY_TOL = 0.02  # ||H H^T - I||_F
ANGLE_TOL_DEG = 3.0  # largest principal angle to numpy's PCA and to the true subspace


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(0)
    n, m, s = 20, 3, 300
    basis = np.linalg.qr(rng.normal(size=(n, m)))[0].T
    x = rng.normal(size=(s, m)) * np.array([3.0, 2.5, 2.0]) @ basis + 0.2 * rng.normal(size=(s, n))
    return x, basis


def _schedule(x, passes, rng):
    sched = np.concatenate([x[rng.permutation(len(x))] for _ in range(passes)])
    rates = np.repeat(0.5 / np.mean((x**2).sum(1)) / (1 + np.arange(passes)), len(x))
    return sched, rates


def test_brian2_oja_equals_numpy_reference(synthetic):
    x, _ = synthetic
    rng = np.random.default_rng(1)
    sched, rates = _schedule(x, 2, rng)
    h0 = oja_init(3, x.shape[1], rng)
    np.testing.assert_allclose(
        oja_brian2(sched, h0, rates), oja_numpy(sched, h0, rates), atol=1e-12
    )


@pytest.mark.slow
def test_brian2_oja_converges_to_principal_subspace(synthetic):
    x, basis = synthetic
    rng = np.random.default_rng(2)
    sched, rates = _schedule(x, 10, rng)
    h0 = oja_init(3, x.shape[1], rng)
    assert np.degrees(principal_angles(h0, basis)).max() > 30  # starts far away
    h = oja_brian2(sched, h0, rates)
    assert orthonormality_error(h) < ORTHONORMALITY_TOL
    assert np.degrees(principal_angles(h, pca_basis(x, 3))).max() < ANGLE_TOL_DEG
    assert np.degrees(principal_angles(h, basis)).max() < ANGLE_TOL_DEG


def test_ordering_pitfall_is_what_order_one_avoids(synthetic):
    x, _ = synthetic
    rng = np.random.default_rng(3)
    sched, rates = _schedule(x, 1, rng)
    h0 = oja_init(3, x.shape[1], rng)
    reference = oja_numpy(sched, h0, rates)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        stale = oja_brian2(sched, h0, rates, trace_order=0)
    assert not np.all(np.isfinite(stale)) or np.abs(stale - reference).max() > 1e-3


def test_new_neurons_learn_the_residual_orthogonal_to_frozen(synthetic):
    x, basis = synthetic
    rng = np.random.default_rng(4)
    frozen = basis[:1]  # the first true direction is already known
    h = learn_subspace(x, 2, rng, frozen=frozen, passes=10, backend="numpy")
    assert np.abs(h @ frozen.T).max() < 0.05
    expected = pca_basis(x, 2, frozen=frozen)
    assert np.degrees(principal_angles(h, expected)).max() < ANGLE_TOL_DEG


def test_projected_update_is_orthogonal_to_frozen_subspace():
    rng = np.random.default_rng(5)
    sub = Subspace(50)
    sub.merge(rng.normal(size=(7, 50)))  # not orthonormal: merge orthonormalises
    sub.merge(rng.normal(size=(5, 50)))
    assert sub.size == 12
    grad = rng.normal(size=(50, 9))
    projected = sub.project(grad)
    old_inputs = rng.normal(size=(30, 12)) @ sub.weights  # any input in the span
    assert np.abs(old_inputs @ projected).max() < 1e-12 * np.abs(old_inputs @ grad).max()
    # idempotent, and the complement part is untouched
    np.testing.assert_allclose(sub.project(projected), projected, atol=1e-12)
    assert np.linalg.norm(projected) > 0.5 * np.linalg.norm(grad)


def test_subspace_rejects_too_many_neurons():
    sub = Subspace(4)
    with pytest.raises(ValueError, match="exceed"):
        sub.merge(np.eye(5, 4))
    with pytest.raises(ValueError, match="shape"):
        sub.merge(np.eye(2, 3))
    with pytest.raises(ValueError, match="n_neurons"):
        learn_subspace(np.ones((5, 4)), 5, np.random.default_rng(0))
