from __future__ import annotations

import json

import pytest
import torch
from qiskit import qasm2

from qneuro.generators.dataset import GenerateOptions, generate_dataset, parse_range
from qneuro.generators.decoding import _draw, render_loose, sample_tokens
from qneuro.generators.model import CircuitTransformer, ModelConfig, load_model, save_model
from qneuro.generators.tokenizer import EOS, Tokenizer


def _random_model(seed: int, context: int = 96):
    torch.manual_seed(seed)
    tok = Tokenizer(["qft", "ghz"], max_qubits=6)
    model = CircuitTransformer(ModelConfig(len(tok), context, 1, 2, 16, 0.0)).eval()
    # large random output weights: a sharply peaked, arbitrary distribution
    with torch.no_grad():
        model.head.weight.normal_(0, 2.0)
    return model, tok


@pytest.mark.parametrize("seed", range(4))
def test_constrained_decoding_never_emits_an_invalid_program(seed):
    model, tok = _random_model(seed)
    gen = torch.Generator().manual_seed(seed)
    qubits = [1 + (i % 6) for i in range(48)]
    seqs = sample_tokens(model, tok, qubits, generator=gen, temperature=1.5)
    for n, ids in zip(qubits, seqs, strict=False):
        assert ids[-1] == EOS and len(ids) <= 96
        program, _ = tok.decode_program(ids)  # raises on any grammar violation
        assert program.num_qubits == n and program.statements
        circuit = qasm2.loads(program.to_qasm())
        assert circuit.num_qubits == n


def test_unconstrained_random_model_is_mostly_invalid():
    model, tok = _random_model(0)
    gen = torch.Generator().manual_seed(0)
    seqs = sample_tokens(model, tok, [4] * 32, constrained=False, generator=gen)
    bad = 0
    for ids in seqs:
        try:
            qasm2.loads(render_loose(tok, ids))
        except Exception:  # noqa: BLE001
            bad += 1
    assert bad > 16


def test_kv_cache_matches_full_forward():
    model, tok = _random_model(3)
    ids = torch.randint(4, len(tok), (3, 20))
    full = model(ids)
    caches = model.new_caches(3, "cpu", torch.float32, capacity=32)
    step = [model(ids[:, :5], caches, 0)]
    for t in range(5, 20):
        step.append(model(ids[:, t : t + 1], caches, t))
    assert torch.allclose(torch.cat(step, 1), full, atol=1e-5)


def test_top_k_one_is_greedy_and_family_conditioning():
    model, tok = _random_model(1)
    a = sample_tokens(
        model,
        tok,
        [3, 3],
        top_k=1,
        families=["ghz", "qft"],
        generator=torch.Generator().manual_seed(0),
    )
    b = sample_tokens(
        model,
        tok,
        [3, 3],
        top_k=1,
        families=["ghz", "qft"],
        generator=torch.Generator().manual_seed(99),
    )
    assert a == b
    assert tok.decode_program(a[0])[1] == "ghz" and tok.decode_program(a[1])[1] == "qft"


LOGITS = [0.3, 1.5, -2.0, 4.0, 0.9, -0.5]


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p", "kept"),
    [
        (1.0, None, None, [0, 1, 2, 4, 5]),
        (0.5, None, None, [0, 1, 2, 4, 5]),
        (1.0, 2, None, [1, 4]),
        (1.0, None, 0.75, [1, 4]),  # allowed probabilities 0.50, 0.27, ...: two reach 0.75
    ],
)
def test_draw_follows_the_softmax_of_the_allowed_tokens(temperature, top_k, top_p, kept):
    rows = 200_000
    # two kinds of rows, interleaved: the second is the first reversed, so a draw that
    # used another row's numbers or read the vocabulary backwards would fail
    logits = torch.tensor([LOGITS, LOGITS[::-1]]).repeat(rows // 2, 1)
    allowed = torch.ones_like(logits, dtype=torch.bool)
    allowed[0::2, 3] = False  # the largest logit, masked: never drawn
    allowed[1::2, 2] = False
    gen = torch.Generator().manual_seed(0)
    tokens = _draw(logits, allowed, temperature, top_k, top_p, gen)
    for kind, order in ((0, kept), (1, [5 - i for i in kept])):
        counts = torch.bincount(tokens[kind::2], minlength=6).double()
        expected = torch.zeros(6, dtype=torch.float64)
        expected[order] = torch.softmax(logits[kind, order].double() / temperature, 0) * rows / 2
        assert counts[[i for i in range(6) if i not in order]].sum() == 0
        # every kept count within 5 binomial standard deviations of its expectation
        sigma = (expected * (1 - expected / (rows / 2))).sqrt()
        assert ((counts - expected).abs()[order] <= 5 * sigma[order]).all(), (counts, expected)


@pytest.mark.parametrize("only", [0, 5, 2])
def test_draw_with_one_token_allowed_always_draws_it(only):
    allowed = torch.zeros(1000, 6, dtype=torch.bool)
    allowed[:, only] = True
    logits = torch.tensor(LOGITS).repeat(1000, 1)
    tokens = _draw(logits, allowed, 1.0, None, None, torch.Generator().manual_seed(1))
    assert (tokens == only).all()


def test_draw_refuses_probabilities_that_are_not_finite():
    logits = torch.tensor([[float("nan"), 0.0]])
    with pytest.raises(ValueError, match="not finite"):
        _draw(logits, None, 1.0, None, None, None)


def test_save_load_round_trip(tmp_path):
    model, tok = _random_model(2)
    save_model(model, tok, tmp_path, dtype="float32")
    again, tok2 = load_model(tmp_path)
    ids = torch.randint(4, len(tok), (2, 10))
    assert torch.allclose(again(ids), model(ids))
    assert tok2.vocab == tok.vocab


def test_parse_range():
    assert parse_range("2-10") == (2, 10) and parse_range("5") == (5, 5)
    for bad in ("10-2", "x", "0-3", "1-2-3"):
        with pytest.raises(ValueError, match="qubit range"):
            parse_range(bad)


def test_generate_is_resumable_and_deterministic(tiny_model, tmp_path):
    opts = GenerateOptions(n=12, qubits=(2, 4), batch_size=5, seed=3)
    first = generate_dataset(tmp_path / "a", opts, model_dir=tiny_model, progress=False)
    assert first["generated"] == 12 and first["valid"] == 1.0
    # simulate an interruption: lose the last batch's files and a torn manifest line
    out = tmp_path / "b"
    generate_dataset(out, opts, model_dir=tiny_model, progress=False)
    for i in (10, 11):
        (out / f"circuit_{i:06d}.qasm").unlink()
    with open(out / "manifest.jsonl", "a") as fh:
        fh.write('{"file": "circ')
    again = generate_dataset(out, opts, model_dir=tiny_model, progress=False)
    assert again["generated"] == 2 and again["skipped"] == 10
    for i in range(12):
        name = f"circuit_{i:06d}.qasm"
        assert (out / name).read_text() == (tmp_path / "a" / name).read_text()
    assert not list(out.glob(".*.tmp"))
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()[:12]]
    assert all(2 <= r["qubits"] <= 4 and r["valid"] for r in rows)
    with pytest.raises(ValueError, match="other settings"):
        generate_dataset(
            out,
            GenerateOptions(n=12, qubits=(2, 5), batch_size=5, seed=3),
            model_dir=tiny_model,
            progress=False,
        )


def test_a_folder_of_the_earlier_draw_method_is_not_resumed(tiny_model, tmp_path):
    opts = GenerateOptions(n=2, qubits=(2, 3), batch_size=2, seed=1)
    generate_dataset(tmp_path, opts, model_dir=tiny_model, progress=False)
    path = tmp_path / "generate.json"
    saved = json.loads(path.read_text())
    assert saved["settings"].pop("sampler") == "inverse-cdf"
    path.write_text(json.dumps(saved))  # as written before the draw method was recorded
    with pytest.raises(ValueError, match="sampler 'multinomial' there, 'inverse-cdf' now"):
        generate_dataset(tmp_path, opts, model_dir=tiny_model, progress=False)


def test_circuits_do_not_depend_on_the_thread_count(tiny_model, tmp_path):
    opts = GenerateOptions(n=6, qubits=(2, 4), batch_size=6, seed=5)
    try:
        for threads in (1, 2):
            generate_dataset(
                tmp_path / str(threads), opts, model_dir=tiny_model, progress=False, threads=threads
            )
    finally:
        torch.set_num_threads(1)
    for i in range(6):
        name = f"circuit_{i:06d}.qasm"
        assert (tmp_path / "1" / name).read_text() == (tmp_path / "2" / name).read_text()


@pytest.mark.parametrize("seed", range(3))
def test_normal_form_masks_keep_only_allowed_single_qubit_pairs(seed):
    from qneuro.generators.normal_form import NormalForm

    model, tok = _random_model(seed)
    # a strict normal form: after rz only h may follow on that qubit, after h only rz
    form = NormalForm(frozenset({("rz", "h"), ("h", "rz")}))
    gen = torch.Generator().manual_seed(seed)
    qubits = [1 + (i % 6) for i in range(48)]
    seqs = sample_tokens(model, tok, qubits, generator=gen, temperature=1.5, normal_form=form)
    singles = 0
    for ids in seqs:
        program, _ = tok.decode_program(ids)
        assert form.forbidden_in(program) == []
        qasm2.loads(program.to_qasm())
        singles += sum(len(st.qubits) == 1 for st in program.statements)
    assert singles > 50  # single-qubit gates were still sampled
    # without the normal form the same model does emit forbidden pairs
    gen = torch.Generator().manual_seed(seed)
    free = sample_tokens(model, tok, qubits, generator=gen, temperature=1.5)
    assert any(form.forbidden_in(tok.decode_program(ids)[0]) for ids in free)


def test_trained_model_keeps_its_corpus_normal_form(tiny_model, tmp_path):
    from qneuro.generators.normal_form import load_normal_form
    from qneuro.generators.tokenizer import parse_normalised

    form = load_normal_form(tiny_model)  # written by train() from the training split
    assert form is not None and form.allowed
    opts = GenerateOptions(n=20, qubits=(2, 5), batch_size=20, seed=1)
    result = generate_dataset(tmp_path / "g", opts, model_dir=tiny_model, progress=False)
    assert result["normal_form"] and result["valid"] == 1.0
    for path in sorted((tmp_path / "g").glob("*.qasm")):
        assert form.forbidden_in(parse_normalised(path.read_text())) == []
    off = GenerateOptions(n=4, qubits=(2, 5), batch_size=4, seed=1, normal_form=False)
    assert not generate_dataset(tmp_path / "h", off, model_dir=tiny_model, progress=False)[
        "normal_form"
    ]
