"""The model's own tool calls: the engine stops at `<tool_call>...</tool_call>`, runs the call
through its (injectable) runner, and shows the result as the rest of the answer."""

from __future__ import annotations

import threading

import pytest

from assistant import toolcall
from assistant.errors import UsageError
from assistant.inference import Done, Engine, GenerationParams, TextChunk, ToolCall, ToolResult
from assistant.tools.base import ToolResult as ToolAnswer

CALL = toolcall.render("translate", {"text": "good night", "to": "pt"})


class CharVocab:
    """A tokenizer whose ids are code points (0 is EOS): enough for the engine's prompt fitting."""

    eos_token_id = 0

    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]

    def decode(self, ids, skip_special_tokens=False):
        return "".join(chr(i) for i in ids if i)

    def apply_chat_template(self, messages, **_):
        return self.encode("".join(f"<{m['role']}>{m['content']}" for m in messages))


class ScriptedBackend:
    """A backend that "samples" a fixed text, one character a token, then EOS."""

    def __init__(self, text: str) -> None:
        self.text, self.seen_cancel = text, None
        self.tokenizer, self.context_window, self.eos_ids = CharVocab(), 4096, {0}

    def generate_ids(self, job, cancel):
        tokens, sent = [*self.tokenizer.encode(self.text), 0], 0
        try:
            for token in tokens:
                if cancel is not None and cancel.is_set():
                    return
                sent += 1
                yield token
        finally:
            self.seen_cancel = sent < len(tokens)  # stopped before the end of the script

    def close(self):
        pass


class ScriptedEngine(Engine):
    """The real Engine (stream, tool loop, cancellation) over a scripted backend."""

    def __init__(self, text: str) -> None:
        super().__init__(ScriptedBackend(text), name="scripted")

    @property
    def seen_cancel(self):
        return self.backend.seen_cancel


def fake_runner(calls):
    def run(name, arguments):
        calls.append((name, arguments))
        if arguments.get("text") == "bom dia":
            raise UsageError("the text is already Portuguese; pick --to")
        return ToolAnswer(name, "bergamot", "transformer", "Boa noite", 0.05, confidence=0.9)

    return run


def test_a_subclass_backend_runs_the_call_and_shows_the_result():
    calls = []
    engine = ScriptedEngine(f"Sure. {CALL} and then some rambling the model should not say")
    engine.tool_runner = fake_runner(calls)
    events = list(engine.generate([{"role": "user", "content": "say good night in portuguese"}]))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "Started" and kinds[-1] == "Done"
    assert kinds.index("ToolCall") < kinds.index("ToolResult") < len(kinds) - 1
    call = next(e for e in events if isinstance(e, ToolCall))
    result = next(e for e in events if isinstance(e, ToolResult))
    assert (call.name, call.arguments) == ("translate", {"text": "good night", "to": "pt"})
    assert calls == [("translate", {"text": "good night", "to": "pt"})]
    assert (result.ok, result.backend, result.confidence) == (True, "bergamot", 0.9)
    shown = "".join(e.text for e in events if isinstance(e, TextChunk))
    done = events[-1]
    assert shown == done.text == "Sure.\n\nBoa noite"  # no raw tags, nothing after the call
    assert "<tool" not in shown and "rambling" not in shown
    assert done.finish_reason == "tool_call"
    assert engine.seen_cancel  # decoding stopped at the call


def test_a_failing_call_is_an_answer_not_a_crash():
    engine = ScriptedEngine(toolcall.render("translate", {"text": "bom dia", "to": "pt"}))
    engine.tool_runner = fake_runner(calls := [])
    events = list(engine.generate([{"role": "user", "content": "x"}]))
    result = next(e for e in events if isinstance(e, ToolResult))
    assert calls and not result.ok and "already Portuguese" in result.text
    assert events[-1].text.startswith("(translate failed: the text is already Portuguese")


def test_a_call_that_does_not_validate_is_refused_before_the_runner():
    engine = ScriptedEngine(toolcall.render("translate", {"text": "hi", "to": "fr"}))
    engine.tool_runner = fake_runner(calls := [])
    events = list(engine.generate([{"role": "user", "content": "x"}]))
    result = next(e for e in events if isinstance(e, ToolResult))
    assert calls == [] and not result.ok
    reason = "translate: 'to' must be one of pt, en, got 'fr'"
    assert result.text == f"refused: {reason}"
    assert events[-1].text == f"(translate call refused: {reason})"


def test_broken_json_and_plain_text_and_tools_off():
    engine = ScriptedEngine("<tool_call>{not json}</tool_call>")
    engine.tool_runner = fake_runner(calls := [])
    events = list(engine.generate([{"role": "user", "content": "x"}]))
    assert not next(e for e in events if isinstance(e, ToolResult)).ok
    assert calls == []
    plain = ScriptedEngine("A < B, and <tool_c is not a call")
    done = list(plain.generate([{"role": "user", "content": "x"}]))[-1]
    assert done.text == "A < B, and <tool_c is not a call" and done.finish_reason == "eos"
    off = ScriptedEngine(f"x {CALL}")
    off.tool_runner = fake_runner(calls)
    events = list(off.generate([{"role": "user", "content": "x"}], tools=False))
    assert not any(isinstance(e, ToolCall) for e in events) and events[-1].text == f"x {CALL}"


def test_user_cancel_still_stops_and_runs_nothing():
    cancel = threading.Event()
    cancel.set()
    engine = ScriptedEngine(f"{CALL}")
    engine.tool_runner = fake_runner(calls := [])
    events = list(engine.generate([{"role": "user", "content": "x"}], None, cancel))
    assert calls == [] and events[-1].finish_reason == "cancelled"


def test_the_real_decode_loop_runs_a_call(tiny_engine, monkeypatch):
    """The tiny Llama with its sampler forced to spell a call: the base Engine's own loop."""
    from assistant.inference import transformers_backend as engine_module

    ids = tiny_engine.tokenizer.encode(
        f"Let me translate. {CALL} trailing", add_special_tokens=False
    )
    script = iter(ids)
    monkeypatch.setattr(engine_module, "_sample", lambda *a: next(script))
    calls = []
    tiny_engine.tool_runner = fake_runner(calls)
    params = GenerationParams(max_new_tokens=len(ids), seed=0)
    events = list(tiny_engine.generate([{"role": "user", "content": "hi"}], params))
    assert calls == [("translate", {"text": "good night", "to": "pt"})]
    assert events[-1].text == "Let me translate.\n\nBoa noite"
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "tool_call"


@pytest.mark.parametrize("text", ["/translate --to pt good night"])
def test_default_runner_is_the_registry(text):
    """run_tool_call goes to assistant.tools.run_call (real bergamot, no model)."""
    from assistant.inference.tool_loop import run_tool_call

    result = run_tool_call("translate", {"text": "good night", "to": "pt"})
    assert result.backend == "bergamot" and result.text.lower().startswith("boa noite")
