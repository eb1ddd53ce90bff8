"""SFT (`rlhf/sft.py`) on a tiny Llama built from a config: learning, the saved and registered
model, resume after an interruption, assistant-only loss, and bad data and settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import DataError, UsageError
from rlhf import callbacks, data, recipe

REPO = Path(__file__).resolve().parents[1]


def conversation(user: str, assistant: str) -> dict:
    return {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    }


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    rows = [conversation("hi", "Hello there, friend!"), conversation("bye", "See you soon.")] * 4
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def run_sft(model_dir, data_path, out, *extra) -> Path:
    from rlhf import sft

    argv = [
        "--model", str(model_dir), "--data", str(data_path), "--output_dir", str(out),
        "--name", "sft-test", "--use_lora", "false", "--per_device_train_batch_size", "2",
        "--learning_rate", "0.01", "--lr_scheduler_type", "constant", "--max_length", "48",
        "--logging_steps", "1", "--eval_fraction", "0", "--seed", "0",
        *extra,
    ]  # fmt: skip
    return sft.main(argv)


def weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(model_dir / "model.safetensors"))


def test_tiny_sft_learns_saves_registers_and_generates(tiny_model_dir, tiny_data, tmp_path):
    from assistant import models
    from assistant.inference import GenerationParams, load_engine

    out = tmp_path / "run"
    final = run_sft(tiny_model_dir, tiny_data, out, "--max_steps", "12", "--save_steps", "6")

    losses = [m["loss"] for m in callbacks.read_metrics(out / "metrics.jsonl") if "loss" in m]
    assert len(losses) == 12 and losses[-1] < losses[0] * 0.8
    before, after = weights(tiny_model_dir), weights(final)
    assert any(not before[k].equal(after[k]) for k in before)
    assert (out / "checkpoint-6").is_dir() and (out / "checkpoint-12").is_dir()
    assert list(out.glob("runs/*/events.out.tfevents.*")), "TensorBoard files"
    spec = models.resolve("sft-test")
    assert Path(spec.path) == final.resolve() and spec.meta["steps"] == 12

    engine = load_engine("sft-test", backend="transformers")  # no GGUF conversion
    done = engine.reply(
        [{"role": "user", "content": "hi"}], GenerationParams(temperature=0, max_new_tokens=8)
    )
    assert done.completion_tokens >= 1


def test_lora_run_writes_adapter_and_merged_model(tiny_model_dir, tiny_data, tmp_path):
    out = tmp_path / "run"
    final = run_sft(
        tiny_model_dir, tiny_data, out, "--use_lora", "true", "--lora_r", "4", "--max_steps", "2",
        "--save_steps", "2",
    )  # fmt: skip
    assert (out / "adapter" / "adapter_config.json").exists()
    merged = weights(final)
    assert not any("lora" in k for k in merged)
    before = weights(tiny_model_dir)
    changed = [k for k in before if not before[k].equal(merged[k])]
    assert changed and all("proj" in k for k in changed)


def test_resume_after_interrupt_matches_uninterrupted_run(tiny_model_dir, tiny_data, tmp_path):
    steps = ("--max_steps", "6", "--save_steps", "3", "--register", "false")
    whole = run_sft(tiny_model_dir, tiny_data, tmp_path / "whole", *steps)
    with pytest.raises(KeyboardInterrupt):
        run_sft(tiny_model_dir, tiny_data, tmp_path / "cut", *steps, "--interrupt_at_step", "4")
    assert (tmp_path / "cut" / "checkpoint-3").is_dir()
    assert not (tmp_path / "cut" / "model").exists()
    resumed = run_sft(tiny_model_dir, tiny_data, tmp_path / "cut", *steps, "--resume")
    a, b = weights(whole), weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-5) for k in a)
    logged = [
        m["step"] for m in callbacks.read_metrics(tmp_path / "cut" / "metrics.jsonl") if "loss" in m
    ]
    assert logged[-3:] == [4, 5, 6]  # continued from step 3, not from 0


def test_loss_mask_covers_assistant_tokens_only(tokenizer_dir):
    from transformers import AutoTokenizer

    from rlhf.models import load_tokenizer

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "USERWORDS here"},
        {"role": "assistant", "content": "ANSWER text"},
    ]
    original = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer = load_tokenizer(tokenizer_dir)
    assert tokenizer.apply_chat_template(messages, tokenize=False) == original.apply_chat_template(
        messages, tokenize=False
    )
    out = tokenizer.apply_chat_template(
        messages, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m])
    untrained = tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if not m])
    assert trained == "ANSWER text<|im_end|>"
    assert "USERWORDS" in untrained and "Be brief." in untrained


def test_malformed_record_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = json.dumps(conversation("a", "b"))
    bad.write_text(f'{good}\n{good}\n{{"messages": [{{"role": "user", "content": "x"}}\n')
    with pytest.raises(DataError, match=rf"{bad}:3: not valid JSON"):
        data.load_conversations(str(bad))
    bad.write_text(f'{good}\n{{"messages": [{{"role": "robot", "content": "x"}}]}}\n')
    with pytest.raises(DataError, match=rf"{bad}:2: .*role 'robot'"):
        data.load_conversations(str(bad))


def test_cli_rejects_bad_data_and_unknown_settings_before_training(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "only a question"}]}\n')
    parley = [sys.executable, "-m", "assistant.cli"]
    cmd = [*parley, "train", "sft", "--config", "sft-cpu-tiny", "--data", str(bad)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert f"parley: error: {bad}:1: messages has no assistant message" in run.stderr
    cmd = [*parley, "train", "sft", "--config", "sft-cpu-tiny", "--learning_rat", "1"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "--learning_rat: unknown setting; did you mean 'learning_rate'?" in run.stderr


def test_recipe_flags_override_and_typos_in_recipes_are_errors(tmp_path):
    from rlhf.sft import SFTRun

    path = tmp_path / "r.yaml"
    path.write_text("model: tiny\nlora_r: 8\n")
    [run] = recipe.parse(
        ["--config", str(path), "--lora-r", "4", "--no-use_lora"], (SFTRun,), "p", ""
    )
    assert (run.model, run.lora_r, run.use_lora) == ("tiny", 4, False)
    path.write_text("modle: tiny\n")
    with pytest.raises(UsageError, match=r"r.yaml: 'modle': unknown setting; did you mean 'model'"):
        recipe.parse(["--config", str(path)], (SFTRun,), "p", "")
    with pytest.raises(UsageError, match="no recipe 'nope'"):
        recipe.parse(["--config", "nope"], (SFTRun,), "p", "")


def test_shipped_recipes_are_valid():
    from trl import SFTConfig

    from rlhf.sft import TRAINER_DEFAULTS, SFTRun

    for name in ("sft-cpu-tiny", "sft-cpu-small", "sft-gpu"):
        settings = {**TRAINER_DEFAULTS, **recipe.read_recipe(name), "use_cpu": True}
        run, args = recipe.build((SFTRun, SFTConfig), settings, name)
        assert run.data == "data/sft/seed.jsonl" and args.save_steps > 0
    assert data.load_conversations("data/sft/seed.jsonl").num_rows > 300
