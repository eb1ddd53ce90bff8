"""The careful simulated raters (`rlhf/raters.py`): what they check, their noise, their
agreement report, and that the held-out judge labels no training pair. No model."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from assistant.toolcall import render
from rlhf import raters
from rlhf.raters import POOL, agreement, careful, checks, facts_of, label

ROWS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[1] / "data" / "rl" / "prompts.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
CALL = '<tool_call>{"name": "translate", "arguments": {"text": "%s", "to": "pt"}}</tool_call>'


def row(family: str, **match) -> dict:
    return next(
        r for r in ROWS if r["family"] == family and all(r.get(k) == v for k, v in match.items())
    )


def test_doctests_pass():
    result = doctest.testmod(raters)
    assert result.attempted >= 8 and result.failed == 0


def _prefers(rater: str, r: dict, better: str, worse: str) -> bool:
    facts = facts_of(r)
    score = POOL[rater].scorer
    kw = {k: [v, v] for k, v in facts.items()}
    forward = score([r["prompt"]] * 2, [better, worse], **kw)
    backward = score([r["prompt"]] * 2, [worse, better], **kw)
    return forward[0] > forward[1] and backward == forward[::-1]


@pytest.mark.parametrize("rater", list(POOL))
def test_every_rater_checks_what_a_careful_person_checks(rater):
    known = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    # right but long beats wrong and short, for every taste
    assert _prefers(rater, known, "49 plus 14 makes 63, since 49 + 10 = 59 and 59 + 4 = 63.", "62.")
    yes_no = row("instructions", check={"kind": "yes_no"})
    assert _prefers(rater, yes_no, "Yes.", "Well, it depends on many things you know.")
    pt = row("explain", lang="pt")
    assert _prefers(
        rater,
        pt,
        "O pão cresce porque o fermento faz gás.",
        "Bread rises because the yeast makes gas in the dough.",
    )
    tool = row("tools", tool="translate")
    assert _prefers(rater, tool, CALL % tool["arguments"]["text"], "I cannot do that.")
    assert _prefers(rater, tool, CALL % tool["arguments"]["text"], CALL % "something else")
    # a call's arguments are checked as `parley eval chat` checks them: a caption of the wrong
    # file, or with a `text` the tool does not take, is worse than the right one
    photo = row("tools", tool="caption")
    right = photo["arguments"]["image"]
    wrong = f"old-{right}"  # the same key words: only the check tells them apart
    assert _prefers(
        rater, photo, render("caption", {"image": right}), render("caption", {"image": wrong})
    )
    assert _prefers(
        rater, photo, render("caption", {"image": "cat.png"}), render("caption", {"text": right})
    )
    assert _prefers(rater, photo, render("caption", {"image": "cat.png"}), "It shows a harbour.")
    near = row("tools", tool=None)
    assert _prefers(rater, near, "People there speak Spanish.", CALL % "Chile")
    assert _prefers(rater, known, "It is 63.", "It is 63 63 63 63 63 63 63 63 63 63 63 63 63.")
    assert _prefers(rater, known, "It is 63.", "")
    assert _prefers(
        rater,
        near,
        "Spanish is the main language.",
        "Spanish is the main language of the country and it is spoken by",
    )


def test_tastes_differ_where_the_checks_tie():
    r = row("explain", lang="en")
    short = "Light bends in raindrops."
    long = "Light bends in raindrops. Each colour bends differently, because of its wavelength."
    assert _prefers("brief", r, short, long) and _prefers("thorough", r, long, short)


@pytest.mark.parametrize("rater", list(POOL))
def test_every_rater_wants_the_question_answered_once_the_checks_tie(rater):
    r = next(r for r in ROWS if r["prompt"] == "Which city is the capital of Norway?")
    facts = {k: [v, v] for k, v in facts_of(r).items()}
    named, bare = "The capital of Norway is Oslo.", "Oslo."
    assert checks([r["prompt"]] * 2, [named, bare], **facts) == [3.0, 3.0]
    assert _prefers(rater, r, named, bare)
    # parroting the question back is no answer, whatever words it shares
    assert raters.relevance(r["prompt"], "Which city is the capital of Norway? Oslo.") == -1.0


def test_each_rater_flips_about_a_quarter_of_its_labels():
    r = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    for name in POOL:
        flips = sum(
            label(name, r["prompt"], f"It is 63 ({i}).", f"It is 64 ({i}).", facts_of(r), seed=i)
            for i in range(800)
        )
        assert 150 < flips < 250, (name, flips)  # 25% of 800 = 200


def test_the_held_out_judge_never_labels_a_training_pair():
    rows = [("q", "a", "b", {}), ("q2", "c", "d", {})]
    with pytest.raises(ValueError, match="held-out judge never labels a training pair"):
        raters.label_pairs(rows, annotators=("careful", "judge"))
    pairs = raters.label_pairs(rows, annotators=tuple(POOL))
    assert {p["annotator"] for p in pairs} <= set(POOL) and "judge" not in POOL


def test_label_pairs_passes_the_facts_to_the_pool():
    r = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    rows = [
        (r["prompt"], f"It is 63, case {i}.", f"It is 61, case {i}.", facts_of(r))
        for i in range(200)
    ]
    pairs = raters.label_pairs(rows, annotators=("careful",))
    right = sum("63" in p["chosen"][0]["content"] for p in pairs) / len(pairs)
    assert 0.65 < right < 0.85  # right 75% of the time: the rubric, then 25% noise


def test_agreement_reports_each_rater_against_the_judge_and_the_others():
    rows = [
        (r["prompt"], "It is 63.", "I like turtles and the sea", facts_of(r)) for r in ROWS[:40]
    ]
    report = agreement(rows)
    assert set(report) == {*POOL, "pool"}
    for name in POOL:
        assert 0.0 <= report[name]["judge"] <= 1.0 and 0.4 < report[name]["others"] < 0.9
    # the noise is the only disagreement among raters here: two 25% coins agree 62.5% of the time
    assert 0.5 < report["pool"]["others"] < 0.75
    assert careful(["q"], ["x"]) == checks(["q"], ["x"])  # no facts: only the always-checks


@pytest.mark.parametrize("module", ["rlhf.data", "rlhf.reward", "rlhf.pipeline", "rlhf.report"])
def test_the_gate_split_and_judge_agreement_doctests_pass(module):
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted >= 1 and result.failed == 0


def test_the_pairs_say_which_labels_the_noise_flipped_and_the_reward_stage_reads_them(tmp_path):
    from rlhf import data, winrate

    r = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    rows = [
        (r["prompt"], f"It is 63, case {i}.", f"It is 61, case {i}.", facts_of(r))
        for i in range(200)
    ]
    pairs = raters.label_pairs(rows, annotators=("careful",))
    flipped = [p for p in pairs if p["flipped"]]
    assert 0.15 < len(flipped) / len(pairs) < 0.35
    assert all("61" in p["chosen"][0]["content"] for p in flipped)  # the wrong answer won
    assert all("63" in p["chosen"][0]["content"] for p in pairs if not p["flipped"])
    winrate.write_jsonl(tmp_path / "pairs.jsonl", pairs)
    assert data.flipped_pairs(str(tmp_path / "pairs.jsonl")) == {
        (p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in flipped
    }


def test_the_pool_majority_labels_pairs_more_often_right_than_one_rater():
    r = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    rows = [
        (r["prompt"], f"It is 63, case {i}.", f"It is 61, case {i}.", facts_of(r))
        for i in range(400)
    ]
    one = raters.label_pairs(rows, annotators=tuple(POOL))
    pool = raters.label_pairs(rows, annotators=tuple(POOL), pool_votes=True)

    def right(pairs):
        return sum("63" in p["chosen"][0]["content"] for p in pairs) / len(pairs)

    assert 0.65 < right(one) < 0.85 and right(pool) > 0.88
    assert {p["votes"] for p in pool} == {"3-1", "4-0"}  # a 2-2 split is no label
    assert 0.7 * len(rows) < len(pool) < 0.88 * len(rows)  # 4 coins at 25% split 2-2 ~21%


def test_a_pair_the_rubric_ties_is_marked_and_left_out_of_the_ordered_accuracy(tmp_path):
    from datasets import Dataset

    from rlhf import data, reward, winrate

    r = next(r for r in ROWS if r["prompt"] == "Add 49 and 14.")
    rows = [
        (r["prompt"], "It is 63.", "It is 61.", facts_of(r)),
        (r["prompt"], "63, it is.", "It is 63.", facts_of(r)),  # both right, same length: a tie
    ]
    pairs = raters.label_pairs(rows, annotators=("careful",))
    assert [p["tie"] for p in pairs] == [False, True]
    winrate.write_jsonl(tmp_path / "held.jsonl", pairs)
    tied = data.marked_pairs(str(tmp_path / "held.jsonl"), "tie")
    flipped = data.flipped_pairs(str(tmp_path / "held.jsonl"))
    held = Dataset.from_list(pairs)
    right_first = 1.0 if not pairs[0]["flipped"] else -1.0  # margins that follow the rubric
    got = reward.measure_scores(held, [right_first, 1.0], [0.0, 0.0], flipped, tied)
    assert got["ordered_pairs"] == 1 and got["rubric_accuracy_ordered"] == 1.0
    assert data.marked_pairs(str(tmp_path / "held.jsonl"), "votes") is None  # not recorded
