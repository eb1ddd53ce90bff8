"""How well the qa tool answers hand-written questions about documents it was never trained on.

    nice python bench/qa.py                 # both backends (the llm one takes a few minutes)
    nice python bench/qa.py --skip-llm      # the encoder backend only

The held-out set is `data/qa/test.jsonl`: 53 questions (8 with no answer in the document) over four
documents that no training read (`data/qa/docs/`). Each question is asked of its whole document
through the tool itself (passages, MiniLM retrieval of the nearest three, then the backend), as
`/ask @doc question` would. Scores are SQuAD's: exact match and word F1 after normalisation
(lower case, no punctuation or articles); a question without an answer scores 1 only when the
tool says there is none. Also reported: the same split into answerable / unanswerable questions,
retrieval recall (the answer is in one of the three passages read), the baseline that always
says "no answer", and the median latency.

Results go to bench/results/qa.json, and the headline figures to assistant/tools/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.tools.base import METRICS_FILE  # noqa: E402


def evaluate(backend: str, rows: list[dict], docs: dict[str, str]) -> dict:
    from assistant.tools.qa import QATool
    from assistant.tools.qa.passages import retrieve, split_passages
    from assistant.tools.qa.train import exact_match, f1

    tool = QATool()
    records = []
    for row in rows:
        result = tool.run(backend=backend, question=row["question"], document=docs[row["doc"]])
        prediction = result.data.get("answer", "")
        passages = split_passages(docs[row["doc"]])
        nearest = [i for i, _ in retrieve(row["question"], passages, k=3)]
        answer = row["answers"][0] if row["answers"] else None
        records.append({
            "question": row["question"], "answers": row["answers"], "prediction": prediction,
            "em": exact_match(prediction, row["answers"]), "f1": f1(prediction, row["answers"]),
            "retrieved": answer is not None and any(answer in passages[i] for i in nearest),
            "latency_s": result.latency_s,
        })  # fmt: skip
        print(f"{backend:<8} {records[-1]['f1']:.2f}  {row['question']} -> {prediction!r}",
              file=sys.stderr)  # fmt: skip

    def mean(key: str, subset: list[dict]) -> float:
        return round(sum(r[key] for r in subset) / len(subset), 3) if subset else 0.0

    has = [r for r in records if r["answers"]]
    none = [r for r in records if not r["answers"]]
    return {
        "exact_match": mean("em", records), "f1": mean("f1", records),
        "has_answer_f1": mean("f1", has), "no_answer_accuracy": mean("em", none),
        "retrieval_recall_at_3": mean("retrieved", has),
        "latency_s": round(statistics.median(r["latency_s"] for r in records), 3),
        "n": len(records), "records": records,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-llm", action="store_true", help="the encoder backend only")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "qa.json"))
    args = parser.parse_args()

    import torch

    from assistant.tools.qa import data as qa_data

    torch.set_num_threads(1)
    rows, docs = qa_data.questions("test"), qa_data.documents()
    results = {"n": len(rows), "no_answer_questions": sum(not r["answers"] for r in rows)}
    results["always_no_answer"] = {
        "exact_match": round(results["no_answer_questions"] / len(rows), 3)
    }
    for backend in ["encoder"] + ([] if args.skip_llm else ["llm"]):
        results[backend] = evaluate(backend, rows, docs)

    print(f"{'backend':<10} {'EM':>6} {'F1':>6} {'F1 ans':>7} {'no-ans acc':>10} {'recall@3':>9} "
          f"{'latency':>8}")  # fmt: skip
    for backend in ("encoder", "llm"):
        if backend in results:
            r = results[backend]
            print(f"{backend:<10} {r['exact_match']:>6.3f} {r['f1']:>6.3f} "
                  f"{r['has_answer_f1']:>7.3f} {r['no_answer_accuracy']:>10.3f} "
                  f"{r['retrieval_recall_at_3']:>9.3f} {r['latency_s']:>7.2f}s")  # fmt: skip
    print(f"always 'no answer': EM {results['always_no_answer']['exact_match']:.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = json.loads(METRICS_FILE.read_text()) if METRICS_FILE.exists() else {}
    entry = table.setdefault("qa", {})
    for backend in ("encoder", "llm"):
        if backend in results:
            r = results[backend]
            entry[backend] = {"exact_match": r["exact_match"], "f1": r["f1"],
                              "latency_s": r["latency_s"]}  # fmt: skip
    METRICS_FILE.write_text(json.dumps(table, indent=2) + "\n")
    print(f"wrote {args.out} and {METRICS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
