"""One chat context for every model call: the pipeline's preference pairs, the reward model's
scoring, PPO's queries, SFT data, the store and the engine all see the same system prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from assistant.chat_context import DEFAULT_SYSTEM_PROMPT, chat_context

SMOLLM_DEFAULT = "You are a helpful AI assistant named SmolLM"
PROMPT = "What is the capital of Italy?"


@dataclass
class _Answer:
    text: str


class RecordingEngine:
    """Answers in turn from a script and keeps the messages it was asked with."""

    name = "recording"

    def __init__(self, answers: list[str]) -> None:
        self.answers, self.seen = list(answers), []

    def reply(self, messages, params=None):
        self.seen.append(messages)
        return _Answer(self.answers.pop(0))


@pytest.fixture(scope="module")
def tokenizer(tokenizer_dir):
    from rlhf.models import load_tokenizer

    return load_tokenizer(tokenizer_dir)


def test_a_pipeline_pair_and_a_ppo_query_for_one_prompt_share_the_prefix(tokenizer):
    from trl.data_utils import maybe_apply_chat_template

    from rlhf import pipeline, ppo, reward

    engine = RecordingEngine(["Rome.", "The capital of Italy is Rome, a very old city."])
    (pair,), _ = pipeline.preference_pairs(engine, [{"prompt": PROMPT}], max_new_tokens=8)
    (query_ids,) = ppo.query_ids(tokenizer, [[{"role": "user", "content": PROMPT}]])
    query = tokenizer.decode(query_ids)

    trained = maybe_apply_chat_template(pair, tokenizer)  # what RewardTrainer renders
    assert trained["prompt"] == query
    for text in reward.chat_texts(
        tokenizer, [pair["prompt"]] * 2, [pair["chosen"], pair["rejected"]]
    ):
        assert text.startswith(query)  # what the reward model scores PPO's answers under
    sampled = tokenizer.apply_chat_template(
        engine.seen[0], tokenize=False, add_generation_prompt=True
    )
    assert sampled == query  # and what the answers were sampled under
    assert DEFAULT_SYSTEM_PROMPT in query and SMOLLM_DEFAULT not in query


def test_the_pairs_file_carries_parleys_system_prompt(tmp_path):
    from rlhf import pipeline, winrate

    pairs, _ = pipeline.preference_pairs(RecordingEngine(["a b c", "d"]), [{"prompt": PROMPT}], 8)
    winrate.write_jsonl(tmp_path / "pairs.jsonl", pairs)
    (row,) = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    assert row["prompt"] == [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": PROMPT},
    ]
    assert {row["chosen"][0]["content"], row["rejected"][0]["content"]} == {"a b c", "d"}


def test_training_data_without_a_system_message_is_put_in_the_context(tmp_path):
    from rlhf import data

    sft = tmp_path / "sft.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    sft.write_text(json.dumps({"messages": turns}) + "\n")
    prefs = tmp_path / "prefs.jsonl"
    own = [{"role": "system", "content": "Pirate."}, {"role": "user", "content": "Hi"}]
    prefs.write_text(
        json.dumps({"prompt": [{"role": "user", "content": "Hi"}], "chosen": "a", "rejected": "b"})
        + "\n"
        + json.dumps({"prompt": own, "chosen": "c", "rejected": "d"})
        + "\n"
    )
    (conversation,) = data.load_conversations(str(sft))["messages"]
    assert conversation[0] == {"role": "system", "content": DEFAULT_SYSTEM_PROMPT}
    bare, brought = data.load_preferences(str(prefs))["prompt"]
    assert bare[0]["content"] == DEFAULT_SYSTEM_PROMPT
    assert brought == own  # a conversation's own system prompt stays


def test_the_seed_set_carries_the_system_prompt_the_engine_sends(tiny_engine):
    from pathlib import Path

    seed = Path(__file__).resolve().parents[1] / "data" / "sft" / "seed.jsonl"
    first = [json.loads(line)["messages"][0] for line in seed.read_text().splitlines()]
    assert all(m == {"role": "system", "content": DEFAULT_SYSTEM_PROMPT} for m in first)
    hello = [{"role": "user", "content": "Hi"}]
    assert tiny_engine.with_system(hello) == chat_context("Hi") == [first[0], *hello]
    assert chat_context("Hi", system="Be brief.")[0]["content"] == "Be brief."
