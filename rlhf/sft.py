"""Supervised fine-tuning of the chat model on conversations, with TRL's `SFTTrainer`.

    parley train sft --config rlhf/recipes/sft-cpu-small.yaml          # embedded 135M + LoRA
    parley train sft --config sft-cpu-tiny --max_steps 20              # a tiny model: seconds
    parley train sft --config sft-cpu-small --resume                   # after a kill
    python -m rlhf.sft --config rlhf/recipes/sft-cpu-tiny.yaml
    accelerate launch --config_file rlhf/accelerate/ddp.yaml -m rlhf.sft --config sft-gpu   # GPUs
    torchrun --nproc_per_node 2 -m rlhf.sft --config sft-cpu-tiny         # 2 CPU processes (gloo)
    torchrun --nproc_per_node 2 -m rlhf.sft --config sft-cpu-tiny --fsdp full_shard  # FSDP2 on CPU

Data is conversational JSONL (`{"messages": [...]}`, default `data/sft/seed.jsonl`) or a `datasets`
directory, checked record by record before training. The loss is on the assistant's tokens only.
The run directory (`$PARLEY_HOME/runs/NAME` unless `--output_dir`) gets `checkpoint-N/` every
`save_steps`, `metrics.jsonl`, TensorBoard files under `runs/`, and at the end `model/` (a plain
HF directory, LoRA merged in) and `adapter/`; `model/` is registered as NAME for `--model NAME`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.models import EMBEDDED_NAME
from rlhf import stage
from rlhf.stage import setting

if TYPE_CHECKING:
    from trl import SFTConfig


@dataclass
class SFTRun(stage.Resumable, stage.LoraSettings):
    """Parley's settings for an SFT run (the rest are TRL `SFTConfig` settings)."""

    model: str = setting(EMBEDDED_NAME, "model name, HF dir, or 'tiny'")
    data: str = setting("data/sft/seed.jsonl", "JSONL files or dataset dirs, comma-separated")
    eval_fraction: float = setting(0.1, "share held out for eval loss")
    name: str = setting("sft", "run directory and registered model name")
    lora_dropout: float = setting(0.05, "LoRA dropout", "LoRA")
    register: bool = setting(True, "register the model as NAME")


TRAINER_DEFAULTS = {
    **stage.TRAINER_DEFAULTS,
    "assistant_only_loss": True,
    "logging_steps": 5,
    "max_length": 512,
    "dataset_num_proc": None,
    "disable_tqdm": False,
}

parse, main = stage.entry_points(__name__, "sft", SFTRun, "trl:SFTConfig", TRAINER_DEFAULTS)


def train(run: SFTRun, args: SFTConfig) -> Path:
    """Run one SFT stage; returns the final model directory."""
    from trl import SFTTrainer

    from rlhf import data, distributed, models

    out = stage.output_dir(run, args)
    dataset = data.load_conversations(run.data)  # every record checked before any training
    train_set, eval_set = data.split(dataset, run.eval_fraction, args.seed)
    if eval_set is None:
        args.eval_strategy = "no"
    elif args.eval_strategy == "no":
        args.eval_strategy, args.eval_steps = "steps", args.eval_steps or args.save_steps

    start = stage.starting_model(args, run.model, out)
    tokenizer = models.load_tokenizer(start)
    trainer = stage.trainer(
        SFTTrainer,
        args,
        start,
        tokenizer,
        out,
        train_dataset=train_set,
        eval_dataset=eval_set,
        peft_config=run.peft(start),
    )
    stage.fit(trainer, run, out)

    final = models.save_trained(trainer, tokenizer, out, start)
    held = distributed.params_per_rank(trainer.model)
    if trainer.accelerator.is_main_process:
        adapter = out / "adapter" if run.use_lora else None
        info = {
            "stage": "sft",
            "base": run.model,
            "start_dir": str(start),
            "data": run.data,
            "train_examples": len(train_set),
            "eval_examples": len(eval_set) if eval_set is not None else 0,
            **stage.counts(trainer, args),
            "fsdp": bool(getattr(trainer, "is_fsdp_enabled", False)),
            "params_per_rank": held,
            "lora": run.use_lora,
            "adapter": str(adapter) if adapter else None,
        }
        models.publish("sft", run, out, final, info, f"SFT of {run.model} on {run.data}")
    trainer.accelerator.wait_for_everyone()
    return final


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
