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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf import stage
from rlhf.stage import setting

if TYPE_CHECKING:
    from trl import RLOOConfig


@dataclass
class RLOORun:
    """Parley's settings for RLOO (the rest are TRL `RLOOConfig` settings)."""

    policy: str = setting("sft-small", "SFT model: name, dir or 'tiny'")
    reward_model: str = setting("", "reward model directory")
    prompts: str = setting("data/rl/prompts.jsonl", "prompt file (.txt lines or .jsonl)")
    name: str = setting("rloo", "run directory and registered model name")
    register: bool = setting(True, "register the policy as NAME")
    resume: bool = setting(False, "continue from the last checkpoint")
    interrupt_at_step: int = setting(0, "testing: stop as if killed here")


TRAINER_DEFAULTS = {
    "report_to": ["tensorboard"],
    "bf16": False,
    "gradient_checkpointing": False,
    "save_strategy": "steps",
    "logging_steps": 1,
}


def parse(argv: list[str] | None = None) -> tuple[RLOORun, RLOOConfig]:
    """argv (a recipe and flags) -> the run's settings and TRL's `RLOOConfig`."""
    from trl import RLOOConfig

    return stage.parse("rloo", RLOORun, RLOOConfig, __doc__, TRAINER_DEFAULTS, argv)


def main(argv: list[str] | None = None) -> Path:
    """`python -m rlhf.rloo` and `parley train rloo`: `train(*parse(argv))`."""
    return train(*parse(argv))


def train(run: RLOORun, args: RLOOConfig) -> Path:
    """Run RLOO; returns the policy's directory."""
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RLOOTrainer

    from assistant.chat_context import chat_context
    from assistant.errors import UsageError
    from rlhf import callbacks, data, distributed, models
    from rlhf.models import DISTINCT_PAD

    if not run.reward_model:
        raise UsageError("no reward model: pass --reward_model DIR (`parley train reward`)")
    out = stage.output_dir(run, args)
    prompts = [chat_context(p) for p in data.read_prompts(run.prompts)]
    with distributed.main_first(args):  # one rank converts or builds it
        start = models.model_dir(run.policy, out)
    tokenizer = models.load_tokenizer(start)
    tokenizer.pad_token = DISTINCT_PAD
    reward_tokenizer = AutoTokenizer.from_pretrained(run.reward_model)
    reward_tokenizer.pad_token = DISTINCT_PAD
    args.model_init_kwargs = {"dtype": "float32", "use_safetensors": True}
    with distributed.fsdp_on_cpu():
        trainer = RLOOTrainer(
            model=str(start),
            reward_funcs=run.reward_model,
            args=args,
            train_dataset=Dataset.from_dict({"prompt": prompts}),
            processing_class=tokenizer,
            reward_processing_classes=reward_tokenizer,
            callbacks=[callbacks.MetricsJsonl(out / "metrics.jsonl")],
        )
    stage.fit(trainer, run, out)
    tokenizer.pad_token = tokenizer.eos_token
    world = trainer.accelerator.num_processes
    info = {
        "stage": "rloo",
        "policy": run.policy,
        "reward_model": run.reward_model,
        "steps": trainer.state.global_step,
        "world_size": world,
        "global_batch": models.global_batch(args, world),
    }
    return stage.finish(
        trainer,
        tokenizer,
        run,
        out,
        start,
        info,
        f"RLOO of {run.policy} against {run.reward_model}",
    )


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
