"""The model's tool calls: it writes `<tool_call>{...}</tool_call>` (assistant.toolcall); the
engine stops decoding there, runs the call and shows its result as the rest of the answer.

`tool_loop` wraps one answer's event stream; `Engine.generate` is its only caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from assistant.errors import ParleyError, ToolCallRefused
from assistant.inference.events import Done, Event, TextChunk, ToolCall, ToolResult

ToolRunner = Callable[[str, dict[str, Any]], Any]
"""(tool name, arguments) -> an `assistant.tools.ToolResult`; raises ParleyError on bad input."""


def run_tool_call(name: str, arguments: dict[str, Any]) -> Any:
    """The default runner: the tool registry (imported only when a model calls a tool). The call
    must fit what the tool's declaration lets a model pass (`tools.check_call`) first: a tool the
    model may not call (restore, whose arguments are all files) or an argument it may not carry (a
    file, a backend) is refused (`ToolCallRefused`) before any tool sees it, since model output is
    data, never authority."""
    from assistant import tools

    return tools.run_call(name, arguments)


class _EitherSet(threading.Event):
    """Set when set itself or when the caller's cancel event is: stops decoding at a tool call
    without touching the caller's event."""

    def __init__(self, other: threading.Event | None) -> None:
        super().__init__()
        self.other = other

    def is_set(self) -> bool:
        return super().is_set() or (self.other is not None and self.other.is_set())


def tool_loop(
    answer: Callable[[threading.Event], Iterator[Event]],
    cancel: threading.Event | None,
    runner: ToolRunner,
) -> Iterator[Event]:
    """`answer(stop)`'s events with a tool call in the answer run by `runner`. Events: Started,
    TextChunk... (the call's own text held back), ToolCall, ToolResult, TextChunk (the result),
    Done (its text is what the user saw; finish_reason "tool_call")."""
    from assistant import toolcall

    stop = _EitherSet(cancel)
    text = shown = ""
    call = None
    for event in answer(stop):
        if isinstance(event, TextChunk):
            text += event.text
            if call is None and (calls := toolcall.parse(text)):
                call = calls[0]
                stop.set()  # what follows a call is not the model's business
            held = toolcall.find_partial_start(text)
            end = call.start if call else len(text) if held is None else held
            visible = text[:end].rstrip()  # trailing space waits: a call may follow it
            if len(visible) > len(shown) and visible.startswith(shown):
                yield TextChunk(visible[len(shown) :])
                shown = visible
        elif isinstance(event, Done):
            if call is None or (cancel is not None and cancel.is_set()):
                rest = text[len(shown) :] if call is None and text.startswith(shown) else ""
                if rest:  # an unfinished tag at the end is plain text after all
                    yield TextChunk(rest)
                yield replace(event, text=shown + rest)
                return
            yield ToolCall(call.name, dict(call.arguments))
            result, display = _run_call(runner, call)
            yield result
            display = ("\n\n" if shown.strip() else "") + display
            yield TextChunk(display)
            yield replace(event, text=shown + display, finish_reason="tool_call")
            return
        else:
            yield event


def _run_call(runner: ToolRunner, call: Any) -> tuple[ToolResult, str]:
    """Run one parsed call; any failure becomes a ToolResult(ok=False) and a line, never a crash.

    A call that does not validate (`toolcall.validate`: an unknown tool or argument, a value out
    of range) is refused here and never reaches the runner: model output is data, not authority.
    """
    if not call.name:
        return _failed("", call.error or "bad call"), f"(tool call not understood: {call.error})"
    if call.error:
        message = f"refused: {call.error}"
        return _failed(call.name, message), f"({call.name} call {message})"
    start = time.perf_counter()
    try:
        result = runner(call.name, dict(call.arguments))
    except ToolCallRefused as e:  # the runner's own check (the registry's `run_call`)
        message = f"refused: {e}"
        return _failed(call.name, message), f"({call.name} call {message})"
    except Exception as e:  # a tool's failure is the answer's content, not the engine's crash
        message = str(e) if isinstance(e, ParleyError) else f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - start
        return _failed(call.name, message, seconds), f"({call.name} failed: {message})"
    return result, "\n".join([result.text, *map(str, result.images)]).strip()


def _failed(name: str, message: str, seconds: float = 0.0) -> ToolResult:
    return ToolResult(name, backend="", architecture="", text=message, latency_s=seconds, ok=False)
