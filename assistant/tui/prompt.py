"""The prompt line: Enter sends; `/` completes commands (→ or End accepts the suggestion) and
lists the matching ones with what they do. Pasting several lines opens the composer (a text box
that keeps every line; ctrl+s sends) instead of dropping all but the first line."""

from __future__ import annotations

from textual import events
from textual.suggester import Suggester
from textual.widgets import Input

from assistant.chat import commands


class CommandSuggester(Suggester):
    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        matches = commands.complete(value)
        return matches[0] if matches else None


class PromptInput(Input):
    def __init__(self) -> None:
        super().__init__(
            placeholder="Ask anything · / for commands · F1 help · ctrl+p palette",
            id="prompt",
            suggester=CommandSuggester(),
        )

    def action_end(self, select: bool = False) -> None:
        """End accepts the suggestion, as → does at the end of the line; else goes to the end."""
        if not select and self._suggestion:
            self.value = self._suggestion
        super().action_end(select)

    def _on_paste(self, event: events.Paste) -> None:
        # Textual runs `_on_paste` of every class in the MRO unless the default is prevented:
        # without this, Input's own handler pasted the text a second time.
        event.prevent_default()
        # Terminals send the lines of a paste separated by CR (tmux, xterm, VTE, iTerm) or CRLF.
        event.stop()
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" in text.strip("\n"):
            self.app.compose_message(self.value + text)
        else:
            super()._on_paste(events.Paste(text.strip("\n")))
