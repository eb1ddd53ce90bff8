"""Tool-routing accuracy: does the model answer a tool request with the right call?

    parley eval tools --model sft-small                 # held-out requests, greedy decoding
    parley eval tools --model smollm2-135m-instruct --describe-tools --json

Each held-out request (`data/sft/tool_heldout.jsonl`: `{"request", "tool", "arguments"}`, phrased
unlike anything in the SFT set) goes to the model as a one-turn chat with Parley's system prompt.
The first `<tool_call>` block of the answer (`assistant.toolcall.parse`) is scored twice:
- tool: it names the expected tool;
- exact: it names the expected tool and every argument matches — text compared after case-folding,
  collapsing whitespace and dropping surrounding quotes, punctuation and a file's `@`; `to` and `n`
  exactly (a `transcribe` call has no arguments: `{}` matches only `{}`).
A call must begin within the first 24 tokens of the answer (answers are cut there otherwise:
the base model would spend minutes on prose that cannot score). `--describe-tools` adds the call
format and the tools to the system prompt, which gives a model that never saw the format (the
base model) its fairest chance.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import toolcall
from assistant.chat_context import DEFAULT_SYSTEM_PROMPT, chat_context

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "sft" / "tool_heldout.jsonl"

TOOLS_PROMPT = (
    "\nYou can call tools. To call one, answer with exactly one line:\n"
    '<tool_call>{"name": TOOL, "arguments": {...}}</tool_call>\n'
    'Tools: translate(text, to: "pt" or "en"), sentiment(text), summarize(text), '
    "imagine(prompt, n), transcribe() for a recording, caption(image: the file name) for a "
    "picture, qa(question, document: the text given in the message).\nExample: "
    + toolcall.render("translate", {"text": "thank you", "to": "pt"})
)


def normalize(value: Any) -> Any:
    """Text compared loosely, everything else exactly.

    >>> normalize('  "Good  Night!" ')
    'good night'
    >>> normalize("@Cat.png")  # a file name as the person typed it, or as /caption @FILE takes it
    'cat.png'
    """
    if not isinstance(value, str):
        return value
    text = " ".join(value.casefold().split())
    return text.strip(" \"'“”‘’.,!?;:@")


def arguments_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if set(expected) != set(got):
        return False
    return all(normalize(expected[k]) == normalize(got[k]) for k in expected)


@dataclass
class ToolEval:
    model: str
    total: int = 0
    right_tool: int = 0
    exact: int = 0
    per_tool: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    examples: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, expected_tool: str, right_tool: bool, exact: bool) -> None:
        self.total += 1
        self.right_tool += right_tool
        self.exact += exact
        row = self.per_tool[expected_tool]
        row[0], row[1], row[2] = row[0] + 1, row[1] + right_tool, row[2] + exact

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "requests": self.total,
            "tool_accuracy": self.right_tool / max(self.total, 1),
            "exact_accuracy": self.exact / max(self.total, 1),
            "per_tool": {
                k: {"n": n, "tool": t / n, "exact": e / n} for k, (n, t, e) in self.per_tool.items()
            },
            "seconds": round(self.seconds, 1),
            "examples": self.examples,
        }

    def table(self) -> str:
        lines = [f"{'tool':<10} {'n':>4} {'right tool':>11} {'right call':>11}"]
        for name in sorted(self.per_tool):
            n, t, e = self.per_tool[name]
            lines.append(f"{name:<10} {n:>4} {t / n:>11.0%} {e / n:>11.0%}")
        n = max(self.total, 1)
        lines.append(
            f"{'all':<10} {self.total:>4} {self.right_tool / n:>11.0%} {self.exact / n:>11.0%}"
        )
        return "\n".join(lines)


def load_requests(path: str | Path = HELDOUT) -> list[dict[str, Any]]:
    from rlhf.data import read_jsonl

    def check(r):
        ok = isinstance(r, dict) and {"request", "tool", "arguments"} <= set(r)
        return None if ok else 'expected {"request", "tool", "arguments"}'

    return read_jsonl(path, check)


def answer(engine, messages, params, patience: int) -> str:
    """The greedy answer, cut short once `patience` chunks have passed with no call begun: a
    call that has not started by then is not going to be scored, and prose costs time."""
    import inspect
    import threading

    from assistant.inference import Done, TextChunk

    # the engine runs calls itself and shows their results; here we want the model's own words
    signature = inspect.signature(engine.generate, follow_wrapped=False)
    raw = {"tools": False} if "tools" in signature.parameters else {}
    cancel, text, chunks = threading.Event(), "", 0
    for event in engine.generate(messages, params, cancel, **raw):
        if isinstance(event, TextChunk):
            text, chunks = text + event.text, chunks + 1
            started = toolcall.OPEN in text or toolcall.find_partial_start(text) is not None
            if chunks >= patience and not started:
                cancel.set()
        elif isinstance(event, Done):
            return event.text
    return text


def evaluate(
    engine,
    requests: list[dict[str, Any]],
    describe_tools: bool = False,
    max_new_tokens: int = 128,
    patience: int = 24,
    progress=None,
) -> ToolEval:
    """Greedy answers to every request, scored (see the module docstring)."""
    from assistant.inference import GenerationParams

    system = DEFAULT_SYSTEM_PROMPT + (TOOLS_PROMPT if describe_tools else "")
    params = GenerationParams(temperature=0.0, max_new_tokens=max_new_tokens, seed=0)
    result = ToolEval(model=engine.name)
    start = time.perf_counter()
    for i, r in enumerate(requests):
        text = answer(engine, chat_context(r["request"], system), params, patience)
        calls = [c for c in toolcall.parse(text) if c.name]
        call = calls[0] if calls else None
        right_tool = call is not None and call.name == r["tool"]
        exact = right_tool and arguments_match(r["arguments"], call.arguments)
        result.add(r["tool"], right_tool, exact)
        if len(result.examples) < 200:
            result.examples.append({"request": r["request"], "answer": text, "exact": exact})
        if progress:
            progress(f"[{i + 1}/{len(requests)}] {'ok ' if exact else 'no '} {r['request'][:60]}")
    result.seconds = time.perf_counter() - start
    return result
