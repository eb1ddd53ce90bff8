"""Direct preference optimisation straight from preference pairs, with TRL's `DPOTrainer`: no
reward model, no sampling loop.

    parley train dpo --config rlhf/recipes/dpo-cpu-tiny.yaml --model sft-tiny --data pairs.jsonl
    python -m rlhf.dpo --config dpo-cpu-tiny --data prefs.jsonl       # `parley prefs export`
    torchrun --nproc_per_node 2 -m rlhf.dpo --config dpo-cpu-tiny --data prefs.jsonl

Data: TRL preference JSONL (`{"prompt", "chosen", "rejected"}`). The reference is the starting
(SFT) model. The policy goes to `model/` in the run directory and is registered as NAME.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf import stage
from rlhf.stage import setting

if TYPE_CHECKING:
    from trl import DPOConfig


@dataclass
class DPORun(stage.Resumable, stage.LoraSettings):
    """Parley's settings for DPO (the rest are TRL `DPOConfig` settings)."""

    model: str = setting("sft-small", "the SFT model (name, dir, 'tiny')")
    data: str = setting("", "preference JSONL files, comma-separated")
    name: str = setting("dpo", "run directory and registered model name")
    lora_alpha: int = setting(0, "LoRA scaling numerator (0: twice the rank)", "LoRA")
    register: bool = setting(True, "register the policy as NAME")


TRAINER_DEFAULTS = {
    **stage.TRAINER_DEFAULTS,
    "logging_steps": 5,
    "max_length": 512,
    "pad_token": "<|endoftext|>",
}

parse, main = stage.entry_points(__name__, "dpo", DPORun, "trl:DPOConfig", TRAINER_DEFAULTS)


def train(run: DPORun, args: DPOConfig) -> Path:
    """Run DPO; returns the policy's directory."""
    from trl import DPOTrainer

    from rlhf import data, models

    stage.require(run, "data")
    out = stage.output_dir(run, args)
    pairs = data.load_preferences(run.data)
    start = stage.starting_model(args, run.model, out)
    tokenizer = models.load_tokenizer(start)
    trainer = stage.trainer(
        DPOTrainer, args, start, tokenizer, out, train_dataset=pairs, peft_config=run.peft(start)
    )
    stage.fit(trainer, run, out)
    info = {"stage": "dpo", "base": run.model, "data": run.data, **stage.counts(trainer, args)}
    return stage.finish(
        trainer, tokenizer, run, out, start, info, f"DPO of {run.model} on {run.data}"
    )


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
