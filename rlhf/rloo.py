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
class RLOORun(stage.Resumable, stage.AgainstRewardModel):
    """Parley's settings for RLOO (the rest are TRL `RLOOConfig` settings)."""

    name: str = setting("rloo", "run directory and registered model name")
    register: bool = setting(True, "register the policy as NAME")


TRAINER_DEFAULTS = {**stage.TRAINER_DEFAULTS, "logging_steps": 1}

parse, main = stage.entry_points(__name__, "rloo", RLOORun, "trl:RLOOConfig", TRAINER_DEFAULTS)


def train(run: RLOORun, args: RLOOConfig) -> Path:
    """Run RLOO; returns the policy's directory."""
    from datasets import Dataset
    from trl import RLOOTrainer

    from assistant.chat_context import chat_context
    from rlhf import data, models, reward_head
    from rlhf.models import DISTINCT_PAD

    stage.require(run, "reward_model")
    out = stage.output_dir(run, args)
    prompts = [chat_context(p) for p in data.read_prompts(run.prompts)]
    start = stage.starting_model(args, run.policy, out)
    tokenizer = models.load_tokenizer(start)
    tokenizer.pad_token = DISTINCT_PAD
    trainer = stage.trainer(
        RLOOTrainer,
        args,
        start,
        tokenizer,
        out,
        # read as its head was fitted (TRL's loading of a reward model reads the last token)
        reward_funcs=reward_head.reward_function(run.reward_model),
        train_dataset=Dataset.from_dict({"prompt": prompts}),
    )
    stage.fit(trainer, run, out)
    tokenizer.pad_token = tokenizer.eos_token
    info = {
        "stage": "rloo",
        "policy": run.policy,
        "reward_model": run.reward_model,
        **stage.counts(trainer, args),
    }
    description = f"RLOO of {run.policy} against {run.reward_model}"
    return stage.finish(trainer, tokenizer, run, out, start, info, description)


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
