"""Builds Parley's seed SFT set and the held-out tool requests from the lists below and in
`plain.py` (questions that want a plain answer).

    python data/sft/make_seed.py      # rewrites seed.jsonl and tool_heldout.jsonl (deterministic)

Everything here was written for Parley (CC0, see README.md). Tool requests in the held-out set use
phrasings (templates) and contents (texts, objects) that never occur in the training set. Plain
answers outnumber tool calls, so the model learns when *not* to call a tool; a training question
that is (nearly) a prompt of the held-out eval sets in `data/eval/` is left out.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import identity  # noqa: E402
import more_plain  # noqa: E402
import plain  # noqa: E402
import subjects  # noqa: E402
import tool_more as tt  # noqa: E402

from assistant.chat_context import chat_context  # noqa: E402
from assistant.toolcall import render  # noqa: E402

TOOL_CAP = {
    "translate": 130,
    "sentiment": 75,
    "summarize": 75,
    "imagine": 110,
    "transcribe": 70,
    "caption": 70,
    "qa": 60,
}
EVAL_DIR = HERE.parent / "eval"
EVAL_KEYS = ("prompt", "question", "request", "input", "instruction", "text")


def conversation(*turns: tuple[str, str | tuple[str, dict]]) -> dict:
    """(user, assistant) turns as one SFT record in the chat context; an assistant turn that is a
    (tool, arguments) pair is that tool call."""
    messages = []
    for user, answer in turns:
        content = render(*answer) if isinstance(answer, tuple) else answer
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": content}]
    return {"messages": chat_context(messages)}


def tool_requests(split: int, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(request, tool, arguments) for split 0 (training) or 1 (held-out)."""
    out = []
    for template in tt.TO_PT[split]:
        for t in tt.EN[split]:
            out.append((template.format(t=t), "translate", {"text": t, "to": "pt"}))
    for template in tt.TO_EN[split]:
        for t in tt.PT[split]:
            out.append((template.format(t=t), "translate", {"text": t, "to": "en"}))
    for template in tt.SENTIMENT[split]:
        for t in tt.REVIEWS[split]:
            out.append((template.format(t=t), "sentiment", {"text": t}))
    for template in tt.SUMMARIZE[split]:
        for t in tt.PARAGRAPHS[split]:
            out.append((template.format(t=t), "summarize", {"text": t}))
    for template in tt.IMAGINE[split]:
        for x in tt.OBJECTS[split]:
            if "{n}" in template:
                n = rng.randint(2, 4)
                args = {"prompt": f"a {x}", "n": n}
                out.append((template.format(x=x, n=n), "imagine", args))
            else:
                out.append((template.format(x=x), "imagine", {"prompt": f"a {x}"}))
    return out + (file_requests() if split == 0 else [])


def file_requests() -> list[tuple[str, str, dict]]:
    """Training requests about a recording, an image or a text given in the message: `transcribe`
    names no file, `caption` the file's name without `@`, `qa` copies the question and the text."""
    out = [(t.format(f=f), "transcribe", {}) for t in tt.TRANSCRIBE for f in tt.RECORDINGS]
    out += [(t.format(f=f), "caption", {"image": f}) for t in tt.CAPTION for f in tt.PICTURES]
    for template in tt.QA:
        for document, question in tt.DOCUMENTS:
            lower = question[0].lower() + question[1:]
            request = template.format(d=document, q=question, lq=lower)
            out.append((request, "qa", {"question": question, "document": document}))
    return out


def arithmetic(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Questions whose answers are right by construction."""
    out = []
    for i in range(n):
        a, b = rng.randint(11, 99), rng.randint(2, 19)
        kind = i % 4
        if kind == 0:
            out.append((f"Add {a} and {b}.", f"{a} + {b} = {a + b}."))
        elif kind == 1:
            out.append((f"Compute {a} times {b}.", f"{a} × {b} = {a * b}."))
        elif kind == 2:
            out.append((f"Subtract {b} from {a}.", f"{a} − {b} = {a - b}."))
        else:
            out.append(
                (f"What do you get when you divide {a * b} by {b}?", f"{a * b} ÷ {b} = {a}.")
            )
    return out


def formatted(i: int, question: str, short: str, sentence: str) -> tuple[str, str]:
    """Fact `i` asked with one verifiable constraint (IFEval-style), answered to it."""
    one_word = len(short.split()) == 1
    forms = [
        (
            f"Answer in one word: {question}"
            if one_word
            else f"Answer in as few words as possible: {question}",
            f"{short}.",
        ),
        (f"{question} Reply in lowercase letters only.", sentence.lower()),
        (f"{question} Answer in capital letters.", sentence.upper()),
        (
            f'{question} Give the answer as a JSON object with the key "answer".',
            json.dumps({"answer": short}, ensure_ascii=False),
        ),
        (f'{question} Start your reply with "Answer:".', f"Answer: {short}."),
        (f'{question} End your reply with "Anything else?"', f"{sentence} Anything else?"),
        (f"{question} Use one sentence.", sentence),
        (f"{question} Wrap your whole answer in double quotes.", f'"{sentence}"'),
    ]
    return forms[i % len(forms)]


def word_problems(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Short word problems, answered with the sum that solves them (right by construction)."""
    out = []
    for i in range(n):
        a, b = rng.randint(3, 29), rng.randint(2, 9)
        question, answer = more_plain.WORD_PROBLEMS[i % len(more_plain.WORD_PROBLEMS)]
        values = {"a": a, "b": b, "s": a + b, "p": a * b, "name": more_plain.NAMES[i % 8]}
        out.append((question.format(**values), answer.format(**values)))
    return out


def tips() -> list[tuple[str, str]]:
    """Each topic's tips asked for under the battery's kinds of constraint, answered to it."""
    out = []
    for i, (topic, items) in enumerate(more_plain.TIPS):
        n, m = 2 + i % 4, 2 + (i + 1) % 3
        tip = items[i % len(items)]
        word = max(tip.rstrip(".").split(), key=len)
        start, end = more_plain.STARTS[i % 5], more_plain.ENDINGS[i % 5]
        out += [
            (
                f"Give {n} tips for {topic} as a bulleted list.",
                "\n".join(f"- {x}" for x in items[:n]),
            ),
            (f"Write exactly {m} sentences about {topic}.", " ".join(items[:m])),
            (f"Give me a tip for {topic}, in lowercase letters only.", tip.lower()),
            (
                f'Start your answer with the word "{start}". Any advice on {topic}?',
                f"{start}, {tip[0].lower()}{tip[1:]}",
            ),
            (
                f'Give me one tip for {topic}. End your answer with the exact phrase "{end}"',
                f"{tip} {end}",
            ),
            (f'Give one tip for {topic} that uses the word "{word}".', tip),
            (f"In at most {len(tip.split()) + 2} words, give a tip for {topic}.", tip),
            (
                f'Reply with a JSON object with the key "tip": one tip for {topic}.',
                json.dumps({"tip": tip}),
            ),
            (f"How can I get better at {topic}?", " ".join(items[1:4])),
        ]
    return out


def plain_conversations(rng: random.Random) -> list[dict]:
    """Every conversation that wants no tool call (see README.md for the kinds)."""
    pairs = [(q, sentence) for q, _, sentence in plain.FACTS]
    pairs += [formatted(i, *fact) for i, fact in enumerate(plain.FACTS)]
    for i, (q, yes_no, reason) in enumerate(plain.YES_NO):
        pairs.append((q, f"{yes_no}. {reason}"))
        ask = f"Answer yes or no: {q}" if i % 2 else f"{q} Reply with only yes or no."
        pairs.append((ask, f"{yes_no}."))
    for i, (name, items) in enumerate(plain.LISTS):
        n = 2 + i % 4
        pairs.append(
            (f"List exactly {n} {name} as bullet points.", "\n".join(f"- {x}" for x in items[:n]))
        )
        m = 2 + (i + 2) % 4
        pairs.append(
            (f"Name {plain.NUMBERS[m]} {name}, separated by commas.", ", ".join(items[:m]))
        )
    pairs += plain.WRITTEN + plain.PORTUGUESE + identity.GENERAL + arithmetic(rng, 40)
    pairs += plain.COUNTER * 2  # the questions most easily mistaken for tool requests, twice
    portuguese = plain.PORTUGUESE + (more_plain.PORTUGUESE + more_plain.PORTUGUESE_MORE) * 2
    pairs += more_plain.COUNTER * 2 + portuguese + more_plain.ONE_WORD + tips() * 2
    pairs += word_problems(rng, 48)
    records = [conversation(pair) for pair in pairs]
    return records + [conversation(*turns) for turns in plain.FOLLOW_UPS]


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# English and Portuguese words that say nothing of a question's subject
FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "called",
        "call",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "many",
        "much",
        "me",
        "my",
        "of",
        "on",
        "or",
        "tell",
        "the",
        "there",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "you",
        "your",
        "qual",
        "é",
        "o",
        "os",
        "da",
        "das",
        "dos",
        "de",
        "que",
        "em",
        "no",
        "na",
        "um",
        "uma",
        "quantos",
        "quantas",
        "quanto",
        "como",
        "se",
    }
)


def _content(text: str) -> set[str]:
    return set(_normal(text).split()) - FUNCTION_WORDS


@dataclass
class EvalPrompt:
    text: str  # normalised
    content: set[str]
    answers: list[str]  # normalised accepted answers (knowledge questions only)


def eval_prompts(root: Path = EVAL_DIR) -> list[EvalPrompt]:
    """Every prompt of the held-out eval sets (JSONL files under data/eval/)."""
    found = []
    for path in sorted(root.rglob("*.jsonl")) if root.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            answers = [_normal(a) for a in row.get("answers") or [] if isinstance(a, str)]
            for key in EVAL_KEYS:
                if isinstance(row.get(key), str) and _normal(row[key]):
                    text = _normal(row[key])
                    found.append(EvalPrompt(text, _content(text), answers))
    return found


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near(question: str, answer: str, prompts: list[EvalPrompt]) -> bool:
    """Is `question` an eval prompt, or does it hold one, or ask the same fact as an eval question
    (half the subject words in common, and `answer` gives that question's accepted answer)?"""
    q, said = _normal(question), f" {_normal(answer)} "
    content = _content(q)
    for p in prompts:
        if q == p.text or (len(p.text) >= 12 and p.text in q):
            return True
        if _jaccard(content, p.content) >= 0.5 and any(f" {a} " in said for a in p.answers):
            return True
    return False


def turns(record: dict) -> list[tuple[str, str]]:
    """(user message, the assistant's reply) pairs of a conversation."""
    m = record["messages"]
    return [
        (u["content"], a["content"])
        for u, a in zip(m, m[1:], strict=False)
        if u["role"] == "user" and a["role"] == "assistant"
    ]


DEMONSTRATIONS = ("tools_audio.jsonl", "tools_caption.jsonl", "tools_qa.jsonl")
HELDOUT_DEMONSTRATIONS = (
    "tools_audio_heldout.jsonl",
    "tools_caption_heldout.jsonl",
    "tools_qa_heldout.jsonl",
)  # rows of tool_heldout.jsonl for `parley eval tools`, phrased unlike the ones above


def file_demonstrations() -> list[dict]:
    """The hand-written rows of DEMONSTRATIONS: requests about a recording, an image or a text
    answered with a `transcribe`, `caption` or `qa` call, and questions about them answered in
    words. A `transcribe` call names no file and a `caption` call only the name the person wrote
    (a model's call opens no file); a `qa` call copies the question and the text from the
    message."""
    lines = [
        line
        for name in DEMONSTRATIONS
        for line in (HERE / name).read_text(encoding="utf-8").splitlines()
    ]
    rows = [json.loads(line) for line in lines]
    return [conversation((r["user"], r["assistant"])) for r in rows]


def main() -> None:
    rng = random.Random(0)
    train = tool_requests(0, rng)
    rng.shuffle(train)
    per_tool: dict[str, int] = {}
    records = []
    for request, tool, arguments in train:  # cap each tool so no one tool dominates
        per_tool[tool] = per_tool.get(tool, 0) + 1
        if per_tool[tool] <= TOOL_CAP[tool]:
            records.append(conversation((request, (tool, arguments))))
    tool_calls = len(records)
    records += plain_conversations(rng)
    records += file_demonstrations()
    prompts = eval_prompts()
    named = " ".join(p.text for p in prompts)  # a subject an eval prompt names stays unseen
    records += [conversation(task) for task in subjects.tasks(named)]
    kept = [r for r in records if not any(near(q, a, prompts) for q, a in turns(r))]
    rng.shuffle(kept)
    with (HERE / "seed.jsonl").open("w", encoding="utf-8") as f:
        for r in kept:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    heldout = tool_requests(1, random.Random(1))
    random.Random(2).shuffle(heldout)
    with (HERE / "tool_heldout.jsonl").open("w", encoding="utf-8") as f:
        for request, tool, arguments in heldout[:60]:
            row = {"request": request, "tool": tool, "arguments": arguments}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for name in HELDOUT_DEMONSTRATIONS:
            f.write((HERE / name).read_text(encoding="utf-8"))
    files = [(HERE / name).read_text().splitlines() for name in HELDOUT_DEMONSTRATIONS]
    audio, image, text = (len(lines) for lines in files)
    plain_kept = sum("<tool_call>" not in r["messages"][-1]["content"] for r in kept)
    print(
        f"seed.jsonl: {len(kept)} conversations ({len(kept) - plain_kept} end in a tool call, "
        f"{plain_kept} in a plain answer; {len(records) - len(kept)} left out as near an eval "
        f"prompt; {tool_calls} tool calls before that); "
        f"tool_heldout.jsonl: {min(60, len(heldout))} + {audio} recording, {image} image and "
        f"{text} document requests"
    )


if __name__ == "__main__":
    main()
