"""The chat's commands, three ways in: slash commands typed in the prompt, the command palette
(ctrl+p), and key bindings. One implementation each; the help screen (F1) lists all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static

from assistant import models
from assistant.chat import commands
from assistant.errors import UsageError
from assistant.rate.export import export
from assistant.tui.literal import literal

if TYPE_CHECKING:
    from assistant.chat.commands import SlashCommand
    from assistant.tui.host import ChatHost


class ChatCommandsMixin:
    """Mixed into ChatApp: `self` is the app, as `ChatHost` describes it."""

    async def run_command(self: ChatHost, command: SlashCommand) -> None:
        name, argv = command.name, command.argv
        if name == "help":
            self.action_help()
        elif name == "new":
            await self.action_new_conversation()
        elif name == "clear":
            await self.clear_conversation()
        elif name == "model":
            await self.switch_model(argv[0]) if argv else self.action_pick_model()
        elif name == "system":
            await self.set_system_prompt(" ".join(argv))
        elif name == "export":
            self.action_export(*argv[:2])
        elif name == "arena":
            self.action_arena()
        elif commands.is_tool(name):
            await self.start_tool(command)
        else:
            known = ", ".join(f"/{n}" for n in self.command_names())
            raise UsageError(f"unknown command /{name}; known: {known} (//text sends text)")

    def command_names(self) -> list[str]:
        return commands.names()

    async def start_tool(self: ChatHost, command: SlashCommand) -> None:
        user, beside, cancel = self.session.start_tool(command)
        await self.show_new_message(user, beside)
        placeholder = Static(literal(f"running /{command.name}…"), classes="message tool pending")
        await self.thread.mount(placeholder)
        self.thread.scroll_end(animate=False)
        self.run_tool(command, user, cancel, placeholder)

    async def clear_conversation(self: ChatHost) -> None:
        """A fresh conversation that keeps this one's system prompt and sampling settings."""
        self.session.keep_settings_for_next()
        await self.action_new_conversation()

    async def set_system_prompt(self: ChatHost, text: str) -> None:
        self.session.set_system_prompt(text)
        self.notify("system prompt set" if text.strip() else "system prompt back to the default")
        await self.refresh_sidebar()

    # --- model ---

    async def switch_model(self: ChatHost, name: str) -> None:
        spec = models.resolve(name)  # a clear error if there is no such model
        must_load = self.session.use_model(spec.name)
        self.status.model = spec.name
        if must_load:
            self.load_model(spec.name)
        self.notify(f"model: {spec.name}")

    def action_pick_model(self: ChatHost) -> None:
        from assistant.tui.model_picker import ModelPicker

        available = [(m.name, m.description or m.kind) for m in models.list_models()]

        async def done(name: str | None) -> None:
            if name:
                await self.switch_model(name)

        self.push_screen(ModelPicker(available, self.status.model), done)

    # --- settings, export, help, arena ---

    def action_settings(self: ChatHost) -> None:
        from assistant.chat_context import DEFAULT_SYSTEM_PROMPT
        from assistant.tui.settings_screen import SettingsScreen

        conversation = self.conversation or self.session.draft_conversation()

        async def done(settings: dict[str, Any] | None) -> None:
            if settings is None:
                return
            if self.session.apply_settings(settings):
                self.notify("settings saved for this conversation")
            else:  # no chat yet: they apply to the one about to start
                self.notify("settings saved for the new conversation")

        self.push_screen(SettingsScreen(conversation, DEFAULT_SYSTEM_PROMPT), done)

    def action_export(self: ChatHost, fmt: str = "md", path: str | None = None) -> None:
        if self.conversation is None:
            self.notify("nothing to export yet: send a message first", severity="warning")
            return
        try:
            out = export(self.conn, [self.conversation.id], fmt, path)
        except (UsageError, OSError) as e:
            self.notify(f"export failed: {e}", severity="error")
            return
        self.notify(f"exported to {out}")

    def action_arena(self: ChatHost) -> None:
        from assistant.tui.arena import ArenaScreen

        self.push_screen(ArenaScreen(backend=self.session.backend))

    def action_help(self: ChatHost) -> None:
        from assistant.tui.help_screen import HelpScreen

        helps = commands.help_texts()
        rows = [(f"/{n}", helps.get(n, "")) for n in self.command_names()]
        self.push_screen(HelpScreen(self.binding_rows(), rows))

    def binding_rows(self: ChatHost) -> list[tuple[str, str, str, str]]:
        """(where, keys, id, what) for every binding, with the config's keymap applied."""
        from textual.app import App

        from assistant.tui.message_view import MESSAGE_BINDINGS
        from assistant.tui.sidebar import Sidebar

        keymap = self.config.keymap
        rows = []
        tables = [
            ("anywhere", [*type(self).BINDINGS, *App.BINDINGS]),
            ("on a message", MESSAGE_BINDINGS),
            ("in the sidebar", Sidebar.BINDINGS),
        ]
        for where, bindings in tables:
            for b in bindings:
                if b.system:
                    continue
                keys = keymap.get(b.id, b.key) if b.id else b.key
                rows.append((where, keys, b.id or "", b.description or b.action))
        rows.append(("anywhere", "ctrl+p", "", "command palette: every action by name"))
        return rows

    def palette_actions(self: ChatHost) -> list[tuple[str, str, Any]]:
        """(title, help, callback) for the command palette."""
        actions = [
            ("New conversation", "start over (ctrl+n, /new)", self.action_new_conversation),
            ("Clear", "new conversation with the same settings (/clear)", self.clear_conversation),
            ("Stop answer", "stop generating, keep the partial answer (esc)", self.action_stop),
            ("Regenerate answer", "another answer beside the last (ctrl+r)", self.regen_last),
            ("Switch model", "pick the model (ctrl+o, /model)", self.action_pick_model),
            ("Conversation settings", "system prompt, sampling (ctrl+s)", self.action_settings),
            ("Rename conversation", "rename the open chat (F2)", self.action_rename_conversation),
            ("Delete conversation", "delete the open chat", self.action_delete_conversation),
            ("Search conversations", "focus the search box (ctrl+f)", self.action_search),
            ("Export as Markdown", "write ./parley-ID-title.md (/export md)", self.action_export),
            ("Export as JSONL (TRL)", "TRL {messages: [...]} (/export jsonl)", self.x_jsonl),
            ("Copy answer", "copy the last answer via OSC 52 (ctrl+y)", self.action_copy_last),
            ("Thumbs up", "rate the last answer +1", lambda: self.action_rate("thumbs", 1)),
            ("Thumbs down", "rate the last answer -1", lambda: self.action_rate("thumbs", -1)),
            ("Toggle sidebar", "show/hide the conversation list (ctrl+b)", self.toggle_sidebar),
            ("Help", "every key and command (F1, /help)", self.action_help),
            ("Write a long message", "a text box for several lines", self.compose_message),
        ]
        actions += [
            (
                f"Rate {n} star{'s' if n > 1 else ''}",
                "rate the last answer",
                lambda n=n: self.action_rate("stars", n),
            )
            for n in range(1, 6)
        ]
        actions.append(("Arena", "rate two models side by side (/arena)", self.action_arena))
        return actions

    async def regen_last(self: ChatHost) -> None:
        await self.action_regenerate_last()

    def x_jsonl(self: ChatHost) -> None:
        self.action_export("jsonl")

    def toggle_sidebar(self: ChatHost) -> None:
        self.action_toggle_sidebar()
