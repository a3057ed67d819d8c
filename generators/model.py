"""A small decoder-only (GPT-2 style, pre-LayerNorm) transformer over circuit tokens.

Weights are stored with safetensors (``model.safetensors``, loads without executing code)
next to ``config.json`` and ``tokenizer.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from qneuro.generators.tokenizer import Tokenizer


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
        for name in ("vocab_size", "context", "layers", "heads", "width"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.width % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide width ({self.width})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


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
                att = (q @ keys.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
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

    if dtype not in ("float16", "float32"):
        raise ValueError(f"dtype must be 'float16' or 'float32', got {dtype!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: v.detach().to("cpu", getattr(torch, dtype)).contiguous()
        for k, v in model.state_dict().items()
    }
    tmp = folder / "model.safetensors.tmp"
    save_file(tensors, str(tmp), metadata={"format": "qneuro.generators.model/1"})
    tmp.replace(folder / "model.safetensors")
    cfg_tmp = folder / "config.json.tmp"
    cfg_tmp.write_text(json.dumps(asdict(model.cfg), indent=1) + "\n")
    cfg_tmp.replace(folder / "config.json")
    tokenizer.save(folder / "tokenizer.json")


def default_model_dir() -> Path:
    """Folder of the model bundled with the package."""
    return Path(__file__).resolve().parent / "default_model"


def load_model(
    folder: str | Path | None = None, device: str | torch.device = "cpu"
) -> tuple[CircuitTransformer, Tokenizer]:
    """Load a model folder written by :func:`save_model` (default: the bundled model).

    Returns:
        ``(model in eval mode, float32, on device; tokenizer)``.

    Raises:
        FileNotFoundError: If a file of the folder is missing.
        ValueError: If the weights do not match the configuration.
    """
    from safetensors.torch import load_file

    folder = Path(folder) if folder is not None else default_model_dir()
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"model folder {folder} lacks {name}")
    cfg = ModelConfig(**json.loads((folder / "config.json").read_text()))
    tokenizer = Tokenizer.load(folder / "tokenizer.json")
    if cfg.vocab_size != len(tokenizer):
        raise ValueError(f"config vocab_size {cfg.vocab_size} != tokenizer size {len(tokenizer)}")
    model = CircuitTransformer(cfg)
    state = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"weights in {folder} do not match config: {exc}") from exc
    return model.to(device).eval(), tokenizer
