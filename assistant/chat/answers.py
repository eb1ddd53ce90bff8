"""One answer or one tool command of a chat, made and saved (no Textual; `ChatSession` runs them).

    answer = Answer(conversation_id, parent_id, threading.Event())
    message = generate(engine, db_path, answer, feed)     # blocking: the stream goes to `feed`

Both save from the thread that runs them, on its own database connection, so a stopped, failed or
quit-mid-answer turn keeps what was generated. Importing this module imports no model library:
`load_engine` does, when it builds one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant import store
from assistant.chat import commands
from assistant.chat.commands import SlashCommand
from assistant.errors import Cancelled
from assistant.store import conversations as convs

EngineFactory = Callable[[str | None, str, Callable[[str], None]], Any]


def load_engine(
    model: str | None, dtype: str, progress: Callable[[str], None], backend: str = "auto"
) -> Any:
    """The real engine: loads torch and transformers or llama_cpp, and the weights (slow: call it
    in a thread)."""
    from assistant.inference import load_engine as load

    return load(model, backend=backend, dtype=dtype, progress=progress)


class AnswerFeed(Protocol):
    """What an answer reports while it is generated (from the generating thread)."""

    def state(self, text: str) -> None: ...
    def started(self, prompt_tokens: int, dropped: int, cut: int) -> None: ...
    def chunk(self, text: str) -> None: ...
    def tool_event(self, record: dict[str, Any]) -> None: ...
    def saved(self, message: convs.Message) -> None: ...
    def failed(self, error: BaseException) -> None: ...


class ToolFeed(Protocol):
    """What a tool command reports while it runs."""

    def progress(self, text: str) -> None: ...
    def stopped(self) -> None: ...
    def saved(self, message: convs.Message) -> None: ...
    def failed(self, error: BaseException) -> None: ...


@dataclass
class Answer:
    """An answer being generated: where it goes and what it has so far. `view` is whatever shows
    it (the TUI's widget, replaced when the user leaves the conversation and comes back while it
    streams); nothing here touches it."""

    conversation_id: int
    parent_id: int
    cancel: threading.Event
    view: Any = None
    text: str = ""
    tool_events: list[dict] = field(default_factory=list)
    dropped: int = 0  # oldest messages left out of the context window
    cut: int = 0  # tokens cut from the start of the newest message


def generate(engine: Any, db_path: str | None, answer: Answer, feed: AnswerFeed) -> convs.Message:
    """Stream the answer from `engine` (stopped when `answer.cancel` is set) and save it."""
    from assistant.inference import (
        PER_CHAT,
        Done,
        GenerationParams,
        Started,
        TextChunk,
        ToolCall,
        ToolResult,
    )

    conn = store.connect(db_path)  # this thread's own connection
    try:
        conv = convs.get(conn, answer.conversation_id)
        messages = convs.chat_messages(convs.path_to(conn, answer.parent_id), conv.system_prompt)
        params = GenerationParams(**{s.name: getattr(conv, s.name) for s in PER_CHAT})
        feed.state(f"thinking… (esc stops) with {engine.name}")
        done = None
        for event in engine.generate(messages, params, answer.cancel):
            if isinstance(event, TextChunk):
                answer.text += event.text
                feed.chunk(event.text)
            elif isinstance(event, Started):
                answer.dropped, answer.cut = event.dropped_messages, event.cut_tokens
                feed.started(event.prompt_tokens, answer.dropped, answer.cut)
            elif isinstance(event, ToolCall | ToolResult):
                record = event.to_dict()
                answer.tool_events.append(record)
                feed.tool_event(record)
            elif isinstance(event, Done):
                done = event
        if done is None:
            raise RuntimeError("the engine ended without a Done event")
        return convs.add_message(
            conn,
            answer.conversation_id,
            answer.parent_id,
            "assistant",
            done.text,
            **_answer_fields(done, engine.name, answer),
        )
    finally:
        conn.close()


def run_tool(
    command: SlashCommand,
    user: convs.Message,
    cancel: threading.Event,
    feed: ToolFeed,
    db_path: str | None,
) -> convs.Message | None:
    """Run a tool command and save its result under the user's message `user`; None when it
    was stopped or failed (`feed` heard which)."""
    try:
        result = commands.run_tool(command, progress=feed.progress, cancel=cancel)
    except Cancelled:
        feed.stopped()
        return None
    except Exception as e:
        feed.failed(e)
        return None
    meta = {
        "tool": result.tool,
        "backend": result.backend,
        "architecture": result.architecture,
        "latency_s": result.latency_s,
        "confidence": result.confidence,
        "images": [str(p) for p in result.images],
    }
    conn = store.connect(db_path)
    try:
        message = convs.add_message(
            conn,
            user.conversation_id,
            user.id,
            "tool",
            result.text,
            finish_reason="tool",
            meta=meta,
        )
    finally:
        conn.close()
    feed.saved(message)
    return message


def _answer_fields(done: Any, model: str, answer: Answer) -> dict[str, Any]:
    meta: dict[str, Any] = {"tool_events": answer.tool_events} if answer.tool_events else {}
    if answer.dropped:
        meta["dropped_messages"] = answer.dropped  # the oldest turns did not fit the window
    if answer.cut:
        meta["cut_tokens"] = answer.cut  # nor did the start of the newest message
    return {
        "model": model,
        "params": done.params,
        "seed": done.seed,
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "tokens_per_second": round(done.tokens_per_second, 2),
        "seconds": round(done.seconds, 3),
        "finish_reason": "stopped" if done.finish_reason == "cancelled" else done.finish_reason,
        "meta": meta,
    }
