"""A kill exactly at an epoch boundary, just after the checkpoint there was written: SFT and the
reward model resume from it and end where an uninterrupted run ends (tiny models)."""

from __future__ import annotations

import json

import pytest
from test_reward import write_prefs
from test_sft import conversation, run_sft, weights

from rlhf import callbacks


class KillAfterSave(callbacks.InterruptAt):
    """Killed once the checkpoint at `step` is on disk (not before it, as `InterruptAt` is)."""

    def on_step_end(self, args, state, control, **kwargs):
        pass

    def on_save(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            raise KeyboardInterrupt(f"killed after saving step {state.global_step}")


@pytest.fixture
def tiny_data(tmp_path):
    path = tmp_path / "tiny.jsonl"
    rows = [conversation("hi", "Hello there, friend!"), conversation("bye", "See you soon.")] * 4
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def _logged_steps(out):
    return [m["step"] for m in callbacks.read_metrics(out / "metrics.jsonl") if "loss" in m]


def test_sft_killed_at_an_epoch_boundary_resumes_into_the_next_epoch(
    tiny_model_dir,
    tiny_data,
    tmp_path,
    monkeypatch,
):
    # 8 conversations, batch 2: 4 steps an epoch; the kill comes after checkpoint-4 is written
    steps = ("--num_train_epochs", "2", "--save_steps", "4", "--register", "false")
    whole = run_sft(tiny_model_dir, tiny_data, tmp_path / "whole", *steps)
    monkeypatch.setattr(callbacks, "InterruptAt", KillAfterSave)
    with pytest.raises(KeyboardInterrupt):
        run_sft(tiny_model_dir, tiny_data, tmp_path / "cut", *steps, "--interrupt_at_step", "4")
    assert (tmp_path / "cut" / "checkpoint-4").is_dir() and not (
        tmp_path / "cut" / "model"
    ).exists()
    resumed = run_sft(tiny_model_dir, tiny_data, tmp_path / "cut", *steps, "--resume")
    a, b = weights(whole), weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-5) for k in a)
    assert _logged_steps(tmp_path / "cut") == [1, 2, 3, 4, 5, 6, 7, 8]  # no step twice or lost


def test_reward_killed_at_an_epoch_boundary_resumes_into_the_next_epoch(
    tiny_model_dir, tmp_path, monkeypatch
):
    from rlhf import reward

    prefs = write_prefs(tmp_path / "prefs.jsonl")

    def train(out, *extra):
        return reward.main([
            "--model", str(tiny_model_dir), "--data", str(prefs), "--output_dir", str(out),
            "--num_train_epochs", "2", "--per_device_train_batch_size", "4", "--save_steps", "3",
            "--learning_rate", "0.01", "--lr_scheduler_type", "constant", "--logging_steps", "1",
            "--eval_fraction", "0", "--use_lora", "false", "--seed", "0", *extra,
        ])  # fmt: skip

    whole = train(tmp_path / "whole")  # 12 pairs, batch 4: 3 steps an epoch
    monkeypatch.setattr(callbacks, "InterruptAt", KillAfterSave)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", "--interrupt_at_step", "3")
    assert (tmp_path / "cut" / "checkpoint-3").is_dir()
    resumed = train(tmp_path / "cut", "--resume", "true")
    a, b = weights(whole), weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-5) for k in a)
    assert _logged_steps(tmp_path / "cut") == [1, 2, 3, 4, 5, 6]
