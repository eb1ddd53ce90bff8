"""The sampling settings, declared once, with no dependencies: `SETTINGS` drives
`GenerationParams` (`assistant.inference.params`), the CLI's options (`assistant.cli.options`),
the config file's `[chat]` keys (`assistant.config`), the chat's settings screen
(`assistant.tui.settings_screen`) and the conversation's stored settings
(`assistant.store.conversations`), as harlequin's `options.py` does for its own.

    SETTINGS["top_p"].default                     # 0.9
    [s.name for s in PER_CHAT]                    # what a conversation keeps

Only the standard library and `assistant.errors`: every layer may import it (the store too, which
may not import inference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One sampling setting: its name (the `GenerationParams` field, the `--flag` with dashes, the
    `[chat]` config key), type, default, allowed range, help and settings-screen label."""

    name: str
    type: type
    default: Any
    help: str
    low: float | None = None  # the smallest value allowed (excluded when `low_open`)
    high: float | None = None  # the largest value allowed (included)
    low_open: bool = False
    short: str | None = None  # the CLI's one-letter flag
    label: str | None = None  # on the settings screen, stored per conversation and a [chat] key

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def per_chat(self) -> bool:
        return self.label is not None

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` ("must be >= 0"), or None when it is allowed.

        >>> SETTINGS["top_p"].problem(0), SETTINGS["top_p"].problem(0.5)
        ('must be in (0, 1]', None)
        """
        if value is None or self.low is None:
            return None
        too_low = value <= self.low if self.low_open else value < self.low
        if self.high is not None:
            if too_low or value > self.high:
                return f"must be in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
        elif too_low:
            return f"must be {'>' if self.low_open else '>='} {self.low:g}"
        return None

    def parse(self, text: str) -> Any:
        """The value typed into a form; blank is the default only where that is None (the seed).
        Raises ValueError on text that is not a number."""
        if not text.strip() and self.default is None:
            return None
        return self.type(text)


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "temperature",
            float,
            0.2,
            "0 means greedy.",
            low=0,
            short="-t",
            label="temperature (0 = greedy)",
        ),
        Setting(
            "top_p",
            float,
            0.9,
            "Nucleus sampling mass.",
            low=0,
            high=1,
            low_open=True,
            label="top_p (0-1]",
        ),
        Setting(
            "max_new_tokens",
            int,
            512,
            "Longest answer in tokens.",
            low=1,
            short="-n",
            label="max new tokens",
        ),
        Setting(
            "seed",
            int,
            None,
            "Same seed, same answer (default: a random seed, reported).",
            label="seed (blank = random each answer)",
        ),
        # Chosen on the dev split of `parley eval chat` (README, "Parley's defaults").
        Setting("repetition_penalty", float, 1.1, "Repetition penalty.", low=0, low_open=True),
    )
}
"""Every sampling setting by name, in `GenerationParams`' field order."""

PER_CHAT = tuple(s for s in SETTINGS.values() if s.per_chat)
"""The settings a conversation keeps (and the config's [chat] table and the settings screen)."""
