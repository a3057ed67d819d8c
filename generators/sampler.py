"""Batched sampling with grammar-constrained decoding, and the ``generate`` dataset writer.

Constrained decoding (the default) keeps, per sequence, where it is inside a statement
and masks every token that would make the program invalid: a family token only right
after the size prompt; then a gate token (only gates needing at most the register's
qubits), ``measure`` (final measurement) or ``<eos>`` (only after at least one gate);
after a parameterised gate exactly one angle token; then exactly as many qubit tokens
as the gate takes, each below the register size and not repeated in that gate. When a
further statement could not fit in the context, only ``<eos>`` is allowed. So every
constrained output decodes to a normalised program that parses with ``qiskit.qasm2``.

With a :class:`~qneuro.generators.normal_form.NormalForm` (the model folder's
``normal_form.json``, on by default) constrained decoding also keeps the corpus's normal
form: a single-qubit gate may go on a qubit only when that pair (the qubit's previous
single-qubit gate, this gate) occurs in the training split, and a single-qubit gate
token is allowed only when some qubit can take it. So ``rz`` never lands right after
``rz`` on one qubit, as in every normalised real circuit.

Unconstrained decoding samples freely until ``<eos>`` or the context end; its tokens are
rendered to text as they come (:func:`render_loose`), so malformed sequences give
malformed OpenQASM that the verifier counts as invalid.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qneuro import checks
from qneuro.cluster import check_address, require_ray
from qneuro.files import (
    FolderLock,
    atomic_write_json,
    atomic_write_text,
    inside,
    open_append,
    output_folder,
    remove_temporaries,
)
from qneuro.generators.features import circuit_features
from qneuro.generators.model import (
    CircuitTransformer,
    default_model_dir,
    load_model,
    pick_device,
)
from qneuro.generators.normal_form import NormalForm, load_normal_form
from qneuro.generators.tokenizer import (
    BOS,
    EOS,
    GATES,
    HEADER,
    MAX_QUBITS,
    MEASURE,
    PAD,
    Tokenizer,
    parse_normalised,
)

PH_FAMILY, PH_GATE, PH_ANGLE, PH_QUBIT, PH_EOS, PH_DONE = range(6)

#: Smallest sampling temperature (a smaller one overflows the float32 logits to NaN).
MIN_TEMPERATURE = 1e-6
#: Most torch CPU threads :func:`generate_dataset` accepts.
MAX_THREADS = 1024
#: Files of a ``generate`` output folder besides the circuits.
MANIFEST_FILE, SETTINGS_FILE = "manifest.jsonl", "generate.json"
_CIRCUIT_FILE = re.compile(r"circuit_(\d{6,})\.qasm")


class Grammar:
    """Vectorised token masks for a tokenizer (see module docstring)."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        device: torch.device | str = "cpu",
        normal_form: NormalForm | None = None,
    ):
        v = len(tokenizer)
        self.tok = tokenizer
        self.device = device
        gate_names = list(GATES)
        self.gate_ids = torch.tensor([tokenizer.index[f"g:{g}"] for g in gate_names], device=device)
        #: gate index (position in GATES) of each token, -1 for other tokens
        self.gate_index = torch.full((v,), -1, dtype=torch.long, device=device)
        self.gate_index[self.gate_ids] = torch.arange(len(gate_names), device=device)
        #: ``no_gate``: the "previous gate" of a qubit that has none or had a multi-qubit gate
        self.no_gate = len(gate_names)
        self.single = torch.tensor([GATES[g][1] == 1 for g in gate_names], device=device)
        self.normal_form = normal_form
        # blocked[a, b]: single-qubit gate b may not follow a on one qubit
        self.blocked = torch.zeros(len(gate_names) + 1, len(gate_names), dtype=torch.bool)
        if normal_form is not None:
            for i, a in enumerate(gate_names):
                for j, b in enumerate(gate_names):
                    pair_single = GATES[a][1] == 1 and GATES[b][1] == 1
                    self.blocked[i, j] = pair_single and (a, b) not in normal_form.allowed
        self.blocked = self.blocked.to(device)
        self.gate_params = torch.zeros(v, dtype=torch.long, device=device)
        self.gate_qubits = torch.zeros(v, dtype=torch.long, device=device)
        for g in gate_names:
            i = tokenizer.index[f"g:{g}"]
            self.gate_params[i], self.gate_qubits[i] = GATES[g]
        fam = torch.zeros(v, dtype=torch.bool, device=device)
        fam[tokenizer.family_offset : tokenizer.family_offset + len(tokenizer.families) + 1] = True
        self.family_mask = fam
        ang = torch.zeros(v, dtype=torch.bool, device=device)
        ang[[i for t, i in tokenizer.index.items() if t.startswith("a:")]] = True
        self.angle_mask = ang
        self.max_statement = 1 + max(p + q for p, q in GATES.values())

    def masks(
        self,
        phase: torch.Tensor,
        nq: torch.Tensor,
        used: torch.Tensor,
        length: torch.Tensor,
        context: int,
        gates_done: torch.Tensor,
        last: torch.Tensor | None = None,
        gate: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Boolean (batch, vocab) mask of allowed next tokens.

        ``last`` (batch, max_qubits): gate index of each qubit's previous gate
        (:attr:`no_gate` after a multi-qubit gate or none); ``gate`` (batch,): index of
        the gate whose qubits are being chosen. Both are needed with a normal form.
        """
        b = phase.shape[0]
        v = len(self.tok)
        allowed = torch.zeros(b, v, dtype=torch.bool, device=self.device)
        allowed[phase == PH_FAMILY] = self.family_mask
        allowed[phase == PH_ANGLE] = self.angle_mask
        gate_rows = phase == PH_GATE
        room = (length + self.max_statement + 1) <= context
        can_gate = gate_rows & room
        fits = self.gate_qubits[self.gate_ids][None, :] <= nq[:, None]
        q_ids = torch.arange(self.tok.max_qubits, device=self.device)
        if self.normal_form is not None:
            # a gate needs one register qubit that may take it
            in_register = q_ids[None, :] < nq[:, None]
            takes = ~self.blocked[last] & in_register[:, :, None]  # (batch, qubit, gate)
            fits = fits & takes.any(dim=1)
        allowed[:, self.gate_ids] = can_gate[:, None] & fits
        allowed[:, EOS] = (gate_rows & (gates_done > 0)) | (phase == PH_EOS)
        allowed[:, MEASURE] = gate_rows & (gates_done > 0) & ((length + 2) <= context)
        qrows = phase == PH_QUBIT
        ok_q = qrows[:, None] & (q_ids[None, :] < nq[:, None]) & ~used
        if self.normal_form is not None:
            ok_q &= ~self.blocked[last, gate.clamp(min=0)[:, None]]
        allowed[:, self.tok.qubit_offset : self.tok.qubit_offset + self.tok.max_qubits] = ok_q
        allowed[phase == PH_DONE, PAD] = True
        return allowed


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Refuse sampling settings outside their ranges (see :func:`sample_tokens`)."""
    checks.real("temperature", temperature, low=MIN_TEMPERATURE)
    checks.integer("top_k", top_k, low=1, optional=True)
    checks.real("top_p", top_p, low=0, high=1, above=True, optional=True)


def _filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
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
        constrained: Grammar-constrained decoding (see module docstring).
        temperature: Softmax temperature (>= :data:`MIN_TEMPERATURE`).
        top_k: Keep only the k most likely tokens (an integer >= 1; None: all).
        top_p: Nucleus sampling threshold in (0, 1] (None: off).
        generator: Torch random generator (on the model's device).
        max_tokens: Length limit (>= 3; default and at most: the model's context).
        normal_form: Single-qubit gate pairs to keep (constrained decoding only; see the
            module docstring). None: no normal-form masks.

    Returns:
        Token id lists starting with ``<bos>``, ending with ``<eos>`` when one was sampled.
    """
    check_sampling(temperature, top_k, top_p)
    checks.integer("max_tokens", max_tokens, low=3, optional=True)
    device = next(model.parameters()).device
    context = min(max_tokens or model.cfg.context, model.cfg.context)
    b = len(qubits)
    if b == 0:
        return []
    nq = torch.tensor([tokenizer.size_token(n) for n in qubits], device=device)
    nq_count = torch.tensor(qubits, device=device)
    grammar = Grammar(tokenizer, device, normal_form if constrained else None)
    seqs = torch.full((b, context), PAD, dtype=torch.long, device=device)
    seqs[:, 0] = BOS
    seqs[:, 1] = nq
    phase = torch.full((b,), PH_FAMILY, dtype=torch.long, device=device)
    if families is not None:
        if len(families) != b:
            raise ValueError(f"families has {len(families)} entries for {b} samples")
        fixed = torch.tensor([f is not None for f in families], device=device)
        fam_ids = torch.tensor([tokenizer.family_token(f) for f in families], device=device)
    else:
        fixed = torch.zeros(b, dtype=torch.bool, device=device)
        fam_ids = torch.zeros(b, dtype=torch.long, device=device)
    used = torch.zeros(b, tokenizer.max_qubits, dtype=torch.bool, device=device)
    last = torch.full((b, tokenizer.max_qubits), grammar.no_gate, dtype=torch.long, device=device)
    gate = torch.full((b,), -1, dtype=torch.long, device=device)
    remaining = torch.zeros(b, dtype=torch.long, device=device)
    need_angle = torch.zeros(b, dtype=torch.bool, device=device)
    gates_done = torch.zeros(b, dtype=torch.long, device=device)
    done = torch.zeros(b, dtype=torch.bool, device=device)
    dtype = next(model.parameters()).dtype
    caches = model.new_caches(b, device, dtype, capacity=64)
    alive = torch.arange(b, device=device)  # original row of each batch row
    logits = model(seqs[:, :2], caches, 0)[:, -1]
    length = 2
    while length < context:
        logits = logits.float() / temperature
        if constrained:
            mask = grammar.masks(
                phase,
                nq_count,
                used,
                torch.full_like(phase, length),
                context,
                gates_done,
                last,
                gate,
            )
            logits = logits.masked_fill(~mask, float("-inf"))
        logits = _filter_logits(logits, top_k, top_p)
        probs = torch.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        if length == 2:
            nxt = torch.where(fixed, fam_ids, nxt)
        nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
        # grammar state update
        is_gate = (nxt >= grammar.gate_ids.min()) & (nxt <= grammar.gate_ids.max())
        start_gate = (phase == PH_GATE) & is_gate
        gates_done += start_gate.long()
        need_angle = torch.where(start_gate, grammar.gate_params[nxt] > 0, need_angle)
        remaining = torch.where(start_gate, grammar.gate_qubits[nxt], remaining)
        gate = torch.where(start_gate, grammar.gate_index[nxt], gate)
        used[start_gate] = False
        new_phase = phase.clone()
        new_phase[phase == PH_FAMILY] = PH_GATE
        new_phase[start_gate & need_angle] = PH_ANGLE
        new_phase[start_gate & ~need_angle] = PH_QUBIT
        new_phase[phase == PH_ANGLE] = PH_QUBIT
        is_q = phase == PH_QUBIT
        qi = (nxt - tokenizer.qubit_offset).clamp(0, tokenizer.max_qubits - 1)
        rows = torch.nonzero(is_q).squeeze(1)
        used[rows, qi[rows]] = True
        if grammar.normal_form is not None:
            g_rows = gate[rows].clamp(min=0)
            last[rows, qi[rows]] = torch.where(
                grammar.single[g_rows], g_rows, torch.full_like(g_rows, grammar.no_gate)
            )
        remaining = torch.where(is_q, remaining - 1, remaining)
        new_phase[is_q & (remaining == 0)] = PH_GATE
        new_phase[(phase == PH_GATE) & (nxt == MEASURE)] = PH_EOS
        finished = (nxt == EOS) & ~done
        new_phase[finished] = PH_DONE
        done = done | finished
        phase = new_phase
        seqs[alive, length] = nxt
        length += 1
        if length >= context or bool(done.all()):
            break
        n_done = int(done.sum())
        if n_done and (n_done >= 0.25 * done.shape[0] or length % 64 == 0):
            # drop finished rows from the batch (their tokens are already in seqs)
            keep = torch.nonzero(~done).squeeze(1)
            alive, nxt = alive[keep], nxt[keep]
            phase, nq_count, used = phase[keep], nq_count[keep], used[keep]
            last, gate = last[keep], gate[keep]
            remaining, need_angle, gates_done = remaining[keep], need_angle[keep], gates_done[keep]
            done = done[keep]
            caches = [(k[keep], v[keep]) for k, v in caches]
        cap = caches[0][0].shape[2]
        if length > cap:  # grow the KV buffers (doubling, at most the context)
            grown = []
            for k, v in caches:
                shape = (k.shape[0], k.shape[1], min(2 * cap, model.cfg.context), k.shape[3])
                k2, v2 = k.new_zeros(shape), v.new_zeros(shape)
                k2[:, :, :cap], v2[:, :, :cap] = k, v
                grown.append((k2, v2))
            caches = grown
        logits = model(nxt[:, None], caches, length - 1)[:, -1]
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


def parse_range(text: str) -> tuple[int, int]:
    """``"2-10"`` -> (2, 10); ``"5"`` -> (5, 5)."""
    try:
        parts = [int(p) for p in str(text).split("-")]
    except ValueError:
        raise ValueError(f"qubit range must look like '2-10' or '5', got {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not 1 <= parts[0] <= parts[1]:
        raise ValueError(f"qubit range must look like '2-10' or '5', got {text!r}")
    return parts[0], parts[1]


@dataclass
class GenerateOptions:
    """Settings of one ``generate`` run (stored in ``generate.json`` for resuming).

    Checked on creation and by :func:`generate_dataset` (:meth:`validate`): ``n`` and
    ``batch_size`` >= 1; ``qubits`` a pair ``1 <= low <= high <= 32``; ``seed`` >= 0;
    ``temperature``, ``top_k``, ``top_p`` as in :func:`sample_tokens` (``top_k`` None means
    no top-k filtering; 0 and negative values are refused rather than ignored).
    """

    n: int = 1000
    qubits: tuple[int, int] = (2, 10)
    seed: int = 0
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    constrained: bool = True
    normal_form: bool = True
    family: str | None = None
    batch_size: int = 500
    model: str = "default"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting outside its range."""
        checks.integer("n", self.n, low=1)
        if not isinstance(self.qubits, tuple | list) or len(self.qubits) != 2:
            raise ValueError(f"qubits must be a (low, high) pair, got {self.qubits!r}")
        low = checks.integer("qubits low", self.qubits[0], low=1, high=MAX_QUBITS)
        checks.integer("qubits high", self.qubits[1], low=low, high=MAX_QUBITS)
        checks.seed("seed", self.seed)
        check_sampling(self.temperature, self.top_k, self.top_p)
        checks.flag("constrained", self.constrained)
        checks.flag("normal_form", self.normal_form)
        if not isinstance(self.family, str | None):
            raise ValueError(f"family must be a family name or None, got {self.family!r}")
        checks.integer("batch_size", self.batch_size, low=1)
        if not isinstance(self.model, str):
            raise ValueError(f"model must be a string naming the model, got {self.model!r}")

    def key(self) -> dict:
        """Settings that must match when resuming: all but ``n`` (batches are seeded)."""
        d = dict(self.__dict__)
        d.pop("n")
        d["qubits"] = list(d["qubits"])
        return d


def generate_dataset(
    out: str | Path,
    options: GenerateOptions,
    *,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    progress: bool = True,
    threads: int | None = 1,
    workers: int = 1,
    address: str | None = None,
) -> dict:
    """Generate ``options.n`` circuits into ``out`` (resumable; atomic file writes).

    Circuit ``i`` belongs to batch ``i // batch_size``; batch ``b`` draws its qubit counts
    and tokens from generators seeded by ``(seed, b)``, so a resumed run reproduces the
    same circuits and only writes the missing ones. Each ``.qasm`` file is written to a
    temporary name and renamed; its manifest row (``manifest.jsonl``: file, qubits,
    gates, depth, family, valid, seed, batch) is appended after the file is in place.

    With ``workers > 1`` or an ``address``, the batches are sampled by Ray workers (one
    CPU and one torch thread each, the model sent to them) and come back in batch order;
    this process writes every file. Files and manifest are byte-identical to a
    single-process run with the same settings, and a resumed run samples only the
    batches that are not complete, whichever way either run was made.

    Every setting, the model folder and the earlier run's ``generate.json`` are checked
    before anything is written. The folder is locked (:class:`~qneuro.files.FolderLock`)
    while writing, so a second process is refused; temporary files of a killed run are
    removed, and no symbolic link in the folder is followed.

    Args:
        out: Output folder (created; an earlier run with the same settings is resumed).
        options: Sampling settings (:class:`GenerateOptions`).
        model_dir: Model folder (default: the bundled model).
        device: Torch device for sampling (``cpu``, ``cuda``, ``cuda:N`` or ``auto``).
        progress: Show a tqdm bar.
        threads: Torch CPU threads, 1 to :data:`MAX_THREADS` (None: leave torch's setting).
        workers: Ray workers sampling batches (1: sample here, without Ray).
        address: Ray cluster for the workers (``auto`` or ``HOST:PORT``;
            None: a local Ray with ``workers`` CPUs); see :mod:`qneuro.cluster`.

    Returns:
        Summary dict with ``n``, ``out``, ``valid`` (share that decodes to a normalised
        program), ``circuits_per_second`` (this run's sampling rate), ``generated`` (new
        this run), ``skipped`` (already present) and ``normal_form`` (whether normal-form
        masks were applied: constrained decoding with a model folder that has
        ``normal_form.json``). With Ray workers the rate is circuits per second of this
        process's wall time waiting for them (the workers' start-up included).

    Raises:
        ValueError: A bad setting, model folder or earlier run (the message names it), or
            ``out`` in use by another process.
    """
    from tqdm.auto import tqdm

    options.validate()
    threads = checks.integer("threads", threads, low=1, high=MAX_THREADS, optional=True)
    workers = checks.integer("workers", workers, low=1, high=MAX_THREADS)
    check_address(address)
    if workers > 1 or address is not None:
        require_ray()  # an ImportError naming the extra, before anything is written
    device = pick_device(device)
    if str(device) != "cpu" and (workers > 1 or address is not None):
        raise ValueError(
            f"device={device!r} with Ray workers; allowed: cpu (each worker samples on one CPU)"
        )
    model, tokenizer = load_model(model_dir, device)
    normal_form = None
    if options.constrained and options.normal_form:
        normal_form = load_normal_form(model_dir or default_model_dir())
    lo, hi = options.qubits
    if hi > tokenizer.max_qubits:
        raise ValueError(f"qubit range {lo}-{hi} exceeds the model's {tokenizer.max_qubits} qubits")
    if options.family is not None and options.family not in tokenizer.families:
        raise ValueError(f"family {options.family!r} unknown to the model: {tokenizer.families}")
    key = options.key()
    key["normal_form"] = normal_form is not None  # applied, not just asked for
    if threads:
        torch.set_num_threads(threads)
    job = _BatchJob(model, tokenizer, options, normal_form, device)
    with _batches(job, workers, address) as run:  # Ray first: it may refuse
        out = output_folder(out, what="out")
        with FolderLock(out):
            remove_temporaries(out)
            _check_earlier_settings(out, key)
            have = _resume_manifest(out)
            atomic_write_json(out / SETTINGS_FILE, {"settings": key})
            batches = range((options.n + options.batch_size - 1) // options.batch_size)
            sample_seconds, generated = 0.0, 0
            bar = tqdm(total=options.n, desc="generate", unit="circ", disable=not progress)
            bar.update(sum(_circuit_index(name) < options.n for name in have))
            todo = [
                b
                for b in batches
                if not all(_circuit_name(i) in have for i in _batch_indices(options, b))
            ]
            with open_append(out / MANIFEST_FILE) as fh:
                for _batch, samples, seconds in run(todo):
                    sample_seconds += seconds
                    for _index, name, text, row in samples:
                        if name in have:
                            continue
                        atomic_write_text(out / name, text)
                        fh.write(json.dumps(row) + "\n")
                        fh.flush()
                        have[name] = row
                        generated += 1
                        bar.update(1)
            bar.close()
    rows = [have[_circuit_name(i)] for i in range(options.n)]
    return {
        "n": options.n,
        "out": str(out),
        "valid": sum(bool(r["valid"]) for r in rows) / len(rows),
        "generated": generated,
        "skipped": options.n - generated,
        "circuits_per_second": generated / sample_seconds if sample_seconds else None,
        "constrained": options.constrained,
        "normal_form": normal_form is not None,
    }


@dataclass(frozen=True)
class _BatchJob:
    """Everything a batch needs: ``job(b)`` -> ``(b, samples, seconds)``.

    ``samples`` lists ``(index, file name, text, manifest row)`` for the batch's circuits.
    """

    model: torch.nn.Module
    tokenizer: Tokenizer
    options: GenerateOptions
    normal_form: NormalForm | None
    device: str

    def __call__(self, b: int) -> tuple[int, list, float]:
        options = self.options
        idx = _batch_indices(options, b)
        bseed = _batch_seed(options.seed, b)
        rng = np.random.default_rng(bseed)
        lo, hi = options.qubits
        qubits = rng.integers(lo, hi + 1, size=len(idx)).tolist()
        gen = torch.Generator(device=self.device).manual_seed(bseed)
        t0 = time.perf_counter()
        seqs = sample_tokens(
            self.model,
            self.tokenizer,
            qubits,
            families=[options.family] * len(idx) if options.family else None,
            constrained=options.constrained,
            temperature=options.temperature,
            top_k=options.top_k,
            top_p=options.top_p,
            generator=gen,
            normal_form=self.normal_form,
        )
        seconds = time.perf_counter() - t0
        samples = []
        for i, q, ids in zip(idx, qubits, seqs, strict=False):
            text = render_loose(self.tokenizer, ids)
            row = {
                "file": _circuit_name(i),
                "qubits": q,
                "seed": options.seed,
                "batch": b,
                "index": i,
            }
            row.update(_describe(self.tokenizer, text, ids))
            samples.append((i, _circuit_name(i), text, row))
        return b, samples, seconds


def _batch_indices(options: GenerateOptions, b: int) -> range:
    return range(b * options.batch_size, min((b + 1) * options.batch_size, options.n))


@contextlib.contextmanager
def _batches(job: _BatchJob, workers: int, address: str | None):
    """Yield ``run(batches)``, an iterator of ``job(b)`` in the order of ``batches``.

    One worker and no address: here, one batch after the other. Otherwise Ray actors
    (each with one CPU and one torch thread) sample them; ``seconds`` is then the wall
    time this process waited for each batch.
    """
    if workers == 1 and address is None:
        yield lambda batches: map(job, batches)
        return
    from qneuro.cluster import ray_session

    with ray_session(address, workers if address is None else None) as ray:
        from ray.util import ActorPool

        cpus = ray.cluster_resources().get("CPU", 0)
        if workers > cpus:  # the extra workers would wait for a CPU forever
            raise ValueError(f"workers={workers} exceeds the {cpus:g} CPUs of the Ray cluster")

        @ray.remote(num_cpus=1)
        class Sampler:
            def __init__(self, job):
                torch.set_num_threads(1)
                self.job = job

            def sample(self, b):
                return self.job(b)

        shared = ray.put(job)
        pool = ActorPool([Sampler.remote(shared) for _ in range(workers)])

        def run(batches):
            last = time.perf_counter()
            results = pool.map(lambda actor, b: actor.sample.remote(b), batches)
            while True:
                try:
                    b, samples, _ = next(results)
                except StopIteration:
                    return
                except (
                    ray.exceptions.RayActorError,
                    ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError,
                    ray.exceptions.ObjectLostError,
                ) as exc:
                    raise OSError(
                        f"a Ray worker failed ({type(exc).__name__}); the circuits "
                        "written so far are kept: rerun the command to resume"
                    ) from None
                now = time.perf_counter()
                yield b, samples, now - last
                last = now

        yield run


def _circuit_name(index: int) -> str:
    return f"circuit_{index:06d}.qasm"


def _circuit_index(name: str) -> int:
    return int(_CIRCUIT_FILE.fullmatch(name).group(1))


def _batch_seed(seed: int, batch: int) -> int:
    """Seed of batch ``batch``: the first 63 bits of ``sha256("seed:batch")``."""
    digest = hashlib.sha256(f"{seed}:{batch}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def _describe(tokenizer: Tokenizer, text: str, ids: list[int]) -> dict:
    """Manifest fields of one sample: gates, depth, valid, family (and reason if invalid)."""
    try:
        feats = circuit_features(parse_normalised(text))
    except ValueError as exc:
        return {
            "gates": None,
            "depth": None,
            "valid": False,
            "family": None,
            "reason": str(exc)[:200],
        }
    fam_id = ids[2] if len(ids) > 2 else -1
    fam = tokenizer.vocab[fam_id] if 0 <= fam_id < len(tokenizer) else "?"
    return {
        "gates": int(feats["gates"]),
        "depth": int(feats["depth"]),
        "valid": True,
        "family": fam[2:] if fam.startswith("f:") else None,
    }


def _check_earlier_settings(out: Path, key: dict) -> None:
    """Refuse to resume ``out`` when its ``generate.json`` holds settings other than ``key``."""
    path = inside(out, SETTINGS_FILE)
    if not path.exists():
        return
    previous = checks.read_json_object(path, what="settings").get("settings")
    if not isinstance(previous, dict):
        raise ValueError(f"settings {path} must hold a 'settings' object")
    previous = {"normal_form": False, **previous}  # runs from before normal-form masks
    differ = [k for k in sorted(set(previous) | set(key)) if previous.get(k) != key.get(k)]
    if differ:
        changes = ", ".join(f"{k} {previous.get(k)!r} there, {key.get(k)!r} now" for k in differ)
        raise ValueError(f"{out} holds a run with other settings ({changes}); use another folder")


def _resume_manifest(out: Path) -> dict[str, dict]:
    """Rows of ``out/manifest.jsonl`` whose circuit file is in place, by file name.

    The manifest is rewritten to just these rows: a torn last line (from a killed run),
    rows whose file is missing and repeated rows are dropped, and their circuits are
    generated again. Any other malformed row is refused, as is a row naming anything but
    ``circuit_NNNNNN.qasm`` in the folder, or a circuit that is a symbolic link.
    """
    manifest = inside(out, MANIFEST_FILE)
    if not manifest.exists():
        return {}
    have: dict[str, dict] = {}
    kept: list[str] = []
    rows = checks.read_jsonl_objects(manifest, what="manifest", torn_tail_ok=True)
    for line_number, line, row in rows:
        where = f"manifest {manifest} line {line_number}"
        name = checks.field(where, row, "file")
        if not isinstance(name, str) or not _CIRCUIT_FILE.fullmatch(name):
            raise ValueError(f"{where}: file {name!r} refused; allowed: circuit_NNNNNN.qasm")
        checks.flag(f"{where}: valid", checks.field(where, row, "valid"))
        path = inside(out, name, what="circuit")
        if path.exists() and not path.is_file():
            raise ValueError(f"circuit {path} is not a regular file")
        if name not in have and path.exists():
            have[name] = row
            kept.append(line + "\n")
    atomic_write_text(manifest, "".join(kept))
    return have
