"""What an engine's `generate` yields: Started, TextChunk..., (ToolCall, ToolResult, TextChunk),
Done. Plain frozen dataclasses with no dependencies, so the TUI, the store's callers and tests'
fakes use them without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Message = dict[str, str]


@dataclass(frozen=True)
class Started:
    """Generation began: the prompt as the model sees it (after any truncation)."""

    model: str
    prompt_tokens: int
    dropped_messages: int
    seed: int
    cut_tokens: int = 0  # tokens cut from the start of the newest message (longer than the window)


@dataclass(frozen=True)
class TextChunk:
    """New text of the answer, in order; concatenated they are the answer."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The model asked for a tool; the engine runs it and reports a ToolResult."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    name: str
    output: str
    backend: str = ""
    seconds: float = 0.0
    ok: bool = True
    architecture: str = ""
    confidence: float | None = None
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Done:
    """The last event of every generation."""

    text: str
    finish_reason: str  # "eos" | "length" | "cancelled" | "tool_call"
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    first_token_seconds: float | None
    seed: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        decode = self.seconds - (self.first_token_seconds or 0.0)
        return (self.completion_tokens - 1) / decode if self.completion_tokens > 1 else 0.0


Event = Started | TextChunk | ToolCall | ToolResult | Done
