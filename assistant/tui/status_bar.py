"""One line under the prompt: the model in use, context used / window, speed of the last answer."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from assistant.tui.literal import literal


class StatusBar(Static):
    model: reactive[str] = reactive("")
    load_state: reactive[str] = reactive("")  # a progress line while the model loads
    context_used: reactive[int] = reactive(0)
    context_window: reactive[int] = reactive(0)
    tokens_per_second: reactive[float] = reactive(0.0)
    busy: reactive[str] = reactive("")

    def summary(self) -> str:
        bits = [f"model {self.model or '—'}"]
        if self.load_state:
            bits.append(f"⏳ {self.load_state}")
        window = str(self.context_window) if self.context_window else "?"
        bits.append(f"ctx {self.context_used}/{window}")
        bits.append(f"{self.tokens_per_second:.1f} tok/s" if self.tokens_per_second else "— tok/s")
        if self.busy:
            bits.append(self.busy)
        return " · ".join(bits)

    def render(self):
        return literal(self.summary())
