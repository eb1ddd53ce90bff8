"""The held-out battery's sets (`data/eval/`): held out from every training file, dev and test
disjoint, big enough, reproducible from their script. No model."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from assistant.toolcall import validate
from rlhf import eval_checks, evalchat
from rlhf.eval_checks import normalize

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
EVAL = DATA / "eval"


def training_files() -> list[Path]:
    """Every data file a training stage or a prompt list can read: all of data/ but the battery
    itself and the READMEs (SFT sets, RL prompt lists, arena prompts, tool corpora), and every
    file a recipe names."""
    files = [
        p
        for p in DATA.rglob("*")
        if p.is_file()
        and EVAL not in p.parents
        and p.suffix in (".jsonl", ".json", ".txt", ".tsv", ".csv")
    ]
    for recipe in (ROOT / "rlhf" / "recipes").glob("*.yaml"):
        for line in recipe.read_text().splitlines():
            value = line.partition(":")[2].strip()
            if value.startswith("data/") and (ROOT / value).is_file():
                files.append(ROOT / value)
    return sorted(set(files))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def training_text() -> str:
    """Every string of every training file, normalised, one per line."""
    texts = []
    for path in training_files():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                texts += _strings(json.loads(line))
            except ValueError:
                texts += line.split("\t")
    return "\n".join(f" {normalize(t)} " for t in texts)


def test_the_training_files_are_found():
    names = {p.relative_to(DATA).as_posix() for p in training_files()}
    assert {
        "sft/seed.jsonl",
        "sft/rl_prompts.txt",
        "arena/prompts.jsonl",
        "rl/prompts.jsonl",
    } <= names


@pytest.mark.parametrize("split", evalchat.SPLITS)
def test_no_eval_prompt_occurs_in_any_training_file(split):
    corpus = training_text()
    leaks = [i.prompt for i in evalchat.load_items(split) if f" {normalize(i.prompt)} " in corpus]
    assert leaks == []


def test_the_leak_check_would_catch_a_copied_prompt():
    corpus = training_text()
    assert f" {normalize('What is the capital of Italy?')} " in corpus  # rl_prompts.txt
    assert f" {normalize('what is 12 TIMES 3')} " in corpus  # seed.jsonl, case and "?" aside


@pytest.mark.parametrize("split", evalchat.SPLITS)
def test_tool_contents_are_not_in_training(split):
    corpus = training_text()
    for item in evalchat.load_items(split):
        if item.kind == "tools" and item.data["tool"]:
            args = item.data["arguments"]
            for key in ("text", "prompt", "image", "document"):  # transcribe calls carry none
                if key in args:
                    assert f" {normalize(args[key])} " not in corpus, args[key]


def test_dev_and_test_are_disjoint_and_without_duplicates():
    dev, test = (evalchat.load_items(s) for s in evalchat.SPLITS)
    prompts = {
        s: Counter(normalize(i.prompt) for i in items)
        for s, items in zip(evalchat.SPLITS, (dev, test), strict=True)
    }
    assert not set(prompts["dev"]) & set(prompts["test"])
    assert all(max(c.values()) == 1 for c in prompts.values())
    assert not {i.id for i in dev} & {i.id for i in test}


def test_sizes_and_coverage():
    items = evalchat.load_items("dev") + evalchat.load_items("test")
    kinds = Counter(i.kind for i in items)
    assert kinds["knowledge"] >= 300 and kinds["instructions"] >= 150
    categories = {i.category for i in items if i.kind == "knowledge"}
    assert {"geography", "science", "arithmetic", "language", "everyday", "parley"} <= categories
    assert sum(i.data.get("lang") == "pt" for i in items) >= 40
    checks = Counter(i.data["check"]["kind"] for i in items if i.kind == "instructions")
    assert set(checks) == set(eval_checks.INSTRUCTIONS) and min(checks.values()) >= 10
    tools = Counter(i.data["tool"] for i in items if i.kind == "tools")
    assert set(tools) == {
        "translate",
        "sentiment",
        "summarize",
        "imagine",
        "transcribe",
        "caption",
        "qa",
        None,
    }
    assert min(tools.values()) >= 16


def test_each_split_has_every_category():
    dev, test = (evalchat.load_items(s) for s in evalchat.SPLITS)
    assert {(i.kind, i.category) for i in dev} == {(i.kind, i.category) for i in test}


def test_every_item_is_well_formed():
    for item in evalchat.load_items("dev") + evalchat.load_items("test"):
        if item.kind == "knowledge":
            assert item.data["answers"] and item.data["lang"] in ("en", "pt")
            # an answer that only repeats the question must not score
            assert not eval_checks.knows(item.prompt, item.data["answers"]), item.prompt
        elif item.kind == "instructions":
            assert item.data["check"]["kind"] in eval_checks.INSTRUCTIONS
        elif item.data["tool"]:
            assert validate(item.data["tool"], item.data["arguments"]) is None


def test_numbers_are_accepted_in_words_too():
    items = {i.prompt: i for i in evalchat.load_items("dev") + evalchat.load_items("test")}
    assert "seven" in items["How many continents does the Earth have?"].data["answers"]
    assert "sete" in items["Quantos continentes existem?"].data["answers"]


def test_the_script_rebuilds_the_committed_sets(tmp_path):
    subprocess.run(
        [sys.executable, str(EVAL / "make_eval.py"), str(tmp_path)], check=True, capture_output=True
    )
    for split in evalchat.SPLITS:
        for name in ("knowledge", "instructions", "tools"):
            rebuilt = (tmp_path / split / f"{name}.jsonl").read_text(encoding="utf-8")
            assert rebuilt == (EVAL / split / f"{name}.jsonl").read_text(encoding="utf-8")


RL_PROMPTS = DATA / "rl" / "prompts.jsonl"


def rl_prompts() -> list[dict]:
    return [json.loads(line) for line in RL_PROMPTS.read_text(encoding="utf-8").splitlines()]


def test_the_rl_prompts_are_many_in_every_family_with_checkable_facts():
    rows = rl_prompts()
    families = Counter(r["family"] for r in rows)
    assert len(rows) >= 1000
    assert set(families) == {"knowledge", "instructions", "explain", "tools", "followup"}
    assert min(families.values()) >= 100
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        if r["family"] == "knowledge":
            assert r["answers"] and not eval_checks.knows(r["prompt"], r["answers"]), r
        elif r["family"] == "instructions":
            assert r["check"]["kind"] in eval_checks.INSTRUCTIONS
        elif r["family"] == "tools" and r["tool"]:
            assert validate(r["tool"], r["arguments"]) is None, r
        elif r["family"] == "followup":
            assert [m["role"] for m in r["prompt"]] == ["user", "assistant", "user"]
            assert r.get("answers") or r.get("check")
    assert sum(r["lang"] == "pt" for r in rows) >= 40
    assert Counter(r["tool"] for r in rows if r["family"] == "tools")[None] >= 25
    # every tool the held-out battery asks for has requests to learn from (the arguments of
    # `caption`, `qa` and `transcribe` calls are where PPO without them broke calls)
    battery = {
        item.data["tool"]
        for split in evalchat.SPLITS
        for item in evalchat.load_items(split)
        if item.kind == "tools"
    }
    asked = Counter(r["tool"] for r in rows if r["family"] == "tools")
    assert all(asked[tool] >= 15 for tool in battery - {None}), asked
    assert set(
        Counter(r["check"]["kind"] for r in rows if "check" in r and r["family"] == "instructions")
    ) == set(eval_checks.INSTRUCTIONS)


def test_no_rl_prompt_contains_an_eval_prompt():
    texts = [
        m["content"]
        for r in rl_prompts()
        for m in (r["prompt"] if isinstance(r["prompt"], list) else [{"content": r["prompt"]}])
    ]
    corpus = "\n".join(f" {normalize(t)} " for t in texts)
    items = evalchat.load_items("dev") + evalchat.load_items("test")
    assert [i.prompt for i in items if f" {normalize(i.prompt)} " in corpus] == []


def test_the_script_rebuilds_the_committed_rl_prompts(tmp_path):
    out = tmp_path / "prompts.jsonl"
    subprocess.run(
        [sys.executable, str(DATA / "rl" / "make_prompts.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == RL_PROMPTS.read_text(encoding="utf-8")
