"""PPO (`rlhf/ppo.py`) on a tiny policy and a tiny reward model: logs reward/KL/entropy, changes
the policy, registers it; the KL leash stops a run with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlhf import callbacks


@pytest.fixture(scope="module")
def tiny_reward_dir(tiny_model_dir, tmp_path_factory) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    out = tmp_path_factory.mktemp("tiny-reward")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def run_ppo(policy, reward_dir, out, prompts, *extra):
    from rlhf import ppo

    return ppo.main([
        "--config", "ppo-cpu-tiny", "--policy", str(policy), "--reward_model", str(reward_dir),
        "--output_dir", str(out), "--prompts", str(prompts), "--total_episodes", "4",
        "--response_length", "8", "--name", "ppo-test", *extra,
    ])  # fmt: skip


@pytest.fixture
def prompts(tmp_path) -> Path:
    path = tmp_path / "prompts.txt"
    path.write_text("Say hi.\nName a colour.\nCount to three.\nWhat is tea?\n")
    return path


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
