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
    """The child side of `spawn`: one measured run (`train_runs`), its figures to result.json."""
    from train_runs import child_ppo, child_reward, child_sft  # bench/ is the script's directory

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
