"""The `hf` translate backend: any local MarianMT or T5 directory (`--model DIR`, or the
`PARLEY_TRANSLATE_MODEL` environment variable). Nothing is downloaded.

MarianMT models translate the one pair they were trained on (multi-target ones take a `>>pt<<`
prefix, added when the vocabulary has it); T5 gets the "translate English to Portuguese: " prefix.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from assistant.errors import UsageError

ARCHITECTURE = "transformer encoder-decoder (MarianMT/T5)"
ENV = "PARLEY_TRANSLATE_MODEL"
NAMES = {"en": "English", "pt": "Portuguese"}


def model_dir(model: str | None = None) -> Path | None:
    value = model or os.environ.get(ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if (path / "config.json").exists() else None


@functools.cache
def _load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from assistant.tools.base import quiet_weights_loading

    tokenizer = AutoTokenizer.from_pretrained(path)
    with quiet_weights_loading():
        model = AutoModelForSeq2SeqLM.from_pretrained(path)
    model.eval()
    return model, tokenizer


def translate(
    pieces: list[str], source: str, target: str, model: str | None, progress=None
) -> list[str]:
    path = model_dir(model)
    if path is None:
        where = model or os.environ.get(ENV)
        raise UsageError(
            f"no MarianMT/T5 directory at {where}; pass --model DIR"
            if where
            else f"the hf backend needs a model: --model DIR (or set {ENV})"
        )
    if progress:
        progress(f"loading {path}")
    hf_model, tokenizer = _load(path)
    prefix = ""
    if hf_model.config.model_type == "t5":
        prefix = f"translate {NAMES[source]} to {NAMES[target]}: "
    elif f">>{target}<<" in tokenizer.get_vocab():
        prefix = f">>{target}<< "
    import torch

    inputs = tokenizer([prefix + p for p in pieces], return_tensors="pt", padding=True,
                       truncation=True, max_length=512)  # fmt: skip
    with torch.inference_mode():
        ids = hf_model.generate(input_ids=inputs["input_ids"],
                                attention_mask=inputs["attention_mask"],
                                max_new_tokens=256, num_beams=1)  # fmt: skip
    return [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
