"""Time to first token and decode speed of the embedded model, per variant, in one run.

    python bench/generate.py [--runs 3] [--tokens 128] [--out bench/results/generate.json]

Each variant answers the same prompt greedily `--runs` times after one warm-up; the table shows
medians, and ratios against the first variant (the fp32 transformers reference). Timings on a
shared 2-core machine are noisy: compare variants inside one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."


def transformers_variant(dtype: str) -> Callable[[int], dict]:
    from assistant.engine import Engine, GenerationParams

    engine = Engine.load(None, dtype=dtype)
    params_for = lambda n: GenerationParams(temperature=0.0, max_new_tokens=n, seed=0)  # noqa: E731

    def run(tokens: int) -> dict:
        done = engine.reply([{"role": "user", "content": PROMPT}], params_for(tokens))
        decode_tokens = done.completion_tokens - 1
        decode_seconds = done.seconds - (done.first_token_seconds or 0.0)
        return {
            "first_token_s": done.first_token_seconds,
            "decode_tok_s": decode_tokens / decode_seconds if decode_seconds > 0 else 0.0,
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
        }

    return run


VARIANTS: dict[str, Callable[[], Callable[[int], dict]]] = {
    "transformers fp32": lambda: transformers_variant("float32"),
    "transformers bf16": lambda: transformers_variant("bfloat16"),
}


def measure(name: str, make: Callable[[], Callable[[int], dict]], runs: int, tokens: int) -> dict:
    t0 = time.perf_counter()
    run = make()
    load_s = time.perf_counter() - t0
    run(8)  # warm-up: first-call allocations and lazy initialisation
    samples = [run(tokens) for _ in range(runs)]
    return {
        "variant": name,
        "load_s": load_s,
        "first_token_s": statistics.median(s["first_token_s"] for s in samples),
        "decode_tok_s": statistics.median(s["decode_tok_s"] for s in samples),
        "prompt_tokens": samples[0]["prompt_tokens"],
        "completion_tokens": statistics.median(s["completion_tokens"] for s in samples),
        "samples": samples,
    }


def table(rows: list[dict]) -> str:
    ref = rows[0]
    lines = [
        "| variant | first token (s) | decode (tok/s) | decode vs ref | tokens | load (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['first_token_s']:.3f} | {r['decode_tok_s']:.1f} | "
            f"{r['decode_tok_s'] / ref['decode_tok_s']:.2f}x | {r['completion_tokens']:.0f} | "
            f"{r['load_s']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--tokens", type=int, default=128, help="new tokens per answer")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--out", type=Path, default=Path("bench/results/generate.json"))
    args = parser.parse_args()
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")

    import torch

    rows = []
    for name in chosen:
        print(f"measuring {name} ...", file=sys.stderr)
        rows.append(measure(name, VARIANTS[name], args.runs, args.tokens))
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "prompt": PROMPT,
        "runs": args.runs,
        "tokens": args.tokens,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
