"""The tool-call format: how the chat model asks for a tool, and how the engine reads it back.

The model writes a call as one line of JSON between two tags, in its assistant turn:

    <tool_call>{"name": "translate", "arguments": {"text": "good night", "to": "pt"}}</tool_call>

This is the Hermes/Qwen convention. SmolLM2's tokenizer has no special tokens for it (its chat
template knows only `<|im_start|>`/`<|im_end|>`); the tags cost 5 ordinary BPE tokens each and
the whole line above is 33 tokens, which a 135M model learns from a few hundred SFT examples
(`data/sft/`). A turn may hold text before the call; whatever follows a call is not the model's
business (the engine runs the tool and shows its result). The result goes back to the model, if
at all, as a message `{"role": "tool", "content": ...}`, which the chat template renders as a
`tool` turn.

    >>> text = 'Sure. <tool_call>{"name": "sentiment", "arguments": {"text": "great"}}</tool_call>'
    >>> [(c.name, c.arguments, c.error) for c in parse(text)]
    [('sentiment', {'text': 'great'}, None)]
    >>> render("imagine", {"prompt": "a sneaker"})
    '<tool_call>{"name": "imagine", "arguments": {"prompt": "a sneaker"}}</tool_call>'
    >>> find_partial_start("Let me check <tool_c")
    13

What a call may carry is each tool's own declaration (`assistant.tools.params.Param`, the same
one its slash command's parser and `--help` are built from), read through the registry:

    >>> for name, arguments in schemas().items():
    ...     print(name, [f"{p.name}: {p.type.__name__}" + (" (optional)" if p.model == "optional"
    ...                  else "") for p in arguments.values()])
    translate ['text: str', 'to: str']
    sentiment ['text: str']
    summarize ['text: str']
    imagine ['prompt: str', 'n: int (optional)']
    transcribe []
    caption ['image: str']
    qa ['question: str', 'document: str']

`transcribe` takes nothing (a model's call cannot name a file; it answers how to type
`/transcribe @FILE`); `caption` is always refused with the `/caption @FILE` to type; `qa`'s
`document` is text already in the conversation, never a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.tools.params import Param

OPEN = "<tool_call>"
CLOSE = "</tool_call>"

_BLOCK = re.compile(re.escape(OPEN) + r"(.*?)" + re.escape(CLOSE), re.DOTALL)


@dataclass(frozen=True)
class ParsedCall:
    """One `<tool_call>...</tool_call>` block: the call, where it sits in the text, and what is
    wrong with it (`error` is None for a call that names a known tool with valid arguments)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    start: int = 0
    end: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def render(name: str, arguments: dict[str, Any]) -> str:
    """The exact text the model is trained to write for a call (compact JSON, keys in order)."""
    return OPEN + json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False) + CLOSE


def schemas() -> dict[str, dict[str, Param]]:
    """Each tool the model may call -> the parameters its call may carry, from the tools' own
    declarations (the registry loads them; no model, no torch)."""
    from assistant import tools

    return {name: tools.call_parameters(name) for name in tools.MODEL_CALLS}


def validate(name: str, arguments: Any) -> str | None:
    """Why a call cannot run (one line), or None if it can (`assistant.tools.check_call`).

    >>> validate("translate", {"text": "hi", "to": "fr"})
    "translate: 'to' must be one of pt, en, got 'fr'"
    >>> validate("fly", {}) is None
    False
    """
    from assistant import tools

    return tools.check_call(name, arguments)


def parse(text: str) -> list[ParsedCall]:
    """Every complete call block in `text`, in order. A block whose JSON is broken or whose call
    does not validate is still returned, with `error` set, so the engine can say why it skipped it.
    An unclosed `<tool_call>` at the end is not a call (see `find_partial_start`)."""
    calls = []
    for match in _BLOCK.finditer(text):
        body = match.group(1).strip()
        try:
            data = json.loads(body)
        except json.JSONDecodeError as e:
            calls.append(ParsedCall("", {}, match.start(), match.end(), f"not JSON: {e.msg}"))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            error = 'expected {"name": ..., "arguments": {...}}'
            calls.append(ParsedCall("", {}, match.start(), match.end(), error))
            continue
        name, arguments = data["name"], data.get("arguments", {})
        error = validate(name, arguments)
        arguments = arguments if isinstance(arguments, dict) else {}
        calls.append(ParsedCall(name, arguments, match.start(), match.end(), error))
    return calls


def strip_calls(text: str) -> str:
    """`text` without its call blocks: what a user reads around the calls."""
    return _BLOCK.sub("", text).strip()


def find_partial_start(text: str) -> int | None:
    """Where a call that may still be streaming begins, or None: the index of an unclosed
    `<tool_call>`, or of a tail that could grow into one (`<`, `<tool`, ...). A streaming printer
    shows text up to this index and holds the rest until the block closes or the turn ends.

    >>> find_partial_start("plain text") is None
    True
    >>> find_partial_start('<tool_call>{"name": "imag')
    0
    >>> find_partial_start('<tool_call>{}</tool_call> done') is None
    True
    """
    last_open = text.rfind(OPEN)
    if last_open != -1 and text.find(CLOSE, last_open) == -1:
        return last_open
    for size in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-size:]):
            return len(text) - size
    return None
