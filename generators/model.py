"""A small decoder-only (GPT-2 style, pre-LayerNorm) transformer over circuit tokens.

Weights are stored with safetensors (``model.safetensors``, loads without executing code)
next to ``config.json`` and ``tokenizer.json``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from qneuro import checks
from qneuro.files import atomic_write, atomic_write_json, inside
from qneuro.generators.tokenizer import Tokenizer

#: Largest value of each size field of :class:`ModelConfig` (a typo such as
#: ``--width 1000000`` is refused instead of exhausting memory).
SIZE_LIMITS = {
    "vocab_size": 1 << 20,
    "context": 1 << 16,
    "layers": 256,
    "heads": 256,
    "width": 1 << 14,
}
#: Largest ``model.safetensors`` header read (bytes); the bundled model's has 4.5 kB.
MAX_WEIGHTS_HEADER_BYTES = 1 << 20
#: Bytes per element of the weight dtypes :func:`load_model` accepts.
WEIGHT_DTYPE_BYTES = {"F16": 2, "BF16": 2, "F32": 4}
#: The weights, configuration and tokenizer files of a model folder.
MODEL_FILES = ("model.safetensors", "config.json", "tokenizer.json")


@dataclass
class ModelConfig:
    """Transformer shape.

    Attributes:
        vocab_size: Number of token ids.
        context: Longest token sequence (positions), including ``<bos>`` and ``<eos>``.
        layers: Transformer blocks.
        heads: Attention heads (must divide ``width``).
        width: Residual stream width.
        dropout: Dropout probability during training.
    """

    vocab_size: int
    context: int = 1024
    layers: int = 4
    heads: int = 4
    width: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        for name, largest in SIZE_LIMITS.items():
            checks.integer(name, getattr(self, name), low=1, high=largest)
        if self.width % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide width ({self.width})")
        checks.real("dropout", self.dropout, low=0, high=1, below=True)

    @classmethod
    def from_json(cls, data: dict, source: str) -> ModelConfig:
        """The configuration in a parsed ``config.json``; messages name ``source``."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}; allowed: {sorted(names)}")
        checks.field(source, data, "vocab_size")
        try:
            return cls(**data)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None


class Block(nn.Module):
    """Pre-LN transformer block with causal self-attention and an optional KV cache."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.heads = cfg.heads
        self.ln1 = nn.LayerNorm(cfg.width)
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)
        self.ln2 = nn.LayerNorm(cfg.width)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.width, 4 * cfg.width), nn.GELU(), nn.Linear(4 * cfg.width, cfg.width)
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.dropout = cfg.dropout

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor, int] | None = None
    ) -> torch.Tensor:
        """Apply the block to ``x`` of shape (batch, time, width).

        With ``cache = (k_buf, v_buf, start)`` the new keys/values are written into the
        preallocated buffers (batch, heads, context, head_width) at ``start`` and attention
        runs over positions ``0 .. start + time``.
        """
        b, t, w = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(w, dim=2)
        q, k, v = (z.view(b, t, self.heads, w // self.heads).transpose(1, 2) for z in (q, k, v))
        if cache is None:
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
            )
        else:
            k_buf, v_buf, start = cache
            k_buf[:, :, start : start + t] = k
            v_buf[:, :, start : start + t] = v
            keys, values = k_buf[:, :, : start + t], v_buf[:, :, : start + t]
            if t == 1:  # one new token: plain matmuls beat SDPA on strided CPU buffers
                att = (q * (1.0 / math.sqrt(q.shape[-1]))) @ keys.transpose(-2, -1)
                y = torch.softmax(att, dim=-1) @ values
            else:
                mask = torch.ones(t, start + t, dtype=torch.bool, device=x.device).tril(start)
                y = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
        y = y.transpose(1, 2).reshape(b, t, w)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.ln2(x)))


class CircuitTransformer(nn.Module):
    """Decoder-only transformer returning next-token logits (batch, time, vocab)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.width)
        self.pos = nn.Embedding(cfg.context, cfg.width)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln = nn.LayerNorm(cfg.width)
        self.head = nn.Linear(cfg.width, cfg.vocab_size, bias=False)
        self.apply(self._init)
        for block in self.blocks:
            nn.init.normal_(block.proj.weight, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(
        self,
        ids: torch.Tensor,
        caches: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
        start: int = 0,
    ) -> torch.Tensor:
        """Logits for token ids (batch, time) starting at position ``start``."""
        t = ids.shape[1]
        if start + t > self.cfg.context:
            raise ValueError(f"sequence of {start + t} tokens exceeds context {self.cfg.context}")
        pos = torch.arange(start, start + t, device=ids.device)
        x = self.drop(self.tok(ids) + self.pos(pos))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else (*caches[i], start))
        return self.head(self.ln(x))

    def new_caches(
        self,
        batch: int,
        device: torch.device | str,
        dtype: torch.dtype,
        capacity: int | None = None,
    ):
        """Empty KV buffers (batch, heads, capacity, head_width) for :meth:`forward` with a cache.

        ``capacity`` defaults to the context; a smaller one must be grown (copied into a
        larger buffer) before a forward call would write past it.
        """
        hw = self.cfg.width // self.cfg.heads
        shape = (batch, self.cfg.heads, min(capacity or self.cfg.context, self.cfg.context), hw)
        return [
            (
                torch.zeros(shape, device=device, dtype=dtype),
                torch.zeros(shape, device=device, dtype=dtype),
            )
            for _ in self.blocks
        ]

    def set_attention_dropout(self, p: float) -> None:
        """Dropout on the attention weights while training (the config's ``dropout`` by default).

        Only training depends on it; with 0 a CPU keeps the fused attention kernel.
        """
        checks.real("attention_dropout", p, low=0, high=1, below=True)
        for block in self.blocks:
            block.dropout = p

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters())


def save_model(
    model: CircuitTransformer, tokenizer: Tokenizer, folder: str | Path, dtype: str = "float16"
) -> None:
    """Write ``model.safetensors`` (weights in ``dtype``), ``config.json``, ``tokenizer.json``.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    """
    from safetensors.torch import save_file

    checks.one_of("dtype", dtype, ("float16", "float32"))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: v.detach().to("cpu", getattr(torch, dtype)).contiguous()
        for k, v in model.state_dict().items()
    }
    metadata = {"format": "qneuro.generators.model/1"}
    atomic_write(folder / "model.safetensors", lambda tmp: save_file(tensors, tmp, metadata))
    atomic_write_json(folder / "config.json", asdict(model.cfg))
    tokenizer.save(folder / "tokenizer.json")


def default_model_dir() -> Path:
    """Folder of the model bundled with the package."""
    return Path(__file__).resolve().parent / "default_model"


def pick_device(device: str = "auto") -> torch.device:
    """The torch device named ``device``: ``auto`` (cuda when available), ``cpu``, ``cuda[:N]``.

    Raises:
        ValueError: Another name, or a CUDA device this machine does not have.
    """
    name = device if isinstance(device, str) else repr(device)
    kind, _, index = name.partition(":")
    if kind not in ("auto", "cpu", "cuda") or (index and (kind != "cuda" or not index.isdigit())):
        raise ValueError(f"device {name!r} unknown; allowed: auto, cpu, cuda, cuda:N")
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and int(index or 0) >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(
            f"device {name!r} is not available: this machine has {count} CUDA devices"
            + ("" if count else "; use cpu")
        )
    return torch.device(name)


def _check_weights_header(path: Path, expected: dict[str, tuple[int, ...]]) -> None:
    """Refuse ``path`` unless its safetensors header lists exactly the ``expected`` shapes.

    The header (8-byte little-endian length, then JSON) is read without trusting the
    length beyond :data:`MAX_WEIGHTS_HEADER_BYTES`; every tensor's byte range must lie in
    the file, so a truncated file is refused before any tensor is read.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        length = int.from_bytes(prefix, "little")
        if len(prefix) == 8 and length > MAX_WEIGHTS_HEADER_BYTES:
            raise ValueError(
                f"weights {path}: header of {length:,} bytes exceeds the "
                f"{MAX_WEIGHTS_HEADER_BYTES:,}-byte limit"
            )
        if len(prefix) < 8 or 8 + length > size:
            raise ValueError(f"weights {path} are truncated ({size} bytes)")
        raw = handle.read(length)
    try:
        header = checks.parse_json(raw.decode("utf-8"), f"weights header of {path}")
    except UnicodeDecodeError:
        raise ValueError(f"weights header of {path} is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise ValueError(f"weights header of {path} must be a JSON object")
    header.pop("__metadata__", None)
    missing, unknown = sorted(set(expected) - set(header)), sorted(set(header) - set(expected))
    if missing or unknown:
        raise ValueError(
            f"weights {path} do not match config.json: missing tensors {missing[:5]}, "
            f"unexpected tensors {unknown[:5]}"
        )
    data_bytes = size - 8 - length
    for name, entry in header.items():
        entry = entry if isinstance(entry, dict) else {}
        shape, dtype, offsets = entry.get("shape"), entry.get("dtype"), entry.get("data_offsets")
        if shape != list(expected[name]):
            raise ValueError(
                f"weights {path}: tensor {name} has shape {shape}, config.json needs "
                f"{list(expected[name])}"
            )
        if dtype not in WEIGHT_DTYPE_BYTES:
            raise ValueError(
                f"weights {path}: tensor {name} has dtype {dtype!r}; allowed: "
                f"{', '.join(WEIGHT_DTYPE_BYTES)}"
            )
        nbytes = math.prod(shape) * WEIGHT_DTYPE_BYTES[dtype]
        valid = (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(x, int) for x in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_bytes
            and offsets[1] - offsets[0] == nbytes
        )
        if not valid:
            raise ValueError(f"weights {path}: tensor {name} data is truncated or malformed")


def parameter_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The ``state_dict`` names and shapes of ``CircuitTransformer(cfg)``, without building it.

    Computed from the configuration alone (no tensor is allocated), so that an untrusted
    configuration is checked against a weights header before anything is built.
    """
    w, v = cfg.width, cfg.vocab_size
    shapes = {"tok.weight": (v, w), "pos.weight": (cfg.context, w)}
    block = {
        "ln1.weight": (w,),
        "ln1.bias": (w,),
        "qkv.weight": (3 * w, w),
        "qkv.bias": (3 * w,),
        "proj.weight": (w, w),
        "proj.bias": (w,),
        "ln2.weight": (w,),
        "ln2.bias": (w,),
        "mlp.0.weight": (4 * w, w),
        "mlp.0.bias": (4 * w,),
        "mlp.2.weight": (w, 4 * w),
        "mlp.2.bias": (w,),
    }
    for i in range(cfg.layers):
        shapes.update({f"blocks.{i}.{name}": shape for name, shape in block.items()})
    shapes.update({"ln.weight": (w,), "ln.bias": (w,), "head.weight": (v, w)})
    return shapes


def load_model(
    folder: str | Path | None = None, device: str | torch.device = "cpu"
) -> tuple[CircuitTransformer, Tokenizer]:
    """Load a model folder written by :func:`save_model` (default: the bundled model).

    The folder is untrusted: files must be regular files inside it (no symbolic links),
    ``config.json`` an object of :class:`ModelConfig` fields, and the weights' header must
    list exactly the tensors and shapes that configuration needs (checked before any
    tensor is read; no code is ever executed).

    Returns:
        ``(model in eval mode, float32, on device; tokenizer)``.

    Raises:
        FileNotFoundError: If a file of the folder is missing.
        ValueError: If a file is malformed or the weights do not match the configuration
            (the message names the file).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    device = pick_device(device) if isinstance(device, str) else device
    folder = Path(folder) if folder is not None else default_model_dir()
    weights, config, tokenizer_file = (inside(folder, name) for name in MODEL_FILES)
    for path in (weights, config, tokenizer_file):
        if not path.is_file():
            raise FileNotFoundError(f"model folder {folder} lacks {path.name}")
    cfg = ModelConfig.from_json(checks.read_json_object(config, what="config"), str(config))
    tokenizer = Tokenizer.load(tokenizer_file)
    if cfg.vocab_size != len(tokenizer):
        raise ValueError(
            f"{config}: vocab_size {cfg.vocab_size} != {len(tokenizer)} tokens in {tokenizer_file}"
        )
    _check_weights_header(weights, parameter_shapes(cfg))
    try:
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
    except SafetensorError as exc:
        raise ValueError(f"weights {weights} cannot be read: {exc}") from None
    model = CircuitTransformer(cfg)
    model.load_state_dict(state)
    return model.to(device).eval(), tokenizer
