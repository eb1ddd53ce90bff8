"""The held-out chat battery every training change is judged by (`parley eval chat`).

    parley eval chat --model sft-small --against smollm2-135m-instruct --split test
    parley eval chat --model smollm2-135m-instruct --split dev --seeds 3 --json

The sets live in `data/eval/{dev,test}/` (made by `data/eval/make_eval.py`; choose anything on
dev, report on test). Each prompt goes to the model as one user turn under the system prompt
(Parley's by default), answered `seeds` times with Parley's sampling unless told otherwise. Axes
(each a proportion over all answers, with a 95% Wilson interval that counts prompts, not answers, as
the independent draws when there are several seeds; checkers in `rlhf.eval_checks`):

- knowledge: an accepted answer occurs in the answer (`knows`);
- instructions: the prompt's verifiable constraint holds (`follows`);
- language · en / pt: the answer to a knowledge question is in the question's language (answers
  too short to tell are left out, so n varies);
- right tool / right call: on held-out tool requests, the first call names the right tool /
  also has the right arguments (`rlhf.eval_tools.arguments_match`);
- false tool calls: any `<tool_call>` in an answer to a prompt that wants no tool (knowledge,
  instructions, and questions that only sound like a tool request);
- loops / no end / empty: over every answer, a 4-word sequence said 3+ times, no end of answer
  within the token limit, an empty answer.

Generation is batched: the llama.cpp backend decodes `workers` answers together (one sequence
each), fed by as many threads.
"""

from __future__ import annotations

import inspect
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant import toolcall
from assistant.inference import Done, GenerationParams
from assistant.stats import wilson
from rlhf import eval_checks
from rlhf.eval_tools import arguments_match

SETS = Path(__file__).resolve().parents[1] / "data" / "eval"
SPLITS = ("dev", "test")
# (key, label, lower is better): the table's rows, in order
AXES = [
    ("knowledge", "knowledge", False),
    ("instructions", "instructions", False),
    ("language_en", "language · en", False),
    ("language_pt", "language · pt", False),
    ("right_tool", "right tool", False),
    ("right_call", "right call", False),
    ("false_call", "false tool calls", True),
    ("loop", "loops", True),
    ("no_end", "no end", True),
    ("empty", "empty", True),
]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Item:
    """One prompt of the battery: `kind` is knowledge, instructions or tools."""

    id: str
    kind: str
    category: str
    prompt: str
    data: dict[str, Any]


def load_items(split: str = "dev", sets: Path = SETS, limit: int | None = None) -> list[Item]:
    """Every prompt of the split (`limit`: that many of each set, spread over its categories)."""
    from assistant.errors import UsageError

    if split not in SPLITS:
        raise UsageError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    items = []
    for kind, key in (("knowledge", "question"), ("instructions", "prompt"), ("tools", "prompt")):
        path = sets / split / f"{kind}.jsonl"
        if not path.exists():
            raise UsageError(f"{path} is missing; run `python data/eval/make_eval.py`")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        if limit and limit < len(rows):  # spread over the categories (files are grouped)
            rows = rows[:: len(rows) // limit][:limit]
        for row in rows:
            items.append(Item(row["id"], kind, row["category"], row[key], row))
    return items


def score(item: Item, text: str, finish: str) -> dict[str, bool | None]:
    """The answer's marks on every axis that applies to its item (True: counts as a hit).

    >>> item = Item("k1", "knowledge", "geography", "Capital of Spain?", {"lang": "en",
    ...             "answers": ["Madrid"]})
    >>> score(item, "The capital of Spain is Madrid.", "eos")["knowledge"]
    True
    """
    marks: dict[str, bool | None] = {
        "loop": eval_checks.loops(text),
        "no_end": finish == "length",
        "empty": not text.strip(),
    }
    wants_tool = item.kind == "tools" and item.data.get("tool")
    if not wants_tool:
        marks["false_call"] = toolcall.OPEN in text
    if item.kind == "knowledge":
        marks["knowledge"] = eval_checks.knows(text, item.data["answers"])
        lang = item.data["lang"]
        marks[f"language_{lang}"] = eval_checks.in_language(text, lang)
    elif item.kind == "instructions":
        marks["instructions"] = eval_checks.follows(text, item.data["check"])
    elif wants_tool:
        calls = [c for c in toolcall.parse(text) if c.name]
        call = calls[0] if calls else None
        marks["right_tool"] = call is not None and call.name == item.data["tool"]
        marks["right_call"] = marks["right_tool"] and arguments_match(
            item.data["arguments"], call.arguments
        )
    return marks


def model_default_system(engine) -> str:
    """The system prompt the model's chat template puts in when a conversation has none."""
    from assistant.errors import UsageError

    def render(messages):
        template = getattr(engine.tokenizer, "template", None)
        if template is not None:
            return template.render(messages, add_generation_prompt=False)
        return engine.tokenizer.apply_chat_template(messages, tokenize=False)

    marker, user = "\x1fSYSTEM\x1f", [{"role": "user", "content": "hi"}]
    head, tail = render([{"role": "system", "content": marker}, *user]).split(marker)
    plain = render(user)
    if plain.startswith(head) and (end := plain.find(tail, len(head))) >= 0:
        return plain[len(head) : end]
    raise UsageError(f"{engine.name}'s chat template has no system prompt of its own")


def _generate_kwargs(engine) -> dict[str, Any]:
    # the engine runs calls itself and shows their results; here we want the model's own words
    signature = inspect.signature(engine.generate, follow_wrapped=False)
    return {"tools": False} if "tools" in signature.parameters else {}


def answer_all(
    engine,
    jobs: list[tuple[str, str, GenerationParams]],
    workers: int = 1,
    progress: Progress | None = None,
) -> list[Done]:
    """(system, prompt, params) -> the engine's `Done` for each, `workers` at a time."""
    raw = _generate_kwargs(engine)
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(jobs)):
        todo.put(i)
    results: list[Done | BaseException | None] = [None] * len(jobs)
    lock, done = threading.Lock(), [0]

    def work() -> None:
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            system, prompt, params = jobs[i]
            messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
            try:
                *_, last = engine.generate(messages, params, **raw)
                results[i] = last
            except BaseException as e:  # re-raised in the caller's thread
                results[i] = e
                while not todo.empty():  # stop the others early
                    todo.get_nowait()
            with lock:
                done[0] += 1
                if progress:
                    progress(done[0], len(jobs))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def clustered(groups: list[list[bool]]) -> dict[str, Any]:
    """Hits k of n answers, grouped by prompt, with a 95% interval that counts the prompts, not
    the answers, as the independent draws: answers to one prompt under several seeds agree more
    than answers to different prompts. The interval is Wilson's at the effective sample size
    (Kish): the rate's variance across prompts (the cluster-robust variance of a ratio) gives
    n_eff = p(1-p) / var, kept between the number of prompts and the number of answers. One
    answer per prompt is plain Wilson over the answers.

    >>> clustered([[True], [False], [True], [True]])
    {'k': 3, 'n': 4, 'rate': 0.75, 'ci95': [0.301, 0.954]}
    >>> clustered([[True, True], [False, False], [True, True], [True, True]])["ci95"]
    [0.301, 0.954]
    >>> clustered([[True, False], [False, True], [True, False], [False, True]])["ci95"]
    [0.215, 0.785]
    """
    groups = [g for g in groups if g]
    k, n, prompts = sum(sum(g) for g in groups), sum(len(g) for g in groups), len(groups)
    if not n:
        return {"k": 0, "n": 0, "rate": None, "ci95": [0.0, 1.0]}
    rate, effective = k / n, n
    if prompts > 1 and prompts < n:
        spread = sum((sum(g) - rate * len(g)) ** 2 for g in groups)
        variance = prompts / (prompts - 1) * spread / (n * n)
        if variance > 0:
            effective = min(n, max(prompts, rate * (1 - rate) / variance))
        elif rate in (0.0, 1.0):  # every answer agrees: nothing says the seeds were independent
            effective = prompts
    low, high = wilson(rate * effective, effective)
    return {"k": k, "n": n, "rate": rate, "ci95": [round(low, 3), round(high, 3)]}


def summarize(marks: list[dict[str, bool | None]], ids: list | None = None) -> dict[str, Any]:
    """Per axis: hits k of n counted answers, the rate and its 95% interval, clustered by prompt
    (`ids[i]` is the prompt of `marks[i]`; without ids every answer is its own prompt).

    >>> summarize([{"knowledge": True}, {"knowledge": False}, {"knowledge": None}])["knowledge"]
    {'k': 1, 'n': 2, 'rate': 0.5, 'ci95': [0.095, 0.905]}
    """
    ids = ids if ids is not None else list(range(len(marks)))
    out = {}
    for key, _, _ in AXES:
        groups: dict[Any, list[bool]] = {}
        for prompt, m in zip(ids, marks, strict=True):
            if m.get(key) is not None:
                groups.setdefault(prompt, []).append(bool(m[key]))
        out[key] = clustered(list(groups.values()))
    return out


def by_category(items: list[Item], marks: list[dict[str, bool | None]]) -> dict[str, Any]:
    """Per category, for the record: knowledge and instructions right, tool requests with the
    right call, and false calls on the plain prompts that only sound like tool requests."""
    out: dict[str, Any] = {}
    for item, m in zip(items, marks, strict=True):
        key = item.kind
        if item.kind == "tools":
            key = "right_call" if item.data.get("tool") else "false_call"
        row = out.setdefault(f"{item.kind}/{item.category}", [0, 0])
        row[0], row[1] = row[0] + bool(m[key]), row[1] + 1
    return {k: {"rate": round(h / n, 3), "n": n} for k, (h, n) in sorted(out.items())}


def run(
    engine,
    items: list[Item],
    system: str | None = None,
    params: GenerationParams | None = None,
    seeds: int = 1,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The battery on one engine: every item answered with seeds 0..seeds-1, scored."""
    params = params or GenerationParams()
    system = engine.system_prompt if system is None else system
    pairs = [(item, seed) for seed in range(seeds) for item in items]
    jobs = [(system, item.prompt, replace(params, seed=seed)) for item, seed in pairs]
    start = time.perf_counter()
    answers = answer_all(engine, jobs, workers, progress)
    seconds = time.perf_counter() - start
    marks = [
        score(item, a.text, a.finish_reason) for (item, _), a in zip(pairs, answers, strict=True)
    ]
    return {
        "model": engine.name,
        "system": system,
        "params": {k: v for k, v in params.to_dict().items() if k != "seed"},
        "seeds": seeds,
        "prompts": len(items),
        "answers": len(answers),
        "seconds": round(seconds, 1),
        "tokens": sum(a.completion_tokens for a in answers),
        "axes": summarize(marks, [i for _ in range(seeds) for i in range(len(items))]),
        "categories": by_category([i for i, _ in pairs], marks),
        "items": [
            {"id": item.id, "seed": seed, "answer": a.text, "finish": a.finish_reason, "marks": m}
            for (item, seed), a, m in zip(pairs, answers, marks, strict=True)
        ],
    }


def cell(axis: dict[str, Any]) -> str:
    """'61.9% [54.8-68.5] n=189', or '-' when nothing was counted.

    >>> cell({"k": 3, "n": 4, "rate": 0.75, "ci95": [0.301, 0.954]})
    '75.0% [30.1–95.4] n=4'
    """
    if not axis["n"]:
        return "-"
    low, high = axis["ci95"]
    return f"{axis['rate']:.1%} [{100 * low:.1f}–{100 * high:.1f}] n={axis['n']}"


def table(results: list[dict[str, Any]], names: list[str]) -> str:
    """One column per model, one row per axis (each figure with its 95% interval), then the time.

    >>> axis = {"k": 1, "n": 2, "rate": 0.5, "ci95": [0.095, 0.905]}
    >>> result = {"axes": {"knowledge": axis}, "seconds": 212.4, "answers": 360,
    ...           "tokens": 23456}
    >>> print(table([result, result], ["a", "b"]))  # doctest: +NORMALIZE_WHITESPACE
                            a                                b
    knowledge               50.0% [9.5–90.5] n=2             50.0% [9.5–90.5] n=2
    time                    212 s, 360 answers, 23456 tokens 212 s, 360 answers, 23456 tokens
    ↓ lower is better; [95% interval]; n answers counted
    """
    rows = []
    for key, label, lower in AXES:
        cells = [cell(r["axes"][key]) if key in r["axes"] else "-" for r in results]
        if any(c != "-" for c in cells):
            rows.append((label + (" ↓" if lower else ""), cells))
    rows.append(
        (
            "time",
            [
                f"{r['seconds']:.0f} s, {r['answers']} answers, {r['tokens']} tokens"
                for r in results
            ],
        )
    )
    width = max(len(c) for _, cells in rows for c in [*cells, *names]) + 2
    lines = ["".ljust(24) + "".join(n.ljust(width) for n in names)]
    lines += [f"{label:<24}" + "".join(c.ljust(width) for c in cells) for label, cells in rows]
    lines.append("↓ lower is better; [95% interval]; n answers counted")
    return "\n".join(line.rstrip() for line in lines)


def category_table(results: list[dict[str, Any]], names: list[str]) -> str:
    """The record's per-category rates, one column per model (tools/no_tool: false calls).

    >>> print(category_table([{"categories": {"knowledge/science": {"rate": 0.5, "n": 4}}}],
    ...                      ["m"]))
    category                    m
    knowledge/science           50% n=4
    """
    keys = sorted({k for r in results for k in r["categories"]})
    width = max(16, *(len(n) + 2 for n in names))
    lines = ["category".ljust(28) + "".join(n.ljust(width) for n in names)]
    for key in keys:
        cells = [r["categories"].get(key) for r in results]
        lines.append(
            key.ljust(28)
            + "".join((f"{c['rate']:.0%} n={c['n']}" if c else "-").ljust(width) for c in cells)
        )
    return "\n".join(line.rstrip() for line in lines)


def record_path(model: str, split: str, home: Path | None = None) -> Path:
    """Where the record goes: `<run>/evals/` when the model is a run's `model/` directory,
    else `$PARLEY_HOME/evals/`."""
    from assistant import models, paths
    from assistant.errors import ModelNotFound

    folder, name = (home or paths.home()) / "evals", model
    try:
        spec = models.resolve(model)
    except ModelNotFound:  # an engine that is not a model on disk (a test's)
        spec = None
    if spec is not None:
        name = spec.name
        if spec.kind in ("checkpoint", "local") and Path(spec.path).name == "model":
            folder = Path(spec.path).parent / "evals"
    folder.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return folder / f"chat-{slug}-{split}-{time.strftime('%Y%m%d-%H%M%S')}.json"


def load_engine(
    model: str, workers: int, context_window: int = 1024, progress=None, backend: str = "auto"
):
    """The engine for the battery: on llama.cpp, `workers` sequences decoded together in a
    short window; on transformers, one answer at a time. Returns (engine, workers)."""
    from assistant import inference, models

    spec = models.resolve(model)
    if inference.choose_backend(spec, backend, progress) == "llamacpp":
        engine = inference.load_engine(
            spec,
            backend="llamacpp",
            progress=progress,
            context_window=context_window,
            n_seq=workers,
        )
        return engine, workers
    return inference.load_engine(spec, backend="transformers", progress=progress), 1
