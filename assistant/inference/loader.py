"""Loading a chat model: the one place that chooses the backend, llama.cpp or transformers.

    engine = load_engine("smollm2-135m-instruct")                 # llama.cpp when it can
    engine = load_engine(None, backend="transformers", dtype="bfloat16")

The backend and dtype are parameters all the way down; `$PARLEY_BACKEND` is read only at the CLI
edge (`assistant.cli.options`), as the default of `--backend`. Importing this module costs no
torch and no llama_cpp: the backends load those when a model is built.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from assistant import models
from assistant.chat_context import DEFAULT_SYSTEM_PROMPT
from assistant.errors import ModelLoadError, UsageError
from assistant.inference.engine import Engine

BACKENDS = ("auto", "llamacpp", "transformers")
DTYPES = models.DTYPES
DEFAULT_DTYPE = "float32"
INSTALL_FAST = "pip install 'parley[fast]' (or `make install`), which builds llama-cpp-python"


def llamacpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def load_engine(
    model: str | models.ModelSpec | None = None,
    *,
    backend: str = "auto",
    dtype: str = DEFAULT_DTYPE,
    progress: models.Progress | None = None,
    context_window: int | None = None,
    system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    n_seq: int | None = None,
) -> Engine:
    """The model (a name, a spec; None: the embedded one) on `backend` ("llamacpp",
    "transformers", or "auto": llama.cpp where it can, see `choose_backend`).

    `dtype` is the transformers backend's weights' type; llama.cpp runs the GGUF's own, so another
    dtype there is refused when llama.cpp was asked for by name, and said in one line when auto
    chose it. `n_seq`: answers llama.cpp decodes together (transformers decodes one at a time)."""
    spec = model if isinstance(model, models.ModelSpec) else models.resolve(model)
    backend = (backend or "auto").lower()
    if choose_backend(spec, backend, progress) == "transformers":
        from assistant.inference.transformers_backend import TransformersBackend

        hf_model, tokenizer = models.load(spec, dtype=dtype, progress=progress)
        backend_ = TransformersBackend(hf_model, tokenizer, context_window)
        return Engine(backend_, name=spec.name, system_prompt=system_prompt)
    if dtype != DEFAULT_DTYPE:
        note = f"--dtype {dtype} is the transformers backend's; llama.cpp runs the GGUF's own types"
        if backend == "llamacpp":
            raise UsageError(f"{note}: drop --dtype, or use --backend transformers")
        if progress:
            progress(f"{note} (--backend transformers uses {dtype})")
    from assistant.inference.llamacpp_backend import N_SEQ, n_threads

    path = gguf_for(spec, progress)
    if progress:
        progress(f"Loading {spec.name} in llama.cpp ({n_threads()} threads) from {path} ...")
    eos = _checkpoint_eos(Path(spec.path)) if spec.kind != "embedded" else None
    engine = gguf_engine(
        path,
        spec.name,
        system_prompt,
        context_window=context_window,
        eos_ids=eos,
        n_seq=n_seq or N_SEQ,
    )
    if progress:
        progress(f"Loaded {spec.name}.")
    return engine


def gguf_engine(
    path: str | Path,
    name: str = "model",
    system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    **backend: Any,
) -> Engine:
    """An engine over one GGUF file in llama.cpp (benchmarks, tests); `backend`: the keywords of
    `LlamaCppBackend` (context_window, eos_ids, threads, n_seq)."""
    from assistant.inference.llamacpp_backend import LlamaCppBackend

    return Engine(LlamaCppBackend(path, name, **backend), name=name, system_prompt=system_prompt)


def choose_backend(
    spec: models.ModelSpec, backend: str = "auto", progress: models.Progress | None = None
) -> str:
    """`llamacpp` or `transformers` for this model: the one asked for, or for "auto" llama.cpp
    where it is installed and can run the model (a Llama, embedded or a checkpoint it exports)."""
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "transformers":
        return backend
    reason = _unsupported_reason(spec)
    if backend == "llamacpp" and reason:
        raise UsageError(f"the llama.cpp backend cannot run {spec.name}: {reason}")
    if reason:
        if progress and llamacpp_available():
            progress(f"Using transformers for {spec.name}: {reason}")
        return "transformers"
    return "llamacpp"


def _unsupported_reason(spec: models.ModelSpec) -> str | None:
    if not llamacpp_available():
        return f"llama-cpp-python is not installed; {INSTALL_FAST}"
    if spec.kind == "embedded":
        return None
    if spec.kind == "hub":
        return "hub models run on transformers"
    from assistant.inference import gguf_export

    src = Path(spec.path)
    qtype = os.environ.get("PARLEY_GGUF_TYPE", gguf_export.DEFAULT_QTYPE)
    if src.is_dir() and gguf_export.cached_path(src, qtype).exists():
        return None  # exported before
    try:
        gguf_export.check_supported(src)
        gguf_export.check_tokenizer(src)
    except ModelLoadError as e:
        return str(e)
    return None


def gguf_for(spec: models.ModelSpec, progress: models.Progress | None = None) -> Path:
    """The GGUF file llama.cpp runs for this model (exported once for a checkpoint)."""
    if spec.kind == "embedded":
        return models.embedded_gguf()
    from assistant.inference import gguf_export

    qtype = os.environ.get("PARLEY_GGUF_TYPE", gguf_export.DEFAULT_QTYPE)
    return gguf_export.ensure_gguf(spec.path, qtype, progress)


def _checkpoint_eos(path: Path) -> set[int] | None:
    """The eos ids the transformers path would stop at (config + generation config)."""
    import contextlib
    import json

    ids: set[int] = set()
    for name in ("config.json", "generation_config.json"):
        with contextlib.suppress(OSError, ValueError):
            value = json.loads((path / name).read_text()).get("eos_token_id")
            ids.update([value] if isinstance(value, int) else value or [])
    return ids or None
