"""`parley pipeline --preset cpu-tiny` end to end on tiny models, and resume after a kill between
stages (finished stages are skipped, unfinished ones run)."""

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture
def fast_tokenizer(tokenizer_dir, monkeypatch):
    """The tiny models take the session's tokenizer instead of reading the GGUF again."""
    from rlhf import models

    monkeypatch.setattr(models, "_tokenizer_source", lambda: tokenizer_dir)


@pytest.mark.timeout(1500)  # the chain is minutes on a loaded 2-core machine
def test_cpu_tiny_pipeline_end_to_end_then_resume(fast_tokenizer, tmp_path):
    from assistant import models
    from rlhf import pipeline

    root = tmp_path / "pipe"
    report = pipeline.run("cpu-tiny", root, progress=lambda m: None)
    text = report.read_text()
    assert "| reward model | held-out accuracy" in text and "final KL" in text
    assert "EOS rate" in text and "identical answers" in text
    assert re.search(r"length bias \S+, agreement with the held-out judge \d\.\d\d \|", text)
    assert "| preference pairs |" in text and "simulated (raters), 0 human |" in text
    assert "| win rate PPO vs SFT |" in text and "95% CI" in text
    assert (root / "sft_loss.png").stat().st_size > 1000 and (root / "ppo.png").exists()
    assert (root / "reward.png").exists() and (root / "winrate.png").exists()
    assert "## PPO samples" in text  # the policy's answers at the first and last step
    assert "## Methods side by side" in text and "| PPO | " in text
    assert "## `parley eval chat --split test`" in text and "| knowledge | " in text
    assert re.search(r"\| SFT \| PPO \| embedded \|", text)
    assert "## Wall time and peak memory per stage" in text and "| reward | " in text
    lineage = json.loads((root / "lineage.json").read_text())
    assert lineage["reward"]["data"] == str(root / "pairs.jsonl")
    held = [json.loads(line) for line in (root / "pairs-heldout.jsonl").read_text().splitlines()]
    trained = [json.loads(line) for line in (root / "pairs.jsonl").read_text().splitlines()]
    assert {json.dumps(p["prompt"]) for p in held}.isdisjoint(
        json.dumps(p["prompt"]) for p in trained
    )
    assert json.loads((root / "reward" / "eval.json").read_text())["pairs"] == len(held)
    assert lineage["ppo"]["reward_model"] == str(root / "reward" / "model")
    pairs = [json.loads(line) for line in (root / "pairs.jsonl").read_text().splitlines()]
    assert pairs and {p["annotator"] for p in pairs} <= {"careful", "brief", "warm", "thorough"}
    assert "| simulated raters | agreement with the held-out judge: careful" in text
    assert set(lineage["pairs"]["agreement"]) == {"careful", "brief", "warm", "thorough", "pool"}
    win = json.loads((root / "winrate.json").read_text())
    assert (win["model"], win["against"]) == ("cpu-tiny-policy (PPO)", "cpu-tiny SFT")
    assert models.resolve("cpu-tiny-policy").path == str((root / "ppo" / "model").resolve())

    # a kill after the reward model: PPO and the win rate are gone, the rest stays
    sft_mtime = (root / "sft" / "model" / "model.safetensors").stat().st_mtime
    import shutil

    shutil.rmtree(root / "ppo")
    (root / "winrate.json").unlink()
    said: list[str] = []
    pipeline.run("cpu-tiny", root, progress=said.append)
    assert any(m.startswith("pipeline: sft: done already") for m in said)
    assert any(m.startswith("pipeline: reward: done already") for m in said)
    assert "pipeline: ppo ..." in said and (root / "winrate.json").exists()
    assert (root / "sft" / "model" / "model.safetensors").stat().st_mtime == sft_mtime


def test_unknown_preset_is_a_usage_error():
    from assistant.errors import UsageError
    from rlhf import pipeline

    with pytest.raises(UsageError, match="no preset 'gpu'; choose one of cpu-tiny, cpu-small"):
        pipeline.run("gpu")


def _finished_up_to_the_reward_model(root, accuracy: float, **more) -> None:
    (root / "sft" / "model").mkdir(parents=True)
    (root / "pairs.jsonl").write_text("")
    (root / "reward").mkdir()
    report = {"accuracy": accuracy, "pairs": 212, **more}
    (root / "reward" / "eval.json").write_text(json.dumps(report))


def test_a_weak_reward_model_stops_the_pipeline_before_ppo(tmp_path, monkeypatch):
    from assistant.errors import ParleyError
    from rlhf import pipeline, stage

    calls = []
    monkeypatch.setattr(stage, "launch", lambda module, *a, **kw: calls.append(module))
    _finished_up_to_the_reward_model(tmp_path, 0.55)
    with pytest.raises(ParleyError) as stopped:
        pipeline.run("cpu-tiny", tmp_path, progress=lambda m: None, min_rm_accuracy=0.8)
    assert str(stopped.value).startswith(
        "pipeline stopped before PPO: the reward model's held-out accuracy is 0.55 on 212 "
        "held-out pairs, below 0.80"
    )
    assert "--force" in str(stopped.value) and calls == []


def test_force_runs_ppo_on_a_weak_reward_model_with_a_warning(tmp_path, monkeypatch):
    from rlhf import pipeline, stage

    class Stop(Exception):
        pass

    def launch(module, *args, **settings):
        raise Stop(module)

    monkeypatch.setattr(stage, "launch", launch)
    _finished_up_to_the_reward_model(tmp_path, 0.55)
    said: list[str] = []
    with pytest.raises(Stop, match="rlhf.ppo"):
        pipeline.run("cpu-tiny", tmp_path, progress=said.append, min_rm_accuracy=0.8, force=True)
    assert any("warning: the reward model's held-out accuracy is 0.55" in m for m in said)
    _finished_up_to_the_reward_model(tmp_path / "strong", 0.85)
    with pytest.raises(Stop, match="rlhf.ppo"):  # a good reward model passes without --force
        pipeline.run("cpu-tiny", tmp_path / "strong", progress=said.append, min_rm_accuracy=0.8)
    # on simulated pairs the gate reads the accuracy against the raters' rubric (noise undone)
    _finished_up_to_the_reward_model(tmp_path / "noisy", 0.66, rubric_accuracy=0.84)
    with pytest.raises(Stop, match="rlhf.ppo"):
        pipeline.run("cpu-tiny", tmp_path / "noisy", progress=said.append, min_rm_accuracy=0.8)
    assert sum("warning" in m for m in said) == 1


def test_the_gate_reads_the_accuracy_on_the_pairs_the_rubric_orders_when_measured(tmp_path):
    from assistant.errors import ParleyError
    from rlhf import pipeline

    # a tie's label is a coin: the rubric accuracy over all pairs (0.85) would hide 0.72
    ordered = {"rubric_accuracy": 0.85, "rubric_accuracy_ordered": 0.72, "ordered_pairs": 205}
    _finished_up_to_the_reward_model(tmp_path, 0.6, **ordered)
    with pytest.raises(ParleyError, match="accuracy is 0.72 on 205 held-out pairs, below 0.80"):
        pipeline.run("cpu-tiny", tmp_path, progress=lambda m: None, min_rm_accuracy=0.8)


def test_the_cli_says_the_gate_in_one_line(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    _finished_up_to_the_reward_model(tmp_path, 0.4)
    result = CliRunner().invoke(main, ["pipeline", "--preset", "cpu-small", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "pipeline stopped before PPO" in result.output and "below 0.70" in result.output


def test_each_prompt_is_answered_at_each_temperature_and_every_two_answers_make_a_pair():
    from dataclasses import dataclass

    from rlhf import pipeline

    @dataclass
    class Said:
        text: str

    class Engine:
        def __init__(self, answers):
            self.answers, self.temperatures = list(answers), []

        def reply(self, messages, params):
            self.temperatures.append(params.temperature)
            return Said(self.answers.pop(0))

    known = {"prompt": "Add 49 and 14.", "family": "knowledge", "answers": ["63"]}
    plain = {"prompt": "Why do cats purr?", "family": "explain", "lang": "en"}
    # per temperature, the answers to both prompts in order
    engine = Engine(["It is 63.", "Cats purr.", "It is 62.", "Cats purr.", "63!", "To calm."])
    pairs, agreement = pipeline.preference_pairs(engine, [known, plain], 8, (0.7, 1.0, 1.3))
    assert engine.temperatures == [0.7, 0.7, 1.0, 1.0, 1.3, 1.3]
    said = [{p["chosen"][0]["content"], p["rejected"][0]["content"]} for p in pairs]
    assert said == [
        {"It is 63.", "It is 62."},
        {"It is 63.", "63!"},
        {"It is 62.", "63!"},
        {"Cats purr.", "To calm."},
    ]
    assert set(agreement) == {"careful", "brief", "warm", "thorough", "pool"}


def test_the_held_out_prompts_are_in_no_training_pair_and_no_ppo_query():
    from rlhf import pipeline

    splits = pipeline.prompt_splits(pipeline.PRESETS["cpu-small"])
    ids = {name: {r["id"] for r in rows} for name, rows in splits.items()}
    assert len(ids["win"]) >= 100 and len(ids["heldout"]) >= 70 and len(ids["pairs"]) >= 300
    for held in ("win", "heldout"):
        assert not ids[held] & ids["pairs"] and not ids[held] & ids["rl"]
    assert not ids["win"] & ids["heldout"] and ids["pairs"] <= ids["rl"]
    families = {r["family"] for r in splits["win"]}
    assert families == {"knowledge", "instructions", "tools", "explain", "followup"}


def test_answers_are_sampled_several_at_a_time_and_come_back_in_order():
    import threading
    from dataclasses import dataclass

    from assistant.inference import GenerationParams
    from rlhf import winrate

    @dataclass
    class Said:
        text: str

    class Batched:
        n_seq, run_tools = 4, True

        def __init__(self):
            self.together = threading.Barrier(4, timeout=30)  # four answers in flight at once

        def reply(self, messages, params):
            self.together.wait()
            return Said(f" {messages[-1]['content']} at {params.temperature} ")

    engine = Batched()
    chats = [[{"role": "user", "content": f"q{i}"}] for i in range(8)]
    said = winrate.replies(engine, chats, [GenerationParams(temperature=0.5)] * 8)
    assert said == [f"q{i} at 0.5" for i in range(8)]
    assert engine.run_tools is False  # a tool call stays the model's own text


def test_an_unknown_method_is_one_clear_line(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    result = CliRunner().invoke(
        main, ["pipeline", "--preset", "cpu-tiny", "--dir", str(tmp_path), "--methods", "ppo,a2c"]
    )
    assert result.exit_code != 0
    assert "unknown method 'a2c'; choose from ppo, rloo, dpo, bon" in result.output
