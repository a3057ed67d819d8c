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
import pickle
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.nn import functional as F  # noqa: N812

from qneuro import checks
from qneuro.files import (
    FolderLock,
    atomic_write,
    atomic_write_json,
    inside,
    output_folder,
    remove_temporaries,
)
from qneuro.generators.corpus import Corpus
from qneuro.generators.model import CircuitTransformer, ModelConfig, pick_device, save_model
from qneuro.generators.normal_form import FILE_NAME as NORMAL_FORM_FILE
from qneuro.generators.normal_form import NormalForm
from qneuro.generators.tokenizer import PAD, Tokenizer

#: Name of the resumable training state in a model folder.
CHECKPOINT_FILE = "checkpoint.pt"
#: Fields of the checkpoint stored as one-element tensors and as JSON text.
_SCALARS = ("best", "best_epoch", "epoch", "step")
_JSON_TEXTS = ("config", "tokenizer", "history")


def _save_checkpoint(state: dict, path: str) -> None:
    """``torch.save`` to ``path`` through a file object.

    The archive's inner folder name is then fixed (``archive``) rather than taken from the
    random temporary file name, so equal training runs give equal checkpoint bytes.
    """
    with open(path, "wb") as handle:
        torch.save(state, handle)


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
        out: Model folder (created; locked against a second writer while training).
        layers: Transformer blocks (:class:`ModelConfig`).
        heads: Attention heads.
        width: Residual width.
        context: Longest token sequence; longer training circuits are left out.
        dropout: Dropout probability.
        epochs: Maximum epochs (>= 1).
        batch_size: Sequences per optimiser step (>= 1).
        lr: Peak AdamW learning rate (> 0).
        weight_decay: AdamW weight decay (>= 0).
        warmup: Linear warm-up steps (>= 0).
        patience: Early stopping after this many epochs without a better validation loss
            (>= 0).
        seed: Seed of initialisation, shuffling and dropout (0 <= seed < 2**63).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (see :func:`pick_device`).
        resume: Continue from ``out/checkpoint.pt`` (:func:`load_checkpoint`).
        max_minutes: Stop (keeping the best model) after this wall time (> 0), if given.
        weights_dtype: ``float16`` (default, half the file size) or ``float32``.
        progress: Show a tqdm bar per epoch.
        echo: Function printing one line per epoch.

    Returns:
        Summary dict (also in ``training.json``).

    Raises:
        ValueError: A setting out of range (refused before anything is written), ``out``
            a file or in use by another process, a malformed corpus or checkpoint.
    """
    from tqdm.auto import tqdm

    checks.integer("epochs", epochs, low=1)
    checks.integer("batch_size", batch_size, low=1)
    checks.real("lr", lr, low=0, above=True)
    checks.real("weight_decay", weight_decay, low=0)
    checks.integer("warmup", warmup, low=0)
    checks.integer("patience", patience, low=0)
    checks.seed("seed", seed)
    checks.real("max_minutes", max_minutes, low=0, above=True, optional=True)
    checks.one_of("weights_dtype", weights_dtype, ("float16", "float32"))
    dev = pick_device(device)
    data = Corpus.load(corpus)
    real = [r for r in data.rows if r["source"] == "mqt.bench"]
    if not real:
        raise ValueError(f"corpus {corpus} has no real (mqt.bench) circuit to train on")
    families = sorted({r["family"] for r in real})
    max_q = max(r["qubits"] for r in real)
    tokenizer = Tokenizer(families, max(max_q, 2))
    cfg = ModelConfig(len(tokenizer), context, layers, heads, width, dropout)
    out = Path(out)
    ckpt_path = out / CHECKPOINT_FILE
    if resume and not ckpt_path.is_file():
        raise FileNotFoundError(f"nothing to resume: {ckpt_path} missing")
    out = output_folder(out, what="out")
    with FolderLock(out):
        remove_temporaries(out)
        state = None
        if resume:
            state = load_checkpoint(inside(out, CHECKPOINT_FILE))
            cfg, tokenizer = state.config, state.tokenizer
        elif inside(out, "model.safetensors").exists():
            raise ValueError(f"{out} already holds a model; pass resume or choose another folder")
        normal_form = NormalForm.from_programs(
            data.program(r) for r in real if r["split"] == "train"
        )
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
            raise ValueError(
                f"corpus {corpus} has no training circuit that fits context {cfg.context}"
            )
        if not splits["val"]:
            splits["val"] = splits["train"][: max(1, len(splits["train"]) // 10)]

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
            state.restore(model, opt)
            history = state.history
            best, best_epoch = state.best, state.best_epoch
            start_epoch, step = state.epoch + 1, state.step
            rng.seed(seed + start_epoch)
            torch.manual_seed(seed + start_epoch)
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
            atomic_write(ckpt_path, lambda tmp, ckpt=ckpt: _save_checkpoint(ckpt, tmp))
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


@dataclass
class Checkpoint:
    """The checked contents of ``checkpoint.pt`` (see :func:`load_checkpoint`)."""

    path: Path
    config: ModelConfig
    tokenizer: Tokenizer
    model: dict
    optimizer: dict
    history: list
    best: float
    best_epoch: int
    epoch: int
    step: int

    def restore(self, model: CircuitTransformer, optimizer: torch.optim.Optimizer) -> None:
        """Load the saved weights and optimiser state (a ``ValueError`` names the file)."""
        try:
            model.load_state_dict(self.model)
            optimizer.load_state_dict(self.optimizer)
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"checkpoint {self.path} does not fit its configuration: {first}"
            ) from None


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read ``checkpoint.pt`` with ``torch.load(weights_only=True)`` and check its fields.

    Raises:
        ValueError: The file is not a checkpoint written by :func:`train` (a pickle of
            arbitrary objects is refused, never executed), or a field is missing or
            malformed; the message names the file.
    """
    path = Path(path)
    source = f"checkpoint {path}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about pickle protocols it refuses
        try:
            state = torch.load(path, weights_only=True, map_location="cpu")
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
            raise ValueError(
                f"{source} is refused: not a checkpoint written by generators train "
                f"(weights-only loading failed: {type(exc).__name__})"
            ) from None
    if not isinstance(state, dict):
        raise ValueError(f"{source} must hold a dict of training state")
    missing = sorted({"model", "optimizer", *_SCALARS, *_JSON_TEXTS} - set(state))
    if missing:
        raise ValueError(f"{source} lacks {missing}")
    texts = {key: state[key] for key in _JSON_TEXTS}
    scalars = {key: state[key] for key in _SCALARS}
    if not all(isinstance(text, str) for text in texts.values()) or not all(
        isinstance(x, torch.Tensor) and x.numel() == 1 for x in scalars.values()
    ):
        raise ValueError(f"{source}: {list(_JSON_TEXTS)} must be text, {list(_SCALARS)} scalars")
    if not isinstance(state["model"], dict) or not isinstance(state["optimizer"], dict):
        raise ValueError(f"{source}: model and optimizer must be state dicts")
    history = checks.parse_json(texts["history"], f"{source} history")
    if not isinstance(history, list):
        raise ValueError(f"{source}: history must be a list")
    config = checks.parse_json(texts["config"], f"{source} config")
    return Checkpoint(
        path=path,
        config=ModelConfig.from_json(config if isinstance(config, dict) else {}, source),
        tokenizer=Tokenizer.from_json(
            checks.parse_json(texts["tokenizer"], f"{source} tokenizer"), f"{source} tokenizer"
        ),
        model=state["model"],
        optimizer=state["optimizer"],
        history=history,
        best=float(scalars["best"]),
        best_epoch=int(scalars["best_epoch"]),
        epoch=int(scalars["epoch"]),
        step=int(scalars["step"]),
    )
