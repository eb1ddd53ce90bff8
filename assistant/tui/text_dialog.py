"""A small modal that asks for text (rename a chat, edit a message); dismisses with the text or
None when cancelled."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from assistant.tui.literal import literal


class TextDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
        Binding("ctrl+s", "save", "Save", id="dialog_save"),
    ]

    def __init__(self, title: str, text: str = "", multiline: bool = False) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.initial = text
        self.multiline = multiline

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(literal(self.title_text + "  (ctrl+s saves, esc cancels)"))
            area = TextArea(self.initial, id="dialog-text", soft_wrap=True)
            area.styles.height = 10 if self.multiline else 3
            yield area
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
