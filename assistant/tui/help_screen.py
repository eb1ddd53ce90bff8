"""Every key binding (after the config's keymap overrides) and every slash command."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from assistant.tui.literal import literal


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1", "close", "Close", id="help_close")]

    def __init__(self, bindings: list[tuple[str, str, str, str]], commands: list[tuple[str, str]]):
        """`bindings`: (where, keys, binding id, what it does); `commands`: (/name, help)."""
        super().__init__(classes="dialog")
        self.bindings = bindings
        self.commands = commands

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help"):
            yield Static(
                literal("Keys (change them in [keymap] of the config file, by id). Esc closes.")
            )
            keys = DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            keys.add_columns("where", "keys", "id", "does")
            for row in self.bindings:
                keys.add_row(*(literal(cell) for cell in row))
            yield keys
            yield Static(
                literal("Slash commands (type / in the prompt; //text sends text starting with /)")
            )
            commands = DataTable(id="help-commands", cursor_type="row")
            commands.add_columns("command", "does")
            for row in self.commands:
                commands.add_row(*(literal(cell) for cell in row))
            yield commands

    def action_close(self) -> None:
        self.dismiss(None)
