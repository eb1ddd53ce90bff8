"""Time to first token and decode speed of the embedded model, per variant, in one run; and the
arena's pair (two answers together) against one answer.

    python bench/generate.py [--runs 3] [--tokens 128] [--out bench/results/generate.json]

Variants: llama.cpp itself (llama-cpp-python's `Llama`, the yardstick), Parley's llama.cpp engine
on the same Q4_1 file and on a Q8_0 export of the converted checkpoint (what a trained checkpoint
runs as), and the transformers reference in fp32 and bf16. All answer the same prompt ids
greedily, cold (no cached prompt). After one warm-up each, runs are interleaved (variant A, B, ...,
then A, B, ... again) so that load from other processes falls on every variant alike; the table
shows medians and the spread (max-min) of decode speed. Every llama.cpp variant uses the same
thread count (all cores). Timings on a shared 2-core machine are noisy: compare inside one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
REFERENCE = "llama.cpp Q4_1"
Run = Callable[[int], dict]


def messages() -> list[dict[str, str]]:
    return [{"role": "user", "content": PROMPT}]


def engine_variant(engine) -> Run:
    from assistant.inference import GenerationParams

    def run(tokens: int) -> dict:
        if hasattr(engine.backend, "forget"):  # llama.cpp's prompt cache
            engine.backend.forget()  # cold: no prompt left in the cache from the last run
        done = engine.reply(messages(), GenerationParams(temperature=0.0, max_new_tokens=tokens))
        decode_seconds = done.seconds - (done.first_token_seconds or 0.0)
        return {
            "first_token_s": done.first_token_seconds,
            "decode_tok_s": (done.completion_tokens - 1) / decode_seconds,
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "seconds": done.seconds,
        }

    return run


def transformers_variant(dtype: str) -> Run:
    from assistant.inference import load_engine

    return engine_variant(load_engine(None, dtype=dtype, backend="transformers"))


def parley_llamacpp_variant(gguf: Callable[[], Path]) -> Run:
    from assistant.inference import gguf_engine

    return engine_variant(gguf_engine(gguf(), name="bench"))


def embedded() -> Path:
    from assistant.models import embedded_gguf

    return embedded_gguf()


def q8_export() -> Path:
    from assistant import models
    from assistant.inference import gguf_export

    return gguf_export.ensure_gguf(models.ensure_embedded(), "q8_0")


def llamacpp_reference() -> Run:
    """llama.cpp through llama-cpp-python's own `Llama` API: same file, prompt ids, threads."""
    from llama_cpp import Llama

    from assistant.inference import gguf_engine
    from assistant.inference.llamacpp_backend import n_threads
    from assistant.models import embedded_gguf

    prompter = gguf_engine(embedded_gguf(), name="prompt")
    ids = prompter.encode(prompter.with_system(messages()))
    prompter.close()
    llm = Llama(
        str(embedded_gguf()),
        n_ctx=2048,
        n_threads=n_threads(),
        n_threads_batch=n_threads(),
        verbose=False,
    )

    def run(tokens: int) -> dict:
        llm.reset()
        start = time.perf_counter()
        first, count = None, 0
        for token in llm.generate(ids, temp=0.0, reset=True):
            if first is None:
                first = time.perf_counter() - start
            if token == llm.token_eos():
                break
            count += 1
            if count >= tokens:
                break
        seconds = time.perf_counter() - start
        return {
            "first_token_s": first,
            "decode_tok_s": (count - 1) / (seconds - first),
            "prompt_tokens": len(ids),
            "completion_tokens": count,
            "seconds": seconds,
        }

    return run


VARIANTS: dict[str, Callable[[], Run]] = {
    REFERENCE: llamacpp_reference,
    "parley llama.cpp Q4_1": lambda: parley_llamacpp_variant(embedded),
    "parley llama.cpp Q8_0 export": lambda: parley_llamacpp_variant(q8_export),
    "transformers fp32": lambda: transformers_variant("float32"),
    "transformers bf16": lambda: transformers_variant("bfloat16"),
}


def measure(chosen: list[str], runs: int, tokens: int) -> list[dict]:
    made: dict[str, tuple[Run, float]] = {}
    for name in chosen:
        print(f"loading {name} ...", file=sys.stderr)
        t0 = time.perf_counter()
        run = VARIANTS[name]()
        made[name] = (run, time.perf_counter() - t0)
        run(8)  # warm-up: first-call allocations and lazy initialisation
    samples: dict[str, list[dict]] = {name: [] for name in chosen}
    for i in range(runs):
        for name in chosen:
            print(f"run {i + 1}/{runs}: {name}", file=sys.stderr)
            samples[name].append(made[name][0](tokens))
    rows = []
    for name in chosen:
        s = samples[name]
        speeds = [x["decode_tok_s"] for x in s]
        rows.append(
            {
                "variant": name,
                "load_s": made[name][1],
                "first_token_s": statistics.median(x["first_token_s"] for x in s),
                "decode_tok_s": statistics.median(speeds),
                "decode_spread": max(speeds) - min(speeds),
                "best_decode_tok_s": max(speeds),  # the least disturbed run
                "best_first_token_s": min(x["first_token_s"] for x in s),
                "prompt_tokens": s[0]["prompt_tokens"],
                "completion_tokens": statistics.median(x["completion_tokens"] for x in s),
                "samples": s,
            }
        )
    return rows


def measure_pair(runs: int, tokens: int) -> dict:
    """The arena's pair: one engine answering twice at once (batched) vs one answer; and two
    engines (as two different models would be) side by side."""
    from assistant.inference import GenerationParams, generate_pair, gguf_engine
    from assistant.models import embedded_gguf

    engine = gguf_engine(embedded_gguf(), name="pair")
    other = gguf_engine(embedded_gguf(), name="other model")
    a = GenerationParams(temperature=0.8, top_p=0.95, max_new_tokens=tokens, seed=1)
    b = GenerationParams(temperature=0.8, top_p=0.95, max_new_tokens=tokens, seed=2)
    engine.reply(messages(), GenerationParams(temperature=0.0, max_new_tokens=8))
    out: dict[str, list] = {k: [] for k in ("one", "pair", "two_engines", "tokens")}
    cpu: dict[str, list] = {"one": [], "pair": [], "two_engines": []}

    def timed(key: str, fn: Callable[[], object]) -> object:
        engine.backend.forget()
        other.backend.forget()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        out[key].append(time.perf_counter() - t0)
        cpu[key].append(time.process_time() - c0)  # all threads: what the answers cost the CPU
        return result

    for _ in range(runs):
        one = timed("one", lambda: engine.reply(messages(), a))
        pair = timed("pair", lambda: generate_pair(engine, messages(), a, engine, messages(), b))
        timed("two_engines", lambda: generate_pair(engine, messages(), a, other, messages(), b))
        out["tokens"].append([one.completion_tokens, *(d.completion_tokens for d in pair)])
    med = {k: statistics.median(v) for k, v in out.items() if k != "tokens"}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        **med,
        "cpu": cpu_med,
        "pair_ratio": med["pair"] / med["one"],
        "two_engines_ratio": med["two_engines"] / med["one"],
        "samples": {**out, "cpu": cpu},
    }


def table(rows: list[dict]) -> str:
    ref = next((r for r in rows if r["variant"] == REFERENCE), rows[0])
    lines = [
        f"| variant | first token (s) | decode (tok/s) | ± spread | decode vs {ref['variant']} "
        f"| first token vs {ref['variant']} | best decode (ratio) | best first token (ratio) "
        "| tokens | load (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        best_ratio = r["best_decode_tok_s"] / ref["best_decode_tok_s"]
        best_first = r["best_first_token_s"] / ref["best_first_token_s"]
        lines.append(
            f"| {r['variant']} | {r['first_token_s']:.3f} | {r['decode_tok_s']:.1f} | "
            f"{r['decode_spread']:.1f} | {r['decode_tok_s'] / ref['decode_tok_s']:.2f}x | "
            f"{r['first_token_s'] / ref['first_token_s']:.2f}x | "
            f"{r['best_decode_tok_s']:.1f} ({best_ratio:.2f}x) | "
            f"{r['best_first_token_s']:.3f} ({best_first:.2f}x) | {r['completion_tokens']:.0f} | "
            f"{r['load_s']:.1f} |"
        )
    return "\n".join(lines)


def pair_table(pair: dict) -> str:
    return "\n".join(
        [
            "| arena pair (same prompt, 2 seeds) | seconds | vs one answer | CPU seconds |",
            "| --- | ---: | ---: | ---: |",
            f"| one answer | {pair['one']:.2f} | 1.00x | {pair['cpu']['one']:.2f} |",
            f"| pair, one engine (batched) | {pair['pair']:.2f} | {pair['pair_ratio']:.2f}x | "
            f"{pair['cpu']['pair']:.2f} |",
            f"| pair, two engines (two models) | {pair['two_engines']:.2f} | "
            f"{pair['two_engines_ratio']:.2f}x | {pair['cpu']['two_engines']:.2f} |",
        ]
    )


def main() -> None:
    # The same thread settings as `parley chat`: OpenMP spins unless the CPU is busy (the rule in
    # assistant.inference.llamacpp_backend), and MKL keeps one thread so that its idle workers,
    # left spinning by the transformers variants, do not take the cores from llama.cpp (2x slower
    # measured here).
    from assistant.inference.threads import quiet_torch_threads

    quiet_torch_threads()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--tokens", type=int, default=128, help="new tokens per answer")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--no-pair", action="store_true", help="skip the arena pair timing")
    parser.add_argument("--out", type=Path, default=Path("bench/results/generate.json"))
    args = parser.parse_args()
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")

    rows = measure(chosen, args.runs, args.tokens)
    print(table(rows))
    pair = None if args.no_pair else measure_pair(args.runs, args.tokens)
    if pair:
        print()
        print(pair_table(pair))
    import torch

    from assistant.inference.llamacpp_backend import n_threads

    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "prompt": PROMPT,
        "runs": args.runs,
        "tokens": args.tokens,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "llamacpp_threads": n_threads(),
        "machine": platform.processor() or platform.machine(),
        "load_average": os.getloadavg(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows, "pair": pair}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
