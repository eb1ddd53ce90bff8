"""Direct preference optimisation straight from preference pairs, with TRL's `DPOTrainer`: no
reward model, no sampling loop.

    parley train dpo --config rlhf/recipes/dpo-cpu-tiny.yaml --model sft-tiny --data pairs.jsonl
    python -m rlhf.dpo --config dpo-cpu-tiny --data prefs.jsonl       # `parley prefs export`
    torchrun --nproc_per_node 2 -m rlhf.dpo --config dpo-cpu-tiny --data prefs.jsonl

Data: TRL preference JSONL (`{"prompt", "chosen", "rejected"}`). The reference is the starting
(SFT) model. The policy goes to `model/` in the run directory and is registered as NAME.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DPORun:
    """Parley's settings for DPO (the rest are TRL `DPOConfig` settings)."""

    model: str = field(default="sft-small", metadata={"help": "the SFT model (name, dir, 'tiny')"})
    data: str = field(default="", metadata={"help": "preference JSONL files, comma-separated"})
    name: str = field(default="dpo", metadata={"help": "run directory and registered model name"})
    use_lora: bool = field(default=True, metadata={"help": "LoRA adapters (else all weights)"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank"})
    register: bool = field(default=True, metadata={"help": "register the policy as NAME"})
    resume: bool = field(default=False, metadata={"help": "continue from the last checkpoint"})
    interrupt_at_step: int = field(default=0, metadata={"help": "testing: stop as if killed here"})


TRAINER_DEFAULTS = {
    "report_to": ["tensorboard"],
    "bf16": False,
    "gradient_checkpointing": False,
    "save_strategy": "steps",
    "logging_steps": 5,
    "max_length": 512,
    "pad_token": "<|endoftext|>",
}


def main(argv: list[str] | None = None) -> Path:
    from rlhf import distributed

    distributed.refuse_accelerate_fsdp_on_cpu("dpo")
    from trl import DPOConfig, DPOTrainer

    from assistant.errors import UsageError
    from rlhf import callbacks, data, models, recipe

    run, args = recipe.parse(
        sys.argv[1:] if argv is None else argv, (DPORun, DPOConfig), prog="parley train dpo",
        doc=__doc__, defaults={**TRAINER_DEFAULTS, **distributed.trainer_defaults()},
    )  # fmt: skip
    if not run.data:
        raise UsageError("no preference data: pass --data prefs.jsonl (`parley prefs export`)")
    out = models.runs_dir() / run.name
    if args.output_dir and args.output_dir != "trainer_output":
        out = Path(args.output_dir)
    args.output_dir = str(out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = data.load_preferences(run.data)
    with distributed.main_first(args):  # one rank converts or builds it
        start = models.model_dir(run.model, out)
    tokenizer = models.load_tokenizer(start)
    args.model_init_kwargs = {"dtype": "float32", "use_safetensors": True}
    peft = (
        models.lora_config(run.lora_r, 2 * run.lora_r, 0.0, "all-linear") if run.use_lora else None
    )
    with distributed.fsdp_on_cpu():
        trainer = DPOTrainer(
            model=str(start), args=args, train_dataset=pairs, processing_class=tokenizer,
            peft_config=peft, callbacks=[callbacks.MetricsJsonl(out / "metrics.jsonl")],
        )  # fmt: skip
    callbacks.use_loss_progress(trainer)
    if run.interrupt_at_step:
        trainer.add_callback(callbacks.InterruptAt(run.interrupt_at_step))
    resume = run.resume and any(out.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume else None)
    final = models.save_trained(trainer, tokenizer, out, start)
    world = trainer.accelerator.num_processes
    if trainer.accelerator.is_main_process:
        info = {"stage": "dpo", "base": run.model, "data": run.data,
                "steps": trainer.state.global_step, "world_size": world,
                "global_batch": models.global_batch(args, world)}  # fmt: skip
        models.publish("dpo", run, out, final, info, f"DPO of {run.model} on {run.data}")
    trainer.accelerator.wait_for_everyone()
    return final


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
