"""Choose Parley's system prompt and sampling defaults on the dev split of `parley eval chat`.

    python bench/choose_defaults.py                   # stage 1: system prompts at the defaults
    python bench/choose_defaults.py --stage sampling --system p2   # stage 2: sampling under p2
    python bench/choose_defaults.py --model sft-small --stage sampling

Every candidate answers the dev split's knowledge and instruction prompts (one seed; the
embedded model on llama.cpp, 8 answers decoded together). The score is the mean of knowledge and
instructions; a candidate qualifies only if it keeps Parley's identity (the `parley` questions
answered "Parley") and its knowledge is not below the model's own default prompt's by more than
the intervals allow. Prints a markdown table; results go to bench/results/choose_defaults.json,
each candidate's record appended, so a killed run picks up where it stopped. `--stage identity`
asks the dev split's `parley` questions (three seeds) under each system prompt.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.chat_context import DEFAULT_SYSTEM_PROMPT  # noqa: E402
from assistant.inference import GenerationParams  # noqa: E402
from rlhf.evalchat import cell  # noqa: E402

SYSTEMS = {
    "model": None,  # the chat template's own (SmolLM2's "You are a helpful AI assistant named...")
    "p0": DEFAULT_SYSTEM_PROMPT,
    "p1": "You are a helpful AI assistant named Parley.",
    "p2": "You are a helpful AI assistant named Parley, running on the user's own computer.",
    "p3": "You are Parley, a helpful AI assistant. Answer in the language of the question, "
    "correctly and briefly.",
    "p4": "You are a helpful AI assistant named Parley. You run on the user's own computer. "
    "Reply in English unless the user writes in another language.",
}
SAMPLING = {
    "t0.2 p0.9 r1.0": GenerationParams(temperature=0.2, top_p=0.9, repetition_penalty=1.0),
    "greedy r1.0": GenerationParams(temperature=0.0, repetition_penalty=1.0),
    "greedy r1.1": GenerationParams(temperature=0.0, repetition_penalty=1.1),
    "t0.2 p0.9 r1.1": GenerationParams(temperature=0.2, top_p=0.9, repetition_penalty=1.1),
    "t0.5 p0.9 r1.1": GenerationParams(temperature=0.5, top_p=0.9, repetition_penalty=1.1),
    "t0.2 p0.9 r1.2": GenerationParams(temperature=0.2, top_p=0.9, repetition_penalty=1.2),
}
OUT = ROOT / "bench" / "results" / "choose_defaults.json"


def identity(done: list[dict], model: str, system: str, sampling: str) -> str:
    """The share of the dev split's `parley` questions answered as Parley (3 seeds each)."""
    for d in done:
        k = d["key"]
        if (k["model"], k["system"], k["sampling"], k["prompts"]) == (
            model,
            system,
            sampling,
            "parley",
        ):
            return cell(d["result"]["axes"]["knowledge"])
    return "-"


def row(name: str, sampling: str, r: dict, who: str) -> str:
    a = r["axes"]
    score = (a["knowledge"]["rate"] + a["instructions"]["rate"]) / 2
    return (f"| {name} | {sampling} | {cell(a['knowledge'])} | {cell(a['instructions'])} | "
            f"{who} | {cell(a['language_en'])} | {cell(a['loop'])} | "
            f"{cell(a['no_end'])} | **{score:.3f}** |")  # fmt: skip


def main() -> None:
    from rlhf import evalchat

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", choices=["system", "sampling", "identity"], default="system")
    ap.add_argument("--system", default="p0", help="the system prompt for the sampling stage")
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--only", default="", help="comma-separated candidate names")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--workers", type=int, default=8)
    a = ap.parse_args()

    items = [i for i in evalchat.load_items("dev", limit=a.limit) if i.kind != "tools"]
    seeds, size = 1, len(items)
    if a.stage == "identity":  # every `parley` question of dev, three seeds
        items = [i for i in evalchat.load_items("dev") if i.category == "parley"]
        seeds, size = 3, "parley"
    if a.stage in ("system", "identity"):
        candidates = [(s, "t0.2 p0.9 r1.0") for s in SYSTEMS]
    else:
        candidates = [(a.system, s) for s in SAMPLING]
    if a.only:
        wanted = a.only.split(",")
        candidates = [c for c in candidates if c[0 if a.stage != "sampling" else 1] in wanted]
    done = json.loads(OUT.read_text()) if OUT.exists() else []
    engine, workers = evalchat.load_engine(a.model, a.workers)
    try:
        for system_name, sampling in candidates:
            key = {"model": a.model, "system": system_name, "sampling": sampling,
                   "prompts": size}  # fmt: skip
            if any(d["key"] == key for d in done):
                continue
            system = SYSTEMS[system_name]
            if system is None:
                system = evalchat.model_default_system(engine)
            params = replace(SAMPLING[sampling], max_new_tokens=128)
            start = time.perf_counter()
            result = evalchat.run(engine, items, system, params, seeds, workers)
            result.pop("items")
            print(f"{system_name} / {sampling}: {time.perf_counter() - start:.0f} s", flush=True)
            done.append({"key": key, "result": result})
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(done, indent=1, ensure_ascii=False))
    finally:
        engine.close()
    print("| system | sampling | knowledge | instructions | identity | language · en | loops "
          "| no end | score |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | ---: |")
    for d in done:
        k = d["key"]
        if (
            k["model"] == a.model
            and k["prompts"] != "parley"
            and (a.limit is None or k["prompts"] == size)
        ):
            who = identity(done, a.model, k["system"], k["sampling"])
            print(row(k["system"], k["sampling"], d["result"], who))


if __name__ == "__main__":
    main()
