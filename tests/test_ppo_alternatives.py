"""The alternatives behind `parley train`: DPO from preference pairs and RLOO against a reward
model, on tiny models: they log metrics and change the policy's weights."""

from __future__ import annotations

import json
from pathlib import Path

from rlhf import callbacks


def changed(before_dir: Path, after_dir: Path) -> bool:
    from safetensors.torch import load_file

    before = load_file(str(before_dir / "model.safetensors"))
    after = load_file(str(after_dir / "model.safetensors"))
    return any(not before[k].equal(after[k]) for k in before)


def test_tiny_dpo(tiny_model_dir, tmp_path):
    from rlhf import dpo

    rows = [
        {
            "prompt": [{"role": "user", "content": f"q{i}"}],
            "chosen": [{"role": "assistant", "content": "Sure, glad to help."}],
            "rejected": [{"role": "assistant", "content": "no no no"}],
        }
        for i in range(6)
    ]
    prefs = tmp_path / "prefs.jsonl"
    prefs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    final = dpo.main(
        [
            "--config",
            "dpo-cpu-tiny",
            "--model",
            str(tiny_model_dir),
            "--data",
            str(prefs),
            "--output_dir",
            str(tmp_path / "dpo"),
            "--max_steps",
            "3",
            "--register",
            "false",
        ]
    )
    logged = [m for m in callbacks.read_metrics(tmp_path / "dpo" / "metrics.jsonl") if "loss" in m]
    assert len(logged) == 3 and all("rewards/margins" in m for m in logged)
    assert changed(tiny_model_dir, final)


def test_tiny_rloo(tiny_model_dir, tiny_reward_dir, tiny_prompts, tmp_path):
    from rlhf import rloo

    final = rloo.main(
        [
            "--config",
            "rloo-cpu-tiny",
            "--policy",
            str(tiny_model_dir),
            "--reward_model",
            str(tiny_reward_dir),
            "--prompts",
            str(tiny_prompts),
            "--output_dir",
            str(tmp_path / "rloo"),
            "--register",
            "false",
        ]
    )
    logged = callbacks.read_metrics(tmp_path / "rloo" / "metrics.jsonl")
    assert any("reward" in m for m in logged)
    assert changed(tiny_model_dir, final)
