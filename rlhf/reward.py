"""Reward model: a sequence-classification head on the SFT model, trained on preference pairs:
the head alone on the frozen model's features, computed once (`--head_only`, `rlhf.reward_head`;
the `reward-cpu-small` recipe: seconds of fitting after one forward pass over the answers), or
with TRL's `RewardTrainer` (LoRA or all weights; the GPU recipes). Both save the same model.

    parley train reward --config rlhf/recipes/reward-cpu-tiny.yaml --model sft-tiny
    parley train reward --config reward-cpu-small --data prefs.jsonl      # `parley prefs export`
    parley train reward --config reward-cpu-small --data db    # the ratings stored in Parley
    python -m rlhf.reward --config reward-cpu-tiny
    torchrun --nproc_per_node 2 -m rlhf.reward --config reward-cpu-tiny ...       # 2 processes
    torchrun --nproc_per_node 2 -m rlhf.reward ... --fsdp full_shard             # FSDP2, CPU too
    accelerate launch --config_file rlhf/accelerate/ddp.yaml -m rlhf.reward --config reward-gpu

Data: TRL preference JSONL (`{"prompt", "chosen", "rejected"}`, conversational or plain text),
as `parley prefs export` writes it or `rlhf.pairs` labels it; several files comma-separated.
After training it reports, on the held-out pairs: pairwise accuracy (chosen scored above
rejected), on simulated pairs also against the raters' rubric with the label noise undone, over
all pairs (`rubric_accuracy`: a pair the rubric ties keeps its coin-flip label) and over the pairs
the rubric orders (`rubric_accuracy_ordered`, `ordered_pairs`: what the pipeline's gate reads),
agreement with the held-out judge, mean margin (chosen minus rejected), and length bias (Pearson
correlation of reward with response length in characters; near 0 is good, near 1 means it
rewards length) with its slope within pairs (`length_slope`, score per character). These go to
`eval.json` in the run directory; the model (LoRA merged) goes to `model/`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf import reward_head, stage
from rlhf.models import DISTINCT_PAD
from rlhf.reward_head import chat_texts, score  # noqa: F401  (scoring lives there; read from here too)
from rlhf.stage import setting

if TYPE_CHECKING:
    from trl import RewardConfig

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


@dataclass
class RewardRun(stage.Resumable, stage.LoraSettings):
    """Parley's settings for a reward-model run (the rest are TRL `RewardConfig` settings)."""

    model: str = setting("sft-small", "the SFT model (name, dir, 'tiny')")
    data: str = setting("", "preference JSONL files, comma-separated")
    eval_data: str = setting("", "held-out pairs (JSONL, prompts disjoint from --data)")
    eval_fraction: float = setting(0.2, "share of pairs held out when no --eval_data")
    min_eval_pairs: int = setting(200, "hold out at least this many when 70% are left to train")
    name: str = setting("reward", "run directory name")
    head_only: bool = setting(False, "backbone frozen: features once, only the score head fitted")
    head_l2: float = setting(1e-2, "head only: L2 penalty on the (whitened) head weights")
    head_epochs: int = setting(300, "head only: full-batch epochs over the cached features")
    head_lr: float = setting(0.05, "head only: Adam learning rate of the head")
    head_layers: int = setting(
        0, "head only: read the score after this many layers (0: all); the saved model keeps them"
    )
    head_pooling: str = setting(
        "last",
        "head only: where the score reads an answer: its 'last' token or the 'mean' of its tokens",
    )
    feature_batch_size: int = setting(16, "head only: texts per no-grad forward pass")


TRAINER_DEFAULTS = {
    "report_to": ["tensorboard"],
    "save_strategy": "steps",
    "logging_steps": 5,
    "max_length": 512,
    "bf16": False,
    "gradient_checkpointing": False,
    "pad_token": DISTINCT_PAD,
    "disable_tqdm": False,
}


def measure(model, tokenizer, pairs, flipped=None, tied=None) -> dict[str, float]:
    """Pairwise accuracy, mean margin and length bias on held-out pairs; `rubric_accuracy` counts
    a pair whose label the rater's noise flipped (`flipped`: its chosen and rejected texts) as
    won when the reward model prefers the rubric's answer; `rubric_accuracy_ordered` does the
    same on the pairs the rubric orders (not in `tied`: a tie's label is a coin, which no model
    can predict), over `ordered_pairs` pairs."""
    prompts = list(pairs["prompt"])
    chosen = score(model, tokenizer, prompts, list(pairs["chosen"]))
    rejected = score(model, tokenizer, prompts, list(pairs["rejected"]))
    return measure_scores(pairs, chosen, rejected, flipped, tied)


def measure_scores(pairs, chosen, rejected, flipped=None, tied=None) -> dict[str, float]:
    """`measure` from the reward model's scores of each pair's chosen and rejected answers."""
    import numpy as np

    from rlhf.annotators import text_of

    prompts = list(pairs["prompt"])
    margins = np.array(chosen) - np.array(rejected)
    rewards = np.array(chosen + rejected)
    lengths = np.array([len(text_of(c)) for c in list(pairs["chosen"]) + list(pairs["rejected"])])
    bias = float(np.corrcoef(rewards, lengths)[0, 1]) if lengths.std() and rewards.std() else 0.0
    longer = lengths[: len(margins)] - lengths[len(margins) :]  # chosen less rejected, characters
    return {
        "pairs": len(margins),
        "accuracy": float((margins > 0).mean()),
        "rubric_accuracy": rubric_accuracy(
            list(pairs["chosen"]), list(pairs["rejected"]), margins.tolist(), flipped or set()
        ),
        **_ordered(list(pairs["chosen"]), list(pairs["rejected"]), margins, flipped, tied),
        "mean_margin": float(margins.mean()),
        "length_bias": bias,
        "length_slope": length_slope(margins, longer),
        "judge_agreement": judge_agreement(
            prompts, list(pairs["chosen"]), list(pairs["rejected"]), margins.tolist()
        ),
    }


def length_slope(margins, longer) -> float:
    """The reward model's score per character of answer between two answers to the same prompt:
    the least-squares slope, through the origin, of each pair's margin on how much longer its
    chosen answer is. Within a pair the prompt is the same, so the slope is the reward model's
    taste for length itself, not for the prompts that get long answers (PPO's
    `--length_neutral` takes it out of the reward).

    >>> length_slope([-0.5, 0.25], [100, -50]), length_slope([0.3], [0])
    (-0.005, 0.0)
    """
    import numpy as np

    margins, longer = np.asarray(margins, float), np.asarray(longer, float)
    spread = float((longer * longer).sum())
    return float((margins * longer).sum()) / spread if spread else 0.0


def _ordered(chosen, rejected, margins, flipped, tied) -> dict[str, float]:
    from rlhf.annotators import text_of

    if tied is None:  # pairs written before ties were recorded
        return {}
    keep = [(text_of(c), text_of(r)) not in tied for c, r in zip(chosen, rejected, strict=True)]
    picked = [[x for x, k in zip(xs, keep, strict=True) if k] for xs in (chosen, rejected, margins)]
    return {
        "rubric_accuracy_ordered": rubric_accuracy(*picked, flipped or set()),
        "ordered_pairs": sum(keep),
    }


def rubric_accuracy(chosen, rejected, margins, flipped: set[tuple[str, str]]) -> float:
    """Accuracy against the raters' rubric: a flipped pair is right when its margin is negative.

    >>> rubric_accuracy(["a", "b"], ["x", "y"], [1.0, -1.0], {("b", "y")})
    1.0
    """
    from rlhf.annotators import text_of

    if not margins:
        return float("nan")
    right = [
        (m > 0) != ((text_of(c), text_of(r)) in flipped)
        for c, r, m in zip(chosen, rejected, margins, strict=True)
    ]
    return sum(right) / len(right)


def judge_agreement(prompts, chosen, rejected, margins) -> float:
    """How often the reward model (margin > 0: prefers `chosen`) picks what the held-out judge
    picks; a pair the judge ties counts half. The judge never labelled these pairs.

    >>> judge_agreement(["What is 2+2?"] * 2, ["2 + 2 is 4.", "4"], ["four " * 90, "4"], [1.0, 1.0])
    0.75
    """
    from rlhf.annotators import judge

    if not margins:
        return float("nan")
    total = 0.0
    for prompt, a, b, margin in zip(prompts, chosen, rejected, margins, strict=True):
        sa, sb = judge([prompt, prompt], [a, b])
        total += 0.5 if sa == sb else float((sa > sb) == (margin > 0))
    return total / len(margins)


def parse(argv: list[str] | None = None) -> tuple[RewardRun, RewardConfig]:
    """argv (a recipe and flags) -> the run's settings and TRL's `RewardConfig`."""
    from trl import RewardConfig

    return stage.parse("reward", RewardRun, RewardConfig, __doc__, TRAINER_DEFAULTS, argv)


def main(argv: list[str] | None = None) -> Path:
    """`python -m rlhf.reward` and `parley train reward`: `train(*parse(argv))`."""
    return train(*parse(argv))


def train(run: RewardRun, args: RewardConfig) -> Path:
    """Train a reward model; returns its directory (LoRA merged): the score head alone on
    frozen features (`head_only`, `rlhf.reward_head`) or TRL's `RewardTrainer`."""
    from assistant.errors import UsageError
    from rlhf import data, distributed, models

    stage.require(run, "data")
    if run.head_pooling not in reward_head.POOLINGS or (
        run.head_pooling != "last" and not run.head_only
    ):
        raise UsageError(
            f"--head_pooling {run.head_pooling!r}: choose {' or '.join(reward_head.POOLINGS)}; "
            "'mean' needs --head_only true (TRL's trainer reads the last token)"
        )
    out = stage.output_dir(run, args)
    with distributed.main_first(args):  # `--data db`: one rank reads the ratings
        run.data, human = data.with_database(run.data, out)
    pairs = data.load_preferences(run.data)
    if run.eval_data:  # held out by prompt, not by pair: the accuracy on prompts never seen
        train_set, eval_set = pairs, data.load_preferences(run.eval_data)
    else:
        train_set, eval_set = data.split(pairs, run.eval_fraction, args.seed, run.min_eval_pairs)
    args.eval_strategy = "no"  # measured at the end, with our own metrics

    with distributed.main_first(args):  # one rank converts or builds it
        start = models.model_dir(run.model, out)
    tokenizer = models.load_tokenizer(start)
    report = {
        "stage": "reward",
        "base": run.model,
        "data": run.data,
        "train_pairs": len(train_set),
        "human_pairs": human["pairs"] if human else 0,
        "method": "head_only" if run.head_only else "lora" if run.use_lora else "full",
    }
    sources = ",".join(filter(None, (run.data, run.eval_data)))
    flipped, tied = data.flipped_pairs(sources), data.marked_pairs(sources, "tie")
    if run.head_only:
        if distributed.rank() > 0:  # one process does it all (torchrun, `--nproc`)
            return out / "model"
        final, held = reward_head.train(run, args, out, start, tokenizer, train_set, eval_set)
        report |= {"epochs": run.head_epochs, "world_size": 1, "pooling": run.head_pooling}
        report |= {"head_layers": run.head_layers} if run.head_layers else {}
        if held is not None:
            report |= measure_scores(eval_set, *held, flipped, tied)
        return _reported(report, out, final)
    marks = (flipped, tied)
    return _train_with_trl(run, args, out, start, tokenizer, train_set, eval_set, report, marks)


def _train_with_trl(run, args, out, start, tokenizer, train_set, eval_set, report, marks):
    from trl import RewardTrainer

    from rlhf import callbacks, distributed, models

    args.model_init_kwargs = {"dtype": "float32", "use_safetensors": True}
    with distributed.fsdp_on_cpu():
        trainer = RewardTrainer(
            model=str(start),
            args=args,
            train_dataset=train_set,
            processing_class=tokenizer,
            peft_config=run.peft(start, "SEQ_CLS"),
            callbacks=[callbacks.MetricsJsonl(out / "metrics.jsonl")],
        )
    stage.fit(trainer, run, out)

    final = models.save_trained(trainer, tokenizer, out, start)
    held = distributed.params_per_rank(trainer.model)
    world = trainer.accelerator.num_processes
    if trainer.accelerator.is_main_process:
        report |= {
            "steps": trainer.state.global_step,
            "world_size": world,
            "global_batch": models.global_batch(args, world),
            "fsdp": bool(trainer.is_fsdp_enabled),
            "params_per_rank": held,
        }
        if eval_set is not None:  # measured on the model as saved, on rank 0
            from transformers import AutoModelForSequenceClassification

            saved = AutoModelForSequenceClassification.from_pretrained(final, num_labels=1)
            report |= measure(saved, tokenizer, eval_set, *marks)
        _reported(report, out, final)
    trainer.accelerator.wait_for_everyone()
    return final


def _reported(report: dict, out: Path, final: Path) -> Path:
    (out / "eval.json").write_text(json.dumps(report, indent=2))
    shown = ", ".join(f"{k} {v:.3g}" for k, v in report.items() if isinstance(v, float))
    print(f"reward: {shown}\nreward: model saved to {final}")
    return final


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
