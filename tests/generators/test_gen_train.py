"""Training reports every circuit it leaves out, and the attention-dropout setting."""

from __future__ import annotations

import json

import pytest
import torch

from qneuro.generators.train import TrainConfig, train


def test_circuits_longer_than_the_context_are_counted_and_listed(tiny_corpus, tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "model"
    summary = train(
        tiny_corpus,
        out,
        layers=1,
        heads=2,
        width=16,
        context=48,
        epochs=1,
        attention_dropout=0.0,
        progress=False,
        echo=lambda s: None,
        device="cpu",
    )
    left_out = summary["left_out_too_long_circuits"]
    assert summary["left_out_too_long"] == len(left_out) > 0
    assert all(c["tokens"] > 48 and c["split"] in ("train", "val") for c in left_out)
    assert all((tiny_corpus / c["file"]).is_file() for c in left_out)
    assert summary["train_sequences"] > 0
    assert summary["options"]["attention_dropout"] == 0.0
    assert json.loads((out / "training.json").read_text())["left_out_too_long_circuits"] == left_out


def test_attention_dropout_is_checked():
    assert TrainConfig().attention_dropout is None  # default: the dropout, as before
    with pytest.raises(ValueError, match="attention_dropout"):
        TrainConfig(attention_dropout=1.5)
