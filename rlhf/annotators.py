"""Simulated annotators: plain functions that score answers by a stated rubric, with label noise.

With no human ratings yet, these label preference pairs (the AlpacaFarm idea, with rules instead
of an API) and judge win rates offline. Each scorer has the signature of a TRL reward function,
`(prompts, completions, **kw) -> list[float]`, where a prompt or completion is a plain string or
a list of chat messages; `prefer()` turns scores into a noisy preference label.

Rubrics (each a sum of points; higher is better):

- `concise`   — helpful and to the point: +1 for an answer between 3 and 60 words (numbers
                count), -1 per 40 words beyond 60, -1 for an empty answer or a tool's error
                message, -0.5 for each repeated sentence.
- `polite`    — friendly and well-formed: +1 for a greeting, thanks or "sure/happy to", +0.5 if it
                ends with sentence punctuation, -1 for shouting (a word of 4+ capitals), -1 for rude
                words.
- `on_topic`  — answers what was asked: fraction of the prompt's content words (4+ letters, not
                stop words) that the answer reuses, times 2; +1 for a tool call when the prompt asks
                to translate/summarize/draw/classify, -1 for a tool call when it does not.
- `judge`     — the held-out judge that no training pair ever sees: mean of the three rubrics'
                ranks plus a clarity rule of its own (+0.5 for 1-3 sentences, -0.5 for an answer
                that repeats the prompt verbatim). Used only by `parley eval winrate --judge judge`.

>>> concise(["Hi"], ["Hello! How can I help you today?"])
[1.0]
>>> prefer(concise, "Hi", "Hello! How can I help?", "", noise=0.0, seed=0)
0
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

Scorer = Callable[..., list[float]]

_STOP_WORDS = """this that with what from have your about which there their would could should
into please tell give make does than then them they were been being over under just some"""
STOP = frozenset(_STOP_WORDS.split())
RUDE = ("stupid", "idiot", "shut up", "dumb", "whatever")
TOOL_ASKS = ("translat", "portuguese", "english", "summar", "sum up", "draw", "picture", "image",
             "sentiment", "positive", "negative", "tone", "mood", "gist", "sketch")  # fmt: skip


def text_of(x: Any) -> str:
    """A completion or prompt as text: a string, or the content of its last message.

    >>> text_of([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    'yo'
    """
    if isinstance(x, str):
        return x
    if isinstance(x, list) and x:
        return str(x[-1].get("content", ""))
    return ""


def _words(text: str) -> list[str]:
    """Words and numbers: "9 x 6 = 54." has four."""
    return re.findall(r"[A-Za-zÀ-ÿ0-9']+", text)


# How the engine shows a tool call that failed (`assistant.inference.tool_loop._run_call`): an
# error, not an answer, however short and polite it reads.
TOOL_ERROR = re.compile(r"^\((?:tool call not understood|[\w-]+ failed): ")


def is_tool_error(text: str) -> bool:
    """Whether an answer is the engine's report of a failed tool call.

    >>> is_tool_error("(sentiment failed: no text to classify)"), is_tool_error("(yes)")
    (True, False)
    """
    return TOOL_ERROR.match(text.strip()) is not None


def _sentences(text: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def concise(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Rubric `concise` (see the module docstring).

    >>> concise(["q"], [""]), concise(["q"], ["word " * 140]), concise(["q"], ["9 x 6 = 54."])
    ([-1.0], [-2.0], [1.0])
    """
    scores = []
    for completion in completions:
        text = text_of(completion)
        n = len(_words(text))
        score = -1.0 if n == 0 or is_tool_error(text) else 1.0 if 3 <= n <= 60 else 0.0
        if n > 60:
            score -= math.ceil((n - 60) / 40)
        sentences = _sentences(text)
        score -= 0.5 * (len(sentences) - len(set(sentences)))
        scores.append(float(score))
    return scores


def polite(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Rubric `polite`.

    >>> polite(["q"], ["Sure, happy to help."]), polite(["q"], ["THAT is STUPID"])
    ([1.5], [-2.0])
    """
    scores = []
    for completion in completions:
        text = text_of(completion)
        low = text.lower()
        score = 0.0
        if re.search(r"\b(hello|hi|thanks|thank you|sure|happy to|glad)\b", low):
            score += 1
        if text.rstrip().endswith((".", "!", "?")):
            score += 0.5
        if re.search(r"\b[A-Z]{4,}\b", text):
            score -= 1
        if any(word in low for word in RUDE):
            score -= 1
        scores.append(score)
    return scores


def content_words(text: str) -> set[str]:
    return {w.lower() for w in _words(text) if len(w) >= 4 and w.lower() not in STOP}


def key_word_share(asked: str, text: str) -> float:
    """The share of the question's content words that `text` takes up, 0..1 (0 when it has none).

    >>> key_word_share("Why is the ocean salty?", "Rivers carry salt to the ocean.")
    0.5
    """
    wanted = content_words(asked)
    return len(wanted & content_words(text)) / len(wanted) if wanted else 0.0


def on_topic(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Rubric `on_topic`.

    >>> on_topic(["Why is the ocean salty?"], ["The ocean is salty because rivers carry salt."])
    [2.0]
    """
    scores = []
    for prompt, completion in zip(prompts, completions, strict=True):
        asked, text = text_of(prompt), text_of(completion)
        score = 2 * key_word_share(asked, text)
        has_call = "<tool_call>" in text
        wants_tool = any(k in asked.lower() for k in TOOL_ASKS)
        if has_call:
            score += 1 if wants_tool else -1
        scores.append(round(score, 4))
    return scores


def _ranks(values: list[float]) -> list[float]:
    """Ranks scaled to 0..1; equal values share their mean rank, so order never breaks a tie.

    >>> _ranks([2.0, 2.0]), _ranks([3.0, 1.0, 3.0])
    ([0.5, 0.5], [0.75, 0.0, 0.75])
    """
    scale = max(len(values) - 1, 1)
    return [
        (sum(w < v for w in values) + (sum(w == v for w in values) - 1) / 2) / scale for v in values
    ]


def judge(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """The held-out judge: the three rubrics blended, plus clarity rules of its own. Scores are
    comparable within one call (they use ranks), so call it with both answers of a pair.

    >>> a, b = judge(["What is 2+2?"] * 2, ["2 + 2 is 4.", "four four four four " * 30])
    >>> a > b
    True
    """
    parts = [f(prompts, completions) for f in (concise, polite, on_topic)]
    blended = [sum(r) / 3 for r in zip(*(_ranks(p) for p in parts), strict=True)]
    out = []
    for prompt, completion, base in zip(prompts, completions, blended, strict=True):
        text, asked = text_of(completion), text_of(prompt).strip()
        bonus = 0.5 if 1 <= len(_sentences(text)) <= 3 else 0.0
        if asked and asked.lower() in text.lower():
            bonus -= 0.5
        out.append(round(base + bonus, 4))
    return out


ANNOTATORS: dict[str, Scorer] = {
    "concise": concise,
    "polite": polite,
    "on_topic": on_topic,
    "judge": judge,
}
TRAINING_ANNOTATORS = ("concise", "polite", "on_topic")  # `judge` never labels training pairs


def get(name: str) -> Scorer:
    from assistant.errors import UsageError

    if name not in ANNOTATORS:
        raise UsageError(f"no annotator {name!r}; known: {', '.join(ANNOTATORS)}")
    return ANNOTATORS[name]


def prefer(scorer: Scorer, prompt: Any, a: Any, b: Any, noise: float = 0.1, seed: int = 0) -> int:
    """0 if the annotator prefers `a`, 1 if `b`; a tie goes to a coin flip. With probability
    `noise` the label is flipped (annotators disagree with their own rubric sometimes, as people
    do). The coin and the noise follow the two answers, not their order: swapping `a` and `b`
    always gives the other label.

    >>> [prefer(concise, "q", "short answer here", "", noise=1.0, seed=s) for s in range(3)]
    [1, 1, 1]
    >>> prefer(polite, "q", "ok", "fine", seed=4) + prefer(polite, "q", "fine", "ok", seed=4)
    1
    """
    low, high = sorted((text_of(a), text_of(b)))
    rng = random.Random(f"{seed}\x00{low}\x00{high}")
    sa, sb = scorer([prompt, prompt], [a, b])
    coin_to_a = (rng.random() < 0.5) == (text_of(a) == low)  # heads: the first in sorted order
    label = 0 if sa > sb else 1 if sb > sa else 0 if coin_to_a else 1
    return 1 - label if rng.random() < noise else label
