"""Builds Parley's RL training prompts (`data/rl/prompts.jsonl`), each with its family and the
facts a rater can check.

    python data/rl/make_prompts.py         # rewrites data/rl/prompts.jsonl (deterministic)
    python data/rl/make_prompts.py FILE    # writes FILE instead

Families (`family`), and what each row carries beside `id`, `family`, `lang` and `prompt` (a
string, or a list of chat messages for a two-turn follow-up):

- `knowledge`    known-answer questions: `answers` (as `rlhf.eval_checks.knows` reads them)
- `instructions` a verifiable constraint: `check` (`rlhf.eval_checks.follows`)
- `explain`      explanations and advice, in English and Portuguese: nothing beyond `lang`
- `tools`        a tool request: `tool` and `arguments`; a near-miss that wants no tool: `tool` null
- `followup`     two turns: `answers` and/or `check` for the second answer

Written for Parley from `prompt_tables.py` and the generators below; CC0. No prompt contains a
prompt or a tool text of the held-out battery (`data/eval/`): those are dropped here, and
`tests/test_eval_sets.py` checks the committed file.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "eval"))

import make_eval  # noqa: E402
import prompt_tables as T  # noqa: E402


def _norm(text: str) -> str:
    import re
    import unicodedata

    # the same normalisation as rlhf.eval_checks.normalize (this script runs without the package)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w.]|_", " ", text)
    text = re.sub(r"\.(?!\d)", " ", text)
    return " ".join(text.split())


def held_out() -> list[str]:
    """Every eval prompt and tool text, normalised."""
    out = []
    for path in sorted((HERE.parent / "eval").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out.append(row.get("prompt") or row["question"])
            args = row.get("arguments") or {}
            out += [v for v in args.values() if isinstance(v, str)]  # texts, files, documents
    return [f" {_norm(t)} " for t in out]


def knowledge() -> list[dict]:
    rng = random.Random(23)
    templates = [
        ("Add {a} and {b}.", lambda a, b: a + b, (12, 95), (4, 70)),
        ("Subtract {b} from {a}.", lambda a, b: a - b, (40, 99), (3, 35)),
        ("Multiply {a} by {b}.", lambda a, b: a * b, (3, 13), (4, 13)),
        ("What do you get when you divide {a} by {b}?", lambda a, b: a // b, (2, 11), (2, 10)),
        ("Compute {a} + {b}.", lambda a, b: a + b, (120, 700), (15, 250)),
        ("What is double {a}?", lambda a, b: 2 * a, (7, 260), (0, 0)),
        ("How many wheels do {a} bicycles have?", lambda a, b: 2 * a, (3, 40), (0, 0)),
        ("How many legs do {a} cats have?", lambda a, b: 4 * a, (2, 60), (0, 0)),
        (
            "A bag has {a} sweets and I give away {b}. How many are left?",
            lambda a, b: a - b,
            (15, 60),
            (3, 14),
        ),
        ("What number comes just before {a}?", lambda a, b: a - 1, (21, 999), (0, 0)),
        ("Quanto é {a} mais {b}?", lambda a, b: a + b, (5, 40), (3, 40)),
        ("Quanto é {a} vezes {b}?", lambda a, b: a * b, (2, 9), (2, 9)),
    ]
    rows, seen = [], set()
    while len(rows) < 330:
        text, f, (lo_a, hi_a), (lo_b, hi_b) = templates[len(rows) % len(templates)]
        a, b = rng.randint(lo_a, hi_a), rng.randint(lo_b, hi_b)
        if "divide" in text:
            a *= b
        question, answer = text.format(a=a, b=b), f(a, b)
        lang = "pt" if question.startswith("Quanto") else "en"
        said = question.replace("?", " ").replace(".", " ").split()
        if question in seen or str(answer) in said or (lang == "pt" and answer >= 100):
            continue
        seen.add(question)
        rows.append(
            {
                "family": "knowledge",
                "lang": lang,
                "prompt": question,
                "answers": make_eval.accepted([str(answer)], lang),
            }
        )
    for question, answers in T.FACTS:
        lang = "pt" if question.startswith(("Qual", "Quant", "Que ", "De que")) else "en"
        rows.append(
            {
                "family": "knowledge",
                "lang": lang,
                "prompt": question,
                "answers": make_eval.accepted(answers, lang),
            }
        )
    return rows


def instructions() -> list[dict]:
    rng = random.Random(29)
    topics = T.TOPICS
    kinds: dict[str, list[tuple[str, dict]]] = {
        "max_words": [
            (f"Tell me about {t} in no more than {k} words.", {"n": k})
            for t in topics
            for k in [rng.randint(6, 30)]
        ],
        "one_word": [
            (q + s, {})
            for q in T.ONE_WORD
            for s in (" Just one word.", " Answer in a single word.")
        ],
        "yes_no": [(q + s, {}) for q in T.YES_NO for s in (" Just yes or no.", " Say yes or no.")],
        "lowercase": [
            (f"Write a short note about {t}, all in lowercase letters.", {}) for t in topics
        ],
        "bullets": [
            (f"List exactly {k} facts about {t} as '- ' bullet points.", {"n": k})
            for t in topics
            for k in [rng.randint(2, 5)]
        ],
        "include": [
            (f'Write a sentence about {t} containing the word "{w}".', {"word": w})
            for t, w in zip(topics, T.WORDS * 2, strict=False)
        ],
        "exclude": [
            (f'Tell me about {t} in two sentences, and do not use the word "{w}".', {"word": w})
            for t, w in zip(topics, T.WORDS[::-1] * 2, strict=False)
        ],
        "start_with": [
            (f'Begin with the word "{w}" and tell me about {t}.', {"word": w})
            for t, w in zip(topics, T.STARTS * 4, strict=False)
        ],
        "end_with": [
            (f'Write a line about {t} and finish with exactly "{p}"', {"phrase": p})
            for t, p in zip(topics, T.ENDS * 5, strict=False)
        ],
        "sentences": [
            (f"Describe {t} in exactly {k} sentences.", {"n": k})
            for t in topics
            for k in [rng.randint(1, 4)]
        ],
        "json": [
            (f'Reply only with JSON: give {w} under the key "{k}".', {"key": k})
            for w, k in T.JSON_ASKS
        ]
        + [
            (f'Return a JSON object with the key "{k}" set to {w}.', {"key": k})
            for w, k in T.JSON_ASKS
        ],
        "comma_list": [
            (f"Name {k} {c} in one line, separated by commas, nothing more.", {"n": k})
            for c in T.CATEGORIES
            for k in (3, 4)
        ],
    }
    return [
        {"family": "instructions", "lang": "en", "prompt": p, "check": {"kind": kind, **c}}
        for kind, items in kinds.items()
        for p, c in items
    ]


def explain() -> list[dict]:
    prompts = [e.format(t=t) for t in T.EXPLAIN_TOPICS for e in T.EXPLAIN]
    prompts += [a.format(t=t) for t in T.ADVICE_TOPICS for a in T.ADVICE]
    rows = [{"family": "explain", "lang": "en", "prompt": p} for p in prompts]
    return rows + [{"family": "explain", "lang": "pt", "prompt": p} for p in T.EXPLAIN_PT]


def tools() -> list[dict]:
    rng = random.Random(31)
    calls = [
        (p.format(t=t), "translate", {"text": t, "to": "pt"})
        for p in T.TO_PT
        for t in T.TO_PT_TEXTS
    ]
    calls += [
        (p.format(t=t), "translate", {"text": t, "to": "en"})
        for p in T.TO_EN
        for t in T.TO_EN_TEXTS
    ]
    calls += [
        (p.format(t=t), "sentiment", {"text": t}) for p in T.SENTIMENT for t in T.REVIEW_TEXTS
    ]
    calls += [(p.format(t=t), "summarize", {"text": t}) for p in T.SUMMARIZE for t in T.NEWS]
    for template in T.IMAGINE:
        for x in T.PICTURES:
            n = rng.randint(2, 4)
            args = {"prompt": f"a {x}", **({"n": n} if "{n}" in template else {})}
            calls.append((template.format(x=x, n=n), "imagine", args))
    calls += [(t.format(f=f), "transcribe", {}) for t in T.TRANSCRIBE for f in T.RECORDINGS]
    calls += [(t.format(f=f), "caption", {"image": f}) for t in T.CAPTION for f in T.PHOTOS]
    calls += [
        (t.format(d=d, q=q), "qa", {"question": q, "document": d})
        for t in T.QA
        for d, q in T.DOCUMENTS
    ]
    rows = [
        {"family": "tools", "lang": "en", "prompt": p, "tool": tool, "arguments": args}
        for p, tool, args in calls
    ]
    return rows + [
        {"family": "tools", "lang": "en", "prompt": p, "tool": None, "arguments": None}
        for p in T.NEAR_MISS
    ]


def followups() -> list[dict]:
    def turns(q: str, a: str, f: str) -> list[dict]:
        return [
            {"role": "user", "content": q},
            {"role": "assistant", "content": a},
            {"role": "user", "content": f},
        ]

    rows = [
        {
            "family": "followup",
            "lang": "en",
            "prompt": turns(q, a, f),
            "answers": make_eval.accepted(ans, "en"),
        }
        for q, a, f, ans in T.FOLLOWUPS
    ]
    for question, answers in T.FACTS:
        if question.startswith(("Qual", "Quant", "Que ", "De que")):
            continue
        for follow, check in T.FOLLOWUP_SAME:
            row = {
                "family": "followup",
                "lang": "en",
                "prompt": turns(question, f"{answers[0]}.", follow),
                "answers": make_eval.accepted(answers, "en"),
            }
            rows.append({**row, "check": check} if check else row)
    return rows


def build() -> list[dict]:
    """Every family, without a row that contains a held-out prompt or text, nor a duplicate."""
    leaks = held_out()
    rows, seen = [], set()
    for row in knowledge() + instructions() + explain() + tools() + followups():
        prompt = row["prompt"]
        texts = [prompt] if isinstance(prompt, str) else [m["content"] for m in prompt]
        key = "\n".join(_norm(t) for t in texts)
        if key in seen or any(h in f" {_norm(t)} " for t in texts for h in leaks):
            continue
        seen.add(key)
        rows.append(row)
    return [{"id": f"rl-{i:04d}", **row} for i, row in enumerate(rows)]


def main(out: Path = HERE / "prompts.jsonl") -> None:
    rows = build()
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["family"]] = counts.get(row["family"], 0) + 1
    print(f"{out.name}: {len(rows)} prompts: {counts}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "prompts.jsonl")
