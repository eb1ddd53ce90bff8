"""Scaling out on this machine: SFT and reward-model tokens/s, and seconds per PPO step, on one and
on two processes (torchrun, MULTI_CPU over gloo), with the same global batch.

    python bench/scale.py [--rounds 1] [--out bench/results/scale.json]

Model: a random Llama built from a config (hidden 256, 4 layers, 256 positions) with the embedded
model's tokenizer: big enough that compute, not start-up, dominates a step, small enough for a
shared 2-core CPU. Each process gets one thread (OMP_NUM_THREADS=1), so two processes use twice
the cores of one; efficiency = (rate with 2) / (2 x rate with 1), and for PPO
(s/step with 1) / (2 x s/step with 2). 1.0 is perfect scaling.

Each launch runs SFT (global batch 8, 10 steps), the reward model (global batch 8, 10 steps) and
PPO (global batch 4, 3 steps) one after another (`python -m rlhf.distributed PLAN`). Figures are
taken after the first step (start-up and warm-up excluded): SFT and reward tokens/s = tokens
trained on (TRL's `num_tokens`, over all ranks) from step 1 to the last step over the wall time
between them; PPO s/step = wall time from step 1 to the last over the steps in between. Runs
alternate (1, 2, 1, 2, ...) and each round's 2-process figure is divided by the same round's
1-process figure (other load on a shared machine changes between rounds far more than within
one); the table shows the median ratio and its range: read the ratios, not the rates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GLOBAL = {"sft": 8, "reward": 8, "ppo": 4}


def plan(work: Path, model: Path, nproc: int, tag: str) -> list:
    out = work / tag
    prefs = work / "prefs.jsonl"
    per = {k: str(v // nproc) for k, v in GLOBAL.items()}
    common = ["--disable_tqdm", "true", "--logging_steps", "1", "--report_to", "none"]
    return [
        [
            "rlhf.sft",
            [
                "--config",
                "sft-cpu-tiny",
                "--model",
                str(model),
                "--output_dir",
                str(out / "sft"),
                "--max_steps",
                "10",
                "--per_device_train_batch_size",
                per["sft"],
                "--eval_fraction",
                "0",
                "--max_length",
                "256",
                "--save_steps",
                "1000",
                "--register",
                "false",
                *common,
            ],
        ],
        [
            "rlhf.reward",
            [
                "--config",
                "reward-cpu-tiny",
                "--model",
                str(model),
                "--data",
                str(prefs),
                "--output_dir",
                str(out / "reward"),
                "--max_steps",
                "10",
                "--per_device_train_batch_size",
                per["reward"],
                "--eval_fraction",
                "0",
                "--save_steps",
                "1000",
                *common,
            ],
        ],
        [
            "rlhf.ppo",
            [
                "--config",
                "ppo-cpu-tiny",
                "--policy",
                str(model),
                "--reward_model",
                str(work / "rm"),
                "--output_dir",
                str(out / "ppo"),
                "--total_episodes",
                str(3 * GLOBAL["ppo"]),
                "--per_device_train_batch_size",
                per["ppo"],
                "--local_rollout_forward_batch_size",
                per["ppo"],
                "--response_length",
                "32",
                "--sample_prompts",
                "0",
                "--save_steps",
                "1000",
                "--register",
                "false",
                "--report_to",
                "none",
            ],
        ],
    ]


def prepare(work: Path) -> Path:
    """The random model, a reward model from it, and preference pairs (once)."""
    from rlhf.models import build_tiny

    model = build_tiny(work / "model", hidden_size=256, layers=4, context=256)
    if not (work / "rm" / "config.json").exists():
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(0)
        rm = AutoModelForSequenceClassification.from_pretrained(model, num_labels=1)
        rm.save_pretrained(work / "rm")
        AutoTokenizer.from_pretrained(model).save_pretrained(work / "rm")
    rows = [
        {
            "prompt": [{"role": "user", "content": f"Tell me about topic number {i}."}],
            "chosen": [{"role": "assistant", "content": "Here is a short, clear answer. " * 3}],
            "rejected": [{"role": "assistant", "content": "no " * (10 + i % 20)}],
        }
        for i in range(200)
    ]
    (work / "prefs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return model


def launch(work: Path, model: Path, nproc: int, tag: str) -> None:
    from rlhf import distributed

    path = work / f"{tag}.plan.json"
    path.write_text(json.dumps(plan(work, model, nproc, tag)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [*distributed.torchrun(nproc), "-m", "rlhf.distributed", str(path)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"scale: {tag} failed:\n{done.stderr[-3000:]}")


def figures(run: Path) -> dict[str, float]:
    from rlhf.callbacks import read_metrics

    out = {}
    for stage in ("sft", "reward"):
        steps = [m for m in read_metrics(run / stage / "metrics.jsonl") if "num_tokens" in m]
        first, last = steps[0], steps[-1]
        out[stage] = (last["num_tokens"] - first["num_tokens"]) / (last["time"] - first["time"])
    steps = [m for m in read_metrics(run / "ppo" / "metrics.jsonl") if "objective/kl" in m]
    out["ppo"] = (steps[-1]["time"] - steps[0]["time"]) / (len(steps) - 1)
    return out


def summarize(rows: dict[int, list[dict]]) -> tuple[list[str], dict]:
    """Per round, the 2-process figure against the 1-process figure of the same round (the load
    from other jobs changes between rounds far more than within one); median and range."""
    import statistics

    table = [
        "| stage | 1 process (median) | 2 processes (median) | speed-up: median (range) "
        "| efficiency |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    result = {}
    for stage, unit in (("sft", "tokens/s"), ("reward", "tokens/s"), ("ppo", "s/step")):
        pairs = list(zip((r[stage] for r in rows[1]), (r[stage] for r in rows[2]), strict=True))
        ups = [one / two if stage == "ppo" else two / one for one, two in pairs]
        up = statistics.median(ups)
        one, two = (statistics.median(r[stage] for r in rows[n]) for n in (1, 2))
        result[stage] = {
            "unit": unit,
            "1": one,
            "2": two,
            "speedups": ups,
            "speedup": up,
            "efficiency": up / 2,
        }
        table.append(
            f"| {stage} ({unit}) | {one:.3g} | {two:.3g} | {up:.2f}x "
            f"({min(ups):.2f}-{max(ups):.2f}) | {up / 2:.0%} |"
        )
    return table, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="1-process/2-process pairs")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-scale")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    args = parser.parse_args()
    os.environ.setdefault("PARLEY_HOME", str(args.work / "home"))
    args.work.mkdir(parents=True, exist_ok=True)
    model = prepare(args.work)
    rows: dict[int, list[dict]] = {1: [], 2: []}
    started = time.time()
    for r in range(args.rounds):
        for nproc in (1, 2):
            tag = f"n{nproc}-r{r}"
            launch(args.work, model, nproc, tag)
            rows[nproc].append(figures(args.work / tag))
            print(f"scale: {tag}: {rows[nproc][-1]}", file=sys.stderr)

    table, result = summarize(rows)
    print("\n".join(table))
    record = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "rounds": args.rounds,
        "minutes": (time.time() - started) / 60,
        "global_batch": GLOBAL,
        "results": result,
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2))
    print(f"scale: written to {args.out}")


if __name__ == "__main__":
    main()
