"""Continual-learning task streams built from data that ships with scikit-learn.

* Permuted-Digits: every task is the whole 10-class digits problem with its own fixed
  permutation of the input pixels (task 0 uses the identity). All tasks share the ten
  readout classes (single head).
* Split-Digits: task k holds classes ``2k`` and ``2k+1`` (5 tasks); task-incremental
  (multi-head): a sample is classified among its own task's two classes.

Images are ``sklearn.datasets.load_digits`` (1797 8x8 images, intensities 0..16) scaled
to [0, 1] and optionally upsampled bilinearly to ``image_size x image_size``; the data
are split once, stratified, into 80 % train / 20 % test with the seed. ``load_mnist``
reads a user-supplied ``mnist.npz`` (not used in tests).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from qneuro import checks


@dataclass(frozen=True)
class Task:
    """One task: inputs in [0, 1] of shape ``(n, d)`` and integer labels ``(n,)``.

    ``classes`` are the labels the task is scored over (all ten for a single-head
    stream, the task's own classes for a multi-head one).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, ...]


@dataclass(frozen=True)
class TaskStream:
    """An ordered list of tasks over a shared input dimension and ``n_classes`` outputs."""

    name: str
    tasks: tuple[Task, ...]
    n_classes: int
    multi_head: bool

    @property
    def n_inputs(self) -> int:
        """Input dimension."""
        return int(self.tasks[0].x_train.shape[1])


def digits_images(image_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The 1797 digits as ``(1797, image_size**2)`` floats in [0, 1] and labels."""
    from sklearn.datasets import load_digits

    if int(image_size) != image_size or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    digits = load_digits()
    images = digits.images.astype(float) / 16.0
    if image_size != 8:
        images = np.stack([ndimage.zoom(im, image_size / 8, order=1) for im in images])
        images = np.clip(images, 0.0, 1.0)
    return images.reshape(len(images), -1), digits.target.astype(np.int64)


def _split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    checks.seed("seed", seed, limit=2**32)
    return tuple(train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed))


def permuted_digits(n_tasks: int = 10, image_size: int = 16, seed: int = 0) -> TaskStream:
    """Permuted-Digits: ``n_tasks`` fixed pixel permutations of the digits (task 0: none)."""
    if n_tasks < 1:
        raise ValueError(f"n_tasks must be >= 1, got {n_tasks}")
    x, y = digits_images(image_size)
    x_train, x_test, y_train, y_test = _split(x, y, seed)
    rng = np.random.default_rng(seed)
    tasks = []
    for k in range(n_tasks):
        perm = np.arange(x.shape[1]) if k == 0 else rng.permutation(x.shape[1])
        tasks.append(
            Task(
                f"permutation {k}",
                x_train[:, perm],
                y_train,
                x_test[:, perm],
                y_test,
                tuple(range(10)),
            )
        )
    return TaskStream("permuted-digits", tuple(tasks), 10, multi_head=False)


def split_digits(n_tasks: int = 5, image_size: int = 16, seed: int = 0) -> TaskStream:
    """Split-Digits: task k holds digits ``2k`` and ``2k+1`` (at most 5 tasks)."""
    if not 1 <= n_tasks <= 5:
        raise ValueError(f"split-digits has 1 to 5 tasks, got {n_tasks}")
    x, y = digits_images(image_size)
    x_train, x_test, y_train, y_test = _split(x, y, seed)
    tasks = []
    for k in range(n_tasks):
        classes = (2 * k, 2 * k + 1)
        tr, te = np.isin(y_train, classes), np.isin(y_test, classes)
        tasks.append(
            Task(
                f"digits {classes[0]}/{classes[1]}",
                x_train[tr],
                y_train[tr],
                x_test[te],
                y_test[te],
                classes,
            )
        )
    return TaskStream("split-digits", tuple(tasks), 10, multi_head=True)


def load_mnist(
    path: str | Path, n_tasks: int = 10, seed: int = 0, max_train: int | None = None
) -> TaskStream:
    """Permuted-MNIST from a user-supplied ``mnist.npz`` (keys x_train, y_train, x_test, y_test).

    The file is read with ``allow_pickle=False``; images must be ``(n, 28, 28)`` or
    ``(n, 784)`` with values 0..255 (or 0..1), labels 0..9.

    Args:
        path: the ``.npz`` file (for example Keras' ``mnist.npz``).
        n_tasks: number of permutations.
        seed: seed of the permutations and of the training subsample.
        max_train: keep at most this many training samples (random subset).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("it holds one array, not an .npz archive")
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
            if missing:
                raise ValueError(f"it lacks arrays {sorted(missing)}")
            arrays = {k: np.asarray(data[k]) for k in ("x_train", "y_train", "x_test", "y_test")}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"MNIST file {path} is not a readable .npz archive: {reason}") from None
    xs = []
    for key in ("x_train", "x_test"):
        x = arrays[key].reshape(len(arrays[key]), -1).astype(float)
        if x.shape[1] != 784:
            raise ValueError(f"{key} must hold 28x28 images, got shape {arrays[key].shape}")
        xs.append(x / 255.0 if x.max() > 1.0 else x)
    ys = [arrays["y_train"].astype(np.int64), arrays["y_test"].astype(np.int64)]
    if any(y.min() < 0 or y.max() > 9 for y in ys):
        raise ValueError("MNIST labels must be 0..9")
    rng = np.random.default_rng(seed)
    if max_train is not None and max_train < len(xs[0]):
        keep = rng.choice(len(xs[0]), max_train, replace=False)
        xs[0], ys[0] = xs[0][keep], ys[0][keep]
    tasks = []
    for k in range(n_tasks):
        perm = np.arange(784) if k == 0 else rng.permutation(784)
        tasks.append(
            Task(f"permutation {k}", xs[0][:, perm], ys[0], xs[1][:, perm], ys[1], tuple(range(10)))
        )
    return TaskStream("permuted-mnist", tuple(tasks), 10, multi_head=False)


def make_stream(name: str, n_tasks: int, image_size: int = 16, seed: int = 0) -> TaskStream:
    """The named stream: ``permuted-digits`` or ``split-digits``."""
    if name == "permuted-digits":
        return permuted_digits(n_tasks, image_size, seed)
    if name == "split-digits":
        return split_digits(n_tasks, image_size, seed)
    raise ValueError(f"unknown stream {name!r}; choose permuted-digits or split-digits")
