"""A kill exactly at an epoch (or step) boundary, just after the checkpoint there was written: SFT,
the reward model, DPO and RLOO resume from it and end where an uninterrupted run ends (tiny
models). PPO's resume is tested in `test_ppo.py`."""

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
        return reward.main(
            [
                "--model",
                str(tiny_model_dir),
                "--data",
                str(prefs),
                "--output_dir",
                str(out),
                "--num_train_epochs",
                "2",
                "--per_device_train_batch_size",
                "4",
                "--save_steps",
                "3",
                "--learning_rate",
                "0.01",
                "--lr_scheduler_type",
                "constant",
                "--logging_steps",
                "1",
                "--eval_fraction",
                "0",
                "--use_lora",
                "false",
                "--seed",
                "0",
                *extra,
            ]
        )

    whole = train(tmp_path / "whole")  # 12 pairs, batch 4: 3 steps an epoch
    monkeypatch.setattr(callbacks, "InterruptAt", KillAfterSave)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", "--interrupt_at_step", "3")
    assert (tmp_path / "cut" / "checkpoint-3").is_dir()
    resumed = train(tmp_path / "cut", "--resume", "true")
    a, b = weights(whole), weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-5) for k in a)
    assert _logged_steps(tmp_path / "cut") == [1, 2, 3, 4, 5, 6]


def test_dpo_killed_at_an_epoch_boundary_resumes_into_the_next_epoch(
    tiny_model_dir, tmp_path, monkeypatch
):
    from rlhf import dpo

    chosen, rejected = "Sure, glad to help.", "no no no"
    rows = [
        {
            "prompt": [{"role": "user", "content": f"q{i}"}],
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}],
        }
        for i in range(6)
    ]
    prefs = tmp_path / "prefs.jsonl"
    prefs.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def train(out, **more):  # the stage's typed shape: parse the recipe, set fields, train
        run, args = dpo.parse(["--config", "dpo-cpu-tiny"])
        run.model, run.data, run.register = str(tiny_model_dir), str(prefs), False
        args.output_dir, args.max_steps, args.num_train_epochs = str(out), -1, 2
        args.save_steps, args.lr_scheduler_type = 3, "constant"
        for key, value in more.items():
            setattr(run, key, value)
        return dpo.train(run, args)

    whole = train(tmp_path / "whole")  # 6 pairs, batch 2: 3 steps an epoch
    monkeypatch.setattr(callbacks, "InterruptAt", KillAfterSave)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", interrupt_at_step=3)
    assert (tmp_path / "cut" / "checkpoint-3").is_dir() and not (
        tmp_path / "cut" / "model"
    ).exists()
    resumed = train(tmp_path / "cut", resume=True)
    a, b = weights(whole), weights(resumed)
    assert all(a[k].allclose(b[k], atol=1e-5) for k in a)
    assert _logged_steps(tmp_path / "cut") == [1, 2, 3, 4, 5, 6]


def test_rloo_killed_at_a_step_boundary_resumes_from_its_checkpoint(
    tiny_model_dir, tiny_reward_dir, tiny_prompts, tmp_path, monkeypatch
):
    from rlhf import rloo

    def train(out, **more):
        run, args = rloo.parse(["--config", "rloo-cpu-tiny"])
        run.policy, run.reward_model, run.prompts = (
            str(tiny_model_dir),
            str(tiny_reward_dir),
            str(tiny_prompts),
        )
        run.register, args.output_dir, args.max_steps, args.save_steps = False, str(out), 4, 2
        args.lr_scheduler_type = "constant"
        for key, value in more.items():
            setattr(run, key, value)
        return rloo.train(run, args)

    monkeypatch.setattr(callbacks, "InterruptAt", KillAfterSave)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", interrupt_at_step=2)
    cut = tmp_path / "cut"
    assert (cut / "checkpoint-2").is_dir() and not (cut / "model").exists()
    resumed = train(cut, resume=True)
    # resumed from step 2, not from the start: steps 3 and 4 once each, then the policy moved
    # on from checkpoint-2 (its sampled answers are not bit-identical to an uninterrupted run's:
    # TRL's RLOO draws prompts and answers from its own generators)
    logged = [m["step"] for m in callbacks.read_metrics(cut / "metrics.jsonl") if "reward" in m]
    assert logged == [1, 2, 3, 4]
    a, b = weights(cut / "checkpoint-2"), weights(resumed)
    assert any(not a[k].equal(b[k]) for k in a)
