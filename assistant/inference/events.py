"""What an engine's `generate` yields: Started, TextChunk..., (ToolCall, ToolResult, TextChunk),
Done. Plain frozen dataclasses with no dependencies, so the TUI, the store's callers and tests'
fakes use them without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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

    def to_dict(self) -> dict[str, Any]:
        """As the chat keeps it with the answer (and a rating with its response)."""
        return {"kind": "call", "name": self.name, "arguments": self.arguments}


@dataclass
class ToolResult:
    """What a tool answered, and which backend answered it how fast and how sure. The same
    record is the engine's event when the model called the tool."""

    tool: str
    backend: str
    architecture: str
    text: str
    latency_s: float
    confidence: float | None = None
    images: list[Path] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    ok: bool = True  # False: the call failed or was refused, and `text` says why

    def to_dict(self) -> dict[str, Any]:
        """As the chat keeps it with an answer (beside the `ToolCall` before it) and a rating
        with its response: one shape for a tool event wherever it is stored."""
        return {
            "kind": "result",
            "name": self.tool,
            "output": self.text,
            "backend": self.backend,
            "seconds": self.latency_s,
            "ok": self.ok,
            "architecture": self.architecture,
            "confidence": self.confidence,
            "images": [str(p) for p in self.images],
        }

    def summary(self) -> str:
        """One line for a status bar: `translate · bergamot (transformer) · 0.12 s · 93%`."""
        parts = [self.tool, f"{self.backend} ({self.architecture})", f"{self.latency_s:.2f} s"]
        if self.confidence is not None:
            parts.append(f"confidence {self.confidence:.0%}")
        return " · ".join(parts)


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
