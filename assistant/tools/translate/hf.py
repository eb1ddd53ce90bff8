"""The `hf` translate backend: any local MarianMT or T5 directory (`--model DIR`, or the
`PARLEY_TRANSLATE_MODEL` environment variable). Nothing is downloaded.

MarianMT models translate the one pair they were trained on (multi-target ones take a `>>pt<<`
prefix, added when the vocabulary has it); T5 gets the "translate English to Portuguese: " prefix.
"""

from __future__ import annotations

from pathlib import Path

from assistant.tools import hf

ARCHITECTURE = "transformer encoder-decoder (MarianMT/T5)"
ENV = "PARLEY_TRANSLATE_MODEL"
NAMES = {"en": "English", "pt": "Portuguese"}


def model_dir(model: str | None = None) -> Path | None:
    return hf.model_dir(model, ENV)


def translate(
    pieces: list[str], source: str, target: str, model: str | None, progress=None
) -> list[str]:
    hf_model, tokenizer = hf.load(model, ENV, "MarianMT/T5", "AutoModelForSeq2SeqLM", progress)
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
