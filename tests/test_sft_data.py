"""The seed SFT set teaches when *not* to call a tool: plain answers outnumber tool calls, questions
that only sound like tool requests get plain answers, and the plain answers are right by the
battery's own checkers (`rlhf.eval_checks`). No model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant import toolcall
from rlhf import eval_checks

SEED = Path(__file__).resolve().parents[1] / "data" / "sft" / "seed.jsonl"
TOOL_WORDS = re.compile(
    r"portuguese|english|language|translat|picture|image|draw|painting|mood|"
    r"positive|negative|sentiment|summar|gist|review|tone",
    re.I,
)


@pytest.fixture(scope="module")
def conversations() -> list[list[dict]]:
    return [json.loads(line)["messages"] for line in SEED.read_text().splitlines()]


def turns(conversations):
    for messages in conversations:
        for user, reply in zip(messages, messages[1:], strict=False):
            if user["role"] == "user" and reply["role"] == "assistant":
                yield user["content"], reply["content"]


def test_plain_answers_outnumber_tool_calls(conversations):
    calls = sum(toolcall.OPEN in m[-1]["content"] for m in conversations)
    assert calls >= 200  # the format is still taught
    assert len(conversations) - calls >= calls


def test_every_tool_call_in_the_set_is_valid(conversations):
    for _, reply in turns(conversations):
        for call in toolcall.parse(reply):
            assert call.error is None, reply


def test_questions_that_sound_like_tool_requests_get_plain_answers(conversations):
    plain = {q for q, a in turns(conversations) if toolcall.OPEN not in a}
    sounding = {q for q in plain if TOOL_WORDS.search(q)}
    assert len(sounding) >= 30
    assert any("picture" in q for q in sounding) and any("mood" in q for q in sounding)
    assert any("summary" in q for q in sounding) and any("Portuguese" in q for q in sounding)


def test_follow_ups_are_taught(conversations):
    several = [m for m in conversations if sum(x["role"] == "user" for x in m) > 1]
    assert len(several) >= 15
    assert any(toolcall.OPEN in m[-1]["content"] for m in several)  # plain, then a tool


def test_arithmetic_answers_are_right(conversations):
    sums = 0
    for _, reply in turns(conversations):
        if m := re.fullmatch(r"(\d+) ([+−×÷]) (\d+) = (\d+)\.", reply):
            a, op, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
            want = {"+": a + b, "−": a - b, "×": a * b, "÷": a / b}[op]
            assert c == want, reply
            sums += 1
    assert sums >= 40


CONSTRAINTS = [
    (r"List exactly (\d) .* as bullet points", lambda a, m: eval_checks.bullets(a, int(m[1]))),
    (r"Answer in one word", lambda a, m: eval_checks.one_word(a)),
    (r"yes or no", lambda a, m: eval_checks.yes_no(a)),
    (r"lowercase letters only", lambda a, m: eval_checks.lowercase(a)),
    (r'JSON object with the key "(\w+)"', lambda a, m: eval_checks.json_key(a, m[1])),
    (r'End your reply with "([^"]+)"', lambda a, m: eval_checks.end_with(a, m[1])),
    (
        r"exactly (two|three) sentences",
        lambda a, m: eval_checks.sentences(a, {"two": 2, "three": 3}[m[1]]),
    ),
    (r'without using the word "(\w+)"', lambda a, m: eval_checks.exclude(a, m[1])),
    (r'includes the word "(\w+)"', lambda a, m: eval_checks.include(a, m[1])),
    (r"Give (\d) tips for .* as a bulleted list", lambda a, m: eval_checks.bullets(a, int(m[1]))),
    (r"Write exactly (\d) sentences", lambda a, m: eval_checks.sentences(a, int(m[1]))),
    (r'Start your answer with the word "(\w+)"', lambda a, m: eval_checks.start_with(a, m[1])),
    (
        r'End your answer with the exact phrase "([^"]+)"',
        lambda a, m: eval_checks.end_with(a, m[1]),
    ),
    (r'uses the word "(\w+)"', lambda a, m: eval_checks.include(a, m[1])),
    (r"In at most (\d+) words", lambda a, m: eval_checks.max_words(a, int(m[1]))),
    (r"(?i)one word|single word", lambda a, m: eval_checks.one_word(a)),
    # the writing tasks of data/sft/subjects.py
    (r'finish with the exact phrase "([^"]+)"', lambda a, m: eval_checks.end_with(a, m[1])),
    (
        r"(\d) sentences about .*, no more and no fewer",
        lambda a, m: eval_checks.sentences(a, int(m[1])),
    ),
    (r"in exactly (\d) sentences", lambda a, m: eval_checks.sentences(a, int(m[1]))),
    (r"in no more than (\d+) words", lambda a, m: eval_checks.max_words(a, int(m[1]))),
    (r'do not use the word "(\w+)"', lambda a, m: eval_checks.exclude(a, m[1])),
    (r'Begin your reply with the word "(\w+)"', lambda a, m: eval_checks.start_with(a, m[1])),
    (r'JSON object: give .* under the key "(\w+)"', lambda a, m: eval_checks.json_key(a, m[1])),
]


def test_answers_keep_the_constraints_their_questions_set(conversations):
    checked = 0
    for question, reply in turns(conversations):
        for pattern, holds in CONSTRAINTS:
            if m := re.search(pattern, question):
                assert holds(reply, m), (question, reply)
                checked += 1
    assert checked >= 400


def test_portuguese_questions_are_answered_in_portuguese(conversations):
    pt = [(q, a) for q, a in turns(conversations) if eval_checks.language(q) == "pt"]
    assert len(pt) >= 10  # the ones long enough for the checker to tell
    assert all(eval_checks.in_language(a, "pt") is not False for _, a in pt)


def test_tool_calls_copy_their_text_from_the_message_exactly(conversations):
    copied = 0
    for question, reply in turns(conversations):
        for call in toolcall.parse(reply):
            texts = [v for k, v in call.arguments.items() if k in ("text", "document", "image")]
            for text in texts:
                assert text in question, (question, reply)
                copied += 1
            if call.name == "imagine" and "n" in call.arguments:
                assert str(call.arguments["n"]) in question, question
    assert copied >= 300


def test_the_small_presets_answer_budget_fits_every_tool_call(conversations, tokenizer_dir):
    # a call cut at the token limit cannot run: the raters score it down, so with a budget shorter
    # than the SFT model's calls the reward model and PPO learn to drop arguments
    from rlhf import pipeline
    from rlhf.models import load_tokenizer
    from rlhf.recipe import read_recipe

    tokenizer = load_tokenizer(tokenizer_dir)
    budget = min(
        pipeline.PRESETS["cpu-small"]["max_new_tokens"],
        read_recipe("ppo-cpu-small")["response_length"],
    )
    calls = [reply for _, reply in turns(conversations) if toolcall.OPEN in reply]
    longest = max(len(tokenizer(call)["input_ids"]) + 1 for call in calls)  # + the end token
    assert len(calls) > 500
    assert longest <= budget, f"the longest tool call has {longest} tokens, budget {budget}"
