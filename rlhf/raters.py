"""Simulated raters that behave like careful people (the AlpacaFarm pool, with rules).

A careful rater first checks what can be checked, then looks at style. Each rater is a plain
scorer `(prompts, completions, **facts) -> list[float]`; the facts are the prompt's columns of
`data/rl/prompts.jsonl` (TRL passes dataset columns to reward functions the same way), one value
per prompt, any of them missing or None:

- `answers`: accepted answers; right (`eval_checks.knows`) +3, wrong -3;
- `check`:   an instruction's constraint (`eval_checks.follows`); kept +2, broken -2;
- `lang`:    the language the answer must be in; another language -2;
- `tool`:    the tool the prompt wants (None: a plain question that wants none): the right call
             +3 (+1 more when its arguments are the expected ones, as `parley eval chat`'s right
             call reads them), a wrong tool or a call that cannot run -1, no call -2, a call where
             none was wanted -3; with no `tool` fact, a call on a prompt that does not ask for a
             translation, a summary, a picture or a mood is -3;
- always:    an empty answer or a tool's error message -4, a loop -3, an answer that stops
             mid-sentence -1.5 (a call, a list, JSON and short answers are exempt).

Then what every rater in the pool wants once the checks are met: the question answered, not just
an answer (`relevance`: up to +1 for taking up the question's key words, "The capital of Poland is
Warsaw." over "Warsaw."; -1 for parroting the question back). Then the rater's own taste (a small
weight, so it decides mostly between answers that are equally right), and label noise: each rater
flips ≈25% of its labels, as AlpacaFarm's simulated annotators do. `POOL` has the four raters;
`judge` (`rlhf.annotators`) is held out and never labels a training pair. `agreement()` measures
each rater against the judge and the others.

>>> careful(["What is 6 x 7?"] * 2, ["It is 42.", "It is 48."], answers=[["42"]] * 2)
[3.5, -2.5]
>>> brief(["q"], ["Sure."]) > brief(["q"], ["Sure. " + "More words here. " * 30])
True
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from assistant import toolcall
from rlhf import annotators as annotators_module
from rlhf import eval_checks, eval_tools
from rlhf.annotators import RUDE, TOOL_ASKS, Scorer, is_tool_error, key_word_share, prefer, text_of

NOISE = 0.25
FACTS = ("answers", "check", "lang", "tool", "arguments")
_ENDS = (".", "!", "?", ")", '"', "'", "`", "}", "]", "…", ":")


def _fact(kw: dict[str, Any], name: str, i: int) -> Any:
    values = kw.get(name)
    return values[i] if values is not None and i < len(values) else None


def unfinished(text: str) -> bool:
    """An answer that stops mid-sentence (the token limit hit it): no end punctuation after 6+
    words, unless it is a list, a tool call or a one-liner.

    >>> unfinished("The capital of France is Paris, which is known for its"), unfinished("Paris")
    (True, False)
    >>> unfinished("- tea\\n- milk and honey and sugar and more"), unfinished("Paris is big.")
    (False, False)
    """
    body = text.strip()
    if "<tool_call>" in body or re.search(r"^\s*([-*•]|\d+[.)])\s", body, re.M):
        return False
    return len(body.split()) >= 6 and not body.endswith(_ENDS)


def _tool_points(asked: str, text: str, wanted: Any, has_fact: bool, arguments: Any) -> float:
    calls = toolcall.parse(text)
    if has_fact and wanted:
        if not calls:
            return -2.0
        call = calls[0]
        if call.name != wanted or not call.ok:
            return -1.0
        same = arguments is not None and eval_tools.arguments_match(arguments, call.arguments)
        return 4.0 if same else 3.0
    asks = any(k in asked.lower() for k in TOOL_ASKS)
    if calls or "<tool_call>" in text:
        return -3.0 if has_fact or not asks else 0.0
    return 0.0


def checks(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """What a careful rater checks before taste (see the module docstring).

    >>> call = '<tool_call>{"name": "sentiment", "arguments": {"text": "hi"}}</tool_call>'
    >>> checks(["Who painted the Mona Lisa?"] * 2, ["Leonardo da Vinci.", call], tool=[None] * 2)
    [0.0, -3.0]
    >>> checks(["Say yes or no."], ["Yes."], check=[{"kind": "yes_no"}])
    [2.0]
    """
    scores = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
        text, asked = text_of(completion).strip(), text_of(prompt)
        if not text or is_tool_error(text):
            scores.append(-4.0)
            continue
        score = 0.0
        answers, check, lang = (_fact(kw, k, i) for k in ("answers", "check", "lang"))
        plain = toolcall.strip_calls(text)
        if answers:
            score += 3.0 if eval_checks.knows(plain, list(answers)) else -3.0
        if check:
            score += 2.0 if eval_checks.follows(plain, check) else -2.0
        if lang and eval_checks.in_language(plain, lang) is False:
            score -= 2.0
        has_tool_fact = "tool" in kw and kw["tool"] is not None
        score += _tool_points(
            asked, text, _fact(kw, "tool", i), has_tool_fact, _fact(kw, "arguments", i)
        )
        if eval_checks.loops(text):
            score -= 3.0
        if unfinished(text):
            score -= 1.5
        scores.append(score)
    return scores


def _n_words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def relevance(asked: Any, text: str) -> float:
    """Whether an answer speaks to what was asked, as a careful rater reads it: the share of the
    question's key words (4+ letters, not stop words) that the answer takes up, 0..1, and -1 for
    an answer that only parrots the whole question back.

    >>> relevance("What is the capital of Poland?", "The capital of Poland is Warsaw.")
    1.0
    >>> relevance("What is the capital of Poland?", "Warsaw.")
    0.0
    """
    question = text_of(asked).strip()
    if len(question) > 12 and question.lower() in text.lower():
        return -1.0
    return key_word_share(question, text)


def _relevant(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """The checks, plus `relevance` (every rater in the pool wants the question answered)."""
    base = checks(prompts, completions, **kw)
    return [
        b + relevance(p, text_of(c)) for b, p, c in zip(base, prompts, completions, strict=True)
    ]


def careful(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """The checks and relevance, then brevity and tone as a careful rater weighs them: -0.5 per
    40 words beyond 60, +0.5 for ending a sentence, -1 for rude words or shouting."""
    out = []
    for base, completion in zip(_relevant(prompts, completions, **kw), completions, strict=True):
        text = text_of(completion).strip()
        score = base - 0.5 * max(0, -(-(_n_words(text) - 60) // 40))
        score += 0.5 if text.endswith((".", "!", "?")) else 0.0
        if any(w in text.lower() for w in RUDE) or re.search(r"\b[A-Z]{5,}\b", text):
            score -= 1.0
        out.append(score)
    return out


def brief(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Taste: short answers. The checks and relevance, then -0.02 per word."""
    base = _relevant(prompts, completions, **kw)
    lengths = [_n_words(text_of(c)) for c in completions]
    return [round(b - 0.02 * n, 4) for b, n in zip(base, lengths, strict=True)]


def warm(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Taste: a friendly tone. The careful score, +0.5 for thanks, "sure", "happy to", "glad"."""
    friendly = re.compile(r"\b(sure|thanks|thank you|happy to|glad|of course|great question)\b")
    return [
        s + (0.5 if friendly.search(text_of(c).lower()) else 0.0)
        for s, c in zip(careful(prompts, completions, **kw), completions, strict=True)
    ]


def thorough(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
    """Taste: explanations with substance. The checks and relevance, +0.5 for 2-5 sentences,
    +0.5 for a "because" or an example when there is no constraint to keep."""
    out = []
    scored = _relevant(prompts, completions, **kw)
    for i, (s, c) in enumerate(zip(scored, completions, strict=True)):
        text = text_of(c).lower()
        n = len([x for x in re.split(r"(?<=[.!?])\s+", text.strip()) if x])
        s += 0.5 if 2 <= n <= 5 else 0.0
        if not _fact(kw, "check", i) and re.search(r"\b(because|for example|such as)\b", text):
            s += 0.5
        out.append(s)
    return out


@dataclass(frozen=True)
class Rater:
    """One simulated person: a rubric, how often they flip a label, and their taste in a line."""

    name: str
    scorer: Scorer
    noise: float
    taste: str


POOL: dict[str, Rater] = {
    r.name: r
    for r in (
        Rater("careful", careful, NOISE, "checks, then mild brevity and tone"),
        Rater("brief", brief, NOISE, "checks, then the shorter answer"),
        Rater("warm", warm, NOISE, "checks and tone, then a friendly word"),
        Rater("thorough", thorough, NOISE, "checks, then a few sentences with a reason"),
    )
}


def facts_of(row: dict[str, Any]) -> dict[str, Any]:
    """The checkable facts of a `data/rl/prompts.jsonl` row (`tool` is kept when None).

    >>> facts_of({"prompt": "q", "family": "tools", "tool": None, "arguments": None})
    {'tool': None, 'arguments': None}
    """
    return {k: row[k] for k in FACTS if k in row}


def label(
    name: str, prompt: Any, a: str, b: str, facts: dict[str, Any], seed: int, noise: bool = True
) -> int:
    """0 if rater `name` (or `judge`, noise-free) prefers `a`, 1 if `b`; with `noise` False, the
    rater's rubric without the flips. Each rater has its own coins: two raters' noise falls on
    different pairs."""
    from rlhf import annotators

    seed = seed * 1009 + zlib.crc32(name.encode()) % 1009
    if name in POOL:
        scorer, flips = POOL[name].scorer, POOL[name].noise if noise else 0.0
    else:
        scorer, flips = annotators.get(name), 0.0
    return prefer(_with_facts(scorer, facts), prompt, a, b, noise=flips, seed=seed)


def _with_facts(scorer: Scorer, facts: dict[str, Any]) -> Scorer:
    def scored(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float]:
        return scorer(prompts, completions, **{k: [v] * len(prompts) for k, v in facts.items()})

    return scored


def agreement(
    rows: Sequence[tuple[Any, str, str, dict[str, Any]]],
    raters: Sequence[str] = tuple(POOL),
    judge: str = "judge",
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Each rater's agreement (its noisy labels, as it would label training pairs) with the
    held-out judge and, on average, with the other raters, over (prompt, a, b, facts) rows.

    >>> rows = [("What is 2+2?", "4.", "5.", {"answers": ["4"]})] * 3
    >>> agreement(rows, raters=("careful",), judge="careful")["careful"]["judge"]
    1.0
    """
    labels = {
        name: [label(name, p, a, b, f, seed * 7919 + i) for i, (p, a, b, f) in enumerate(rows)]
        for name in (*raters, judge)
    }
    n = max(len(rows), 1)

    def agree(x: str, y: str) -> float:
        return sum(p == q for p, q in zip(labels[x], labels[y], strict=True)) / n

    out = {}
    for name in raters:
        others = [agree(name, o) for o in raters if o != name]
        mean = round(sum(others) / len(others), 3) if others else float("nan")
        out[name] = {"judge": round(agree(name, judge), 3), "others": mean}
    if len(raters) > 1:
        pairs = list(combinations(raters, 2))
        out["pool"] = {"others": round(sum(agree(x, y) for x, y in pairs) / len(pairs), 3)}
    return out


def label_pairs(
    rows: Sequence[tuple[Any, ...]],
    annotators: Sequence[str] = annotators_module.TRAINING_ANNOTATORS,
    noise: float = 0.1,
    seed: int = 0,
    pool_votes: bool = False,
) -> list[dict[str, Any]]:
    """(prompt, answer a, answer b[, facts]) rows -> TRL conversational preference records whose
    prompt is the chat context the answers were sampled under (`assistant.chat_context`), each
    labelled by one of `annotators` in turn (recorded in `annotator`): a rater of `POOL` sees the
    prompt's facts and uses its own noise, any other name is a rubric of `rlhf.annotators`.
    Identical answers are skipped. `flipped` says that the label is not what that annotator's
    rubric says (its noise turned it round); `tie` that the rubric scores both answers the same
    (its label is then a coin). The reward model's accuracy against the rubric reads both.

    `pool_votes`: every annotator labels every pair (each with its own noise, AlpacaFarm's pool)
    and the majority's pick is the label (`votes`, e.g. "3-1"); a pair the pool splits evenly is
    skipped. The held-out `judge` is refused: it never labels a training pair."""
    from assistant.chat_context import preference_record

    if "judge" in annotators:
        raise ValueError("the held-out judge never labels a training pair")
    out = []
    for i, (prompt, a, b, *rest) in enumerate(rows):
        if text_of(a).strip() == text_of(b).strip():
            continue
        name, facts, coins = (
            annotators[i % len(annotators)],
            rest[0] if rest else {},
            seed * 100003 + i,
        )
        pick, rubric, tie = _labels(name, prompt, a, b, facts, noise, coins)
        extra: dict[str, Any] = {}
        if pool_votes:
            picks = [_labels(n, prompt, a, b, facts, noise, coins)[0] for n in annotators]
            for_a, for_b = picks.count(0), picks.count(1)
            if for_a == for_b:
                continue
            pick = 0 if for_a > for_b else 1
            extra["votes"] = f"{max(for_a, for_b)}-{min(for_a, for_b)}"
        chosen, rejected = (a, b) if pick == 0 else (b, a)
        out.append(
            preference_record(
                prompt,
                text_of(chosen),
                text_of(rejected),
                annotator=name,
                flipped=pick != rubric,
                tie=tie,
                **extra,
            )
        )
    return out


def _labels(
    name: str, prompt: Any, a: Any, b: Any, facts: dict[str, Any], noise: float, seed: int
) -> tuple[int, int, bool]:
    """Annotator `name`'s label of (a, b) (0: a), its rubric's label without the noise, and
    whether the rubric ties them."""
    if name in POOL:
        pick = label(name, prompt, a, b, facts, seed)
        rubric = label(name, prompt, a, b, facts, seed, noise=False)
        sa, sb = _with_facts(POOL[name].scorer, facts)([prompt, prompt], [a, b])
    else:
        scorer = annotators_module.get(name)
        pick = prefer(scorer, prompt, a, b, noise, seed)
        rubric = prefer(scorer, prompt, a, b, 0.0, seed)
        sa, sb = scorer([prompt, prompt], [a, b])
    return pick, rubric, sa == sb
