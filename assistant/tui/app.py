"""`ChatApp`: Parley's chat TUI (what `parley chat` runs).

    python -m assistant.tui.app            # same as `parley chat`, default model

Layout: the conversation list on the left, the thread on the right, the prompt and a status line
under it. The first frame shows with the prompt focused while the model loads in a worker; a prompt
sent meanwhile waits for it. What the chat does (answers, tool commands, the queue, every write to
the store) is the `ChatSession`'s (`assistant.chat.session`); this app shows it: it runs the
session's blocking calls in thread workers, and its widgets post what the user asks for up to it
(`MessageView.Requested`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from assistant.chat import commands
from assistant.chat.session import ChatSession
from assistant.config import Config
from assistant.errors import ParleyError
from assistant.store import conversations as convs
from assistant.tui.chat_commands import ChatCommandsMixin
from assistant.tui.generation import GenerationMixin
from assistant.tui.literal import literal
from assistant.tui.message_actions import MessageActionsMixin
from assistant.tui.message_view import (
    AssistantMessageView,
    MessageView,
    view_for,
    warm_markdown,
)
from assistant.tui.palette import ChatCommands
from assistant.tui.prompt import PromptInput
from assistant.tui.queued import QueueMixin
from assistant.tui.sidebar import Sidebar
from assistant.tui.status_bar import StatusBar


class ChatApp(GenerationMixin, QueueMixin, MessageActionsMixin, ChatCommandsMixin, App):
    CSS_PATH = "app.tcss"
    TITLE = "Parley"
    COMMANDS = App.COMMANDS | {ChatCommands}
    BINDINGS = [
        Binding("escape", "stop", "Stop", id="stop"),
        Binding("ctrl+n", "new_conversation", "New", id="new"),
        Binding("ctrl+r", "regenerate_last", "Regenerate", id="regenerate"),
        Binding("ctrl+s", "settings", "Settings", id="settings"),
        Binding("ctrl+o", "pick_model", "Model", id="model"),
        Binding("f2", "rename_conversation", "Rename", show=False, id="rename"),
        Binding("ctrl+f", "search", "Search", show=False, id="search"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", show=False, id="toggle_sidebar"),
        Binding("ctrl+y", "copy_last", "Copy", id="copy_last"),
        Binding("f3", "export('md')", "Export", show=False, id="export"),  # ctrl+e is Input's End
        Binding("ctrl+up", "focus_message(-1)", "Messages", show=False, id="focus_messages"),
        Binding("f1", "help", "Help", id="help"),
    ]

    def __init__(self, *, config: Config | None = None, **session: Any) -> None:
        """`session`: the `ChatSession`'s arguments (model, dtype, engine_factory, db_path,
        settings); a model or dtype given as None is the config file's."""
        super().__init__()
        self.config = config or Config()
        session["model"] = session.get("model") or self.config.chat.get("model")
        dtype = session.get("dtype", "float32")  # as the CLI gives it; None: the config's
        session["dtype"] = dtype or self.config.chat.get("dtype", "float32")
        self.session = ChatSession(**session)
        self.quitting = False

    # what the session holds, as the screens read it
    @property
    def conversation(self) -> convs.Conversation | None:
        return self.session.conversation

    @property
    def conn(self) -> sqlite3.Connection:
        return self.session.conn

    @property
    def defaults(self) -> dict[str, Any]:
        return self.session.defaults

    @property
    def model_name(self) -> str | None:
        return self.session.model_name

    @property
    def engine(self) -> Any:
        """The loaded engine (None until then): `/arena` reuses it rather than load a copy."""
        return self.session.engine

    def get_default_screen(self) -> Screen:
        screen = Screen(id="_default")
        # The prompt has focus from the first frame: focusing it after mounting (the default
        # focuses the first focusable widget, the sidebar's search) redraws the footer twice.
        screen.AUTO_FOCUS = "PromptInput"
        return screen

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield VerticalScroll(id="thread")
                yield Static("", id="hints")
                yield PromptInput()
                yield StatusBar(id="status")
        yield Footer(compact=True)

    # --- handy handles ---

    @property
    def thread(self) -> VerticalScroll:
        return self.query_one("#thread", VerticalScroll)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    # --- lifecycle ---

    async def on_mount(self) -> None:
        self.session.conn  # noqa: B018  (opened here, on the UI thread)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.status.model = self.model_name or "smollm2-135m-instruct"
        self.prompt.focus()
        self.thread.anchor()
        await self.refresh_sidebar()
        # after the first frame, so it shows before the first import of torch begins
        self.call_after_refresh(self.load_model, self.model_name)
        self.call_after_refresh(self._warm_tools)

    @work(thread=True, group="tools")
    def _warm_tools(self) -> None:
        """Load the tool registry and the Markdown widget off the UI thread, after the first
        frame: the first `/` completes at once and the first answer does not wait for imports."""
        commands.tool_names()
        warm_markdown()

    def on_unmount(self) -> None:
        self.session.close()

    async def action_quit(self) -> None:
        """Quit; a running answer is stopped and saved first (as stopped). Queued messages are
        not sent."""
        self.quitting = True
        if self.stop_generation():
            await asyncio.to_thread(self.idle.wait, 10)
        self.exit()

    def action_stop(self) -> None:
        if not self.stop_generation():
            self.prompt.focus()

    # --- conversations ---

    async def refresh_sidebar(self) -> None:
        found = convs.list_all(self.conn, self.sidebar.query_text)
        await self.sidebar.show(found, self.conversation.id if self.conversation else None)

    async def open_conversation(self, conversation_id: int | None) -> None:
        self.session.open(conversation_id)
        await self.render_branch()
        await self.refresh_sidebar()
        if conversation_id:
            await self.send_queued(conversation_id)  # queued here while another chat was open

    async def render_branch(self, focus_index: int | None = None) -> None:
        """Show the current branch of the open conversation."""
        thread = self.thread
        # A focused message is about to go: the prompt takes the keys then (not the bare thread)
        to_prompt = focus_index is None and (self.focused is None or thread.has_focus_within)
        await thread.remove_children()
        if self.conversation is None:
            self.status.context_used = 0
            if to_prompt:
                self.prompt.focus()
            return
        placed = self.session.branch()
        branch = [message for message, _ in placed]
        views = [view_for(message, position) for message, position in placed]
        views += self._reattach_live(branch)
        views += self.queued_views(self.conversation.id)
        await thread.mount_all(views)
        answers = [m for m in branch if m.role == "assistant" and m.prompt_tokens]
        last = answers[-1] if answers else None
        self.status.context_used = (last.prompt_tokens + last.completion_tokens) if last else 0
        if focus_index is not None and views:
            views[min(focus_index, len(views) - 1)].focus()
        elif to_prompt:
            self.prompt.focus()
        thread.scroll_end(animate=False)

    def _reattach_live(self, branch: list[convs.Message]) -> list[AssistantMessageView]:
        """A new view for an answer still streaming at the end of this branch (the user left the
        conversation and came back): it shows the text so far and takes the rest."""
        views = []
        for live in list(self.session.answers.values()):
            if branch and live.parent_id == branch[-1].id:
                view = AssistantMessageView(
                    None, model=live.view.model, streamed=live.text, tool_events=live.tool_events
                )
                view.state = "" if live.text else live.view.state
                view.context_notice = (live.dropped, live.cut)
                live.view = view
                views.append(view)
        return views

    @on(Sidebar.Selected)
    async def _open_from_sidebar(self, event: Sidebar.Selected) -> None:
        await self.open_conversation(event.conversation_id)
        self.prompt.focus()

    @on(Sidebar.SearchChanged)
    async def _search_changed(self, event: Sidebar.SearchChanged) -> None:
        await self.refresh_sidebar()

    async def action_new_conversation(self) -> None:
        await self.open_conversation(None)
        self.prompt.focus()

    def action_search(self) -> None:
        self.query_one("#sidebar").display = True
        self.query_one("#search", Input).focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        sidebar.display = not sidebar.display

    def _sidebar_target(self) -> int | None:
        """The conversation the sidebar has highlighted when it has focus, else the open one."""
        if self.sidebar.has_focus_within and (highlighted := self.sidebar.highlighted_id()):
            return highlighted
        return self.conversation.id if self.conversation else None

    def action_rename_conversation(self) -> None:
        from assistant.tui.text_dialog import TextDialog

        target = self._sidebar_target()
        if target is None:
            self.notify("nothing to rename yet: send a message first", severity="warning")
            return

        async def done(title: str | None) -> None:
            if title is not None and title.strip():
                self.session.rename(target, title)
                await self.refresh_sidebar()

        title = convs.get(self.conn, target).title
        self.push_screen(TextDialog("Rename conversation", title), done)

    def action_delete_conversation(self) -> None:
        from assistant.tui.confirm_dialog import ConfirmDialog

        target = self._sidebar_target()
        if target is None:
            return
        title = convs.get(self.conn, target).title

        async def done(yes: bool | None) -> None:
            if yes:
                self.session.delete(target)
                if self.conversation and self.conversation.id == target:
                    await self.open_conversation(None)
                await self.refresh_sidebar()
                self.notify(f"deleted “{title}”")

        self.push_screen(ConfirmDialog(f"Delete “{title}” and all its messages?"), done)

    # --- the prompt ---

    @on(Input.Changed, "#prompt")
    def _show_hints(self, event: Input.Changed) -> None:
        hints = self.query_one("#hints", Static)
        matches = commands.complete(event.value.split(" ")[0]) if " " not in event.value else []
        helps = commands.help_texts()
        text = "   ".join(f"{m}  {helps.get(m[1:], '')}" for m in matches[:6])
        hints.update(literal(text))
        hints.display = bool(matches)

    @on(Input.Submitted, "#prompt")
    async def _submitted(self, event: Input.Submitted) -> None:
        text = event.value
        if not text.strip():
            return
        self.prompt.value = ""
        try:
            await self.submit(text)
        except ParleyError as e:
            self.notify(str(e), severity="error", timeout=10)
            if not self.prompt.value:
                self.prompt.value = text  # give the user their text back

    async def submit(self, text: str) -> None:
        """Send a message, or run a slash command; one for the conversation waits for its answer
        or tool command to finish (see `assistant.tui.queued`)."""
        command = commands.parse(text)
        adds_to_chat = command is None or commands.is_tool(command.name)
        if adds_to_chat and self.conversation and self.session.busy(self.conversation.id):
            await self.queue_message(self.conversation.id, text)
            return
        if command is not None:
            await self.run_command(command)
            return
        user, beside = self.session.add_user_message(commands.unescape(text))
        await self.show_new_message(user, beside)
        await self.answer(user.id)

    async def answer(self, parent_id: int) -> None:
        """Stream a new answer to the branch ending at `parent_id`."""
        view = AssistantMessageView(None, model=self.status.model)
        await self.thread.mount(view)
        self.thread.scroll_end(animate=False)
        self.generate_answer(parent_id, view)
        await self.refresh_sidebar()  # a new conversation shows up at once

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def compose_message(self, text: str = "") -> None:
        """A message of several lines, written in a text box; ctrl+s sends it."""
        from assistant.tui.text_dialog import TextDialog

        async def done(message: str | None) -> None:
            if message is not None and message.strip():
                self.prompt.value = ""
                await self.submit(message)

        self.push_screen(TextDialog("Your message (ctrl+s sends)", text, multiline=True), done)

    def message_views(self) -> list[MessageView]:
        return list(self.thread.query(MessageView))


if __name__ == "__main__":
    ChatApp().run()
