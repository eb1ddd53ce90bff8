"""The runs `bench/train.py` measures, each in its own child process (`train.py --child
KIND:VARIANT`): SFT and PPO as TRL's defaults and as Parley's recipes run them, and the throwaway
reward model the PPO runs score with. A meter callback timestamps the steps, counts the real
tokens trained on and stops the run after its last timed step (no final save); what is measured
and why is in `train.py`'s docstring.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SFT_RECIPE = ROOT / "rlhf/recipes/sft-cpu-small.yaml"
PPO_RECIPE = ROOT / "rlhf/recipes/ppo-cpu-small.yaml"
SFT_BATCH, SFT_MAX_LENGTH, SFT_EVAL_FRACTION = 2, 160, 0.03  # as in sft-cpu-small.yaml
PPO_BATCH, PPO_RESPONSE = 8, 48  # as in ppo-cpu-small.yaml


class _Done(Exception):
    """Raised after the last timed step: skips the final save, which is not being measured."""


def _meter(last_step: int, start_at_train_begin: bool):
    """A callback that timestamps steps (and the start of training) and stops after `last_step`."""
    from transformers import TrainerCallback

    class Meter(TrainerCallback):
        def __init__(self):
            self.begin, self.ends, self.tokens = None, {}, {}

        def on_train_begin(self, args, state, control, **kw):
            self.begin = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.ends[state.global_step] = time.perf_counter()
            if state.global_step >= last_step:
                raise _Done

        def count(self, step: int, inputs: dict) -> None:
            mask = inputs.get("attention_mask")
            real = int(mask.sum()) if mask is not None else int(inputs["input_ids"].numel())
            self.tokens[step + 1] = self.tokens.get(step + 1, 0) + real

        def result(self) -> dict:
            first = 0 if start_at_train_begin else 1
            start = self.begin if first == 0 else self.ends[first]
            seconds = self.ends[last_step] - start
            tokens = sum(n for s, n in self.tokens.items() if s > first)
            return {"steps": last_step - first, "seconds": seconds, "tokens": tokens}

    return Meter()


def _attach(trainer_cls, meter, count_tokens: bool) -> None:
    """Every trainer of `trainer_cls` built from now on reports to `meter` (Parley builds its
    trainer inside `main`, so the callback goes in through the class)."""
    init = trainer_cls.__init__

    def patched_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.add_callback(meter)

    trainer_cls.__init__ = patched_init
    if count_tokens:
        step = trainer_cls.training_step

        def counted_step(self, *args, **kwargs):
            inputs = args[1] if len(args) > 1 else kwargs["inputs"]
            meter.count(self.state.global_step, inputs)
            return step(self, *args, **kwargs)

        trainer_cls.training_step = counted_step


def child_sft(variant: str, steps: int, work: Path, embedded: Path) -> dict:
    from trl import SFTConfig, SFTTrainer

    meter = _meter(steps + 1, start_at_train_begin=False)  # step 1 is the warm-up
    _attach(SFTTrainer, meter, count_tokens=True)
    try:
        if variant == "trl-default":
            from rlhf import data

            train, _ = data.split(
                data.load_conversations(str(ROOT / "data/sft/seed.jsonl")), SFT_EVAL_FRACTION, 0
            )
            args = SFTConfig(
                output_dir=str(work / "out"),
                max_steps=steps + 1,
                per_device_train_batch_size=SFT_BATCH,
                max_length=SFT_MAX_LENGTH,
                seed=0,
                report_to="none",
                use_cpu=True,
                bf16=False,
                model_init_kwargs={"dtype": "float32"},
            )
            SFTTrainer(model=str(embedded), args=args, train_dataset=train).train()
        else:
            from rlhf import sft

            argv = [
                "--config",
                str(SFT_RECIPE),
                "--max_steps",
                str(steps + 1),
                "--output_dir",
                str(work / "out"),
                "--register",
                "false",
            ]
            if variant == "parley-padding-free":
                argv += ["--padding_free", "true", "--max_length", "null"]
            sft.main(argv)
    except _Done:
        return meter.result()
    raise RuntimeError("training ended before the last timed step")


def _ppo_prompt_ids(tokenizer) -> list[list[int]]:
    """Exactly the prompts `rlhf.ppo` trains on (system prompt, chat template)."""
    from rlhf.data import read_prompts
    from rlhf.ppo import query_ids

    return query_ids(tokenizer, read_prompts(str(ROOT / "data/sft/rl_prompts.txt")))


def child_ppo(variant: str, steps: int, work: Path, embedded: Path, reward: Path) -> dict:
    from trl.experimental.ppo import PPOConfig, PPOTrainer

    meter = _meter(steps, start_at_train_begin=True)
    _attach(PPOTrainer, meter, count_tokens=False)
    try:
        if variant == "trl-default":
            from datasets import Dataset
            from transformers import (
                AutoModelForCausalLM,
                AutoModelForSequenceClassification,
                AutoTokenizer,
            )

            from rlhf.ppo import DISTINCT_PAD

            tokenizer = AutoTokenizer.from_pretrained(embedded, padding_side="left")
            tokenizer.pad_token = DISTINCT_PAD
            dataset = Dataset.from_dict({"input_ids": _ppo_prompt_ids(tokenizer)})
            load = {"dtype": "float32"}
            lm = [AutoModelForCausalLM.from_pretrained(embedded, **load) for _ in range(2)]
            seq = AutoModelForSequenceClassification
            heads = [seq.from_pretrained(reward, num_labels=1, **load) for _ in range(2)]
            for m in lm + heads:
                m.config.pad_token_id = tokenizer.pad_token_id
            lm[0].generation_config.pad_token_id = tokenizer.pad_token_id
            args = PPOConfig(
                output_dir=str(work / "out"),
                per_device_train_batch_size=PPO_BATCH,
                response_length=PPO_RESPONSE,
                total_episodes=PPO_BATCH * steps,
                use_cpu=True,
            )
            PPOTrainer(
                args=args,
                processing_class=tokenizer,
                model=lm[0],
                ref_model=lm[1],
                reward_model=heads[0],
                value_model=heads[1],
                train_dataset=dataset,
            ).train()
        else:
            from dataclasses import fields

            from assistant.models import EMBEDDED_NAME
            from rlhf import ppo

            argv = [
                "--config",
                str(PPO_RECIPE),
                "--policy",
                EMBEDDED_NAME,
                "--reward_model",
                str(reward),
                "--total_episodes",
                str(PPO_BATCH * steps),
                "--output_dir",
                str(work / "out"),
                "--register",
                "false",
            ]
            if "sample_prompts" in {f.name for f in fields(ppo.PPORun)}:
                argv += ["--sample_prompts", "0"]
            if variant == "parley-lora":
                argv += ["--use_lora", "true"]
            ppo.main(argv)
    except _Done:
        return meter.result()
    raise RuntimeError("PPO ended before the last timed step")


def child_reward(out: Path, embedded: Path) -> dict:
    """The embedded model with a fresh 1-label head, saved once for the PPO runs."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        embedded, num_labels=1, dtype="float32"
    )
    model.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(embedded).save_pretrained(out)
    return {"path": str(out)}
