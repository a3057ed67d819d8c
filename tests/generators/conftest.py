"""Fixtures of the generator tests: a tiny corpus and a tiny trained model (seconds)."""

from __future__ import annotations

import pytest
import torch

TINY_FAMILIES = ["ghz", "qft", "dj", "vqe_su2", "wstate", "graphstate"]


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    from qneuro.generators.corpus import build_corpus

    out = tmp_path_factory.mktemp("gen") / "corpus"
    build_corpus(out, max_qubits=5, families=TINY_FAMILIES, seeds=2, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus, tmp_path_factory):
    from qneuro.generators.train import train

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("gen") / "model"
    train(
        tiny_corpus,
        out,
        layers=1,
        heads=2,
        width=32,
        context=256,
        epochs=3,
        progress=False,
        echo=lambda s: None,
        device="cpu",
    )
    return out
