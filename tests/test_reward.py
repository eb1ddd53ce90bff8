"""Reward model (`rlhf/reward.py`) on a tiny Llama: trains, logs, reports held-out metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import DataError
from rlhf import callbacks, data


def write_prefs(path: Path, n: int = 12) -> Path:
    rows = []
    for i in range(n):
        prompt = [{"role": "user", "content": f"question {i}?"}]
        rows.append(
            {
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": "Sure, here it is."}],
                "rejected": [{"role": "assistant", "content": "no " * (5 + i)}],
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def train_tiny_reward(model: Path, data: str | Path, out: Path, **settings) -> Path:
    """`parley train reward` on `model`, all weights, seed 0, a quarter of the pairs held out,
    the loss logged every step; `settings` (flags as keywords) over that."""
    from rlhf import reward, stage

    base = {"model": model, "data": data, "output_dir": out, "eval_fraction": 0.25}
    base |= {"use_lora": False, "seed": 0, "logging_steps": 1}
    return reward.main(stage.flags(base | settings))


def test_tiny_reward_model_trains_and_reports(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    prefs = write_prefs(tmp_path / "prefs.jsonl")
    final = train_tiny_reward(
        tiny_model_dir,
        prefs,
        tmp_path / "rm",
        max_steps=8,
        per_device_train_batch_size=4,
        learning_rate=0.01,
    )
    logged = [m for m in callbacks.read_metrics(tmp_path / "rm" / "metrics.jsonl") if "loss" in m]
    assert len(logged) == 8 and logged[-1]["loss"] < logged[0]["loss"]
    report = json.loads((tmp_path / "rm" / "eval.json").read_text())
    assert report["pairs"] == 3 and 0 <= report["accuracy"] <= 1
    assert {"mean_margin", "length_bias", "length_slope"} <= set(report)
    weights = load_file(str(final / "model.safetensors"))
    assert "score.weight" in weights
    from transformers import AutoConfig

    assert AutoConfig.from_pretrained(final).pad_token_id == 0  # distinct from EOS (2)


def test_preference_records_are_checked_with_line_numbers(tmp_path):
    path = write_prefs(tmp_path / "p.jsonl", 2)
    path.write_text(path.read_text() + '{"prompt": "x", "chosen": "y"}\n')
    with pytest.raises(DataError, match=r"p.jsonl:3: missing key\(s\): rejected"):
        data.load_preferences(str(path))


def test_the_held_out_pairs_are_at_least_200_when_the_data_allows():
    from datasets import Dataset

    sizes = {
        n: len(data.split(Dataset.from_dict({"x": list(range(n))}), 0.2, 0, 200)[1])
        for n in (10, 400, 800, 2000)
    }
    assert sizes == {10: 3, 400: 120, 800: 200, 2000: 400}
