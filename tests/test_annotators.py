"""Simulated annotators (`rlhf/annotators.py`): rubrics, noise, pair labelling. No model."""

from __future__ import annotations

import doctest

import pytest

from rlhf import annotators
from rlhf.annotators import concise, judge, on_topic, polite, prefer
from rlhf.raters import label_pairs


def test_doctests_pass():
    result = doctest.testmod(annotators)
    assert result.attempted >= 8 and result.failed == 0


def test_conversational_and_plain_inputs_score_the_same():
    prompt = [{"role": "user", "content": "Why is the sky blue?"}]
    answer = [{"role": "assistant", "content": "Sunlight scatters off air; blue scatters most."}]
    for scorer in (concise, polite, on_topic, judge):
        assert scorer([prompt], [answer]) == scorer([prompt[0]["content"]], [answer[0]["content"]])


@pytest.mark.parametrize(
    ("scorer", "better", "worse"),
    [
        (concise, "Paris is the capital.", "Paris. " * 90),
        (polite, "Sure! It is Paris.", "PARIS obviously, stupid."),
        (on_topic, "The capital of France is Paris.", "I like turtles."),
    ],
)
def test_each_rubric_prefers_what_it_says(scorer, better, worse):
    prompt = "What is the capital of France?"
    assert prefer(scorer, prompt, better, worse, noise=0.0) == 0
    assert prefer(scorer, prompt, worse, better, noise=0.0) == 1


def test_tool_calls_count_only_when_asked_for():
    call = '<tool_call>{"name": "translate", "arguments": {"text": "hi", "to": "pt"}}</tool_call>'
    assert on_topic(["Translate to Portuguese: hi"], [call]) == [2.0]  # 1 word reused + call
    assert on_topic(["How old is the moon?"], [call]) == [-1.0]


def test_noise_flips_about_the_stated_share_of_labels():
    flips = sum(prefer(concise, "q", "a fine answer", "", noise=0.2, seed=s) for s in range(2000))
    assert 320 < flips < 480  # 20% of 2000 = 400


def test_label_pairs_rotates_annotators_and_skips_identical_answers():
    rows = [("q1", "Sure, the answer is 4.", "4 " * 100), ("q2", "same", "same"), ("q3", "x", "y")]
    pairs = label_pairs(rows, noise=0.0)
    assert [p["annotator"] for p in pairs] == ["concise", "on_topic"]
    assert pairs[0]["chosen"] == [{"role": "assistant", "content": "Sure, the answer is 4."}]
    assert pairs[0]["rejected"] == [{"role": "assistant", "content": "4 " * 100}]
    assert pairs[0]["prompt"][-1] == {"role": "user", "content": "q1"}  # after the system prompt


def test_the_held_out_judge_is_not_a_training_annotator():
    assert "judge" in annotators.ANNOTATORS and "judge" not in annotators.TRAINING_ANNOTATORS
    with pytest.raises(Exception, match="no annotator 'nope'; known: concise, polite"):
        annotators.get("nope")
