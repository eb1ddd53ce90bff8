"""Pick the model for this conversation from what `parley models list` lists."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assistant.tui.literal import literal


class ModelPicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker_cancel")]

    def __init__(self, models: list[tuple[str, str]], current: str | None) -> None:
        """`models`: (name, description) pairs."""
        super().__init__(classes="dialog")
        self.models = models
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Model for this conversation (enter picks, esc cancels)")
            options = [
                Option(literal(f"{'● ' if n == self.current else '  '}{n} — {d}"), id=n)
                for n, d in self.models
            ]
            yield OptionList(*options, id="models")

    def on_mount(self) -> None:
        names = [n for n, _ in self.models]
        option_list = self.query_one(OptionList)
        if self.current in names:
            option_list.highlighted = names.index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
