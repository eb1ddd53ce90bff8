"""The head-only reward model (`rlhf/reward_head.py`, `--head_only`) on a tiny Llama: the
backbone frozen, features once, the score head fitted; saved as a plain sequence classifier."""

from __future__ import annotations

import json

import pytest
from test_ppo import run_ppo
from test_reward import write_prefs


def head_only(tiny_model_dir, prefs, out, *extra: str):
    from rlhf import reward

    return reward.main(
        ["--model", str(tiny_model_dir), "--data", str(prefs), "--output_dir", str(out)]
        + ["--head_only", "true", "--eval_fraction", "0.25", "--seed", "0"]
        + ["--feature_batch_size", "2", *extra]
    )


def ppo_steps(tiny_model_dir, reward_dir, tmp_path) -> list[dict]:
    """Two PPO steps of the tiny policy against `reward_dir`; the metrics logged each step."""
    from rlhf import callbacks

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Say hi.\nName a colour.\nCount to three.\nWhat is tea?\n")
    run_ppo(tiny_model_dir, reward_dir, tmp_path / "ppo", prompts)
    logged = callbacks.read_metrics(tmp_path / "ppo" / "metrics.jsonl")
    return [m for m in logged if "objective/kl" in m]


def fitted(tiny_model_dir, tmp_path, *extra: str):
    """A head-only reward model on 16 pairs with `extra` settings, checked as saved (its held-out
    pairs all ranked right); its directory, `eval.json` and the pairs' file."""
    prefs = write_prefs(tmp_path / "prefs.jsonl", 16)
    final = head_only(tiny_model_dir, prefs, tmp_path / "rm", *extra)
    report = json.loads((tmp_path / "rm" / "eval.json").read_text())
    assert report["accuracy"] == 1.0 and report["mean_margin"] > 0  # measured as saved: checked
    return final, report, prefs


def test_the_saved_head_only_model_loads_and_prefers_chosen_on_held_out_pairs(
    tiny_model_dir, tmp_path
):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rlhf import callbacks, data, reward

    prefs = write_prefs(tmp_path / "prefs.jsonl", 16)
    final = head_only(tiny_model_dir, prefs, tmp_path / "rm")

    report = json.loads((tmp_path / "rm" / "eval.json").read_text())
    assert report["method"] == "head_only" and report["pairs"] == 4
    assert report["accuracy"] == 1.0 and report["mean_margin"] > 0
    model = AutoModelForSequenceClassification.from_pretrained(final, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(final)
    pairs = data.load_preferences(str(prefs))
    prompts = list(pairs["prompt"])
    chosen = reward.score(model, tokenizer, prompts, list(pairs["chosen"]))
    rejected = reward.score(model, tokenizer, prompts, list(pairs["rejected"]))
    assert all(c > r for c, r in zip(chosen, rejected, strict=True))
    # only the head moved: the backbone is the one it started from
    start = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    assert model.model.layers[0].mlp.up_proj.weight.equal(start.model.layers[0].mlp.up_proj.weight)
    logged = callbacks.read_metrics(tmp_path / "rm" / "metrics.jsonl")
    assert logged[-1]["loss"] < logged[0]["loss"]


def test_a_head_only_run_killed_midway_resumes_from_its_cached_features(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    prefs = write_prefs(tmp_path / "prefs.jsonl", 16)
    with pytest.raises(KeyboardInterrupt):
        head_only(tiny_model_dir, prefs, tmp_path / "rm", "--interrupt_at_step", "3")
    parts = {p: p.stat().st_mtime_ns for p in (tmp_path / "rm" / "features").glob("part-*.pt")}
    assert len(parts) == 3 and not (tmp_path / "rm" / "model").exists()

    resumed = head_only(tiny_model_dir, prefs, tmp_path / "rm", "--resume", "true")
    assert {p: p.stat().st_mtime_ns for p in parts} == parts  # read back, not computed again
    fresh = head_only(tiny_model_dir, prefs, tmp_path / "fresh")
    head = load_file(str(resumed / "model.safetensors"))["score.weight"]
    assert head.equal(load_file(str(fresh / "model.safetensors"))["score.weight"])


def test_doctests_pass():
    import doctest

    from rlhf import reward, reward_head

    for module in (reward, reward_head):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_the_cpu_small_recipe_trains_the_head_only_and_a_flag_brings_lora_back():
    from rlhf import reward

    run, args = reward.parse(["--config", "reward-cpu-small"])
    assert run.head_only and run.head_l2 > 0 and run.head_epochs >= 100
    run, args = reward.parse(["--config", "reward-cpu-small", "--head_only", "false"])
    assert not run.head_only and run.use_lora and run.lora_top_layers == 6 and args.max_steps == 70


def test_ppo_trains_against_a_head_only_reward_model_and_starts_its_value_model_from_it(
    tiny_model_dir, tmp_path
):
    reward_dir = head_only(tiny_model_dir, write_prefs(tmp_path / "prefs.jsonl"), tmp_path / "rm")
    steps = ppo_steps(tiny_model_dir, reward_dir, tmp_path)
    assert len(steps) == 2 and all(isinstance(m["objective/scores"], float) for m in steps)


def test_a_reward_model_read_at_a_middle_layer_is_saved_cut_there_and_ppo_trains_against_it(
    tiny_model_dir, tmp_path
):
    from transformers import AutoModelForSequenceClassification

    final, _, _ = fitted(tiny_model_dir, tmp_path, "--head_layers", "1")
    model = AutoModelForSequenceClassification.from_pretrained(final, num_labels=1)
    start = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    assert start.config.num_hidden_layers == 2
    assert model.config.num_hidden_layers == 1 and len(model.model.layers) == 1
    assert model.model.layers[0].mlp.up_proj.weight.equal(start.model.layers[0].mlp.up_proj.weight)

    steps = ppo_steps(tiny_model_dir, final, tmp_path)  # its value model starts from it: cut too
    assert len(steps) == 2 and all(isinstance(m["objective/scores"], float) for m in steps)


def test_a_reward_model_that_reads_the_mean_over_the_answer_is_saved_so_and_ppo_reads_it_so(
    tiny_model_dir, tmp_path
):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rlhf import data, reward

    final, report, prefs = fitted(tiny_model_dir, tmp_path, "--head_pooling", "mean")
    assert report["pooling"] == "mean"
    model = AutoModelForSequenceClassification.from_pretrained(final, num_labels=1)
    assert model.config.parley_pooling == "mean"
    tokenizer = AutoTokenizer.from_pretrained(final)
    pairs = data.load_preferences(str(prefs))
    prompts, chosen = list(pairs["prompt"])[:4], list(pairs["chosen"])[:4]
    mean = reward.score(model, tokenizer, prompts, chosen)
    model.config.parley_pooling = "last"  # the same head read at the last token: other scores
    last = reward.score(model, tokenizer, prompts, chosen)
    assert max(abs(m - x) for m, x in zip(mean, last, strict=True)) > 1e-3

    steps = ppo_steps(tiny_model_dir, final, tmp_path)
    assert len(steps) == 2 and all(isinstance(m["objective/scores"], float) for m in steps)


def test_an_unknown_pooling_is_refused_with_what_to_choose(tiny_model_dir, tmp_path):
    from assistant.errors import UsageError

    prefs = write_prefs(tmp_path / "prefs.jsonl", 16)
    with pytest.raises(UsageError, match="choose last or mean"):
        head_only(tiny_model_dir, prefs, tmp_path / "rm", "--head_pooling", "max")
    with pytest.raises(UsageError, match="needs --head_only true"):
        head_only(
            tiny_model_dir, prefs, tmp_path / "rm", "--head_pooling", "mean", "--head_only", "false"
        )
