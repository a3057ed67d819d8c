"""The sequence judge: a small 1-D CNN over circuit tokens that tells real from generated.

KetGPT's second check was a transformer classifier over circuit text. ``verify`` keeps
its random forest over hand-made structure features (:mod:`~qneuro.generators.verify`)
and adds this judge, which reads the token sequence itself
(:class:`~qneuro.generators.tokenizer.Tokenizer` ids, every program encoded with the
unknown family ``f:?`` so the family label cannot leak), and so can see patterns no
hand-made feature names.

**Model.** Token embedding (width :attr:`JudgeConfig.embedding`) -> two 1-D
convolutions (kernel 5, the second dilated by 2: a receptive field of 13 tokens, three
to six gate statements) with GELU -> mean and max pooling over the unpadded positions ->
one logit. About 22 thousand parameters with the bundled tokenizer. A convolution rather
than a transformer encoder: its cost grows linearly with the sequence (real circuits
reach thousands of tokens; attention is quadratic), it trains in seconds on one CPU
thread, and the patterns that separate circuits here are local (which gate follows which, on which
qubits). Sequences are cut to :attr:`JudgeConfig.max_tokens` (the generator's context,
1024: no generated circuit is longer; 4 of the 259 real training circuits at 2-10
qubits are).

**Training and evaluation** (:func:`judge_generated`, a two-sample classifier test):

- *trained on*: the real corpus circuits of the train split vs the generated circuits
  of even position (1st, 3rd, ... valid ``.qasm`` file in name order); the generated
  circuits are weighted so that their qubit-count histogram equals the real ones' (a
  count the real set lacks gets weight 0) and each class weighs the same in total, so
  the qubit count alone tells the judge nothing;
- *evaluated on*: the real circuits of the test split (held-out real) and the generated
  circuits of odd position (held-out generated, disjoint from the trained ones);
- *reported*: the share of each held-out set it judges real (probability > 1/2). If
  the generator matched the real distribution, the judge could not learn anything that
  carries over, and both shares would be equal up to noise; the gap between them is
  the headline (the issue's target: generated within 5 points of held-out real).
- *power check*: the same judge trained on real vs random corpus circuits (train
  split) and tested on the real + random test circuits (``real_vs_random_accuracy``):
  a judge that cannot tell real from random would make any generator look real.

Training is seeded (:attr:`JudgeConfig.seed`: weights, dropout, batch order) and runs
on one torch thread (set for the call and restored), so results are the same on any
machine thread count.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from qneuro import checks
from qneuro.generators.tokenizer import MAX_QUBITS, PAD, Program, Tokenizer


@dataclass(frozen=True)
class JudgeConfig:
    """Shape and training of the sequence judge (defaults: what ``verify`` uses)."""

    embedding: int = 32
    """Token embedding width."""
    channels: int = 32
    """Channels of both convolutions."""
    kernel: int = 5
    """Convolution kernel size (odd)."""
    dropout: float = 0.1
    """Dropout on the embeddings while training."""
    epochs: int = 20
    """Passes over the training set (fixed; no early stopping, nothing held out for it)."""
    batch_size: int = 32
    """Sequences per step (grouped by length to limit padding)."""
    lr: float = 3e-3
    """AdamW learning rate (weight decay 0.01)."""
    max_tokens: int = 1024
    """Longer sequences keep their first ``max_tokens`` tokens."""
    seed: int = 0
    """Seed of the weights, dropout and batch order (0 <= seed < 2**32)."""

    def __post_init__(self) -> None:
        for name in ("embedding", "channels", "epochs", "batch_size", "max_tokens"):
            checks.integer(name, getattr(self, name), low=1, high=1 << 16)
        checks.integer("kernel", self.kernel, low=1, high=63)
        if self.kernel % 2 == 0:
            raise ValueError(f"kernel must be odd, got {self.kernel}")
        checks.real("dropout", self.dropout, low=0, high=1, below=True)
        checks.real("lr", self.lr, low=0, above=True)
        checks.seed("seed", self.seed, limit=2**32)


class _Net(nn.Module):
    """Embedding -> two convolutions -> masked mean + max pooling -> logit."""

    def __init__(self, vocab: int, cfg: JudgeConfig):
        super().__init__()
        pad = cfg.kernel // 2
        self.embed = nn.Embedding(vocab, cfg.embedding, padding_idx=PAD)
        self.conv1 = nn.Conv1d(cfg.embedding, cfg.channels, cfg.kernel, padding=pad)
        self.conv2 = nn.Conv1d(cfg.channels, cfg.channels, cfg.kernel, padding=2 * pad, dilation=2)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * cfg.channels, 1)

    def activations(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The second convolution's output and the mask of real tokens.

        Shapes ``(batch, channels, time)`` (0 on padding) and ``(batch, 1, time)``.
        """
        mask = (ids != PAD).unsqueeze(1)
        x = self.drop(self.embed(ids)).transpose(1, 2)
        x = F.gelu(self.conv1(x)) * mask
        return F.gelu(self.conv2(x)) * mask, mask

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x, mask = self.activations(ids)
        mean = x.sum(dim=2) / mask.sum(dim=2).clamp(min=1)
        peak = x.masked_fill(~mask, float("-inf")).amax(dim=2)
        return self.head(torch.cat([mean, peak], dim=1)).squeeze(1)


@contextlib.contextmanager
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SequenceJudge:
    """A real-vs-other classifier over token sequences (see the module docstring).

    Example:
        >>> judge = SequenceJudge(JudgeConfig(epochs=5)).fit(real, random)  # doctest: +SKIP
        >>> judge.judged_real(held_out).mean()  # doctest: +SKIP
    """

    def __init__(self, config: JudgeConfig | None = None):
        self.config = config or JudgeConfig()
        self.tokenizer = Tokenizer((), MAX_QUBITS)
        self.net: _Net | None = None

    def _encode(self, programs: Sequence[Program]) -> list[list[int]]:
        return [self.tokenizer.encode_program(p)[: self.config.max_tokens] for p in programs]

    @staticmethod
    def _pad(seqs: list[list[int]]) -> torch.Tensor:
        width = max(len(s) for s in seqs)
        return torch.tensor([s + [PAD] * (width - len(s)) for s in seqs], dtype=torch.long)

    def fit(
        self,
        real: Sequence[Program],
        other: Sequence[Program],
        other_weights: Sequence[float] | None = None,
    ) -> SequenceJudge:
        """Train on ``real`` (label 1) vs ``other`` (label 0); each class weighs the same.

        ``other_weights`` (default equal) weight the ``other`` programs within their class.
        """
        if not real or not other:
            raise ValueError(f"need real and other programs, got {len(real)} and {len(other)}")
        cfg = self.config
        w_other = np.ones(len(other)) if other_weights is None else np.asarray(other_weights, float)
        if len(w_other) != len(other) or w_other.sum() <= 0 or (w_other < 0).any():
            raise ValueError("other_weights must be one non-negative weight per program, sum > 0")
        seqs = self._encode(real) + self._encode(other)
        labels = np.array([1.0] * len(real) + [0.0] * len(other))
        weights = np.concatenate([np.full(len(real), 1 / len(real)), w_other / w_other.sum()])
        weights *= len(seqs) / 2  # mean weight 1: the learning rate keeps its meaning
        keep = np.flatnonzero(weights > 0)
        rng = np.random.default_rng(cfg.seed)
        with _one_thread(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.net = _Net(len(self.tokenizer), cfg)
            optimiser = torch.optim.AdamW(self.net.parameters(), lr=cfg.lr, weight_decay=0.01)
            self.net.train()
            for _ in range(cfg.epochs):
                for batch in _batches(keep, [len(seqs[i]) for i in keep], cfg.batch_size, rng):
                    logits = self.net(self._pad([seqs[i] for i in batch]))
                    loss = F.binary_cross_entropy_with_logits(
                        logits,
                        torch.tensor(labels[batch], dtype=torch.float32),
                        weight=torch.tensor(weights[batch], dtype=torch.float32),
                    )
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
            self.net.eval()
        return self

    def probabilities(self, programs: Sequence[Program]) -> np.ndarray:
        """Probability that each program is real, shape ``(len(programs),)``."""
        if self.net is None:
            raise RuntimeError("fit the judge first")
        seqs = self._encode(programs)
        out = np.zeros(len(seqs))
        order = np.argsort([len(s) for s in seqs], kind="stable")
        with _one_thread(), torch.no_grad():
            for start in range(0, len(order), 64):
                chunk = order[start : start + 64]
                logits = self.net(self._pad([seqs[i] for i in chunk]))
                out[chunk] = torch.sigmoid(logits).double().numpy()
        return out

    def judged_real(self, programs: Sequence[Program]) -> np.ndarray:
        """Whether each program is judged real (probability > 1/2)."""
        return self.probabilities(programs) > 0.5


def _batches(
    indices: np.ndarray, lengths: list[int], size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Batches of ``indices`` of similar length, in a seeded random order."""
    shuffled = indices[rng.permutation(len(indices))]
    lengths_of = dict(zip(indices.tolist(), lengths, strict=True))
    by_length = sorted(shuffled.tolist(), key=lambda i: lengths_of[i])  # stable: ties shuffled
    batches = [np.array(by_length[k : k + size]) for k in range(0, len(by_length), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def qubit_matched_weights(programs: Sequence[Program], target: Sequence[Program]) -> np.ndarray:
    """Weights giving ``programs`` the qubit-count histogram of ``target`` (0 where it has none)."""
    want = Counter(p.num_qubits for p in target)
    have = Counter(p.num_qubits for p in programs)
    return np.array([want.get(p.num_qubits, 0) / have[p.num_qubits] for p in programs], float)


def split_generated(programs: Sequence[Program]) -> tuple[list[Program], list[Program]]:
    """``(trained, held out)``: even and odd positions (the documented split)."""
    return list(programs[0::2]), list(programs[1::2])


def judge_generated(
    real_train: Sequence[Program],
    real_held_out: Sequence[Program],
    generated: Sequence[Program],
    random_train: Sequence[Program] = (),
    random_test: Sequence[Program] = (),
    config: JudgeConfig | None = None,
) -> dict:
    """The sequence judge's report for ``verify`` (see the module docstring).

    Args:
        real_train: Real circuits it trains on (the corpus's train split).
        real_held_out: Real circuits it never saw (the test split, in the qubit range).
        generated: Valid generated programs in file-name order (split by position).
        random_train: Random corpus circuits the power check trains on (train split).
        random_test: Random circuits it is tested on (the power check is skipped when
            either set is empty).
        config: Judge settings (default :class:`JudgeConfig`).

    Returns:
        JSON-ready dict: ``model``, ``config``, ``trained_on`` and ``evaluated_on`` (counts),
        ``judged_real_generated`` and ``judged_real_held_out_real`` (shares of the
        held-out sets judged real), ``gap`` (their difference, real minus generated),
        ``accuracy`` (balanced accuracy on the held-out sets; 0.5 means it cannot tell
        them apart), ``real_vs_random_accuracy`` (power check; None when skipped). With
        fewer than 2 valid generated programs or no held-out real one: ``skipped`` and
        a reason instead.
    """
    config = config or JudgeConfig()
    trained, held_out = split_generated(generated)
    weights = qubit_matched_weights(trained, real_train)
    if len(held_out) < 1 or not real_held_out or weights.sum() <= 0:
        return {
            "skipped": True,
            "reason": "needs >= 2 valid generated circuits at qubit counts of the real "
            "training circuits, and held-out real circuits",
        }
    judge = SequenceJudge(config).fit(real_train, trained, weights)
    gen_rate = float(judge.judged_real(held_out).mean())
    real_rate = float(judge.judged_real(real_held_out).mean())
    result = {
        "model": "1-D CNN over token ids (embedding, 2 convolutions, mean+max pooling)",
        "config": asdict(config),
        "trained_on": {"real_train": len(real_train), "generated_even_positions": len(trained)},
        "evaluated_on": {"real_test": len(real_held_out), "generated_odd_positions": len(held_out)},
        "judged_real_generated": gen_rate,
        "judged_real_held_out_real": real_rate,
        "gap": real_rate - gen_rate,
        "accuracy": 0.5 * (real_rate + 1.0 - gen_rate),
        "real_vs_random_accuracy": None,
    }
    if random_train and random_test:
        power = SequenceJudge(config).fit(real_train, random_train)
        hits = np.concatenate([power.judged_real(real_held_out), ~power.judged_real(random_test)])
        result["real_vs_random_accuracy"] = float(hits.mean())
    return result
