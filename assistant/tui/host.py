"""`ChatHost`: what the chat app's parts may use of the app they are mixed into.

`ChatApp` (`app.py`) is assembled from mixins, one concern each: the background work
(`generation.py`), the queue (`queued.py`), a message's actions (`message_actions.py`) and the
commands (`chat_commands.py`). Each annotates `self` as this protocol instead of importing the
app back, so `app.py` depends on its parts and never the other way round. Listed here: the app's
own state and widgets, the Textual `App` calls the parts make, and the entry points one part
offers another. A part that needs something new of the app adds it here first; nothing in this
module runs (it imports only for type checkers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlite3
    import threading

    from textual.containers import VerticalScroll
    from textual.widget import Widget

    from assistant.chat.commands import SlashCommand
    from assistant.chat.session import ChatSession
    from assistant.config import Config
    from assistant.store.conversations import Conversation, Message
    from assistant.tui.message_view import MessageView
    from assistant.tui.prompt import PromptInput
    from assistant.tui.queued import QueuedMessage
    from assistant.tui.status_bar import StatusBar


class ChatHost(Protocol):
    # --- the app's state and widgets (app.py) ---
    session: ChatSession
    config: Config
    quitting: bool

    @property
    def conversation(self) -> Conversation | None: ...
    @property
    def conn(self) -> sqlite3.Connection: ...
    @property
    def thread(self) -> VerticalScroll: ...
    @property
    def prompt(self) -> PromptInput: ...
    @property
    def status(self) -> StatusBar: ...
    def message_views(self) -> list[MessageView]: ...
    def compose_message(self, text: str = "") -> None: ...
    async def refresh_sidebar(self) -> None: ...
    async def render_branch(self, focus_index: int | None = None) -> None: ...
    async def submit(self, text: str) -> None: ...
    async def answer(self, parent_id: int) -> None: ...
    def action_stop(self) -> None: ...
    async def action_new_conversation(self) -> None: ...
    def action_search(self) -> None: ...
    def action_toggle_sidebar(self) -> None: ...
    def action_rename_conversation(self) -> None: ...
    def action_delete_conversation(self) -> None: ...

    # --- Textual's App ---
    _exit: bool  # set once the app is exiting

    @property
    def focused(self) -> Widget | None: ...
    @property
    def is_running(self) -> bool: ...
    def notify(self, message: str, **kwargs: Any) -> None: ...
    def push_screen(self, screen: Any, callback: Callable | None = None, **kwargs: Any) -> Any: ...
    def call_from_thread(self, callback: Callable, *args: Any, **kwargs: Any) -> Any: ...
    def copy_to_clipboard(self, text: str) -> None: ...

    # --- what one part offers the others ---
    @property
    def closing(self) -> bool: ...  # generation
    def load_model(self, name: str | None) -> None: ...  # generation
    def _call(self, callback: Callable, *args: Any) -> Any: ...  # generation, for its feeds
    async def _answer_saved(self, answer: Any, message: Message) -> None: ...  # generation
    def _generation_failed(self, view: Any, error: BaseException) -> None: ...  # generation
    async def _tool_saved(self, placeholder: Any, message: Message) -> None: ...  # generation
    def _tool_failed(self, command: Any, placeholder: Any, error: BaseException) -> None: ...
    def run_tool(
        self, command: SlashCommand, user: Message, cancel: threading.Event, placeholder: Any
    ) -> None: ...  # generation
    async def send_queued(self, conversation_id: int) -> None: ...  # queued
    async def show_new_message(self, message: Message, beside: bool) -> None: ...  # queued
    def queued_views(self, conversation_id: int) -> list[QueuedMessage]: ...  # queued
    def action_copy_last(self) -> None: ...  # message_actions
    def action_rate(self, kind: str, value: int) -> None: ...  # message_actions
    async def action_regenerate_last(self) -> None: ...  # message_actions
