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
            # One table per place, what a key does right after it: on a narrow terminal the
            # descriptions stay in view and the ids (for the keymap) are what scrolls off.
            places = list(dict.fromkeys(where for where, *_ in self.bindings))
            for where in places:
                yield Static(literal(where.capitalize()), classes="help-where")
                keys = DataTable(classes="help-keys", cursor_type="row", zebra_stripes=True)
                keys.add_columns("keys", "does", "id")
                for place, key, binding_id, what in self.bindings:
                    if place == where:
                        keys.add_row(*(literal(cell) for cell in (key, what, binding_id)))
                yield keys
            yield Static(
                literal("Slash commands (type / in the prompt; //text sends text starting with /)"),
                classes="help-where",
            )
            commands = DataTable(id="help-commands", cursor_type="row")
            commands.add_columns("command", "does")
            for row in self.commands:
                commands.add_row(*(literal(cell) for cell in row))
            yield commands

    def action_close(self) -> None:
        self.dismiss(None)
