"""The `hf` backends' shared part: a local Hugging Face directory, named by `--model DIR` or an
environment variable, loaded once per process. Nothing is downloaded.

`translate`, `sentiment` and `summarize` each have an `hf` backend; they differ only in the
transformers class (`AutoModelForSeq2SeqLM`, `AutoModelForSequenceClassification`) and in what
they do with the model. transformers (and torch) are imported only when a model loads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assistant.errors import UsageError
from assistant.tools.base import Progress, quiet_weights_loading


def model_dir(model: str | None, env: str) -> Path | None:
    """`model`, else `$env`, when it is an HF directory (it has a config.json); else None."""
    value = model or os.environ.get(env)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if (path / "config.json").exists() else None


def load(
    model: str | None, env: str, kind: str, auto_class: str, progress: Progress | None = None
) -> tuple[Any, Any]:
    """(model, tokenizer) from the directory `model_dir` finds, loaded once; a missing one is a
    `UsageError` that says what to pass. `kind` names what is wanted ("BART/T5")."""
    path = model_dir(model, env)
    if path is None:
        where = model or os.environ.get(env)
        raise UsageError(
            f"no {kind} directory at {where}; pass --model DIR"
            if where
            else f"the hf backend needs a model: --model DIR (or set {env})"
        )
    key = (path, auto_class)
    if key not in _cache:
        import transformers

        if progress:
            progress(f"loading {path}")
        with quiet_weights_loading():
            hf_model = getattr(transformers, auto_class).from_pretrained(path).eval()
        _cache[key] = (hf_model, transformers.AutoTokenizer.from_pretrained(path))
    return _cache[key]


_cache: dict[tuple[Path, str], tuple[Any, Any]] = {}
