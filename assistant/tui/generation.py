"""The chat's background work: loading the engine, generating answers, running tool commands.

All of it runs in thread workers (a model load or a decode step would freeze the UI otherwise);
widgets are only touched through `call_from_thread`. Answers and tool results are saved from the
worker on its own database connection, so a stopped, failed or quit-mid-answer turn still keeps
what was generated. Importing `assistant.engine` is cheap; torch, transformers or llama_cpp load
only when `load_engine` builds a model, which happens here, inside a worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import work

from assistant import store
from assistant.store import conversations as convs
from assistant.tui.literal import literal

if TYPE_CHECKING:
    from assistant.tui.app import ChatApp
    from assistant.tui.message_view import AssistantMessageView

EngineFactory = Callable[[str | None, str, Callable[[str], None]], Any]


def load_engine(model: str | None, dtype: str, progress: Callable[[str], None]) -> Any:
    """The real engine (loads torch and transformers or llama_cpp, and the weights: call it in a
    worker only)."""
    from assistant.inference import load_engine as load

    return load(model, dtype=dtype, progress=progress)


def _answer_fields(done: Any, model: str, live: Live) -> dict[str, Any]:
    meta: dict[str, Any] = {"tool_events": live.tool_events} if live.tool_events else {}
    if live.dropped:
        meta["dropped_messages"] = live.dropped  # the oldest turns did not fit the context window
    if live.cut:
        meta["cut_tokens"] = live.cut  # nor did the start of the newest message
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


@dataclass
class Live:
    """An answer being generated: where it goes, what it has so far, and the view showing it
    (replaced when the user leaves the conversation and comes back while it streams)."""

    conversation_id: int
    parent_id: int
    view: AssistantMessageView
    text: str = ""
    tool_events: list[dict] = field(default_factory=list)
    dropped: int = 0  # oldest messages left out of the context window
    cut: int = 0  # tokens cut from the start of the newest message


class GenerationMixin:
    """Mixed into ChatApp: `self` is the app."""

    def _init_generation(self: ChatApp) -> None:
        self.engine: Any = None
        self.engine_error: BaseException | None = None
        self.engine_ready = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self._cancels: set[threading.Event] = set()
        self.live: dict[threading.Event, Live] = {}
        self.tool_runs: dict[threading.Event, int] = {}  # a running tool command's conversation
        self._gen_lock = threading.Lock()
        self._load_serial = 0
        self.quitting = False

    @property
    def generating(self: ChatApp) -> bool:
        return bool(self._cancels)

    def stop_generation(self: ChatApp) -> bool:
        """Esc: stop every running answer (they keep what they have, marked stopped) and tool
        command."""
        for cancel in list(self._cancels):
            cancel.set()
        return bool(self._cancels)

    # --- the engine ---

    def load_model(self: ChatApp, name: str | None) -> None:
        self._load_serial += 1
        self.engine_ready.clear()
        self.engine_error = None
        self.status.load_state = f"loading {name or 'the default model'}…"
        self._load_engine(name, self._load_serial)

    @work(thread=True, group="load")
    def _load_engine(self: ChatApp, name: str | None, serial: int) -> None:
        def progress(message: str) -> None:
            self._call(self._load_progress, message)

        try:
            with self._gen_lock:  # never swap the engine under a running answer
                engine = self.engine_factory(name, self.dtype, progress)
        except Exception as e:  # shown to the user; a later prompt reports it again
            if serial == self._load_serial:
                self.engine_error = e
                self.engine_ready.set()
            self._call(self._engine_failed, e)
            return
        if serial != self._load_serial:  # a newer load was asked for meanwhile
            return
        self.engine = engine
        self.engine_ready.set()
        self._call(self._engine_loaded, engine)

    @property
    def closing(self: ChatApp) -> bool:
        """The app is quitting or shutting down (its screens may be gone): workers' news is not
        shown, and no queued message is sent."""
        return self.quitting or not self.is_running or self._exit

    def _load_progress(self: ChatApp, message: str) -> None:
        if not self.closing:
            self.status.load_state = message.strip()[:120]

    def _engine_loaded(self: ChatApp, engine: Any) -> None:
        if self.closing:
            return
        self.status.load_state = ""
        self.status.model = engine.name
        self.status.context_window = int(getattr(engine, "context_window", 0) or 0)

    def _engine_failed(self: ChatApp, error: BaseException) -> None:
        if self.closing:
            return
        self.status.load_state = f"model failed to load: {error}"[:100]
        self.notify(f"could not load the model: {error}", severity="error", timeout=15)

    # --- answers ---

    def generate_answer(
        self: ChatApp, conversation_id: int, parent_id: int, view: AssistantMessageView
    ) -> None:
        """Start an answer in a worker. It counts as running from now on (Esc stops it, a new
        message waits for it), not only once the worker thread gets going."""
        cancel = threading.Event()
        self._cancels.add(cancel)
        self.live[cancel] = Live(conversation_id, parent_id, view)
        self.idle.clear()
        self._answer_worker(cancel)

    @work(thread=True, group="generate")
    def _answer_worker(self: ChatApp, cancel: threading.Event) -> None:
        live = self.live[cancel]
        try:
            self._generate(live, cancel)
        except Exception as e:
            self._call(self._generation_failed, live.view, e)
        finally:
            self.live.pop(cancel, None)
            self._work_ended(cancel, live.conversation_id)

    def _work_ended(self: ChatApp, cancel: threading.Event, conversation_id: int) -> None:
        """In the worker, when an answer or a tool command ends however it ends."""
        self._cancels.discard(cancel)
        if not self._cancels:
            self.idle.set()
        self._call(self.send_queued, conversation_id)

    def _generate(self: ChatApp, live: Live, cancel: threading.Event) -> None:
        conversation_id, parent_id = live.conversation_id, live.parent_id
        if not self.engine_ready.is_set():
            self._call(live.view.set_state, "waiting for the model to load…")
        while not self.engine_ready.wait(0.05):
            if cancel.is_set():
                self._call(live.view.set_state, "■ stopped before the model was ready")
                return
        if self.engine_error is not None:
            raise self.engine_error
        from assistant.engine import (
            Done,
            GenerationParams,
            Started,
            TextChunk,
            ToolCall,
            ToolResult,
        )

        with self._gen_lock:
            engine = self.engine
            conn = store.connect(self.db_path)  # this thread's own connection
            try:
                conv = convs.get(conn, conversation_id)
                messages = convs.chat_messages(convs.path_to(conn, parent_id), conv.system_prompt)
                params = GenerationParams(
                    conv.temperature, conv.top_p, conv.max_new_tokens, conv.seed
                )
                self._call(live.view.set_state, f"thinking… (esc stops) with {engine.name}")
                done = None
                for event in engine.generate(messages, params, cancel):
                    if isinstance(event, TextChunk):
                        live.text += event.text
                        view = live.view  # read once: the user may reopen the chat meanwhile
                        view.post_message(view.Chunk(event.text))  # thread-safe, no waiting
                    elif isinstance(event, Started):
                        live.dropped, live.cut = event.dropped_messages, event.cut_tokens
                        self._call(setattr, self.status, "context_used", event.prompt_tokens)
                        if live.dropped or live.cut:
                            self._call(live.view.set_context_notice, live.dropped, live.cut)
                    elif isinstance(event, ToolCall | ToolResult):
                        record = _tool_event(event)
                        live.tool_events.append(record)
                        self._call(live.view.add_tool_event, record)
                    elif isinstance(event, Done):
                        done = event
                if done is None:
                    raise RuntimeError("the engine ended without a Done event")
                message = convs.add_message(
                    conn,
                    conversation_id,
                    parent_id,
                    "assistant",
                    done.text,
                    **_answer_fields(done, engine.name, live),
                )
            finally:
                conn.close()
        self._call(self._answer_saved, live, message)

    def _call(self: ChatApp, callback: Callable, *args: Any) -> Any:
        """call_from_thread that tolerates a closing app (the data is saved already)."""
        try:
            return self.call_from_thread(callback, *args)
        except RuntimeError:
            return None

    async def _answer_saved(self: ChatApp, live: Live, message) -> None:
        view = live.view
        self.status.tokens_per_second = message.tokens_per_second or 0.0
        self.status.context_used = (message.prompt_tokens or 0) + (message.completion_tokens or 0)
        if view.is_attached:
            siblings = convs.siblings(self.conn, message.id)
            view.branch_pos = (len(siblings), len(siblings))
            await view.finish(message)
        await self.refresh_sidebar()

    def _generation_failed(self: ChatApp, view: AssistantMessageView, error: BaseException) -> None:
        if view.is_attached:
            view.set_state("✗ failed")
        self.notify(
            f"the answer failed: {error} — ctrl+r tries again", severity="error", timeout=15
        )

    # --- tool commands ---

    def run_tool(self: ChatApp, command, conversation_id: int, parent_id: int, placeholder) -> None:
        """Start a tool command in a worker; like an answer, it counts as running from now on."""
        cancel = threading.Event()
        self._cancels.add(cancel)
        self.tool_runs[cancel] = conversation_id
        self.idle.clear()
        self._tool_worker(command, conversation_id, parent_id, placeholder, cancel)

    @work(thread=True, group="tools")
    def _tool_worker(self: ChatApp, command, conversation_id, parent_id, placeholder, cancel):
        try:
            self._run_tool(command, conversation_id, parent_id, placeholder, cancel)
        finally:
            self.tool_runs.pop(cancel, None)
            self._work_ended(cancel, conversation_id)

    def _run_tool(
        self: ChatApp, command, conversation_id: int, parent_id: int, placeholder, cancel
    ):
        from assistant.chat import commands
        from assistant.errors import Cancelled

        def progress(message: str) -> None:
            self._call(placeholder.update, literal(f"/{command.name}: {message.strip()[:120]}"))

        try:
            result = commands.run_tool(command, progress=progress, cancel=cancel)
        except Cancelled:
            self._call(placeholder.update, literal(f"/{command.name}: ■ stopped"))
            return
        except Exception as e:
            self._call(self._tool_failed, command, placeholder, e)
            return
        meta = {
            "tool": getattr(result, "tool", command.name),
            "backend": getattr(result, "backend", ""),
            "architecture": getattr(result, "architecture", ""),
            "latency_s": getattr(result, "latency_s", None),
            "confidence": getattr(result, "confidence", None),
            "images": [str(p) for p in (getattr(result, "images", None) or [])],
        }
        conn = store.connect(self.db_path)
        try:
            message = convs.add_message(
                conn,
                conversation_id,
                parent_id,
                "tool",
                str(getattr(result, "text", "")),
                finish_reason="tool",
                meta=meta,
            )
        finally:
            conn.close()
        self._call(self._tool_saved, placeholder, message)

    async def _tool_saved(self: ChatApp, placeholder, message) -> None:
        from assistant.tui.message_view import ToolMessageView

        if placeholder.is_attached:
            await placeholder.parent.mount(ToolMessageView(message), after=placeholder)
            await placeholder.remove()
            self.thread.scroll_end(animate=False)

    def _tool_failed(self: ChatApp, command, placeholder, error: BaseException) -> None:
        if placeholder.is_attached:
            placeholder.update(literal(f"/{command.name} failed: {error}"))
        self.notify(f"/{command.name} failed: {error}", severity="error", timeout=15)


def _tool_event(event: Any) -> dict[str, Any]:
    if hasattr(event, "arguments"):
        return {"kind": "call", "name": event.name, "arguments": event.arguments}
    return {
        "kind": "result",
        "name": event.name,
        "output": event.output,
        "backend": event.backend,
        "seconds": event.seconds,
        "ok": event.ok,
        "architecture": getattr(event, "architecture", ""),
        "confidence": getattr(event, "confidence", None),
        "images": [str(p) for p in getattr(event, "images", ()) or ()],
    }
