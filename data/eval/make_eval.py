"""Builds Parley's held-out chat battery (`parley eval chat`) into dev/ and test/.

    python data/eval/make_eval.py     # rewrites dev/*.jsonl and test/*.jsonl (deterministic)
    python data/eval/make_eval.py DIR # writes them under DIR instead

Sources: `knowledge.tsv` (written by hand), arithmetic generated below, the instruction and tool
tables in `eval_tables.py`. Everything was written for Parley (CC0, see README.md). Each set is
split in two halves per category: dev (for choosing anything) and test (only for reporting).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import eval_tables as T  # noqa: E402

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]  # fmt: skip
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
PT_ONES = ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove",
           "dez", "onze", "doze", "treze", "catorze", "quinze", "dezesseis", "dezessete",
           "dezoito", "dezenove"]  # fmt: skip
PT_TENS = ["", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta",
           "noventa"]  # fmt: skip


def words_en(n: int) -> str:
    """An integer in English words, hyphenated tens: 54 -> 'fifty-four' (0 <= n < 1,000,000)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = f" {words_en(n % 100)}" if n % 100 else ""
        return f"{ONES[n // 100]} hundred{rest}"
    rest = f" {words_en(n % 1000)}" if n % 1000 else ""
    return f"{words_en(n // 1000)} thousand{rest}"


def words_pt(n: int) -> str:
    """An integer in Portuguese words (0 <= n < 100): 56 -> 'cinquenta e seis'."""
    if n < 20:
        return PT_ONES[n]
    return PT_TENS[n // 10] + (f" e {PT_ONES[n % 10]}" if n % 10 else "")


def accepted(answers: list[str], lang: str) -> list[str]:
    """Accepted answers, numbers also in words ('1000' -> 'one thousand', 'a thousand')."""
    out = []
    for a in answers:
        out.append(a)
        if re.fullmatch(r"\d+", a):
            n = int(a)
            if lang == "pt" and n < 100:
                out.append(words_pt(n))
            elif lang == "en":
                out.append(words_en(n))
                if n > 100 and n % 100:
                    out.append(words_en(n).replace(" hundred ", " hundred and "))
                if n in (100, 1000):
                    out.append(words_en(n).replace("one ", "a "))
            if n >= 1000:
                out.append(f"{n:,}")
    return out


def knowledge() -> list[dict]:
    rows = []
    for line in (HERE / "knowledge.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, lang, question, answers = line.split("\t")
        rows.append(
            {
                "category": category,
                "lang": lang,
                "question": question,
                "answers": accepted(answers.split("|"), lang),
            }
        )
    return rows + arithmetic()


def arithmetic(count: int = 72) -> list[dict]:
    """Sums, differences, products, quotients and small word problems, checked by Python."""
    rng = random.Random(17)
    templates = [
        ("What is {a} plus {b}?", lambda a, b: a + b, (11, 90), (3, 60)),
        ("What is {a} minus {b}?", lambda a, b: a - b, (30, 99), (2, 29)),
        ("What is {a} times {b}?", lambda a, b: a * b, (3, 12), (3, 12)),
        ("What is {a} divided by {b}?", lambda a, b: a // b, (2, 12), (2, 9)),
        ("How much is {a} + {b}?", lambda a, b: a + b, (101, 500), (12, 99)),
        ("What is half of {a}?", lambda a, b: a // 2, (6, 99), (0, 0)),
        ("What is {a} squared?", lambda a, b: a * a, (3, 15), (0, 0)),
        (
            "I have {a} apples and eat {b}. How many apples are left?",
            lambda a, b: a - b,
            (7, 30),
            (2, 6),
        ),
        (
            "A box holds {a} eggs. How many eggs are in {b} boxes?",
            lambda a, b: a * b,
            (6, 12),
            (3, 9),
        ),
        (
            "A pen costs {a} euros. How many euros do {b} pens cost?",
            lambda a, b: a * b,
            (2, 9),
            (3, 9),
        ),
        ("What number comes right after {a}?", lambda a, b: a + 1, (19, 998), (0, 0)),
        ("What is {a} percent of {b}?", lambda a, b: a * b // 100, (10, 50), (2, 20)),
    ]
    rows, seen = [], set()
    while len(rows) < count:
        text, f, (lo_a, hi_a), (lo_b, hi_b) = templates[len(rows) % len(templates)]
        a, b = rng.randint(lo_a, hi_a), rng.randint(lo_b, hi_b)
        if "divided" in text:
            a = a * b  # exact quotients only
        if "half" in text:
            a -= a % 2
        if "percent" in text:
            a, b = rng.choice([10, 20, 25, 50]), 20 * b
        question = text.format(a=a, b=b)
        answer = f(a, b)
        if question in seen or str(answer) in re.findall(r"\d+", question) or answer < 0:
            continue
        seen.add(question)
        rows.append(
            {
                "category": "arithmetic",
                "lang": "en",
                "question": question,
                "answers": accepted([str(answer)], "en"),
            }
        )
    return rows


def instructions() -> list[dict]:
    rows = []
    for kind, items in T.instructions().items():
        for prompt, check in items:
            rows.append({"category": kind, "prompt": prompt, "check": {"kind": kind, **check}})
    return rows


def tools() -> list[dict]:
    """Held-out tool requests (want a call) and plain questions that only sound like one."""
    rng = random.Random(5)
    rows = []
    for tool, per_tool, pairs in T.tool_requests():
        rng.shuffle(pairs)
        for request, arguments in pairs[:per_tool]:
            rows.append(
                {
                    "category": tool,
                    "prompt": request,
                    "tool": arguments.pop("tool"),
                    "arguments": arguments,
                }
            )
    for prompt in T.NO_TOOL:
        rows.append({"category": "no_tool", "prompt": prompt, "tool": None, "arguments": None})
    return rows


def split(rows: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """Halves per category, so dev and test cover the same mix."""
    by_category: dict[str, list[dict]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    dev, test = [], []
    rng = random.Random(seed)
    for c, category in enumerate(sorted(by_category)):
        items = by_category[category]
        rng.shuffle(items)
        for i, item in enumerate(items):  # odd-sized categories alternate the extra item
            (dev if (i + c) % 2 == 0 else test).append(item)
    return dev, test


def write(name: str, rows: list[dict], seed: int, out: Path = HERE) -> None:
    for part, items in zip(("dev", "test"), split(rows, seed), strict=True):
        (out / part).mkdir(parents=True, exist_ok=True)
        with (out / part / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for i, row in enumerate(items):
                f.write(json.dumps({"id": f"{name}-{part}-{i:03d}", **row}, ensure_ascii=False))
                f.write("\n")
        print(f"{part}/{name}.jsonl: {len(items)}")


def main(out: Path = HERE) -> None:
    write("knowledge", knowledge(), 1, out)
    write("instructions", instructions(), 2, out)
    write("tools", tools(), 3, out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
