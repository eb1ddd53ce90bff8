"""Sampling answer pairs, labelling them, and win rates with a 95% interval.

    parley eval winrate --model ppo-small --against sft-small --judge judge
    parley eval winrate --model ppo-small --against sft-small --judge reward-model --reward-model D
    parley eval winrate --model ppo-small --against sft-small --judge human   # queue for the arena

`sample_pairs` answers each prompt twice with the same model (different seeds): the raw material
for preference pairs, labelled by `rlhf.raters.label_pairs`. `winrate` answers each held-out
prompt with both models (same seed) and lets a judge pick: a simulated annotator (`judge` is the
held-out one that labels no training pair), the reward model, or people in `parley arena`.
A simulated annotator judges each pair in both orders; ties count half. The interval is
Wilson's score interval at 95%.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.stats import wilson
from rlhf import annotators

HELDOUT_PROMPTS = Path(__file__).resolve().parents[1] / "data" / "sft" / "rl_heldout_prompts.txt"


def read_prompts(path: str | Path = HELDOUT_PROMPTS) -> list[str]:
    from rlhf.data import read_prompts as read

    return [p[-1]["content"] for p in read(str(path))]


def replies(engine, chats: list, params: list, workers: int | None = None) -> list[str]:
    """Each chat's answer by `engine` (its own words: a tool call stays text), `workers` at a
    time (default the engine's `n_seq`: llama.cpp decodes that many answers together)."""
    from concurrent.futures import ThreadPoolExecutor

    if hasattr(engine, "run_tools"):
        engine.run_tools = False
    backend = getattr(engine, "backend", None)  # llama.cpp's decodes n_seq answers at once
    workers = workers or getattr(engine, "n_seq", 0) or getattr(backend, "n_seq", 1)
    if workers <= 1:
        return [engine.reply(c, p).text.strip() for c, p in zip(chats, params, strict=True)]
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(
            lambda job: engine.reply(*job).text.strip(), zip(chats, params, strict=True)
        )
        return list(done)


def answers(engine, prompts: list, seed: int, temperature: float, max_new: int) -> list[str]:
    from assistant.chat_context import chat_context
    from assistant.inference import GenerationParams

    params = GenerationParams(temperature=temperature, top_p=1.0, max_new_tokens=max_new, seed=seed)
    return replies(engine, [chat_context(p) for p in prompts], [params] * len(prompts))


def sample_answer_pairs(
    engine,
    prompts: list,
    temperatures: tuple[float, ...] = (0.7, 1.0),
    max_new_tokens: int = 48,
    seed: int = 0,
) -> list[tuple]:
    """(prompt, answer a, answer b): each prompt answered once per temperature (2-4 answers,
    different seeds, all in one batch), then every two different answers of a prompt a pair."""
    from itertools import combinations

    from assistant.chat_context import chat_context
    from assistant.inference import GenerationParams

    jobs = [
        (
            chat_context(p),
            GenerationParams(
                temperature=t, top_p=1.0, seed=seed + i, max_new_tokens=max_new_tokens
            ),
        )
        for i, t in enumerate(temperatures)
        for p in prompts
    ]
    said = replies(engine, [c for c, _ in jobs], [q for _, q in jobs])
    answers = [said[i * len(prompts) : (i + 1) * len(prompts)] for i in range(len(temperatures))]
    rows = []
    for prompt, mine in zip(prompts, zip(*answers, strict=True), strict=True):
        distinct = list(dict.fromkeys(mine))
        rows += [(prompt, a, b) for a, b in combinations(distinct, 2)]
    return rows


def sample_pairs(
    engine, prompts: list[str], temperature: float = 1.0, max_new_tokens: int = 48, seed: int = 0
) -> list[tuple[str, str, str]]:
    """(prompt, answer a, answer b): each prompt answered twice by the same model."""
    a = answers(engine, prompts, seed, temperature, max_new_tokens)
    b = answers(engine, prompts, seed + 1, temperature, max_new_tokens)
    return list(zip(prompts, a, b, strict=True))


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    tmp.replace(path)


def _outcome(score_a: float, score_b: float) -> float:
    return 1.0 if score_a > score_b else 0.5 if score_a == score_b else 0.0


def judge_pairs(
    prompts: list[str], a: list[str], b: list[str], judge: str = "judge"
) -> list[float]:
    """Per prompt, 1 if answer `a` wins by the annotator `judge`, 0 if `b` does, 0.5 for a tie.
    Each pair is judged in both orders ((a, b) and (b, a)) and the two verdicts averaged, so a
    judge's taste for a position cancels out: a verdict that follows the position is a tie."""
    scorer = annotators.get(judge)
    out = []
    for p, x, y in zip(prompts, a, b, strict=True):
        first, second = scorer([p, p], [x, y]), scorer([p, p], [y, x])
        out.append((_outcome(first[0], first[1]) + _outcome(second[1], second[0])) / 2)
    return out


def winrate(
    model_a,
    model_b,
    prompts: list[str],
    judge: str = "judge",
    reward_model: str | None = None,
    temperature: float = 0.7,
    max_new_tokens: int = 64,
    seed: int = 0,
    names: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """How often `model_a`'s answer beats `model_b`'s (engines), by the judge; ties count half.
    An annotator judges each pair in both orders (`judge_pairs`); the reward model scores each
    answer on its own.

    `names`: what the result calls the two models (default: the engines' names, which for a
    directory is only its last part, e.g. "model" for both `sft/model` and `ppo/model`)."""
    name_a, name_b = names or (model_a.name, model_b.name)
    a = answers(model_a, prompts, seed, temperature, max_new_tokens)
    b = answers(model_b, prompts, seed, temperature, max_new_tokens)
    if judge == "reward-model":
        if not reward_model:
            from assistant.errors import UsageError

            raise UsageError("--judge reward-model needs --reward-model DIR")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from assistant.chat_context import chat_context
        from rlhf.reward import score

        rm = AutoModelForSequenceClassification.from_pretrained(reward_model, num_labels=1)
        tok = AutoTokenizer.from_pretrained(reward_model)
        chats = [chat_context(p) for p in prompts]
        sa = score(rm, tok, chats, [[{"role": "assistant", "content": x}] for x in a])
        sb = score(rm, tok, chats, [[{"role": "assistant", "content": x}] for x in b])
        outcomes = [_outcome(x, y) for x, y in zip(sa, sb, strict=True)]
    else:
        outcomes = judge_pairs(prompts, a, b, judge)
    return compare(prompts, a, b, outcomes, judge, (name_a, name_b))


def compare(
    prompts: list,
    a: list[str],
    b: list[str],
    outcomes: list[float],
    judge: str,
    names: tuple[str, str],
) -> dict[str, Any]:
    """The win-rate record of answers `a` against `b` from per-prompt outcomes (1, 0.5, 0):
    wins, ties, losses, the rate and its Wilson 95% interval, the first examples."""
    n = len(prompts)
    low, high = wilson(sum(outcomes), n)
    return {
        "model": names[0],
        "against": names[1],
        "judge": judge,
        "orders": "both",
        "n": n,
        "wins": sum(o == 1.0 for o in outcomes),
        "ties": sum(o == 0.5 for o in outcomes),
        "losses": sum(o == 0.0 for o in outcomes),
        "winrate": sum(outcomes) / n if n else 0.0,
        "ci95": [low, high],
        "examples": [{"prompt": p, "a": x, "b": y} for p, x, y in zip(prompts, a, b, strict=True)][
            :5
        ],
    }


def queue_for_humans(model_a, model_b, prompts: list[str], path: Path, seed: int = 0) -> str:
    """`--judge human`: both models' answers as an arena prompts file; returns the session key."""
    from assistant.rate.arena import enqueue_pairs

    a = answers(model_a, prompts, seed, 0.7, 64)
    b = answers(model_b, prompts, seed, 0.7, 64)
    pairs = [
        {
            "prompt": p,
            "responses": [{"model": model_a.name, "text": x}, {"model": model_b.name, "text": y}],
        }
        for p, x, y in zip(prompts, a, b, strict=True)
    ]
    return enqueue_pairs(path, pairs)


def human_winrate(conn, path: Path, model: str, against: str) -> dict[str, Any] | None:
    """`--judge human`, once rated: `model`'s win rate over the votes on the queued pairs in
    `path` (ties count half; both-bad counts as a tie; skips do not count). None before any vote.
    Every annotator's standing vote counts once."""
    from assistant.rate.arena import load_prompts, session_key, session_votes

    votes = session_votes(conn, session_key(load_prompts(path), []))
    counted = [v for v in votes if v["vote"] != "skip"]
    if not counted:
        return None
    wins = sum(
        1.0 if v["winner"] == model else 0.5 if v["winner"] is None else 0.0 for v in counted
    )
    low, high = wilson(wins, len(counted))
    return {
        "model": model,
        "against": against,
        "judge": "human",
        "n": len(counted),
        "wins": sum(v["winner"] == model for v in counted),
        "ties": sum(v["winner"] is None for v in counted),
        "winrate": wins / len(counted),
        "ci95": [low, high],
        "annotators": sorted({v["annotator"] for v in counted}),
    }
