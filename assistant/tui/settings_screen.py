"""Per-conversation settings: system prompt and sampling (the fields of
`assistant.sampling.PER_CHAT`: temperature, top_p, max new tokens, seed).

Dismisses with a dict of the changed settings (keys of `conversations.SETTINGS`), or None.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from assistant.sampling import PER_CHAT
from assistant.store.conversations import Conversation
from assistant.tui.literal import literal

FIELDS = [(s.name, s.label) for s in PER_CHAT]


def check(values: dict[str, str]) -> dict[str, Any]:
    """Typed settings from the form's strings; raises ValueError with a line for the user."""
    try:
        out = {s.name: s.parse(values[s.name]) for s in PER_CHAT}
    except ValueError as e:
        raise ValueError(f"not a number: {e}") from e
    for setting in PER_CHAT:
        if problem := setting.problem(out[setting.name]):
            raise ValueError(f"{setting.label.split(' (')[0]} {problem}")
    return out


class SettingsScreen(ModalScreen[dict[str, Any] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="settings_cancel"),
        Binding("ctrl+s", "save", "Save", id="settings_save"),
    ]

    def __init__(self, conversation: Conversation, default_system: str) -> None:
        super().__init__(classes="dialog")
        self.conversation = conversation
        self.default_system = default_system

    def compose(self) -> ComposeResult:
        c = self.conversation
        with Vertical(classes="dialog-box settings"):
            yield Static(literal(f"Settings for “{c.title}”  (ctrl+s saves, esc cancels)"))
            yield Label("system prompt (blank = Parley's default)")
            yield TextArea(c.system_prompt or "", id="system_prompt", soft_wrap=True)
            for pair in (FIELDS[:2], FIELDS[2:]):
                with Horizontal(classes="fields"):
                    for name, label in pair:
                        value = getattr(c, name)
                        with Vertical(classes="field"):
                            yield Label(label)
                            yield Input("" if value is None else str(value), id=name)
            yield Static("", id="settings-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#system_prompt", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_save(self) -> None:
        values = {name: self.query_one(f"#{name}", Input).value for name, _ in FIELDS}
        try:
            settings = check(values)
        except ValueError as e:
            self.query_one("#settings-error", Static).update(literal(f"⚠ {e}"))
            return
        system = self.query_one("#system_prompt", TextArea).text.strip()
        settings["system_prompt"] = system or None
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)
