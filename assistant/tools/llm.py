"""The chat model for the tools' llm backends (summarize, qa): loaded once per process per model
and shared, so `/summarize` then `/ask` in one chat read the weights once.

A leaf module: `assistant.tools` (which the engine imports to run calls) does not import it, so
loading an engine from here makes no import cycle.
"""

from __future__ import annotations

from typing import Any

from assistant.tools.base import Progress, Reporter

_engines: dict[str | None, Any] = {}


def use_engine(engine: Any, model: str | None = None) -> None:
    """Let the llm backends use an already loaded `Engine` for `model` (tests hand it a tiny one).

    Nothing else calls this: the tools load one copy of the chat model on first use and keep
    it for later calls. Sharing the chat's engine would need its generation serialised with the
    chat's own answers, which nothing does yet."""
    _engines[model] = engine


def chat_engine(model: str | None, progress: Progress | None = None) -> Any:
    """The engine for `model` (None: the embedded one), loaded on first use on the inference
    backend the tool's run carries (`Reporter.engine_backend`: the chat's own; else "auto")."""
    from assistant.inference import load_engine

    backend = progress.engine_backend if isinstance(progress, Reporter) else "auto"
    if model not in _engines:
        _engines[model] = load_engine(model, backend=backend, progress=progress)
    return _engines[model]
