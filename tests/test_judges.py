"""Every pairwise judge is free of position bias: swapping the two answers gives the complementary
result, win rates are taken over both orders, and ties are ties. No model."""

from __future__ import annotations

import itertools

import pytest
from fake_engine import FakeEngine

from rlhf import annotators, winrate
from rlhf.annotators import concise, judge, prefer

PROMPT = "What is 9 times 6?"
ANSWERS = [
    "9 x 6 = 54.",
    "54",
    "Nine times six is fifty-four.",
    "(sentiment failed: no text to classify)",
    "",
    "Sure! 9 times 6 is 54. Happy to help.",
    "54. 54. 54. 54.",
    "What is 9 times 6? It is 54.",
    '<tool_call>{"name": "sentiment", "arguments": {"text": "9 x 6"}}</tool_call>',
    "The answer is 54.",
    "The answer is 45.",  # ties the one above on every rubric
]
PAIRS = list(itertools.combinations(ANSWERS, 2))


def test_the_judge_gives_swapped_answers_swapped_scores():
    for a, b in PAIRS:
        assert judge([PROMPT] * 2, [a, b]) == judge([PROMPT] * 2, [b, a])[::-1], (a, b)


def test_the_judge_ties_answers_that_tie_on_every_rubric():
    """Before tie-aware ranks, the answer passed second won every such tie."""
    a, b = judge([PROMPT] * 2, ["The answer is 54.", "The answer is 45."])
    assert a == b


@pytest.mark.parametrize("name", list(annotators.ANNOTATORS))
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_every_annotator_gives_the_other_label_when_the_answers_swap(name, noise):
    scorer = annotators.get(name)
    for seed, (a, b) in enumerate(PAIRS):
        forward = prefer(scorer, PROMPT, a, b, noise=noise, seed=seed)
        backward = prefer(scorer, PROMPT, b, a, noise=noise, seed=seed)
        assert forward + backward == 1, (name, a, b)


def test_ties_are_settled_by_a_fair_coin_not_by_position():
    """Tied pairs (same score) go to either answer about half the time, to the first answer
    about half the time, whatever the order."""
    firsts = [prefer(annotators.polite, "q", f"ok {i}", f"fine {i}", 0.0, i) for i in range(400)]
    assert 150 < firsts.count(0) < 250


def test_concise_counts_numbers_as_words_and_a_tool_error_as_no_answer():
    short, error = "9 x 6 = 54.", "(sentiment failed: no text to classify)"
    assert concise([PROMPT], [short]) == [1.0]
    assert prefer(concise, PROMPT, short, error, noise=0.0) == 0
    assert prefer(concise, PROMPT, error, short, noise=0.0) == 1


def test_tool_errors_are_recognised_as_the_engine_writes_them():
    from assistant.errors import ParleyError
    from assistant.inference.tool_loop import _run_call
    from assistant.toolcall import parse

    def failing(name, arguments):
        raise ParleyError("no text to classify")

    for text in (
        '<tool_call>{"name": "sentiment", "arguments": {"text": "x"}}</tool_call>',
        "<tool_call>not json</tool_call>",
    ):
        _, shown = _run_call(failing, parse(text)[0])
        assert annotators.is_tool_error(shown), shown


class _Engine(FakeEngine):
    def reply(self, messages, params=None):
        *_, done = self.generate(messages, params)
        return done


def _engine(answers: list[str], name: str) -> FakeEngine:
    return _Engine(list(answers), name=name)


PROMPTS = [f"Question {i}?" for i in range(6)]
A = ["Sure, the answer is 54.", "", "Hello! Paris.", "54", "word " * 90, "Fine, thanks."]
B = ["54.", "The answer is Paris.", "Hello! Paris.", "It is 54, I think.", "Yes.", "STUPID"]


@pytest.mark.parametrize("name", list(annotators.ANNOTATORS))
def test_win_rates_are_complementary_when_the_models_swap(name):
    ab = winrate.winrate(_engine(A, "a"), _engine(B, "b"), PROMPTS, judge=name)
    ba = winrate.winrate(_engine(B, "b"), _engine(A, "a"), PROMPTS, judge=name)
    assert ab["winrate"] + ba["winrate"] == pytest.approx(1.0)
    assert (ab["wins"], ab["ties"], ab["losses"]) == (ba["losses"], ba["ties"], ba["wins"])
    assert ab["ties"] >= 1  # the identical pair ("Hello! Paris.") is a tie, not a win


def test_a_judge_that_prefers_a_position_scores_a_tie_over_both_orders(monkeypatch):
    def second_wins(prompts, completions, **kw):
        return [0.0, 1.0]

    monkeypatch.setitem(annotators.ANNOTATORS, "second-wins", second_wins)
    result = winrate.winrate(_engine(A, "a"), _engine(B, "b"), PROMPTS, judge="second-wins")
    assert result["winrate"] == 0.5 and result["ties"] == len(PROMPTS)


def test_the_reward_model_judge_needs_its_directory():
    with pytest.raises(Exception, match="needs --reward-model DIR"):
        winrate.winrate(_engine(A, "a"), _engine(B, "b"), PROMPTS, judge="reward-model")


def test_a_real_reward_model_scores_each_answer_alone_and_swaps_cleanly(tiny_reward_dir):
    """An answer's reward does not depend on what it is batched (padded) with, so the reward
    model's win rate swaps exactly when the models do."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rlhf.reward import score

    rm = AutoModelForSequenceClassification.from_pretrained(tiny_reward_dir, num_labels=1)
    tok = AutoTokenizer.from_pretrained(tiny_reward_dir)
    chat = [{"role": "user", "content": PROMPT}]
    short, long = ([{"role": "assistant", "content": t}] for t in ("54", "word " * 40))
    alone = score(rm, tok, [chat], [short])
    padded = score(rm, tok, [chat, chat], [short, long])
    assert alone[0] == pytest.approx(padded[0], abs=1e-5)
    args = dict(judge="reward-model", reward_model=str(tiny_reward_dir))
    ab = winrate.winrate(_engine(A, "a"), _engine(B, "b"), PROMPTS, **args)
    ba = winrate.winrate(_engine(B, "b"), _engine(A, "a"), PROMPTS, **args)
    assert ab["winrate"] + ba["winrate"] == pytest.approx(1.0) and ab["ties"] >= 1
