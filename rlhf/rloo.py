"""RLOO (REINFORCE leave-one-out) against the reward model, with TRL's stable `RLOOTrainer`: the
same reward model and prompts as PPO, no value model.

    parley train rloo --config rlhf/recipes/rloo-cpu-tiny.yaml --policy sft-tiny --reward_model DIR
    python -m rlhf.rloo --config rloo-cpu-tiny --reward_model DIR
    torchrun --nproc_per_node 2 -m rlhf.rloo --config rloo-cpu-tiny --reward_model DIR

Each prompt is answered `num_generations` times; each answer's advantage is its reward minus the
mean of the others'. `beta` is the KL coefficient to the starting model. The policy goes to
`model/` in the run directory and is registered as NAME.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RLOORun:
    """Parley's settings for RLOO (the rest are TRL `RLOOConfig` settings)."""

    policy: str = field(default="sft-small", metadata={"help": "SFT model: name, dir or 'tiny'"})
    reward_model: str = field(default="", metadata={"help": "reward model directory"})
    prompts: str = field(
        default="data/rl/prompts.jsonl", metadata={"help": "prompt file (.txt lines or .jsonl)"}
    )
    name: str = field(default="rloo", metadata={"help": "run directory and registered model name"})
    register: bool = field(default=True, metadata={"help": "register the policy as NAME"})
    resume: bool = field(default=False, metadata={"help": "continue from the last checkpoint"})
    interrupt_at_step: int = field(default=0, metadata={"help": "testing: stop as if killed here"})


TRAINER_DEFAULTS = {
    "report_to": ["tensorboard"],
    "bf16": False,
    "gradient_checkpointing": False,
    "save_strategy": "steps",
    "logging_steps": 1,
}


def main(argv: list[str] | None = None) -> Path:
    from rlhf import distributed

    distributed.refuse_accelerate_fsdp_on_cpu("rloo")
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RLOOConfig, RLOOTrainer

    from assistant.chat_context import chat_context
    from assistant.errors import UsageError
    from rlhf import callbacks, models, recipe
    from rlhf.ppo import DISTINCT_PAD, read_prompts

    run, args = recipe.parse(
        sys.argv[1:] if argv is None else argv, (RLOORun, RLOOConfig), prog="parley train rloo",
        doc=__doc__, defaults={**TRAINER_DEFAULTS, **distributed.trainer_defaults()},
    )  # fmt: skip
    if not run.reward_model:
        raise UsageError("no reward model: pass --reward_model DIR (`parley train reward`)")
    out = models.runs_dir() / run.name
    if args.output_dir and args.output_dir != "trainer_output":
        out = Path(args.output_dir)
    args.output_dir = str(out)
    out.mkdir(parents=True, exist_ok=True)
    prompts = [chat_context(p) for p in read_prompts(run.prompts)]
    with distributed.main_first(args):  # one rank converts or builds it
        start = models.model_dir(run.policy, out)
    tokenizer = models.load_tokenizer(start)
    tokenizer.pad_token = DISTINCT_PAD
    reward_tokenizer = AutoTokenizer.from_pretrained(run.reward_model)
    reward_tokenizer.pad_token = DISTINCT_PAD
    args.model_init_kwargs = {"dtype": "float32", "use_safetensors": True}
    with distributed.fsdp_on_cpu():
        trainer = RLOOTrainer(
            model=str(start), reward_funcs=run.reward_model, args=args,
            train_dataset=Dataset.from_dict({"prompt": prompts}), processing_class=tokenizer,
            reward_processing_classes=reward_tokenizer,
            callbacks=[callbacks.MetricsJsonl(out / "metrics.jsonl")],
        )  # fmt: skip
    if run.interrupt_at_step:
        trainer.add_callback(callbacks.InterruptAt(run.interrupt_at_step))
    resume = run.resume and any(out.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume else None)
    tokenizer.pad_token = tokenizer.eos_token
    final = models.save_trained(trainer, tokenizer, out, start)
    world = trainer.accelerator.num_processes
    if trainer.accelerator.is_main_process:
        info = {"stage": "rloo", "policy": run.policy, "reward_model": run.reward_model,
                "steps": trainer.state.global_step, "world_size": world,
                "global_batch": models.global_batch(args, world)}  # fmt: skip
        models.publish(
            "rloo", run, out, final, info, f"RLOO of {run.policy} against {run.reward_model}"
        )
    trainer.accelerator.wait_for_everyone()
    return final


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
