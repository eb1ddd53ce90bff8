"""The tool registry: every tool installed under the `parley.tools` entry-point group.

    from assistant import tools
    tools.names()                                   # ['sentiment', 'summarize', 'translate', ...]
    tools.run_slash("translate", ["--to", "pt", "good", "night"])   # a slash command's words
    tools.run_call("sentiment", {"text": "I loved it"})              # the model's own tool call
    tools.check_call("translate", {"text": "hi", "to": "fr"})        # why that call cannot run

Parley's own tools register exactly like a third-party plugin would, in `pyproject.toml`:

    [project.entry-points."parley.tools"]
    translate = "assistant.tools.translate:TranslateTool"

An entry point names a `Tool` subclass (or instance). One that fails to load is reported
(`failures()`, a warning in the log, `parley tool list`) and skipped, never fatal. Importing this
package does not import torch: backends import their models lazily when they run.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import entry_points
from typing import Any

from assistant.errors import ToolCallRefused, ToolNotFound, UsageError
from assistant.tools import params
from assistant.tools.base import (
    BackendInfo,
    Output,
    Progress,
    Tool,
    ToolResult,
)
from assistant.tools.params import Param

__all__ = [
    "GROUP",
    "BackendInfo",
    "Output",
    "Tool",
    "ToolResult",
    "UsageError",
    "call_parameters",
    "check_call",
    "failures",
    "get",
    "names",
    "reload",
    "run_call",
    "run_slash",
]

GROUP = "parley.tools"
# The tools the chat model is trained to call (data/sft), in the order refusals list them. What a
# call of each may carry is the tool's own declaration: its parameters marked `model=...`.
MODEL_CALLS = ("translate", "sentiment", "summarize", "imagine", "transcribe", "caption", "qa")
log = logging.getLogger("parley.tools")

_tools: dict[str, Tool] | None = None
_failures: dict[str, str] = {}


def _load() -> dict[str, Tool]:
    global _tools
    if _tools is not None:
        return _tools
    tools: dict[str, Tool] = {}
    _failures.clear()
    for ep in entry_points(group=GROUP):
        if ep.name in tools:  # a second plugin with the same name: first one wins, say so
            _failures[ep.name] = f"duplicate tool name (also {ep.value})"
            continue
        try:
            obj = ep.load()
            tool = obj() if isinstance(obj, type) else obj
            if not isinstance(tool, Tool):
                raise TypeError(f"{ep.value} is not an assistant.tools.Tool")
            if tool.name != ep.name:
                raise TypeError(f"{ep.value} is named {tool.name!r}, registered as {ep.name!r}")
        except Exception as e:  # a broken plugin must not take Parley down with it
            _failures[ep.name] = f"{type(e).__name__}: {e}"
            log.warning("tool %s failed to load and is skipped: %s", ep.name, _failures[ep.name])
            continue
        tools[ep.name] = tool
    _tools = dict(sorted(tools.items()))
    return _tools


def reload() -> None:
    """Forget the loaded tools; the next call reads the entry points again."""
    global _tools
    _tools = None


def names() -> list[str]:
    """Installed tools, sorted."""
    return list(_load())


def failures() -> dict[str, str]:
    """Tools whose entry point failed to load: name -> the error, in one line."""
    _load()
    return dict(_failures)


def get(name: str) -> Tool:
    """The tool called `name`; an unknown name lists the installed ones."""
    tools = _load()
    key = name.strip().lstrip("/")
    if key in tools:
        return tools[key]
    raise ToolNotFound(_not_installed(key))


def _not_installed(key: str) -> str:
    installed = ", ".join(_load()) or "none"
    hint = f" ({key} failed to load: {_failures[key]})" if key in _failures else ""
    return f"no tool named {key!r}{hint}; installed: {installed}"


def call_parameters(name: str) -> dict[str, Param]:
    """The parameters a model's call of `name` may carry (empty for a tool it may not call)."""
    tool = _load().get(name) if name in MODEL_CALLS else None
    return params.for_model(tool.parameters) if tool is not None else {}


def check_call(name: str, arguments: Any) -> str | None:
    """Why a tool call the model wrote cannot run (one line), or None if it can: the tool must be
    one the model may call, and the arguments fit what its parameters let a model pass. Only the
    tool's declaration is read; nothing runs."""
    if name not in MODEL_CALLS:
        return f"unknown tool {name!r}; known: {', '.join(MODEL_CALLS)}"
    tool = _load().get(name)
    if tool is None:
        return _not_installed(name)
    return params.check_call(name, tool.parameters, arguments)


def run_slash(
    name: str,
    argv: list[str],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    engine_backend: str = "auto",
) -> ToolResult:
    """Run a slash command (`/translate --to pt good night` -> "translate", ["--to", ...]);
    setting `cancel` stops it (`Cancelled`) at its next step. `engine_backend`: the inference
    backend an `llm` tool backend loads the chat model on (the chat passes its own)."""
    from assistant.tools.text import require_utf8

    tool = get(name)
    # Words from the shell that were not UTF-8 (a Latin-1 terminal): one line, not a crash.
    words = [require_utf8(w, f"/{tool.name} argument {i}") for i, w in enumerate(argv, 1)]
    arguments = tool.parse(words)
    backend = arguments.pop("backend", None)
    return tool.run(
        backend=backend,
        progress=progress,
        cancel=cancel,
        engine_backend=engine_backend,
        **arguments,
    )


def run_call(name: str, arguments: dict[str, Any], progress: Progress | None = None) -> ToolResult:
    """Run a tool call the model wrote: `arguments` as the model gave them (a JSON object).

    Model output is data, never authority. The call is checked against what the model may pass
    (`check_call`: the tool must be one the model may call, every argument declared and in
    range); anything else raises `ToolCallRefused` and nothing runs. What passes reaches the tool
    literally: the default backend, no output path, and text that is never read as `@FILE` (only
    a slash command's parser, `run_slash`, reads files).
    """
    error = check_call(name, arguments)
    if error is not None:
        raise ToolCallRefused(error)
    return get(name).run(backend=None, progress=progress, **arguments)
