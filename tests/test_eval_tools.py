"""`parley eval tools` scoring (`rlhf/eval_tools.py`) with a scripted engine: no model."""

from __future__ import annotations

import json

from fake_engine import FakeEngine

from assistant.toolcall import render
from rlhf import eval_tools

REQUESTS = [
    {"request": "Say 'good night' in Portuguese", "tool": "translate",
     "arguments": {"text": "good night", "to": "pt"}},
    {"request": "Is it nice? I loved it", "tool": "sentiment", "arguments": {"text": "I loved it"}},
    {"request": "Draw a bag", "tool": "imagine", "arguments": {"prompt": "a bag"}},
    {"request": "Sum up: long text", "tool": "summarize", "arguments": {"text": "long text"}},
]  # fmt: skip


def test_scores_right_tool_and_right_call_separately():
    engine = FakeEngine([
        render("translate", {"text": "Good night!", "to": "pt"}),  # right call (loose text match)
        render("sentiment", {"text": "I hated it"}),               # right tool, wrong argument
        "Here is a picture of a bag for you.",                      # no call at all
        render("translate", {"text": "long text", "to": "en"}),    # wrong tool
    ])  # fmt: skip
    result = eval_tools.evaluate(engine, REQUESTS).to_dict()
    assert result["tool_accuracy"] == 0.5 and result["exact_accuracy"] == 0.25
    assert result["per_tool"]["translate"] == {"n": 1, "tool": 1.0, "exact": 1.0}
    assert result["per_tool"]["sentiment"] == {"n": 1, "tool": 1.0, "exact": 0.0}
    assert "Here is a picture" in result["examples"][2]["answer"]


def test_prose_is_cut_after_patience_but_a_started_call_is_not():
    prose = " ".join(["word"] * 100)
    call = "Okay " + render("summarize", {"text": "long text"})
    engine = FakeEngine([prose, call])
    first = eval_tools.answer(engine, [{"role": "user", "content": "x"}], None, patience=10)
    assert len(first.split()) == 10
    second = eval_tools.answer(engine, [{"role": "user", "content": "x"}], None, patience=2)
    assert second == call


def test_describe_tools_puts_the_format_in_the_system_prompt():
    engine = FakeEngine(["no"])
    eval_tools.evaluate(engine, REQUESTS[:1], describe_tools=True)
    assert "<tool_call>" in engine.calls[0][0]["content"]


def test_shipped_heldout_requests_are_valid_and_unseen_in_training():
    from assistant.toolcall import validate

    requests = eval_tools.load_requests()
    assert len(requests) >= 50 and all(
        validate(r["tool"], r["arguments"]) is None for r in requests
    )
    seed = eval_tools.HELDOUT.with_name("seed.jsonl").read_text()
    users = {json.loads(line)["messages"][1]["content"] for line in seed.splitlines()}
    assert not any(r["request"] in users for r in requests)
    keys = ("text", "prompt", "image", "document")  # transcribe calls carry none
    contents = [r["arguments"][k] for r in requests for k in keys if k in r["arguments"]]
    assert not any(c in seed for c in contents)
    tools = {r["tool"] for r in requests}
    assert {"transcribe", "caption", "qa"} <= tools


def test_scores_the_models_own_call_not_the_engines_tool_result():
    """The engine runs calls and shows their results (`tool_loop`); the eval asks it not to."""
    from test_tools_engine import ScriptedEngine

    def tool_runner(name, arguments):
        raise AssertionError("the eval must not run tools")

    engine = ScriptedEngine(render("sentiment", {"text": "I loved it"}))  # the real tool loop
    engine.tool_runner = tool_runner
    result = eval_tools.evaluate(engine, REQUESTS[1:2]).to_dict()
    assert result["exact_accuracy"] == 1.0
