"""The chat's background work as the screen sees it: the session (`assistant.chat.session`) loads
the engine, generates answers and runs tool commands; here those blocking calls run in thread
workers (a model load or a decode step would freeze the UI otherwise), and what they report
reaches the widgets only through `call_from_thread` or `post_message`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from assistant.chat.answers import Answer
from assistant.tui.literal import literal

if TYPE_CHECKING:
    from assistant.chat.commands import SlashCommand
    from assistant.store.conversations import Message
    from assistant.tui.host import ChatHost
    from assistant.tui.message_view import AssistantMessageView


class ViewFeed:
    """An answer's stream, shown on the view the answer has at each moment (the user may leave
    the conversation and come back while it streams)."""

    def __init__(self, app: ChatHost, answer: Answer) -> None:
        self.app, self.answer = app, answer

    def state(self, text: str) -> None:
        self.app._call(self.answer.view.set_state, text)

    def started(self, prompt_tokens: int, dropped: int, cut: int) -> None:
        self.app._call(setattr, self.app.status, "context_used", prompt_tokens)
        if dropped or cut:
            self.app._call(self.answer.view.set_context_notice, dropped, cut)

    def chunk(self, text: str) -> None:
        view = self.answer.view  # read once: the user may reopen the chat meanwhile
        view.post_message(view.Chunk(text))  # thread-safe, no waiting

    def tool_event(self, record: dict[str, Any]) -> None:
        self.app._call(self.answer.view.add_tool_event, record)

    def saved(self, message: Message) -> None:
        self.app._call(self.app._answer_saved, self.answer, message)

    def failed(self, error: BaseException) -> None:
        self.app._call(self.app._generation_failed, self.answer.view, error)


class PlaceholderFeed:
    """A tool command's progress, shown on the line that stands for its result until it comes."""

    def __init__(self, app: ChatHost, command: SlashCommand, placeholder: Any) -> None:
        self.app, self.command, self.placeholder = app, command, placeholder

    def progress(self, text: str) -> None:
        line = literal(f"/{self.command.name}: {text.strip()[:120]}")
        self.app._call(self.placeholder.update, line)

    def stopped(self) -> None:
        self.app._call(self.placeholder.update, literal(f"/{self.command.name}: ■ stopped"))

    def saved(self, message: Message) -> None:
        self.app._call(self.app._tool_saved, self.placeholder, message)

    def failed(self, error: BaseException) -> None:
        self.app._call(self.app._tool_failed, self.command, self.placeholder, error)


class GenerationMixin:
    """Mixed into ChatApp: `self` is the app (as `ChatHost` describes it), `self.session` its
    ChatSession."""

    @property
    def generating(self: ChatHost) -> bool:
        return self.session.generating

    @property
    def idle(self: ChatHost) -> threading.Event:
        return self.session.idle

    def stop_generation(self: ChatHost) -> bool:
        """Esc: stop every running answer (they keep what they have, marked stopped) and tool
        command."""
        return self.session.stop()

    @property
    def closing(self: ChatHost) -> bool:
        """The app is quitting or shutting down (its screens may be gone): workers' news is not
        shown, and no queued message is sent."""
        return self.quitting or not self.is_running or self._exit

    def _call(self: ChatHost, callback: Callable, *args: Any) -> Any:
        """call_from_thread that tolerates a closing app (the data is saved already)."""
        try:
            return self.call_from_thread(callback, *args)
        except RuntimeError:
            return None

    # --- the engine ---

    def load_model(self: ChatHost, name: str | None) -> None:
        serial = self.session.begin_load()
        self.status.load_state = f"loading {name or 'the default model'}…"
        self._load_engine(name, serial)

    @work(thread=True, group="load")
    def _load_engine(self: ChatHost, name: str | None, serial: int) -> None:
        def progress(message: str) -> None:
            self._call(self._load_progress, message)

        try:
            engine = self.session.load(name, serial, progress)
        except Exception as e:  # shown to the user; a later prompt reports it again
            self._call(self._engine_failed, e)
            return
        if engine is not None:
            self._call(self._engine_loaded, engine)

    def _load_progress(self: ChatHost, message: str) -> None:
        if not self.closing:
            self.status.load_state = message.strip()[:120]

    def _engine_loaded(self: ChatHost, engine: Any) -> None:
        if self.closing:
            return
        self.status.load_state = ""
        self.status.model = engine.name
        self.status.context_window = int(engine.context_window or 0)

    def _engine_failed(self: ChatHost, error: BaseException) -> None:
        if self.closing:
            return
        self.status.load_state = f"model failed to load: {error}"[:100]
        self.notify(f"could not load the model: {error}", severity="error", timeout=15)

    # --- answers ---

    def generate_answer(self: ChatHost, parent_id: int, view: AssistantMessageView) -> None:
        """Start an answer in a worker. It counts as running from now on (Esc stops it, a new
        message waits for it), not only once the worker thread gets going."""
        self._answer_worker(self.session.start_answer(parent_id, view))

    @work(thread=True, group="generate")
    def _answer_worker(self: ChatHost, answer: Answer) -> None:
        try:
            self.session.run_answer(answer, ViewFeed(self, answer))
        finally:
            self._call(self.send_queued, answer.conversation_id)

    async def _answer_saved(self: ChatHost, answer: Answer, message: Message) -> None:
        view = answer.view
        self.status.tokens_per_second = message.tokens_per_second or 0.0
        self.status.context_used = (message.prompt_tokens or 0) + (message.completion_tokens or 0)
        if view.is_attached:
            _, n = self.session.sibling_position(message.id)
            view.branch_pos = (n, n)  # the newest sibling
            await view.finish(message)
        await self.refresh_sidebar()

    def _generation_failed(
        self: ChatHost, view: AssistantMessageView, error: BaseException
    ) -> None:
        if view.is_attached:
            view.set_state("✗ failed")
        self.notify(
            f"the answer failed: {error} — ctrl+r tries again", severity="error", timeout=15
        )

    # --- tool commands ---

    @work(thread=True, group="tools")
    def run_tool(self: ChatHost, command, user: Message, cancel, placeholder) -> None:
        """Run a started tool command (`ChatSession.start_tool`) in a worker."""
        try:
            self.session.run_tool(
                command, user, cancel, PlaceholderFeed(self, command, placeholder)
            )
        finally:
            self._call(self.send_queued, user.conversation_id)

    async def _tool_saved(self: ChatHost, placeholder, message: Message) -> None:
        from assistant.tui.message_view import ToolMessageView

        if placeholder.is_attached:
            await placeholder.parent.mount(ToolMessageView(message), after=placeholder)
            await placeholder.remove()
            self.thread.scroll_end(animate=False)

    def _tool_failed(self: ChatHost, command, placeholder, error: BaseException) -> None:
        if placeholder.is_attached:
            placeholder.update(literal(f"/{command.name} failed: {error}"))
        self.notify(f"/{command.name} failed: {error}", severity="error", timeout=15)
