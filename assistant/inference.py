"""Loading a chat model: one place that chooses the backend, llama.cpp or transformers.

    from assistant.inference import load_engine
    engine = load_engine("smollm2-135m-instruct")                # llama.cpp when it can
    engine = load_engine(None, backend="transformers", dtype="bfloat16")

`assistant.engine` holds the engine and its events, `assistant.llamacpp` the llama.cpp backend
(an `Engine` subclass); this module imports both, so neither imports the other back. Importing it
costs no torch and no llama_cpp: the backends load those when a model is built.
"""

from __future__ import annotations

from typing import Any

from assistant import llamacpp, models
from assistant.engine import Engine


def load_engine(
    model: str | None = None,
    *,
    backend: str | None = None,
    dtype: str = "float32",
    progress: models.Progress | None = None,
    **kwargs: Any,
) -> Engine:
    """The model by name (None: the embedded one) on `backend` ("llamacpp", "transformers",
    "auto"; None: $PARLEY_BACKEND, else auto: llama.cpp where it can, see
    `llamacpp.choose_backend`). `dtype` is the transformers backend's; `kwargs` go to the engine."""
    spec = models.resolve(model)
    if llamacpp.choose_backend(spec, backend, progress) == "llamacpp":
        return llamacpp.LlamaCppEngine.from_spec(spec, progress=progress, **kwargs)
    hf_model, tokenizer = models.load(spec, dtype=dtype, progress=progress)
    return Engine(hf_model, tokenizer, name=spec.name, **kwargs)
