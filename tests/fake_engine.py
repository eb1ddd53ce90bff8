"""A scripted stand-in for `assistant.inference.Engine`: same events, no model, no torch.

    engine = FakeEngine(["Paris is the capital of France."])
    for event in engine.generate([{"role": "user", "content": "Capital?"}]): ...

Each `generate` call plays the next scripted answer word by word (then echoes the prompt once the
script runs out). An answer may be a list of events (e.g. ToolCall/ToolResult) and strings.
`factory` is what `ChatApp(engine_factory=...)` and the hidden `parley chat --engine
fake_engine:factory` take; the latter reads its script from $PARLEY_FAKE_SCRIPT (a JSON list).
"""

from __future__ import annotations

import json
import os
import threading
import time

from assistant.inference import Done, GenerationParams, Started, TextChunk


class FakeEngine:
    def __init__(
        self, script=(), name="fake-model", delay=0.0, context_window=2048, dropped=0, cut=0
    ):
        self.script = list(script)
        self.name = name
        self.delay = delay  # seconds per word, to give Esc something to stop
        self.context_window = context_window
        self.dropped = dropped  # what Started reports as left out of the context
        self.cut = cut  # and as cut from the start of the newest message
        self.calls: list[list[dict]] = []
        self.params: list[GenerationParams] = []

    def generate(self, messages, params=None, cancel: threading.Event | None = None):
        params = params or GenerationParams()
        self.calls.append([dict(m) for m in messages])
        self.params.append(params)
        seed = params.seed if params.seed is not None else 1234
        prompt_tokens = sum(len(m["content"].split()) + 4 for m in messages)
        yield Started(self.name, prompt_tokens, self.dropped, seed, self.cut)
        answer = self.script.pop(0) if self.script else f"You said: {messages[-1]['content']}"
        parts = answer if isinstance(answer, list) else [answer]
        text, tokens, finish = "", 0, "eos"
        for part in parts:
            if not isinstance(part, str):
                yield part
                continue
            for word in part.split(" "):
                if cancel is not None and cancel.is_set():
                    finish = "cancelled"
                    break
                piece = word if not text else " " + word
                text += piece
                tokens += 1
                yield TextChunk(piece)
                if self.delay:
                    time.sleep(self.delay)
                if tokens >= params.max_new_tokens:
                    finish = "length"
                    break
            if finish != "eos":
                break
        yield Done(
            text=text,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=tokens,
            seconds=0.5 + 0.05 * tokens,  # fixed: 20 tok/s after a 0.5 s first token
            first_token_seconds=0.5,
            seed=seed,
            params={**params.to_dict(), "seed": seed},
        )


def factory(model, dtype, progress):
    """For `parley chat --engine fake_engine:factory` (the tmux test)."""
    progress("loading the fake model…")
    time.sleep(float(os.environ.get("PARLEY_FAKE_LOAD_S", "0")))
    script = json.loads(os.environ.get("PARLEY_FAKE_SCRIPT", "[]"))
    return FakeEngine(
        script, name=model or "fake-model", delay=float(os.environ.get("PARLEY_FAKE_DELAY", "0"))
    )


def held_until(release: threading.Event, engine, progress_message: str = ""):
    """An engine factory whose load waits until `release` is set (saying `progress_message`
    first), for `make_app(factory=...)`."""

    def factory(model, dtype, progress):
        if progress_message:
            progress(progress_message)
        release.wait(10)
        return engine

    return factory


def make_app(engine=None, factory=None, **kwargs):
    """A ChatApp on this test's database with a fake engine, or the engine `factory` (imported
    late: textual)."""
    from assistant.tui.app import ChatApp

    engine = engine if engine is not None else FakeEngine()
    factory = factory or (lambda model, dtype, progress: engine)
    return ChatApp(engine_factory=factory, **kwargs)


async def settle(pilot, app):
    """Wait until loading, answers and tools are done and the UI has caught up."""
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


async def send(pilot, app, text):
    app.prompt.focus()
    app.prompt.value = text
    await pilot.press("enter")
    await settle(pilot, app)


def screen_text(app) -> str:
    """What the terminal shows, as plain text lines (from the SVG screenshot)."""
    import html
    import re

    svg = app.export_screenshot()
    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    spans = re.findall(r'<text[^>]* x="([\d.]+)"[^>]*-line-(\d+)\)">(.*?)</text>', svg)
    for x, line, text in spans:
        row, col = int(line), round(float(x) / 12.2)
        for i, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if row < height and col + i < width:
                grid[row][col + i] = char
    return "\n".join("".join(row).rstrip() for row in grid)
