"""Training of the circuit transformer on a corpus folder.

Next-token cross-entropy on the real training split (circuits whose token sequence fits in
the context; longer ones are left out, counted and listed in ``training.json``), AdamW
with linear warm-up and cosine decay, validation loss after every epoch, early stopping
after ``patience`` epochs without improvement. Every epoch writes ``checkpoint.pt``
(model, optimiser, history; read back with ``torch.load(weights_only=True)``) so
``resume=True`` continues an interrupted run; the best model so far is written to
``model.safetensors`` + ``config.json`` + ``tokenizer.json`` and the history to
``training.json``; ``normal_form.json`` (the single-qubit gate pairs of the training
split, :mod:`~qneuro.generators.normal_form`) is written once at the start.
:class:`TrainConfig` holds every setting.
"""

from __future__ import annotations

import json
import math
import pickle
import random
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
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
#: Settings repeated under ``options`` in ``training.json`` (in this order).
_SUMMARY_OPTIONS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "warmup",
    "patience",
    "seed",
    "weights_dtype",
)


@dataclass(frozen=True)
class TrainConfig:
    """How :func:`train` trains: model shape, optimiser, schedule, stopping and output.

    Construct with keyword arguments; :meth:`validate` runs on construction and raises
    ``ValueError`` naming the first field outside its range. A resumed run takes the
    model shape (``layers`` ... ``dropout``) from its checkpoint instead.
    """

    layers: int = 4
    """Transformer blocks (:class:`~qneuro.generators.model.ModelConfig`)."""

    heads: int = 4
    """Attention heads (must divide ``width``)."""

    width: int = 128
    """Residual stream width."""

    context: int = 1024
    """Longest token sequence; longer training circuits are left out."""

    dropout: float = 0.3
    """Dropout probability in [0, 1)."""

    attention_dropout: float | None = None
    """Dropout on the attention weights in [0, 1) while training; None: ``dropout``.

    A training-time setting only (the saved model does not depend on it). On a CPU, any
    value above 0 makes attention build (time x time) matrices per head and layer
    instead of using the fused kernel: at context 4,096 and the default shape, 26 s and
    4 GB per sequence per step against 1.4 s and 0.6 GB with 0 (see docs/generator.md).
    CUDA's fused kernels apply dropout themselves.
    """

    epochs: int = 200
    """Maximum epochs (>= 1)."""

    batch_size: int = 16
    """Sequences per optimiser step (>= 1)."""

    lr: float = 1e-3
    """Peak AdamW learning rate (> 0)."""

    weight_decay: float = 0.01
    """AdamW weight decay (>= 0)."""

    warmup: int = 100
    """Steps of linear warm-up to ``lr`` (>= 0), followed by cosine decay to ``lr / 10``."""

    patience: int = 25
    """Early stopping after this many epochs without a better validation loss (>= 0)."""

    seed: int = 0
    """Seed of initialisation, shuffling and dropout (0 <= seed < 2**63)."""

    device: str = "auto"
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (see :func:`pick_device`)."""

    resume: bool = False
    """Continue from ``out/checkpoint.pt`` (:func:`load_checkpoint`)."""

    max_minutes: float | None = None
    """Stop (keeping the best model) after this wall time (> 0); None: no limit."""

    weights_dtype: str = "float16"
    """Dtype of ``model.safetensors``: ``float16`` (half the file size) or ``float32``."""

    progress: bool = True
    """Show a tqdm bar per epoch."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field outside its range (the one place).

        The device name is checked, and resolved, by :func:`pick_device` in :func:`train`.
        """
        checks.integer("epochs", self.epochs, low=1)
        checks.integer("batch_size", self.batch_size, low=1)
        checks.real("lr", self.lr, low=0, above=True)
        checks.real("weight_decay", self.weight_decay, low=0)
        checks.integer("warmup", self.warmup, low=0)
        checks.integer("patience", self.patience, low=0)
        checks.seed("seed", self.seed)
        checks.real("max_minutes", self.max_minutes, low=0, above=True, optional=True)
        checks.one_of("weights_dtype", self.weights_dtype, ("float16", "float32"))
        checks.real(
            "attention_dropout", self.attention_dropout, low=0, high=1, below=True, optional=True
        )
        self.model_config(vocab_size=1)  # ModelConfig checks the shape fields

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The model shape for a tokenizer of ``vocab_size`` tokens."""
        return ModelConfig(
            vocab_size, self.context, self.layers, self.heads, self.width, self.dropout
        )

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


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
    config: TrainConfig | None = None,
    *,
    echo=print,  # noqa: ANN001
    **overrides,
) -> dict:
    """Train a model on a corpus folder and write it to ``out``.

    Args:
        corpus: Folder written by :func:`~qneuro.generators.corpus.build_corpus`.
        out: Model folder (created; locked against a second writer while training).
        config: The training settings (default: :class:`TrainConfig`).
        echo: Function printing one line per epoch.
        **overrides: :class:`TrainConfig` fields replacing those of ``config``.

    Returns:
        Summary dict (also in ``training.json``).

    Raises:
        ValueError: A setting out of range (refused before anything is written), ``out``
            a file or in use by another process, a malformed corpus or checkpoint.
    """
    config = replace(config if config is not None else TrainConfig(), **overrides)
    device = pick_device(config.device)
    data = Corpus.load(corpus)
    real = _real_rows(data, corpus)
    tokenizer = _new_tokenizer(real)
    model_config = config.model_config(len(tokenizer))
    out = Path(out)
    if config.resume and not (out / CHECKPOINT_FILE).is_file():
        raise FileNotFoundError(f"nothing to resume: {out / CHECKPOINT_FILE} missing")
    out = output_folder(out, what="out")
    with FolderLock(out):
        remove_temporaries(out)
        checkpoint = _earlier_run(out, config.resume)
        if checkpoint is not None:
            model_config, tokenizer = checkpoint.config, checkpoint.tokenizer
        normal_form = NormalForm.from_programs(
            data.program(r) for r in real if r["split"] == "train"
        )
        splits, too_long = _encode_splits(data, real, tokenizer, model_config.context, corpus)
        session = _Session.start(config, model_config, tokenizer, splits, device, checkpoint)
        normal_form.save(out / NORMAL_FORM_FILE)
        stopped = session.fit(out, echo)
        summary = session.summary(corpus, too_long, stopped)
        atomic_write_json(out / "training.json", summary)
    return summary


def _real_rows(data: Corpus, corpus: str | Path) -> list[dict]:
    """Manifest rows of the corpus's real (MQT Bench) circuits; refused when there are none."""
    real = [r for r in data.rows if r["source"] == "mqt.bench"]
    if not real:
        raise ValueError(f"corpus {corpus} has no real (mqt.bench) circuit to train on")
    return real


def _new_tokenizer(real: list[dict]) -> Tokenizer:
    """The tokenizer of a new model: the rows' families, their widest register (>= 2)."""
    return Tokenizer(sorted({r["family"] for r in real}), max(max(r["qubits"] for r in real), 2))


def _earlier_run(out: Path, resume: bool) -> Checkpoint | None:
    """The checkpoint to resume from; None for a new run (refused if ``out`` holds a model)."""
    if resume:
        return load_checkpoint(inside(out, CHECKPOINT_FILE))
    if inside(out, "model.safetensors").exists():
        raise ValueError(f"{out} already holds a model; pass resume or choose another folder")
    return None


def _encode_splits(
    data: Corpus, real: list[dict], tokenizer: Tokenizer, context: int, corpus: str | Path
) -> tuple[dict[str, list[list[int]]], list[dict]]:
    """Token ids of the real train and val circuits that fit ``context``; those that did not.

    Each circuit left out is described by its corpus ``file``, ``family``, ``qubits``,
    ``split`` and ``tokens`` (its sequence length). Without a validation circuit, the
    first tenth of the training circuits validate.
    """
    splits: dict[str, list[list[int]]] = {"train": [], "val": []}
    too_long: list[dict] = []
    for r in real:
        if r["split"] not in splits:
            continue
        ids = tokenizer.encode_program(data.program(r), r["family"])
        if len(ids) > context:
            too_long.append(
                {
                    "file": r["file"],
                    "family": r["family"],
                    "qubits": r["qubits"],
                    "split": r["split"],
                    "tokens": len(ids),
                }
            )
            continue
        splits[r["split"]].append(ids)
    if not splits["train"]:
        raise ValueError(f"corpus {corpus} has no training circuit that fits context {context}")
    if not splits["val"]:
        splits["val"] = splits["train"][: max(1, len(splits["train"]) // 10)]
    return splits, too_long


@dataclass
class _Session:
    """One training session: model, optimiser, shuffling, and where training stands."""

    config: TrainConfig
    model_config: ModelConfig
    tokenizer: Tokenizer
    splits: dict[str, list[list[int]]]
    device: torch.device
    model: CircuitTransformer
    optimizer: torch.optim.Optimizer
    rng: random.Random
    history: list[dict] = field(default_factory=list)
    best: float = math.inf
    best_epoch: int = -1
    start_epoch: int = 0
    step: int = 0

    @classmethod
    def start(
        cls,
        config: TrainConfig,
        model_config: ModelConfig,
        tokenizer: Tokenizer,
        splits: dict[str, list[list[int]]],
        device: torch.device,
        checkpoint: Checkpoint | None,
    ) -> _Session:
        """A new model seeded by ``config.seed``, or the state ``checkpoint`` holds.

        A resumed session reseeds shuffling and dropout with ``seed + next epoch``.
        """
        torch.manual_seed(config.seed)
        rng = random.Random(config.seed)
        model = CircuitTransformer(model_config).to(device)
        if config.attention_dropout is not None:
            model.set_attention_dropout(config.attention_dropout)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        session = cls(config, model_config, tokenizer, splits, device, model, optimizer, rng)
        if checkpoint is not None:
            checkpoint.restore(model, optimizer)
            session.history = checkpoint.history
            session.best, session.best_epoch = checkpoint.best, checkpoint.best_epoch
            session.start_epoch, session.step = checkpoint.epoch + 1, checkpoint.step
            rng.seed(config.seed + session.start_epoch)
            torch.manual_seed(config.seed + session.start_epoch)
        return session

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.splits["train"]) / self.config.batch_size)

    def learning_rate(self, step: int) -> float:
        """Linear warm-up to ``lr``, then cosine decay to ``lr / 10`` at the last step."""
        lr, warmup = self.config.lr, self.config.warmup
        total_steps = max(self.config.epochs * self.steps_per_epoch, 1)
        if step < warmup:
            return lr * (step + 1) / warmup
        frac = min((step - warmup) / max(total_steps - warmup, 1), 1.0)
        return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    def fit(self, out: Path, echo) -> str:  # noqa: ANN001
        """Train up to ``config.epochs``, writing the best model and a checkpoint per epoch.

        Returns why training stopped: ``epochs``, ``early stopping`` or ``time limit``.
        """
        t0 = time.perf_counter()
        for epoch in range(self.start_epoch, self.config.epochs):
            if epoch - self.best_epoch > self.config.patience and self.best_epoch >= 0:
                return "early stopping"
            train_loss = self.train_epoch(epoch)
            val = evaluate(self.model, self.splits["val"], self.device)
            row = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val,
                "seconds": round(time.perf_counter() - t0, 1),
            }
            self.history.append(row)
            improved = val < self.best
            if improved:
                self.best, self.best_epoch = val, epoch
                save_model(self.model, self.tokenizer, out, self.config.weights_dtype)
            echo(
                f"epoch {epoch}: train {train_loss:.4f} val {val:.4f}" + (" *" if improved else "")
            )
            self.write_checkpoint(out / CHECKPOINT_FILE, epoch)
            minutes = self.config.max_minutes
            if minutes is not None and time.perf_counter() - t0 > 60 * minutes:
                return "time limit"
        return "epochs"

    def train_epoch(self, epoch: int) -> float:
        """One pass over the shuffled training split; its mean loss per token."""
        from tqdm.auto import tqdm

        self.model.train()
        total, count = 0.0, 0
        bar = tqdm(
            _batches(self.splits["train"], self.config.batch_size, self.rng),
            total=self.steps_per_epoch,
            desc=f"epoch {epoch}",
            disable=not self.config.progress,
            leave=False,
        )
        for ids in bar:
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate(self.step)
            loss, n = _loss(self.model, ids.to(self.device))
            self.optimizer.zero_grad(set_to_none=True)
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            total, count = total + float(loss.detach()), count + n
        return total / count

    def write_checkpoint(self, path: Path, epoch: int) -> None:
        """Write the state after ``epoch`` to ``path`` atomically (see :func:`load_checkpoint`)."""
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "config": json.dumps(asdict(self.model_config)),
            "tokenizer": json.dumps(self.tokenizer.to_json()),
            "history": json.dumps(self.history),
            "best": torch.tensor(self.best),
            "best_epoch": torch.tensor(self.best_epoch),
            "epoch": torch.tensor(epoch),
            "step": torch.tensor(self.step),
        }
        atomic_write(path, lambda tmp: _save_checkpoint(state, tmp))

    def summary(self, corpus: str | Path, too_long: list[dict], stopped: str) -> dict:
        """The contents of ``training.json``.

        ``left_out_too_long`` counts the train and validation circuits longer than the
        context, ``left_out_too_long_circuits`` lists them (see :func:`_encode_splits`).
        """
        return {
            "corpus": str(corpus),
            "config": asdict(self.model_config),
            "parameters": self.model.num_parameters(),
            "train_sequences": len(self.splits["train"]),
            "val_sequences": len(self.splits["val"]),
            "left_out_too_long": len(too_long),
            "left_out_too_long_circuits": too_long,
            "best_val_loss": self.best,
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.history),
            "stopped": stopped,
            "device": str(self.device),
            "options": self.options(),
            "history": self.history,
        }

    def options(self) -> dict:
        """The settings of ``training.json``; ``attention_dropout`` only when it was set."""
        options = {name: getattr(self.config, name) for name in _SUMMARY_OPTIONS}
        if self.config.attention_dropout is not None:
            options["attention_dropout"] = self.config.attention_dropout
        return options


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
