"""PPO against a reward model, with a KL leash to the SFT model (`trl.experimental.ppo`, TRL 1.12).

    parley train ppo --config rlhf/recipes/ppo-cpu-tiny.yaml --policy sft-tiny --reward_model DIR
    python -m rlhf.ppo --config ppo-cpu-tiny ...
    torchrun --nproc_per_node 2 -m rlhf.ppo --config ppo-cpu-tiny ...     # 2 processes (CPU: gloo)
    accelerate launch --config_file rlhf/accelerate/zero2.yaml -m rlhf.ppo --config ppo-gpu ...

All PPO-specific code lives in this module and `rlhf.ppo_details` (the parts that need no trainer),
so moving to RLOO or a newer TRL touches those two files.
Policy and reference start from the SFT model; the value model starts from the reward model.
SmolLM2's pad token is its EOS, so PPO gets a distinct pad (`<|endoftext|>`, id 0): with pad ==
EOS, TRL would cut every response at its first pad and never see the stop. For bf16 set
`ACCELERATE_MIXED_PRECISION=bf16` (`bf16: true` alone leaves PPO in fp32).

The known details of PPO for language models: scores whitened (`whiten_scores`), a
`missing_eos_penalty` after whitening, Ziegler's adaptive KL controller (`target_kl` steers
`kl_coef`), and early stops (`stop_reason`) on KL, entropy and the reward-model score rising past
`max_margins` of its held-out margin. The reward model reads each answer as it was fitted on it
(the chat template's end after the answer, `as_the_reward_model_reads`). Every step logs to
`metrics.jsonl` and TensorBoard: reward (`objective/scores`, raw `objective/rm_score`), KL,
entropy, `kl_coef`, clip fraction, value loss, response length, EOS rate, identical answers;
the answers to the first `sample_prompts` prompts go to `samples.jsonl`. Prompts: a text file or
JSONL with `prompt`. `--resume` starts from the newest checkpoint (policy, value model in
`value/`, which TRL 1.12 does not keep, and optimizer state).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf import stage
from rlhf.models import DISTINCT_PAD
from rlhf.ppo_details import (
    CheckedReward,
    Collapse,
    StepRecord,
    Whitener,
    adapt_kl,
    grouped_loader,
    leave_one_out,
    query_ids,
    recent_mean,
    reward_as_fitted,
    reward_gain,
    template_end,
    without_length,
)
from rlhf.stage import setting

if TYPE_CHECKING:
    from trl.experimental.ppo import PPOConfig


@dataclass
class PPORun(stage.Resumable, stage.AgainstRewardModel):
    """Parley's settings for PPO (the rest are TRL `PPOConfig` settings)."""

    name: str = setting("ppo", "run directory and registered model name")
    max_kl: float = setting(20.0, "stop when KL to the SFT model passes this")
    min_entropy: float = setting(0.05, "stop when entropy falls under this")
    use_lora: bool = setting(False, "LoRA on the policy (ref = adapter off)")
    sample_prompts: int = setting(2, "prompts answered into samples.jsonl every step (0: none)")
    register: bool = setting(True, "register the policy as NAME")
    whiten_scores: bool = setting(True, "reward-model scores to mean 0, std 1 (running stats)")
    target_kl: float = setting(0.0, "adaptive KL: steer kl_coef toward this KL (0: fixed)")
    kl_horizon: int = setting(10000, "adaptive KL controller's horizon")
    reward_margin: float = setting(0.0, "the reward model's mean held-out margin (eval.json)")
    max_margins: float = setting(
        0.0, "stop once the mean raw reward rose this many held-out margins (0: off)"
    )
    group_size: int = setting(
        1, "answers per prompt in a batch, each scored against the others' mean (1: off)"
    )
    checked_weight: float = setting(
        0.0, "add this times the raters' checks from the prompts' facts to the score (0: off)"
    )
    margin_window: int = setting(
        4, "steps averaged when the reward's rise and the KL are measured (a batch is noisy)"
    )
    length_neutral: bool = setting(
        False, "take the reward model's taste for length out of its score (length_slope)"
    )
    length_slope: float = setting(
        0.0, "the reward model's score per answer character within held-out pairs (eval.json)"
    )


TRAINER_DEFAULTS = {
    **stage.TRAINER_DEFAULTS,
    "stop_token": "eos",
    "num_sample_generations": 0,
    "logging_steps": 1,
}


def stop_reason(run: PPORun, kl: float | None, entropy: float | None, gain: float) -> str | None:
    """Why PPO stops after this step, or None: KL (`recent_mean` of the last `margin_window`
    steps, as the trainer passes it) past `max_kl`, entropy under `min_entropy`, or
    the mean reward-model score's rise `gain` (`reward_gain`) past `max_margins` of the reward
    model's mean held-out margin (beyond the differences it was shown to rank, a higher score
    buys the reward model's errors: over-optimisation).

    >>> run = PPORun(max_kl=8.0, reward_margin=0.5, max_margins=3.0)
    >>> stop_reason(run, 2.0, 1.0, 1.0) is None, stop_reason(run, 9.0, 1.0, 0.0)[:21]
    (True, 'KL to the SFT model r')
    >>> stop_reason(run, 2.0, 1.0, 1.6)[:63]
    'the reward-model score rose 1.60 (> 3.0 held-out margins of 0.5'
    """
    if kl is not None and kl > run.max_kl:
        return (
            f"KL to the SFT model reached {kl:.2f} (mean of the last {run.margin_window} steps) "
            f"> max_kl {run.max_kl}: lower the learning rate or raise kl_coef"
        )
    if entropy is not None and entropy < run.min_entropy:
        return (
            f"entropy collapsed to {entropy:.3f} < min_entropy {run.min_entropy}: the policy "
            "repeats itself; lower the learning rate"
        )
    if run.max_margins and run.reward_margin and gain > run.max_margins * run.reward_margin:
        return (
            f"the reward-model score rose {gain:.2f} (> {run.max_margins} held-out margins of "
            f"{run.reward_margin:.2f}): past that PPO optimises the reward model's errors"
        )
    return None


def _parley_trainer(
    base: type, path: Path, done_steps: int, rows: int, run: PPORun | None = None
) -> type:
    """`base` that appends each step's sample generations to `path` (JSONL) as well as printing,
    and keeps the value model in each checkpoint (`checkpoint-N/value`) for `--resume`.

    TRL's PPOTrainer samples the eval prompts near-greedily every `num_sample_generations` and
    only prints the table (or sends it to wandb/comet); this keeps it, one row per prompt.
    On several processes TRL 1.12 saves the DDP wrapper (no `.policy`, no `.config`): checkpoints
    are written from the unwrapped policy-and-value model instead.
    """
    from trl.experimental.ppo import ppo_trainer

    class ParleyPPOTrainer(base):
        is_distributed_loading_by_transformers = False  # Trainer.__init__ sets it; PPO's does not
        _sampling = False

        def train(self, *a, **kw):
            """TRL's loop, with the reward model's scores whitened and each rollout's answers
            kept for `rollout_stats` (TRL scores them through `get_reward`, patched here)."""
            import torch

            original, whiten = ppo_trainer.get_reward, Whitener()
            step = self._step = StepRecord()
            checked = getattr(self, "checked", None)
            neutral = run is not None and run.length_neutral

            tok = self.processing_class
            end = template_end(tok)

            def get_reward(model, query_response, pad_token_id, context_length):
                if model is not self.reward_model:  # the value model reads every position
                    return original(model, query_response, pad_token_id, context_length)
                eos = tok.eos_token_id
                out = reward_as_fitted(
                    original, model, query_response, context_length, end, eos, pad_token_id
                )
                if self._sampling:
                    return out
                responses = query_response[:, context_length:].tolist()
                keys = [tuple(q) for q in query_response[:, :context_length].tolist()]
                raw = out[1].tolist()
                step.add(responses, keys, raw)
                if neutral:  # the reward model's taste for length, taken out
                    texts = tok.batch_decode(responses, skip_special_tokens=True)
                    chars = [len(t.strip()) for t in texts]
                    step.length += [-run.length_slope * n for n in chars]
                    raw = without_length(raw, chars, run.length_slope)
                if checked is not None:  # facts the reward model reads badly, checked
                    found = checked(keys, responses, pad_token_id)
                    step.checked += found
                    raw = [r + run.checked_weight * c for r, c in zip(raw, found, strict=True)]
                grouped = run is not None and run.group_size > 1
                if run is None or not (run.whiten_scores or grouped or checked or neutral):
                    return out
                centred = leave_one_out(keys, raw) if grouped else None  # against its siblings
                said = whiten(raw, centred) if run.whiten_scores else centred or raw
                score = torch.tensor(said, dtype=out[1].dtype)
                return out[0], score.to(out[1].device), out[2]

            if run is not None and run.group_size > 1:
                self.dataloader = self.accelerator.prepare(grouped_loader(self, run.group_size))
            ppo_trainer.get_reward = get_reward
            try:
                return super().train(*a, **kw)
            finally:
                ppo_trainer.get_reward = original

        def log(self, logs, *a, **kw):
            if "objective/kl" in logs and getattr(self, "_step", None) is not None:
                tok = self.processing_class
                logs |= self._step.logged(tok.eos_token_id, tok.pad_token_id)
                logs["objective/kl_coef"] = self.args.kl_coef
                if run is not None and run.target_kl > 0:  # the coefficient for the next step
                    self.args.kl_coef = adapt_kl(
                        self.args.kl_coef,
                        logs["objective/kl"],
                        run.target_kl,
                        self.args.batch_size,
                        run.kl_horizon,
                    )
            super().log(logs, *a, **kw)  # metrics.jsonl has the step before any stop
            score = logs.get("objective/rm_score")
            if run is not None and score is not None:
                self._scores = [*getattr(self, "_scores", []), score]
                self._kls = [*getattr(self, "_kls", []), logs["objective/kl"]]
                kl = recent_mean(self._kls, run.margin_window)
                gain = reward_gain(self._scores, run.margin_window)
                entropy = logs.get("objective/entropy")
                if why := stop_reason(run, kl, entropy, gain):
                    raise Collapse(f"{why} at step {self.state.global_step}")

        def save_model(self, output_dir=None, _internal_call=False):
            wrapped, self.model = self.model, self.accelerator.unwrap_model(self.model)
            try:
                super().save_model(output_dir, _internal_call)
            finally:
                self.model = wrapped

        def create_model_card(self, *args, **kwargs):
            wrapped, self.model = self.model, self.accelerator.unwrap_model(self.model)
            try:
                super().create_model_card(*args, **kwargs)
            finally:
                self.model = wrapped

        def _save_checkpoint(self, model, trial):
            super()._save_checkpoint(model, trial)
            checkpoint = Path(self.args.output_dir) / f"checkpoint-{self.state.global_step}"
            if self.accelerator.is_main_process and checkpoint.is_dir():
                value = self.accelerator.unwrap_model(self.model).value_model
                value.save_pretrained(checkpoint / "value", safe_serialization=True)
                if done_steps:  # TRL counts from 1 again after a resume: name it by the real step
                    real = checkpoint.with_name(f"checkpoint-{done_steps + self.state.global_step}")
                    if real.exists():
                        shutil.rmtree(real)
                    checkpoint.rename(real)

        def generate_completions(self, sampling: bool = False):
            shown = ppo_trainer.print_rich_table
            self._sampling = True

            def keep(df) -> None:
                step = done_steps + self.state.global_step
                with path.open("a") as f:
                    for row in df.to_dict("records")[:rows]:  # ranks' batches wrap around
                        answer = row["model response"].replace(DISTINCT_PAD, "")  # TRL keeps pads
                        said = {"step": step, "prompt": row["query"], "response": answer}
                        f.write(json.dumps(said | {"reward": float(row["score"])}) + "\n")
                shown(df)

            ppo_trainer.print_rich_table = keep
            try:
                super().generate_completions(sampling)
            finally:
                ppo_trainer.print_rich_table = shown
                self._sampling = False

    return ParleyPPOTrainer


parse, main = stage.entry_points(
    __name__, "ppo", PPORun, "trl.experimental.ppo:PPOConfig", TRAINER_DEFAULTS
)


def train(run: PPORun, args: PPOConfig) -> Path:
    """Run PPO; returns the policy's directory."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification
    from trl.experimental.ppo import PPOTrainer

    from rlhf import callbacks, data, distributed, models

    stage.require(run, "reward_model")
    if run.length_neutral:
        stage.require(run, "length_slope")
    out = stage.output_dir(run, args)
    start = stage.starting_model(args, run.policy, out)
    checkpoints = sorted(out.glob("checkpoint-*"), key=lambda p: int(re.sub(r"\D", "", p.name)))
    done_steps = 0
    if run.resume and checkpoints:
        start, done_steps = checkpoints[-1], int(checkpoints[-1].name.split("-")[1])
    tokenizer = models.load_tokenizer(start)
    tokenizer.pad_token = DISTINCT_PAD
    tokenizer.padding_side = "left"

    from datasets import Dataset

    rows = data.read_prompt_rows(run.prompts)
    ids = query_ids(tokenizer, data.conversations(rows))
    dataset = Dataset.from_dict({"input_ids": ids})
    # each rank answers its share of the sample prompts in one batch (TRL samples one batch per
    # rank); the share is filled up by wrapping around, and the extra rows are not kept
    share = -(-run.sample_prompts // distributed.world_size())
    wanted = ids[: run.sample_prompts] * distributed.world_size()
    samples = Dataset.from_dict({"input_ids": wanted[: share * distributed.world_size()]})
    if run.sample_prompts:
        args.num_sample_generations = 10**9  # every step (TRL spaces them over the updates)
        args.per_device_eval_batch_size = share

    load = {"dtype": "float32", "use_safetensors": True}
    policy = AutoModelForCausalLM.from_pretrained(start, **load)
    ref = (
        None
        if run.use_lora
        else AutoModelForCausalLM.from_pretrained(models.model_dir(run.policy, out), **load)
    )
    reward = AutoModelForSequenceClassification.from_pretrained(
        run.reward_model, num_labels=1, **load
    )
    resumed_value = done_steps and (start / "value").is_dir()
    value = AutoModelForSequenceClassification.from_pretrained(
        start / "value" if resumed_value else run.reward_model, num_labels=1, **load
    )
    nets = {"model": policy, "ref_model": ref, "reward_model": reward, "value_model": value}
    for m in nets.values():
        if m is not None:
            m.config.pad_token_id = tokenizer.pad_token_id
    policy.generation_config.pad_token_id = tokenizer.pad_token_id

    if done_steps and args.total_episodes:
        episodes_done = done_steps * models.global_batch(args, distributed.world_size())
        args.total_episodes = max(args.total_episodes - episodes_done, 1)

    peft = models.lora_config(16, 32, 0.0, "all-linear") if run.use_lora else None
    hooks = [callbacks.MetricsJsonl(out / "metrics.jsonl", step_offset=done_steps)]
    if run.interrupt_at_step:  # counted from this run's start, as TRL counts
        hooks.append(callbacks.InterruptAt(run.interrupt_at_step))
    trainer = _parley_trainer(
        PPOTrainer, out / "samples.jsonl", done_steps, run.sample_prompts, run
    )(
        args=args,
        processing_class=tokenizer,
        **nets,
        train_dataset=dataset,
        peft_config=peft,
        eval_dataset=samples if run.sample_prompts else None,
        callbacks=hooks,
    )
    if run.checked_weight:
        trainer.checked = CheckedReward.for_queries(tokenizer, ids, rows)
    if done_steps:
        import torch

        optimizer_state = start / "optimizer.pt"
        if optimizer_state.exists():
            trainer.optimizer.load_state_dict(torch.load(optimizer_state, map_location="cpu"))
        kept = ["policy"] + ["value model"] * bool(resumed_value)
        kept += ["optimizer state"] * optimizer_state.exists()
        if distributed.rank() == 0:
            print(f"ppo: resuming from {start.name} ({', '.join(kept)})", file=sys.stderr)
    stopped = None
    try:
        trainer.train()
    except Collapse as e:
        stopped = str(e)
        print(f"ppo: stopped early: {stopped}", file=sys.stderr)
    wrapper = trainer.accelerator.unwrap_model(trainer.model)  # policy + value model
    policy = getattr(wrapper, "policy", wrapper)
    tokenizer.padding_side = "right"
    info = {
        "stage": "ppo",
        "policy": run.policy,
        "reward_model": run.reward_model,
        "prompts": run.prompts,
        "steps": done_steps + trainer.state.global_step,
        "world_size": args.world_size,
        "global_batch": args.batch_size,
        "stopped_early": stopped,
    }
    return stage.finish(
        trainer,
        tokenizer,
        run,
        out,
        start,
        info,
        f"PPO of {run.policy} against {run.reward_model}",
        model=policy,
    )


if __name__ == "__main__":
    from rlhf.models import script

    script(main)
