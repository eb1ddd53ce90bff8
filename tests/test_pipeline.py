"""`parley pipeline --preset cpu-tiny` end to end on tiny models, and resume after a kill between
stages (finished stages are skipped, unfinished ones run)."""

from __future__ import annotations

import json

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
    assert "| win rate PPO vs SFT |" in text and "95% CI" in text
    assert (root / "sft_loss.png").stat().st_size > 1000 and (root / "ppo.png").exists()
    assert (root / "reward.png").exists() and (root / "winrate.png").exists()
    assert "## PPO samples" in text  # the policy's answers at the first and last step
    lineage = json.loads((root / "lineage.json").read_text())
    assert lineage["reward"]["data"] == str(root / "pairs.jsonl")
    assert lineage["ppo"]["reward_model"] == str(root / "reward" / "model")
    pairs = [json.loads(line) for line in (root / "pairs.jsonl").read_text().splitlines()]
    assert pairs and {p["annotator"] for p in pairs} <= {"concise", "polite", "on_topic"}
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
