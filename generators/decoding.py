"""Batched, KV-cached sampling of token sequences, grammar-constrained or free.

Constrained decoding (the default) masks at every step the tokens that
:class:`~qneuro.generators.grammar.Grammar` forbids, so every output decodes to a
normalised program. Unconstrained decoding samples freely until ``<eos>`` or the context
end; its tokens are rendered to text as they come (:func:`render_loose`), so malformed
sequences give malformed OpenQASM that the verifier counts as invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from qneuro import checks
from qneuro.generators.grammar import (
    PH_ANGLE,
    PH_DONE,
    PH_EOS,
    PH_FAMILY,
    PH_GATE,
    PH_QUBIT,
    Grammar,
)
from qneuro.generators.model import CircuitTransformer
from qneuro.generators.normal_form import NormalForm
from qneuro.generators.tokenizer import BOS, EOS, HEADER, MEASURE, PAD, Tokenizer

#: How tokens are drawn from the probabilities (recorded with a dataset's settings, so a
#: folder written by another draw method is not resumed with this one).
SAMPLER = "inverse-cdf"
#: The draw method of folders written before ``generate.json`` recorded one.
UNRECORDED_SAMPLER = "multinomial"

#: Smallest sampling temperature (a smaller one overflows the float32 logits to NaN).
MIN_TEMPERATURE = 1e-6


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Refuse sampling settings outside their ranges (see :func:`sample_tokens`)."""
    checks.real("temperature", temperature, low=MIN_TEMPERATURE)
    checks.integer("top_k", top_k, low=1, optional=True)
    checks.real("top_p", top_p, low=0, high=1, above=True, optional=True)


@dataclass
class DecodeState:
    """Grammar state of the sequences still being sampled: one row each in every tensor.

    :meth:`select` keeps some rows of all tensors at once; :meth:`advance` records one
    sampled token per row.
    """

    rows: torch.Tensor
    """Row of each sequence in the output tensor (finished rows are dropped from here)."""

    token: torch.Tensor
    """Token sampled last (``<pad>`` before the first step)."""

    phase: torch.Tensor
    """Where the sequence is inside a statement (a ``PH_*`` phase of the grammar)."""

    qubits: torch.Tensor
    """Register size."""

    used: torch.Tensor
    """(row, max_qubits): qubits the current gate has taken."""

    last: torch.Tensor
    """(row, max_qubits): gate index of each qubit's previous single-qubit gate
    (:attr:`Grammar.no_gate` when none, or after a multi-qubit gate)."""

    gate: torch.Tensor
    """Gate index of the current gate (-1 before the first)."""

    remaining: torch.Tensor
    """Qubit tokens the current gate still needs."""

    need_angle: torch.Tensor
    """Whether the current gate takes an angle."""

    gates_done: torch.Tensor
    """Gates sampled so far."""

    done: torch.Tensor
    """Whether ``<eos>`` was sampled."""

    @classmethod
    def start(cls, qubits: list[int], grammar: Grammar, device) -> DecodeState:
        """The state right after the size prompt of registers of ``qubits`` qubits."""
        b, width = len(qubits), grammar.tok.max_qubits
        return cls(
            rows=torch.arange(b, device=device),
            token=torch.full((b,), PAD, dtype=torch.long, device=device),
            phase=torch.full((b,), PH_FAMILY, dtype=torch.long, device=device),
            qubits=torch.tensor(qubits, device=device),
            used=torch.zeros(b, width, dtype=torch.bool, device=device),
            last=torch.full((b, width), grammar.no_gate, dtype=torch.long, device=device),
            gate=torch.full((b,), -1, dtype=torch.long, device=device),
            remaining=torch.zeros(b, dtype=torch.long, device=device),
            need_angle=torch.zeros(b, dtype=torch.bool, device=device),
            gates_done=torch.zeros(b, dtype=torch.long, device=device),
            done=torch.zeros(b, dtype=torch.bool, device=device),
        )

    def select(self, keep: torch.Tensor) -> DecodeState:
        """The rows ``keep`` (indices or a boolean mask) of every tensor."""
        return DecodeState(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def allowed(self, grammar: Grammar, length: int, context: int) -> torch.Tensor:
        """Boolean (row, vocab) mask of the tokens ``grammar`` allows at position ``length``."""
        return grammar.masks(
            self.phase,
            self.qubits,
            self.used,
            torch.full_like(self.phase, length),
            context,
            self.gates_done,
            self.last,
            self.gate,
        )

    def advance(self, token: torch.Tensor, grammar: Grammar) -> None:
        """Record ``token`` (one per row): phases, the current gate, qubits used, ends."""
        tok, phase = grammar.tok, self.phase
        is_gate = (token >= grammar.gate_ids.min()) & (token <= grammar.gate_ids.max())
        start_gate = (phase == PH_GATE) & is_gate
        self.gates_done += start_gate.long()
        self.need_angle = torch.where(start_gate, grammar.gate_params[token] > 0, self.need_angle)
        self.remaining = torch.where(start_gate, grammar.gate_qubits[token], self.remaining)
        self.gate = torch.where(start_gate, grammar.gate_index[token], self.gate)
        self.used[start_gate] = False
        new_phase = phase.clone()
        new_phase[phase == PH_FAMILY] = PH_GATE
        new_phase[start_gate & self.need_angle] = PH_ANGLE
        new_phase[start_gate & ~self.need_angle] = PH_QUBIT
        new_phase[phase == PH_ANGLE] = PH_QUBIT
        is_q = phase == PH_QUBIT
        qi = (token - tok.qubit_offset).clamp(0, tok.max_qubits - 1)
        q_rows = torch.nonzero(is_q).squeeze(1)
        self.used[q_rows, qi[q_rows]] = True
        if grammar.normal_form is not None:
            g_rows = self.gate[q_rows].clamp(min=0)
            self.last[q_rows, qi[q_rows]] = torch.where(
                grammar.single[g_rows], g_rows, torch.full_like(g_rows, grammar.no_gate)
            )
        self.remaining = torch.where(is_q, self.remaining - 1, self.remaining)
        new_phase[is_q & (self.remaining == 0)] = PH_GATE
        new_phase[(phase == PH_GATE) & (token == MEASURE)] = PH_EOS
        finished = (token == EOS) & ~self.done
        new_phase[finished] = PH_DONE
        self.done = self.done | finished
        self.phase = new_phase
        self.token = token


@torch.no_grad()
def sample_tokens(
    model: CircuitTransformer,
    tokenizer: Tokenizer,
    qubits: list[int],
    *,
    families: list[str | None] | None = None,
    constrained: bool = True,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    max_tokens: int | None = None,
    normal_form: NormalForm | None = None,
) -> list[list[int]]:
    """Sample one token sequence per entry of ``qubits`` (one batch, KV-cached).

    Args:
        model: The transformer (eval mode).
        tokenizer: Its tokenizer.
        qubits: Register size of each sample (1..tokenizer.max_qubits).
        families: Family name per sample to condition on (None entries: sampled).
        constrained: Grammar-constrained decoding (:mod:`~qneuro.generators.grammar`).
        temperature: Softmax temperature (>= :data:`MIN_TEMPERATURE`).
        top_k: Keep only the k most likely tokens (an integer >= 1; None: all).
        top_p: Nucleus sampling threshold in (0, 1] (None: off).
        generator: Torch random generator (on the model's device).
        max_tokens: Length limit (>= 3; default and at most: the model's context).
        normal_form: Single-qubit gate pairs to keep (constrained decoding only; see
            :mod:`~qneuro.generators.grammar`). None: no normal-form masks.

    Returns:
        Token id lists starting with ``<bos>``, ending with ``<eos>`` when one was sampled.
    """
    check_sampling(temperature, top_k, top_p)
    checks.integer("max_tokens", max_tokens, low=3, optional=True)
    device = next(model.parameters()).device
    context = min(max_tokens or model.cfg.context, model.cfg.context)
    if len(qubits) == 0:
        return []
    seqs = _prompts(tokenizer, qubits, context, device)
    grammar = Grammar(tokenizer, device, normal_form if constrained else None)
    fixed, family_ids = _family_tokens(tokenizer, families, len(qubits), device)
    state = DecodeState.start(qubits, grammar, device)
    dtype = next(model.parameters()).dtype
    caches = model.new_caches(len(qubits), device, dtype, capacity=64)
    logits = model(seqs[:, :2], caches, 0)[:, -1]
    length = 2
    while length < context:
        allowed = state.allowed(grammar, length, context) if constrained else None
        token = _draw(logits, allowed, temperature, top_k, top_p, generator)
        if length == 2:
            token = torch.where(fixed, family_ids, token)
        token = torch.where(state.done, torch.full_like(token, PAD), token)
        state.advance(token, grammar)
        seqs[state.rows, length] = token
        length += 1
        if length >= context or bool(state.done.all()):
            break
        state, caches = _drop_finished(state, caches, length)
        caches = _grow_caches(caches, length, model.cfg.context)
        logits = model(state.token[:, None], caches, length - 1)[:, -1]
    return _unpadded(seqs)


def _prompts(tokenizer: Tokenizer, qubits: list[int], context: int, device) -> torch.Tensor:
    """(batch, context) token tensor: ``<bos>``, the size token, then ``<pad>``."""
    seqs = torch.full((len(qubits), context), PAD, dtype=torch.long, device=device)
    seqs[:, 0] = BOS
    seqs[:, 1] = torch.tensor([tokenizer.size_token(n) for n in qubits], device=device)
    return seqs


def _family_tokens(
    tokenizer: Tokenizer, families: list[str | None] | None, b: int, device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which rows have a fixed family, and its token (rows without one: unused)."""
    if families is None:
        fixed = torch.zeros(b, dtype=torch.bool, device=device)
        return fixed, torch.zeros(b, dtype=torch.long, device=device)
    if len(families) != b:
        raise ValueError(f"families has {len(families)} entries for {b} samples")
    fixed = torch.tensor([f is not None for f in families], device=device)
    return fixed, torch.tensor([tokenizer.family_token(f) for f in families], device=device)


def _draw(
    logits: torch.Tensor,
    allowed: torch.Tensor | None,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """One token per row, among ``allowed`` (None: any) and the top-k / top-p tokens.

    Inverse-CDF sampling: with ``u`` uniform in [0, 1), one per row, the token drawn is
    the first whose cumulative probability (float64) reaches ``(1 - u)`` times the row's
    total, a threshold in (0, total]; a token of probability 0 is never drawn. One random
    number per row, where ``torch.multinomial`` draws one per vocabulary entry.

    Raises:
        ValueError: A row's probabilities are not finite (every token masked, or a
            temperature so small that the logits overflow).
    """
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    if allowed is not None:
        logits = logits.masked_fill(~allowed, float("-inf"))
    probs = torch.softmax(_filter_logits(logits, top_k, top_p), dim=-1)
    cdf = probs.cumsum(-1, dtype=torch.float64)
    total = cdf[:, -1:]
    if not bool(torch.isfinite(total).all()):
        raise ValueError(
            "sampling probabilities are not finite: every token masked, or the temperature "
            "too small"
        )
    u = torch.rand(total.shape, generator=generator, device=total.device, dtype=torch.float64)
    token = (cdf < (1.0 - u) * total).sum(-1)
    # A sequential cumulative sum repeats its value at a probability-0 token, so such a
    # token is never the first to reach the threshold; a parallel scan (CUDA) may round
    # it up by an ulp. Then take the row's most likely token instead (odds about 1e-16).
    missed = probs.gather(1, token[:, None]).squeeze(1) == 0
    if bool(missed.any()):
        token = torch.where(missed, probs.argmax(-1), token)
    return token


def _filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """``logits`` with ``-inf`` outside the ``top_k`` largest and the ``top_p`` nucleus."""
    if top_k is not None and top_k > 0 and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        cum = probs.cumsum(-1)
        remove = cum - probs > top_p
        sorted_logits = sorted_logits.masked_fill(remove, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def _drop_finished(state: DecodeState, caches: list, length: int) -> tuple[DecodeState, list]:
    """Drop finished rows (their tokens are already written) and their KV caches.

    Done once a quarter of the rows has finished, or every 64 tokens while any has.
    """
    n_done = int(state.done.sum())
    if not n_done or (n_done < 0.25 * state.done.shape[0] and length % 64):
        return state, caches
    keep = torch.nonzero(~state.done).squeeze(1)
    return state.select(keep), [(k[keep], v[keep]) for k, v in caches]


def _grow_caches(caches: list, length: int, limit: int) -> list:
    """The KV buffers, doubled (at most to ``limit``) once ``length`` exceeds them."""
    cap = caches[0][0].shape[2]
    if length <= cap:
        return caches
    grown = []
    for k, v in caches:
        shape = (k.shape[0], k.shape[1], min(2 * cap, limit), k.shape[3])
        k2, v2 = k.new_zeros(shape), v.new_zeros(shape)
        k2[:, :, :cap], v2[:, :, :cap] = k, v
        grown.append((k2, v2))
    return grown


def _unpadded(seqs: torch.Tensor) -> list[list[int]]:
    """Each row of ``seqs`` as a list, trailing ``<pad>`` tokens removed."""
    out = []
    for row in seqs.tolist():
        end = len(row)
        while end > 0 and row[end - 1] == PAD:
            end -= 1
        out.append(row[:end])
    return out


def render_loose(tokenizer: Tokenizer, ids: list[int]) -> str:
    """OpenQASM-like text of any token sequence (for unconstrained samples).

    Well-formed sequences give the normalised text; malformed ones give text with the
    same defects (a missing angle, a wrong qubit count...), so the verifier can judge it.
    """
    try:
        return tokenizer.decode(ids)
    except ValueError:
        pass
    toks = [tokenizer.vocab[i] if 0 <= i < len(tokenizer) else "?" for i in ids]
    n = next((t[1:] for t in toks if t.startswith("n") and t[1:].isdigit()), "1")
    lines = [HEADER + f"qreg q[{n}];"]
    current: list[str] = []

    def flush() -> None:
        if current:
            head, args = current[0], [a for a in current[1:] if a.startswith("q[")]
            params = [a for a in current[1:] if not a.startswith("q[")]
            if params:
                head += "(" + ",".join(params) + ")"
            lines.append(f"{head} {','.join(args)};")
            current.clear()

    for t in toks:
        if t.startswith("g:"):
            flush()
            current.append(t[2:])
        elif t.startswith("a:"):
            current.append(t[2:]) if current else lines.append(f"{t[2:]};")
        elif t.startswith("q") and t[1:].isdigit():
            current.append(f"q[{t[1:]}]") if current else lines.append(f"q[{t[1:]}];")
        elif t == "measure":
            flush()
            lines.append(f"creg c[{n}];\nmeasure q -> c;")
    flush()
    return "\n".join(lines) + "\n"
