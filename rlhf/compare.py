"""What the pipeline measures beyond training: each method against SFT on the held-out win-rate
prompts (PPO, RLOO, DPO, best-of-n with the reward model; the held-out judge, both orders),
`parley eval chat` axes for every model and the embedded one it began from, and the wall time
and peak memory of each stage (`Meter`). Sampling runs on llama.cpp, `WORKERS` answers decoded
together.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rlhf import winrate

WORKERS = 8  # answers llama.cpp decodes together when the pipeline samples


class Meter:
    """Wall time and peak resident memory of a block (memory sampled from /proc every 0.2 s,
    so a stage's peak is its own, not the process's highest so far)."""

    def __enter__(self) -> Meter:
        import threading

        self.peak, self._stop = _rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.start = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    def record(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 1), "peak_rss_mb": round(self.peak)}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(model: str | Path):
    """The model on llama.cpp decoding `WORKERS` answers together where it can (else
    transformers, one at a time); tool calls stay text."""
    from rlhf import evalchat

    loaded, _ = evalchat.load_engine(str(model), WORKERS, context_window=1024)
    loaded.run_tools = False
    return loaded


def close(engine) -> None:
    """Free llama.cpp's memory now (the next model is loaded right after)."""
    if hasattr(engine, "close"):
        engine.close()


def against_sft(
    root: Path,
    p: dict[str, Any],
    preset: str,
    prompts: list[dict[str, Any]],
    policies: dict[str, Path],
    methods: tuple[str, ...],
) -> dict[str, Any]:
    """Each method's answers to the held-out win-rate prompts against the SFT model's, judged in
    both orders by the held-out judge: PPO (and RLOO, DPO) sample as the SFT model does (same
    seed and temperature); best-of-n answers with the SFT answer, out of `bon` samples, that the
    reward model scores highest."""
    asked = [r["prompt"] for r in prompts]
    tokens = p["max_new_tokens"]
    sft = load(root / "sft" / "model")
    base = winrate.answers(sft, asked, 0, 0.7, tokens)
    out: dict[str, Any] = {"methods": {}}
    if "bon" in methods:
        with Meter() as m:
            said = _best_of_n(sft, root / "reward" / "model", asked, p["bon"], tokens)
        out["methods"]["bon"], out["bon_cost"] = said, m.record()
    close(sft)
    for method, model in policies.items():
        engine = load(model)
        out["methods"][method] = winrate.answers(engine, asked, 0, 0.7, tokens)
        close(engine)
    names = {
        "ppo": f"{preset}-policy (PPO)",
        "rloo": "RLOO",
        "dpo": "DPO",
        "bon": f"best-of-{p['bon']}",
    }
    for method, said in list(out["methods"].items()):
        outcomes = winrate.judge_pairs(asked, said, base, "judge")
        out["methods"][method] = winrate.compare(
            asked, said, base, outcomes, "judge", (names[method], f"{preset} SFT")
        )
    return {**out["methods"]["ppo"], **out}


def _best_of_n(engine, reward_model: Path, prompts: list, n: int, tokens: int) -> list[str]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from assistant.chat_context import chat_context
    from rlhf.reward import score

    samples = [
        winrate.answers(engine, prompts, 1 + i, 0.7 + 0.3 * (i % 2), tokens) for i in range(n)
    ]
    rm = AutoModelForSequenceClassification.from_pretrained(str(reward_model), num_labels=1)
    tok = AutoTokenizer.from_pretrained(str(reward_model))
    chats = [chat_context(q) for q in prompts]
    scores = [
        score(rm, tok, chats, [[{"role": "assistant", "content": a}] for a in said])
        for said in samples
    ]
    return [samples[max(range(n), key=lambda i: scores[i][j])][j] for j in range(len(prompts))]


def eval_chat(p: dict[str, Any], models: dict[str, Path], progress) -> dict[str, Any]:
    """`parley eval chat` on the preset's split for each model and the embedded one it started
    from (whose figures are kept in `$PARLEY_HOME/evals/`, reused while the settings match)."""
    from assistant.inference import GenerationParams
    from rlhf import evalchat
    from rlhf.models import runs_dir

    items = evalchat.load_items(p["eval_split"], limit=p["eval_limit"])
    params = GenerationParams(max_new_tokens=p["eval_tokens"])
    out = {}
    cache = (
        runs_dir().parent
        / "evals"
        / (f"pipeline-embedded-{p['eval_split']}-{p['eval_limit']}-{p['eval_tokens']}.json")
    )
    for name, model in {**models, "embedded": None}.items():
        if model is None and cache.exists():
            out[name] = json.loads(cache.read_text())
            continue
        engine, workers = evalchat.load_engine(
            str(model) if model else "smollm2-135m-instruct", WORKERS
        )
        progress(f"pipeline: eval chat: {name} ...")
        result = evalchat.run(engine, items, params=params, workers=workers)
        close(engine)
        out[name] = {k: v for k, v in result.items() if k not in ("items", "categories")}
        if model is None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(out[name], indent=2))
    return out
