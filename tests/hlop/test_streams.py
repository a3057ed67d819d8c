from __future__ import annotations

import numpy as np
import pytest

from qneuro.hlop.streams import load_mnist, make_stream, permuted_digits, split_digits


def test_permuted_digits_tasks_are_pixel_permutations():
    stream = permuted_digits(3, image_size=16, seed=1)
    assert stream.n_inputs == 256 and not stream.multi_head
    base = stream.tasks[0]
    assert base.x_train.min() >= 0 and base.x_train.max() <= 1
    for task in stream.tasks[1:]:
        np.testing.assert_array_equal(task.y_train, base.y_train)
        # same multiset of values per sample, different order of pixels
        np.testing.assert_allclose(np.sort(task.x_train, axis=1), np.sort(base.x_train, axis=1))
        assert not np.allclose(task.x_train, base.x_train)
    assert len(base.x_train) + len(base.x_test) == 1797


def test_upsampling_keeps_the_8x8_content():
    s8 = permuted_digits(1, image_size=8, seed=0).tasks[0]
    s16 = permuted_digits(1, image_size=16, seed=0).tasks[0]
    assert s8.x_train.shape[1] == 64 and s16.x_train.shape[1] == 256
    a8 = s8.x_train.reshape(-1, 8, 8)
    a16 = s16.x_train.reshape(-1, 16, 16)
    # bilinear zoom keeps the corner pixels and interpolates between grid points
    np.testing.assert_allclose(a16[:, 0, 0], a8[:, 0, 0])
    np.testing.assert_allclose(a16[:, -1, -1], a8[:, -1, -1])
    np.testing.assert_allclose(a16.mean(), a8.mean(), atol=0.05)


def test_split_digits_classes():
    stream = split_digits(5, image_size=8)
    assert stream.multi_head
    for k, task in enumerate(stream.tasks):
        assert task.classes == (2 * k, 2 * k + 1)
        assert set(np.unique(task.y_train)) == {2 * k, 2 * k + 1}
    with pytest.raises(ValueError, match="1 to 5"):
        split_digits(6)
    with pytest.raises(ValueError, match="unknown stream"):
        make_stream("rotated-digits", 2)


def test_load_mnist_from_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (50, 28, 28)),
        y_train=rng.integers(0, 10, 50),
        x_test=rng.integers(0, 256, (20, 28, 28)),
        y_test=rng.integers(0, 10, 20),
    )
    stream = load_mnist(path, n_tasks=2, max_train=30)
    assert stream.n_inputs == 784 and len(stream.tasks[1].x_train) == 30
    assert stream.tasks[0].x_train.max() <= 1.0
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="lacks"):
        load_mnist(bad)
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path / "missing.npz")
