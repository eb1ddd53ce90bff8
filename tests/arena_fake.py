"""A scripted fake engine for arena tests: answers like a model, instantly, deterministically."""

from __future__ import annotations

import threading

from assistant.inference import Done, GenerationParams, Started, TextChunk


class FakeEngine:
    """`generate` streams "<name> answers <prompt> (t=<temperature>, seed=<seed>)" word by word.
    `script` maps a prompt to a fixed answer; `gate`, when given, holds the stream until set."""

    def __init__(self, name: str, script: dict[str, str] | None = None, gate=None) -> None:
        self.name = name
        self.script = script or {}
        self.gate: threading.Event | None = gate
        self.calls: list[tuple[list[dict], GenerationParams]] = []
        self.checkpoint = f"/fake/{name}"

    def generate(self, messages, params=None, cancel=None):
        params = params or GenerationParams()
        self.calls.append((list(messages), params))
        prompt = messages[-1]["content"]
        text = self.script.get(
            prompt, f"{self.name} answers {prompt} (t={params.temperature}, seed={params.seed})"
        )
        yield Started(self.name, len(messages), 0, params.seed or 0)
        words = text.split(" ")
        for i, word in enumerate(words):
            if self.gate is not None:
                self.gate.wait(10)
            yield TextChunk(word if i == 0 else " " + word)
        yield Done(text, "eos", 3, len(words), 0.01, 0.001, params.seed or 0, params.to_dict())


def factory(**engines):
    """engine_factory for ArenaSession: a FakeEngine per model name, made on demand."""
    made: dict[str, FakeEngine] = {}

    def make(name: str) -> FakeEngine:
        if name not in made:
            made[name] = engines.get(name) or FakeEngine(name)
        return made[name]

    make.made = made  # type: ignore[attr-defined]
    return make
