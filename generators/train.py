"""Training of the circuit transformer on a corpus folder.

Next-token cross-entropy on the real training split (circuits whose token sequence fits in
the context; longer ones are counted and left out), AdamW with linear warm-up and cosine
decay, validation loss after every epoch, early stopping after ``patience`` epochs without
improvement. Every epoch writes ``checkpoint.pt`` (model, optimiser, history; read back
with ``torch.load(weights_only=True)``) so ``resume=True`` continues an interrupted run;
the best model so far is written to ``model.safetensors`` + ``config.json`` +
``tokenizer.json`` and the history to ``training.json``; ``normal_form.json`` (the
single-qubit gate pairs of the training split, :mod:`~qneuro.generators.normal_form`)
is written once at the start.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict
from pathlib import Path

import torch
from torch.nn import functional as F  # noqa: N812

from qneuro.files import atomic_write_json
from qneuro.generators.corpus import Corpus
from qneuro.generators.model import CircuitTransformer, ModelConfig, save_model
from qneuro.generators.normal_form import FILE_NAME as NORMAL_FORM_FILE
from qneuro.generators.normal_form import NormalForm
from qneuro.generators.tokenizer import PAD, Tokenizer


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` -> cuda when available, else cpu; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _batches(seqs: list[list[int]], batch_size: int, rng: random.Random | None):
    order = list(range(len(seqs)))
    if rng is not None:
        rng.shuffle(order)
    for i in range(0, len(order), batch_size):
        chunk = [seqs[j] for j in order[i : i + batch_size]]
        width = max(len(s) for s in chunk)
        ids = torch.full((len(chunk), width), PAD, dtype=torch.long)
        for r, s in enumerate(chunk):
            ids[r, : len(s)] = torch.tensor(s)
        yield ids


def _loss(model: CircuitTransformer, ids: torch.Tensor) -> tuple[torch.Tensor, int]:
    logits = model(ids[:, :-1])
    target = ids[:, 1:]
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(),
        target.reshape(-1),
        ignore_index=PAD,
        reduction="sum",
    )
    return loss, int((target != PAD).sum())


def evaluate(
    model: CircuitTransformer, seqs: list[list[int]], device, batch_size: int = 32
) -> float:
    """Mean next-token cross-entropy (nats per token) of ``seqs``."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids in _batches(seqs, batch_size, None):
            loss, n = _loss(model, ids.to(device))
            total, count = total + float(loss), count + n
    return total / max(count, 1)


def train(
    corpus: str | Path,
    out: str | Path,
    *,
    layers: int = 4,
    heads: int = 4,
    width: int = 128,
    context: int = 1024,
    dropout: float = 0.3,
    epochs: int = 200,
    batch_size: int = 16,
    lr: float = 1e-3,
    weight_decay: float = 0.01,
    warmup: int = 100,
    patience: int = 25,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    max_minutes: float | None = None,
    weights_dtype: str = "float16",
    progress: bool = True,
    echo=print,  # noqa: ANN001
) -> dict:
    """Train a model on a corpus folder and write it to ``out``.

    Args:
        corpus: Folder written by :func:`~qneuro.generators.corpus.build_corpus`.
        out: Model folder (created).
        layers: Transformer blocks (:class:`ModelConfig`).
        heads: Attention heads.
        width: Residual width.
        context: Longest token sequence; longer training circuits are left out.
        dropout: Dropout probability.
        epochs: Maximum epochs.
        batch_size: Sequences per optimiser step.
        lr: Peak AdamW learning rate.
        weight_decay: AdamW weight decay.
        warmup: Linear warm-up steps.
        patience: Early stopping after this many epochs without a better validation loss.
        seed: Seed of initialisation, shuffling and dropout.
        device: ``auto``, ``cpu``, ``cuda``...
        resume: Continue from ``out/checkpoint.pt``.
        max_minutes: Stop (keeping the best model) after this wall time, if given.
        weights_dtype: ``float16`` (default, half the file size) or ``float32``.
        progress: Show a tqdm bar per epoch.
        echo: Function printing one line per epoch.

    Returns:
        Summary dict (also in ``training.json``).
    """
    from tqdm.auto import tqdm

    out = Path(out)
    data = Corpus.load(corpus)
    real = [r for r in data.rows if r["source"] == "mqt.bench"]
    families = sorted({r["family"] for r in real})
    max_q = max(r["qubits"] for r in real)
    ckpt_path = out / "checkpoint.pt"
    if resume:
        if not ckpt_path.is_file():
            raise FileNotFoundError(f"nothing to resume: {ckpt_path} missing")
        state = torch.load(ckpt_path, weights_only=True, map_location="cpu")
        cfg = ModelConfig(**json.loads(state["config"]))
        tokenizer = Tokenizer.from_json(json.loads(state["tokenizer"]))
    else:
        if out.exists() and (out / "model.safetensors").exists():
            raise ValueError(f"{out} already holds a model; pass resume or choose another folder")
        tokenizer = Tokenizer(families, max(max_q, 2))
        cfg = ModelConfig(len(tokenizer), context, layers, heads, width, dropout)
        state = None
    normal_form = NormalForm.from_programs(data.program(r) for r in real if r["split"] == "train")
    splits: dict[str, list[list[int]]] = {"train": [], "val": []}
    too_long = 0
    for r in real:
        if r["split"] not in splits:
            continue
        ids = tokenizer.encode_program(data.program(r), r["family"])
        if len(ids) > cfg.context:
            too_long += 1
            continue
        splits[r["split"]].append(ids)
    if not splits["train"]:
        raise ValueError(f"corpus {corpus} has no training circuit that fits context {cfg.context}")
    if not splits["val"]:
        splits["val"] = splits["train"][: max(1, len(splits["train"]) // 10)]

    dev = pick_device(device)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = CircuitTransformer(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(splits["train"]) / batch_size)
    total_steps = max(epochs * steps_per_epoch, 1)

    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        frac = min((step - warmup) / max(total_steps - warmup, 1), 1.0)
        return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    history: list[dict] = []
    best, best_epoch, start_epoch, step = math.inf, -1, 0, 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history = json.loads(state["history"])
        best, best_epoch = float(state["best"]), int(state["best_epoch"])
        start_epoch, step = int(state["epoch"]) + 1, int(state["step"])
        rng.seed(seed + start_epoch)
        torch.manual_seed(seed + start_epoch)
    out.mkdir(parents=True, exist_ok=True)
    normal_form.save(out / NORMAL_FORM_FILE)
    t0 = time.perf_counter()
    stopped = "epochs"
    for epoch in range(start_epoch, epochs):
        if epoch - best_epoch > patience and best_epoch >= 0:
            stopped = "early stopping"
            break
        model.train()
        total, count = 0.0, 0
        bar = tqdm(
            _batches(splits["train"], batch_size, rng),
            total=steps_per_epoch,
            desc=f"epoch {epoch}",
            disable=not progress,
            leave=False,
        )
        for ids in bar:
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            loss, n = _loss(model, ids.to(dev))
            opt.zero_grad(set_to_none=True)
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            total, count = total + float(loss.detach()), count + n
        val = evaluate(model, splits["val"], dev)
        row = {
            "epoch": epoch,
            "train_loss": total / count,
            "val_loss": val,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        history.append(row)
        improved = val < best
        if improved:
            best, best_epoch = val, epoch
            save_model(model, tokenizer, out, weights_dtype)
        echo(
            f"epoch {epoch}: train {row['train_loss']:.4f} val {val:.4f}"
            + (" *" if improved else "")
        )
        ckpt = {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "config": json.dumps(asdict(cfg)),
            "tokenizer": json.dumps(tokenizer.to_json()),
            "history": json.dumps(history),
            "best": torch.tensor(best),
            "best_epoch": torch.tensor(best_epoch),
            "epoch": torch.tensor(epoch),
            "step": torch.tensor(step),
        }
        tmp = out / "checkpoint.pt.tmp"
        torch.save(ckpt, tmp)
        tmp.replace(ckpt_path)
        if max_minutes is not None and time.perf_counter() - t0 > 60 * max_minutes:
            stopped = "time limit"
            break
    summary = {
        "corpus": str(corpus),
        "config": asdict(cfg),
        "parameters": model.num_parameters(),
        "train_sequences": len(splits["train"]),
        "val_sequences": len(splits["val"]),
        "left_out_too_long": too_long,
        "best_val_loss": best,
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "stopped": stopped,
        "device": str(dev),
        "options": {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "weight_decay": weight_decay,
            "warmup": warmup,
            "patience": patience,
            "seed": seed,
            "weights_dtype": weights_dtype,
        },
        "history": history,
    }
    atomic_write_json(out / "training.json", summary)
    return summary
