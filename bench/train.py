"""Parley's SFT and PPO recipes against TRL's defaults: same model, data and batch, one run.

    python bench/train.py [--runs 3] [--only sft|ppo] [--out bench/results/train.json]

Model: the embedded SmolLM2-135M-Instruct (its converted HF directory), fp32 on every side.

- SFT on `data/sft/seed.jsonl` (the same train split and sampler seed, so every variant sees the
  same batches of 2): *TRL default* is `trl.SFTTrainer` with `SFTConfig` defaults except
  output_dir, max_steps, batch size, max_length (160), seed, report_to, use_cpu and bf16=False
  (TRL's bf16 default is emulated on an AVX2-only CPU); that is a full fine-tune with TRL's
  gradient checkpointing. *Parley* is `rlhf.sft.main` with `rlhf/recipes/sft-cpu-small.yaml`
  (LoRA r16 in the top 10 layers), and *+ padding_free* adds `--padding_free true --max_length
  null` (every seed example is under 160 tokens, so nothing is cut either way). Figure: real
  (non-padding) tokens/s = attention-mask ones (padding-free: input ids) of the batches trained
  on after one warm-up step, over the wall time from the end of the warm-up step to the end of
  the last step.
- PPO on `data/sft/rl_prompts.txt` (system prompt + chat template, distinct pad, left padding on
  every side), 8 episodes a step, 48-token responses, a reward/value model made once from the
  embedded model with a fresh 1-label head (speed only; its scores mean nothing): *TRL default*
  is `trl.experimental.ppo.PPOTrainer` with `PPOConfig` defaults (4 PPO epochs, 1 minibatch, a
  separate reference model); *Parley* is `rlhf.ppo.main` with `rlhf/recipes/ppo-cpu-small.yaml`
  (2 epochs, 2 minibatches, policy = the embedded model, `--sample_prompts 0`), and *+ use_lora*
  adds `--use_lora true` (the reference is the adapter-disabled policy). Figure: seconds per PPO
  step, from the start of `train()` to the end of the last step.

Each run is a fresh child process (`--child`), so its peak RSS (`wait4`'s ru_maxrss) is its own
and no variant inherits another's memory or threads; the run stops right after its last timed
step (no final save). Runs are interleaved (A, B, C, A, B, C, ...) so that load from other
processes falls on every variant alike; tables show medians, the spread (max-min) and ratios to
the TRL default. Timings on a shared CPU are noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

SFT_RECIPE = ROOT / "rlhf/recipes/sft-cpu-small.yaml"
PPO_RECIPE = ROOT / "rlhf/recipes/ppo-cpu-small.yaml"
SFT_BATCH, SFT_MAX_LENGTH, SFT_EVAL_FRACTION = 2, 160, 0.03  # as in sft-cpu-small.yaml
PPO_BATCH, PPO_RESPONSE = 8, 48  # as in ppo-cpu-small.yaml
REFERENCE = "trl-default"
VARIANTS = {
    "sft": {
        "trl-default": "TRL default (SFTTrainer, full fine-tune)",
        "parley": "Parley sft-cpu-small (LoRA r16, top 10 layers)",
        "parley-padding-free": "Parley sft-cpu-small + padding_free",
    },
    "ppo": {
        "trl-default": "TRL default (PPOConfig: 4 epochs, 1 minibatch)",
        "parley": "Parley ppo-cpu-small (2 epochs, 2 minibatches)",
        "parley-lora": "Parley ppo-cpu-small + use_lora (ref = adapter off)",
    },
}


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


def spawn(kind: str, variant: str, steps: int, work: Path, extra: list[str]) -> dict:
    """One run in a fresh child process; adds its peak RSS (MB) and wall time."""
    work.mkdir(parents=True, exist_ok=True)
    result, log = work / "result.json", work / "log.txt"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        f"{kind}:{variant}",
        "--steps",
        str(steps),
        "--workdir",
        str(work),
        *extra,
    ]
    t0 = time.perf_counter()
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not result.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise SystemExit(f"bench: {kind}:{variant} failed (exit {proc.returncode}):\n{tail}")
    out = json.loads(result.read_text())
    out["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    out["child_wall_s"] = time.perf_counter() - t0
    return out


def summarize(kind: str, runs: dict[str, list[dict]]) -> dict:
    rows = {}
    for name, samples in runs.items():
        if kind == "sft":
            values = [s["tokens"] / s["seconds"] for s in samples]
        else:
            values = [s["seconds"] / s["steps"] for s in samples]
        rows[name] = {
            "label": VARIANTS[kind][name],
            "median": statistics.median(values),
            "spread": max(values) - min(values),
            "values": values,
            "peak_rss_mb": statistics.median(s["peak_rss_mb"] for s in samples),
            "runs": samples,
        }
    ref = rows[REFERENCE]
    for row in rows.values():
        speed = row["median"] / ref["median"] if kind == "sft" else ref["median"] / row["median"]
        row["speed_ratio"] = speed
        row["memory_ratio"] = row["peak_rss_mb"] / ref["peak_rss_mb"]
    return rows


def table(kind: str, rows: dict) -> str:
    figure = "real tokens/s" if kind == "sft" else "s / PPO step"
    speed = "tokens/s" if kind == "sft" else "steps/s"
    lines = [
        f"| variant | {figure} | ± spread | {speed} vs TRL default | peak RSS (MB) "
        "| memory vs TRL default |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows.values():
        lines.append(
            f"| {row['label']} | {row['median']:.1f} | {row['spread']:.1f} "
            f"| {row['speed_ratio']:.2f}x | {row['peak_rss_mb']:.0f} | {row['memory_ratio']:.2f}x |"
        )
    return "\n".join(lines)


def run_child(args: argparse.Namespace) -> None:
    kind, _, variant = args.child.partition(":")
    work = Path(args.workdir)
    embedded = Path(args.embedded) if args.embedded else None
    if kind == "sft":
        out = child_sft(variant, args.steps, work, embedded)
    elif kind == "ppo":
        out = child_ppo(variant, args.steps, work, embedded, Path(args.reward))
    else:
        out = child_reward(work / "reward", embedded)
    (work / "result.json").write_text(json.dumps(out))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench/train.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median of these)")
    parser.add_argument("--only", choices=("sft", "ppo"), help="one benchmark (default: both)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/train.json")
    parser.add_argument("--sft_steps", type=int, default=3, help="timed SFT steps after warm-up")
    parser.add_argument("--ppo_steps", type=int, default=1, help="timed PPO steps per run")
    for hidden in ("--child", "--workdir", "--embedded", "--reward"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args)
    if args.runs < 1 or args.sft_steps < 1 or args.ppo_steps < 1:
        parser.error("--runs, --sft_steps and --ppo_steps must be at least 1")

    from assistant.models import ensure_embedded

    embedded = ensure_embedded()
    kinds = [args.only] if args.only else ["sft", "ppo"]
    load_before, t0 = os.getloadavg(), time.perf_counter()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-train-") as tmp:
        tmp = Path(tmp)
        common = ["--embedded", str(embedded)]
        if "ppo" in kinds:
            made = spawn("reward", "make", 0, tmp / "reward-model", common)
            common += ["--reward", made["path"]]
        for kind in kinds:
            steps = args.sft_steps if kind == "sft" else args.ppo_steps
            runs: dict[str, list[dict]] = {name: [] for name in VARIANTS[kind]}
            for r in range(args.runs):
                for name in VARIANTS[kind]:
                    print(f"{kind} run {r + 1}/{args.runs}: {name} ...", file=sys.stderr)
                    sample = spawn(kind, name, steps, tmp / f"{kind}-{name}-{r}", common)
                    print(f"  {sample}", file=sys.stderr)
                    runs[name].append(sample)
            rows = summarize(kind, runs)
            results[kind] = {"steps_per_run": steps, "rows": rows, "table": table(kind, rows)}
    load_after = os.getloadavg()
    wall = time.perf_counter() - t0
    machine = {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        **{pkg: version(pkg) for pkg in ("torch", "transformers", "trl", "peft")},
        "load_average_before": load_before,
        "load_average_after": load_after,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "runs": args.runs,
        "wall_s": wall,
    }
    previous = json.loads(args.out.read_text()) if args.out.exists() and args.only else {}
    previous.update(results)
    previous["machine"] = machine
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(previous, indent=2))
    names = {"sft": "SFT", "ppo": "PPO"}
    for kind in kinds:
        r = results[kind]
        steps = f"{r['steps_per_run']} timed step(s) a run"
        print(f"\n{names[kind]} (median of {args.runs}, {steps}):\n\n{r['table']}")
    print(
        f"\n{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {wall:.0f} s; torch {machine['torch']}, "
        f"trl {machine['trl']}; JSON: {args.out}"
    )


if __name__ == "__main__":
    main()
