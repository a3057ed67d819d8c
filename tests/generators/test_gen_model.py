"""Long contexts: 4,096-token forward passes and constrained decoding up to the context end."""

from __future__ import annotations

import pytest
import torch

from qneuro.generators.decoding import sample_tokens
from qneuro.generators.grammar import Grammar
from qneuro.generators.model import CircuitTransformer, ModelConfig, parameter_shapes
from qneuro.generators.tokenizer import EOS, MAX_QUBITS, MEASURE, Tokenizer

LONG = 4096


def _tiny(context: int, vocab: int, seed: int = 0) -> CircuitTransformer:
    torch.manual_seed(seed)
    return CircuitTransformer(ModelConfig(vocab, context, 1, 2, 16, 0.0)).eval()


def test_a_4096_context_model_gives_logits_for_4096_tokens():
    tok = Tokenizer(["qft"], MAX_QUBITS)
    model = _tiny(LONG, len(tok))
    ids = torch.randint(4, len(tok), (1, LONG))
    with torch.no_grad():
        logits = model(ids)
        assert logits.shape == (1, LONG, len(tok))
        assert torch.isfinite(logits).all()
        caches = model.new_caches(1, "cpu", torch.float32)
        model(ids[:, :-1], caches, 0)
        last = model(ids[:, -1:], caches, LONG - 1)  # the KV cache reaches the last position
    assert torch.allclose(last[0, -1], logits[0, -1], atol=1e-4)
    with pytest.raises(ValueError, match="exceeds context"):
        model(torch.zeros(1, LONG + 1, dtype=torch.long))


def test_attention_dropout_is_a_training_setting():
    model = _tiny(64, 10)
    model.set_attention_dropout(0.0)
    assert all(block.dropout == 0.0 for block in model.blocks)
    with pytest.raises(ValueError, match="attention_dropout"):
        model.set_attention_dropout(1.0)


def test_constrained_decoding_runs_to_the_end_of_a_4096_context():
    tok = Tokenizer(["qft"], MAX_QUBITS)
    model = _tiny(LONG, len(tok), seed=1)
    # never end by choice: the grammar must force <eos> when no statement fits any more
    model.head.register_forward_hook(
        lambda m, i, out: out.index_fill(-1, torch.tensor([EOS, MEASURE]), -1e4)
    )
    gen = torch.Generator().manual_seed(0)
    (seq,) = sample_tokens(model, tok, [30], generator=gen)
    assert LONG - Grammar(tok).max_statement - 1 <= len(seq) <= LONG
    assert seq[-1] == EOS
    program, _ = tok.decode_program(seq)
    assert program.num_qubits == 30
    assert max(q for st in program.statements for q in st.qubits) >= 25


@pytest.mark.parametrize(
    "cfg",
    [
        ModelConfig(vocab_size=50, context=64, layers=1, heads=2, width=32),
        ModelConfig(vocab_size=301, context=4096, layers=3, heads=4, width=96),
    ],
)
def test_parameter_shapes_are_the_models_state_dict(cfg):
    built = {k: tuple(v.shape) for k, v in CircuitTransformer(cfg).state_dict().items()}
    assert parameter_shapes(cfg) == built
    assert list(parameter_shapes(cfg)) == list(built)  # the same names, in the same order
