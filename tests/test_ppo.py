"""PPO (`rlhf/ppo.py`) on a tiny policy and a tiny reward model: logs reward/KL/entropy, changes
the policy, registers it; the KL leash stops a run with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlhf import callbacks


def run_ppo(policy, reward_dir, out, prompts, *extra):
    from rlhf import ppo

    return ppo.main(
        [
            "--config",
            "ppo-cpu-tiny",
            "--policy",
            str(policy),
            "--reward_model",
            str(reward_dir),
            "--output_dir",
            str(out),
            "--prompts",
            str(prompts),
            "--total_episodes",
            "4",
            "--response_length",
            "8",
            "--name",
            "ppo-test",
            *extra,
        ]
    )


@pytest.fixture
def prompts(tiny_prompts) -> Path:
    return tiny_prompts


def test_tiny_ppo_logs_changes_policy_and_registers(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path
):
    from safetensors.torch import load_file

    from assistant import models

    final = run_ppo(tiny_model_dir, tiny_reward_dir, tmp_path / "ppo", prompts)
    logged = callbacks.read_metrics(tmp_path / "ppo" / "metrics.jsonl")
    steps = [m for m in logged if "objective/kl" in m]
    assert len(steps) == 2
    assert all({"objective/scores", "objective/entropy", "objective/kl"} <= set(m) for m in steps)
    before = load_file(str(tiny_model_dir / "model.safetensors"))
    after = load_file(str(final / "model.safetensors"))
    assert any(not before[k].equal(after[k]) for k in before)
    assert Path(models.resolve("ppo-test").path) == final.resolve()
    samples = [json.loads(line) for line in (tmp_path / "ppo" / "samples.jsonl").open()]
    assert [s["step"] for s in samples] == [1, 1, 2, 2]  # two sample prompts, every step
    assert samples[0]["prompt"].rstrip().endswith("Say hi.\nassistant")
    assert all(
        isinstance(s["reward"], float) and "<|endoftext|>" not in s["response"] for s in samples
    )


def test_kl_leash_stops_with_a_message(tiny_model_dir, tiny_reward_dir, prompts, tmp_path, capsys):
    run_ppo(tiny_model_dir, tiny_reward_dir, tmp_path / "ppo", prompts, "--max_kl", "-1")
    err = capsys.readouterr().err
    assert "ppo: stopped early: KL to the SFT model reached" in err and "max_kl -1" in err
    assert (tmp_path / "ppo" / "model" / "model.safetensors").exists()


def test_resume_after_a_kill_restores_policy_value_and_optimizer(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path, capsys
):
    from safetensors.torch import load_file

    out = tmp_path / "ppo"
    run_ppo(tiny_model_dir, tiny_reward_dir, out, prompts, "--save_steps", "1")
    value = load_file(str(out / "checkpoint-1" / "value" / "model.safetensors"))
    reward = load_file(str(tiny_reward_dir / "model.safetensors"))
    assert any(not value[k].equal(reward[k]) for k in value)  # step 1 trained it: worth keeping
    # a kill during step 2: only checkpoint-1 is left
    import shutil

    shutil.rmtree(out / "checkpoint-2")
    shutil.rmtree(out / "model")
    capsys.readouterr()
    final = run_ppo(tiny_model_dir, tiny_reward_dir, out, prompts, "--save_steps", "1", "--resume")
    err = capsys.readouterr().err
    assert "ppo: resuming from checkpoint-1 (policy, value model, optimizer state)" in err
    assert (out / "checkpoint-2" / "value").is_dir()  # numbered by the real step, not TRL's 1
    assert json.loads((out / "run.json").read_text())["steps"] == 2
    assert (final / "model.safetensors").exists()


def test_only_the_newest_two_checkpoints_stay_and_a_resume_still_reads_the_newest(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path, capsys
):
    out = tmp_path / "ppo"
    run = (tiny_model_dir, tiny_reward_dir, out, prompts, "--save_steps", "1")
    run_ppo(*run, "--total_episodes", "6")  # 3 steps of 2
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
    import shutil

    shutil.rmtree(out / "model")
    capsys.readouterr()
    run_ppo(*run, "--total_episodes", "10", "--resume")  # 2 more steps, named by the real step
    assert "ppo: resuming from checkpoint-3" in capsys.readouterr().err
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-5"]
    assert (out / "checkpoint-5" / "value").is_dir()


def _steps(out: Path) -> list[dict]:
    return [m for m in callbacks.read_metrics(out / "metrics.jsonl") if "objective/kl" in m]


def test_every_step_logs_the_details_and_the_kl_controller_moves_the_coefficient(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path
):
    out = tmp_path / "ppo"
    run_ppo(
        tiny_model_dir,
        tiny_reward_dir,
        out,
        prompts,
        "--target_kl",
        "0.0001",
        "--kl_horizon",
        "10",
        "--kl_coef",
        "0.05",
    )
    steps = _steps(out)
    assert len(steps) == 2
    for m in steps:
        assert {"objective/entropy", "policy/clipfrac_avg", "loss/value_avg"} <= set(m)
        assert 1 <= m["rollout/response_length"] <= 8
        assert 0 <= m["rollout/eos_rate"] <= 1 and 0 <= m["rollout/identical_share"] <= 1
    # the first step's KL (about 0: the policy is still the reference) is under the target, so
    # the controller lowers the coefficient by 20% of batch/horizon = 2/10
    assert steps[0]["objective/kl_coef"] == pytest.approx(0.05)
    assert steps[0]["objective/kl"] < 0.0001
    assert steps[1]["objective/kl_coef"] == pytest.approx(0.05 * (1 - 0.2 * 2 / 10))


def test_scores_are_whitened_and_an_answer_without_eos_pays_the_penalty(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path
):
    one_step = ("--total_episodes", "2")
    run_ppo(
        tiny_model_dir,
        tiny_reward_dir,
        tmp_path / "w",
        prompts,
        *one_step,
        "--missing_eos_penalty",
        "0",
    )
    (whitened,) = _steps(tmp_path / "w")
    assert whitened["objective/scores"] == pytest.approx(0.0, abs=1e-5)  # mean 0 by construction
    runs = {}
    for penalty in ("0", "10"):
        out = tmp_path / f"p{penalty}"
        run_ppo(
            tiny_model_dir,
            tiny_reward_dir,
            out,
            prompts,
            *one_step,
            "--whiten_scores",
            "false",
            "--missing_eos_penalty",
            penalty,
        )
        (runs[penalty],) = _steps(out)
    missing = 1 - runs["0"]["rollout/eos_rate"]
    assert missing > 0  # a tiny random policy rarely stops within 8 tokens
    assert runs["0"]["objective/scores"] - runs["10"]["objective/scores"] == pytest.approx(
        10 * missing, abs=1e-4
    )


def test_doctests_pass():
    import doctest

    from rlhf import ppo, ppo_details

    results = [doctest.testmod(ppo), doctest.testmod(ppo_details)]
    attempted, failed = sum(r.attempted for r in results), sum(r.failed for r in results)
    assert attempted >= 4 and failed == 0  # whitening, KL controller, rollout stats


def test_grouped_batches_answer_each_prompt_group_size_times(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path
):
    """`--group_size 2`: each batch of 2 rollouts is two answers to one prompt (scored against
    each other), and PPO still trains and saves the policy."""
    from types import SimpleNamespace

    from datasets import Dataset

    from rlhf import ppo_details

    rows = Dataset.from_dict({"input_ids": [[i, i + 1] for i in range(5)]})
    trainer = SimpleNamespace(
        local_dataloader_batch_size=4,
        train_dataset=rows,
        data_collator=lambda batch: [b["input_ids"][0] for b in batch],
        args=SimpleNamespace(seed=0),
    )
    batches = list(ppo_details.grouped_loader(trainer, 2))
    assert len(batches) == 2 and all(b[0] == b[1] and b[2] == b[3] for b in batches)
    assert len({b[i] for b in batches for i in (0, 2)}) == 4  # four prompts, none twice
    with pytest.raises(Exception, match="not a multiple of group_size 3"):
        ppo_details.grouped_loader(trainer, 3)

    final = run_ppo(tiny_model_dir, tiny_reward_dir, tmp_path / "ppo", prompts, "--group_size", "2")
    steps = [
        m for m in callbacks.read_metrics(tmp_path / "ppo" / "metrics.jsonl") if "objective/kl" in m
    ]
    assert len(steps) == 2 and (final / "model.safetensors").exists()


def test_checked_weight_adds_the_raters_checks_from_the_prompts_facts(
    tiny_model_dir, tiny_reward_dir, tmp_path
):
    """`--checked_weight`: each rollout's answer is checked against its prompt's facts (here a
    known answer the tiny random policy never gives, so every answer is wrong: -3 or less), and
    the mean check is logged beside the reward model's score every step."""
    prompts = tmp_path / "prompts.jsonl"
    rows = [{"prompt": f"What is {n} x 1000?", "answers": [f"{n}000"]} for n in (3, 4, 5, 6)]
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_ppo(tiny_model_dir, tiny_reward_dir, tmp_path / "ppo", prompts, "--checked_weight", "1")
    steps = [
        m for m in callbacks.read_metrics(tmp_path / "ppo" / "metrics.jsonl") if "objective/kl" in m
    ]
    assert len(steps) == 2 and all(m["objective/checked"] <= -3.0 for m in steps)


def test_length_neutral_takes_the_reward_models_taste_for_length_out_of_its_score(
    tiny_model_dir, tiny_reward_dir, prompts, tmp_path
):
    """`--length_neutral`: each answer's score gains -length_slope per character, logged as
    `objective/length_term` beside the reward model's own score (unchanged); without a slope the
    run is refused with where to find one."""
    from assistant.errors import UsageError

    with pytest.raises(UsageError, match="pass --length_slope"):
        run_ppo(tiny_model_dir, tiny_reward_dir, tmp_path / "none", prompts, "--length_neutral")
    out = tmp_path / "ppo"
    run_ppo(
        tiny_model_dir, tiny_reward_dir, out, prompts, "--length_neutral", "--length_slope", "-0.01"
    )
    steps = [m for m in callbacks.read_metrics(out / "metrics.jsonl") if "objective/kl" in m]
    assert len(steps) == 2
    for m in steps:  # a random tiny policy's answers run to several characters each
        assert m["objective/length_term"] > 0.01 and "objective/rm_score" in m
    plain = tmp_path / "plain"
    run_ppo(tiny_model_dir, tiny_reward_dir, plain, prompts)
    assert all(
        "objective/length_term" not in m for m in callbacks.read_metrics(plain / "metrics.jsonl")
    )


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_ppo_scores_an_answer_as_the_reward_model_was_fitted_and_measured(tiny_reward_dir, pooling):
    """The reward PPO gives an answer is the reward model's score of that answer as its head was
    fitted and measured (`reward_head.score`: the chat template's text, read after the newline
    that follows `<|im_end|>`, or with `pooling` "mean" the mean over the answer's tokens). TRL's
    own reading of the raw rollout (at the EOS) is another number: the eighth measured run's
    reward model scored 0.60 there against 0.72."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from trl.experimental.utils import get_reward

    from rlhf import models, ppo_details, reward_head

    tok = models.load_tokenizer(tiny_reward_dir)
    tok.pad_token = models.DISTINCT_PAD
    pad, eos = tok.pad_token_id, tok.eos_token_id
    rm = AutoModelForSequenceClassification.from_pretrained(tiny_reward_dir, num_labels=1)
    rm.config.pad_token_id = pad
    rm.config.parley_pooling = pooling
    prompts = [
        [{"role": "user", "content": "What is the capital of France?"}],
        [{"role": "user", "content": "Say hi."}],
    ]
    answers = ["The capital of France is Paris.", "Hi!"]
    queries = ppo_details.query_ids(tok, prompts)
    width = max(map(len, queries))
    rows = [  # as TRL holds a rollout: the query left-padded, the answer, its EOS, then pads
        [pad] * (width - len(q)) + q + tok(a, add_special_tokens=False)["input_ids"] + [eos]
        for q, a in zip(queries, answers, strict=True)
    ]
    longest = max(map(len, rows)) + 3
    rollouts = torch.tensor([row + [pad] * (longest - len(row)) for row in rows])

    measured = reward_head.score(
        rm, tok, prompts, [[{"role": "assistant", "content": a}] for a in answers]
    )
    end = ppo_details.template_end(tok)
    _, scores, _ = ppo_details.reward_as_fitted(get_reward, rm, rollouts, width, end, eos, pad)
    assert scores.tolist() == pytest.approx(measured, abs=1e-4)
    if pooling == "mean":  # not the score at the template's end, where a "last" head reads
        read = ppo_details.as_the_reward_model_reads(rollouts, width, end, eos, pad)
        _, at_the_end, _ = get_reward(rm, read, pad, width)
        assert max(abs(a - m) for a, m in zip(at_the_end.tolist(), measured, strict=True)) > 1e-3
    _, at_the_eos, _ = get_reward(rm, rollouts, pad, width)
    assert max(abs(a - m) for a, m in zip(at_the_eos.tolist(), measured, strict=True)) > 1e-3
