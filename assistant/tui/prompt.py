"""The prompt line: Enter sends; `/` completes commands (→ or End accepts the suggestion) and
lists the matching ones with what they do. Pasting several lines opens the composer (a text box
that keeps every line; ctrl+s sends) instead of dropping all but the first line."""

from __future__ import annotations

from textual import events
from textual.suggester import Suggester
from textual.widgets import Input

from assistant import commands


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

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" in event.text.strip("\n"):
            event.stop()
            self.app.compose_message(self.value + event.text)
            return
        super()._on_paste(event)
