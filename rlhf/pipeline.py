"""The whole chain on one screen: SFT -> pairs -> reward model -> PPO -> win rate -> report.

    parley pipeline --preset cpu-tiny                    # tiny models: minutes, for CI
    parley pipeline --preset cpu-small                   # the embedded 135M model
    parley pipeline --preset cpu-small --prefs my.jsonl  # add exported human ratings to the pairs
    parley pipeline --preset cpu-small --prefs db        # add the ratings stored in Parley
    parley pipeline --preset cpu-small --nproc 2         # each training stage on 2 processes

Everything goes under one directory (`$PARLEY_HOME/pipelines/PRESET` unless `--dir`). A stage
whose output exists is skipped, so a killed pipeline picks up where it stopped (a stage killed
midway starts that stage again; SFT resumes from its checkpoint). `lineage.json` records which
data, ratings and checkpoints made which model; the final policy is registered as
`PRESET-policy` for `parley chat --model`. `report.md` shows SFT loss, RM accuracy, PPO reward,
KL and entropy per step, and the PPO-vs-SFT win rate by the held-out judge, with PNG plots.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from rlhf import compare, raters, stage, winrate

PRESETS: dict[str, dict[str, Any]] = {
    "cpu-tiny": {"sft": "sft-cpu-tiny", "reward": "reward-cpu-tiny", "ppo": "ppo-cpu-tiny",
                 "dpo": "dpo-cpu-tiny", "rloo": "rloo-cpu-tiny",
                 "pair_prompts": 10, "heldout_pair_prompts": 4, "win_prompts": 6,
                 "max_new_tokens": 12, "temperatures": (0.7, 1.0), "min_rm_accuracy": 0.0,
                 "eval_split": "test", "eval_limit": 2, "eval_tokens": 12, "bon": 2,
                 "max_margins": 0.0, "methods": ("ppo",), "pool_votes": False},
    "cpu-small": {"sft": "sft-cpu-small", "reward": "reward-cpu-small", "ppo": "ppo-cpu-small",
                  "dpo": "dpo-cpu-small", "rloo": "rloo-cpu-small",
                  "pair_prompts": 360, "heldout_pair_prompts": 120, "win_prompts": 120,
                  "max_new_tokens": 80, "temperatures": (0.7, 1.0, 1.3), "min_rm_accuracy": 0.7,
                  "eval_split": "test", "eval_limit": 60, "eval_tokens": 128, "bon": 4,
                  "max_margins": 3.0, "methods": ("ppo",), "pool_votes": True},
}  # fmt: skip
METHODS = ("ppo", "rloo", "dpo", "bon")
DATA = Path(__file__).resolve().parents[1] / "data"
PAIR_PROMPTS = DATA / "rl" / "prompts.jsonl"
SEED = DATA / "sft" / "seed.jsonl"


def prompt_splits(p: dict[str, Any], path: Path = PAIR_PROMPTS) -> dict[str, list[dict[str, Any]]]:
    """`data/rl/prompts.jsonl` in a fixed shuffled order (any slice mixes the families), cut into
    disjoint parts: `win` (the win rate's held-out prompts), `heldout` (the reward model's
    held-out pairs), `pairs` (the training pairs) and `rl` (PPO's queries: every prompt that is
    in neither held-out part)."""
    import random

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    random.Random(0).shuffle(rows)
    w, h = p["win_prompts"], p["heldout_pair_prompts"]
    return {
        "win": rows[:w],
        "heldout": rows[w : w + h],
        "pairs": rows[w + h : w + h + p["pair_prompts"]],
        "rl": rows[w + h :],
    }


def preference_pairs(
    engine,
    prompts: list[dict[str, Any]],
    max_new_tokens: int,
    temperatures: tuple[float, ...] = (0.7, 1.0),
    pool_votes: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each prompt answered once per temperature by `engine`, every two different answers a pair,
    labelled by the pool of careful raters with the prompt's facts: TRL records whose prompt is the
    chat context the answers were sampled under (PPO queries use it too), and each rater's
    agreement with the held-out judge and the others. `pool_votes`: each pair labelled by the
    whole pool's majority instead of one rater (`rlhf.raters.label_pairs`)."""
    facts = {json.dumps(r["prompt"]): raters.facts_of(r) for r in prompts}
    sampled = winrate.sample_answer_pairs(
        engine, [r["prompt"] for r in prompts], temperatures, max_new_tokens
    )
    rows = [(p, a, b, facts[json.dumps(p)]) for p, a, b in sampled]
    pairs = raters.label_pairs(rows, annotators=tuple(raters.POOL), pool_votes=pool_votes)
    return pairs, raters.agreement(rows)


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def gate(rm: dict[str, Any], threshold: float, force: bool = False) -> str | None:
    """Stop before PPO when the reward model is no better than `threshold` on its held-out pairs
    (optimising a weak reward model is how PPO collapses); `force` runs PPO anyway. Returns the
    warning to show when forced, None when the gate is passed.

    >>> gate({"accuracy": 0.9, "pairs": 240}, 0.7) is None
    True
    >>> rm = {"rubric_accuracy": 0.7, "rubric_accuracy_ordered": 0.8, "ordered_pairs": 200}
    >>> gate(rm, 0.75) is None  # the pairs the rubric orders decide
    True
    """
    from assistant.errors import ParleyError

    # against the raters' rubric where the pairs are simulated (their 25% label noise would cap
    # the plain accuracy near 75%), on the pairs the rubric orders (a tie's label is a coin);
    # human pairs count as labelled
    if rm.get("ordered_pairs"):
        accuracy, n = rm["rubric_accuracy_ordered"], rm.get("ordered_pairs", 0)
    else:
        accuracy, n = rm.get("rubric_accuracy", rm.get("accuracy")), rm.get("pairs", 0)
    if accuracy is not None and accuracy >= threshold:
        return None
    said = (
        f"{accuracy:.2f} on {n} held-out pairs"
        if accuracy is not None
        else "not measured (no held-out pairs)"
    )
    message = (
        f"the reward model's held-out accuracy is {said}, below {threshold:.2f}: PPO would "
        "optimise noise. Add pairs (more prompts, `--prefs db`) or pass --force to run "
        "PPO anyway."
    )
    if force:
        return f"pipeline: warning: {message} (--force: running PPO)"
    raise ParleyError(f"pipeline stopped before PPO: {message}")


def run(
    preset: str,
    root: Path | None = None,
    prefs: str | None = None,
    progress=print,
    nproc: int = 1,
    force: bool = False,
    min_rm_accuracy: float | None = None,
    methods: tuple[str, ...] | None = None,
) -> Path:
    """Run (or finish) the pipeline; returns the report's path. Each training stage is called
    through its typed `train(run, args)` (`rlhf.stage.launch`); with `nproc` > 1 it runs as
    `torchrun --nproc_per_node NPROC -m rlhf.STAGE ...`. PPO runs only when the
    reward model's held-out accuracy reaches `min_rm_accuracy` (the preset's unless given) or
    `force` is set. `methods` (the preset's unless given): PPO and any of RLOO, DPO and best-of-n
    with the reward model, each compared with SFT on the same held-out prompts."""
    from assistant import models as registry
    from assistant.errors import UsageError
    from rlhf import data as rlhf_data
    from rlhf.models import runs_dir

    if preset not in PRESETS:
        raise UsageError(f"no preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    methods = tuple(methods or p["methods"])
    if unknown := set(methods) - set(METHODS):
        raise UsageError(f"unknown method {sorted(unknown)[0]!r}; choose from {', '.join(METHODS)}")
    root = Path(root) if root else runs_dir().parent / "pipelines" / preset
    root.mkdir(parents=True, exist_ok=True)
    lineage_path = root / "lineage.json"
    lineage: dict[str, Any] = json.loads(lineage_path.read_text()) if lineage_path.exists() else {}
    splits = prompt_splits(p)
    rl_prompts = root / "prompts-rl.jsonl"
    winrate.write_jsonl(rl_prompts, splits["rl"])

    def record(stage: str, meter: compare.Meter | None = None, **info: Any) -> None:
        cost = meter.record() if meter else {}
        lineage[stage] = {**info, **cost, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
        lineage_path.write_text(json.dumps(lineage, indent=2))

    def todo(name: str, output: Path) -> bool:
        if output.exists():
            progress(f"pipeline: {name}: done already ({output}), skipped")
            return False
        progress(f"pipeline: {name} ...")
        return True

    def train(method: str, out: Path, /, **settings: Any) -> compare.Meter:
        """Stage `rlhf.METHOD` on the preset's recipe for it, into `out`; its cost."""
        with compare.Meter() as meter:
            stage.launch(f"rlhf.{method}", p[method], nproc, output_dir=str(out), **settings)
        return meter

    sft_dir = root / "sft"
    if todo("sft", sft_dir / "model"):
        m = train("sft", sft_dir, register=False, resume=True, name=f"{preset}-sft")
        record(
            "sft",
            m,
            recipe=p["sft"],
            data="data/sft/seed.jsonl",
            data_sha256=_digest(SEED),
            model=str(sft_dir / "model"),
        )

    pairs_path, heldout_path = root / "pairs.jsonl", root / "pairs-heldout.jsonl"
    if todo("pairs", pairs_path):
        with compare.Meter() as m:
            engine = compare.load(sft_dir / "model")
            args = (p["max_new_tokens"], p["temperatures"])
            held, held_agreement = preference_pairs(engine, splits["heldout"], *args)
            # the training pairs by the pool's majority (`pool_votes`); the held-out ones keep
            # one rater's label each, as measured before
            chats, agreement = preference_pairs(engine, splits["pairs"], *args, p["pool_votes"])
            compare.close(engine)
        (root / "raters.json").write_text(json.dumps(agreement, indent=2))
        winrate.write_jsonl(heldout_path, held)
        winrate.write_jsonl(pairs_path, chats)
        record(
            "pairs",
            m,
            sampled_from=str(sft_dir / "model"),
            prompts=str(PAIR_PROMPTS),
            annotators=list(raters.POOL),
            noise=raters.NOISE,
            pool_votes=p["pool_votes"],
            pairs=len(chats),
            heldout_pairs=len(held),
            pair_prompts=len(splits["pairs"]),
            heldout_prompts=len(splits["heldout"]),
            temperatures=list(p["temperatures"]),
            agreement=agreement,
            heldout_agreement=held_agreement,
        )

    rm_dir = root / "reward"
    data = str(pairs_path) + (f",{prefs}" if prefs else "")
    if todo("reward", rm_dir / "eval.json"):
        human: dict[str, Any] = {}
        if prefs == rlhf_data.DB:  # the ratings in Parley's database, converted once, here
            data, human = rlhf_data.with_database(data, root)
        elif prefs:
            human = {"pairs": sum(1 for line in Path(prefs).read_text().splitlines() if line)}
        held_out = str(heldout_path) if _lines(heldout_path) else ""
        m = train("reward", rm_dir, model=str(sft_dir / "model"), data=data, eval_data=held_out)
        record(
            "reward",
            m,
            base=str(sft_dir / "model"),
            data=data,
            human_prefs=prefs,
            human_prefs_sha256=_digest(Path(data.split(",")[-1])) if prefs else None,
            human_pairs=human.get("pairs", 0),
            human_by_source=human.get("by_source", {}),
            human_rating_ids=human.get("rating_ids", []),
            model=str(rm_dir / "model"),
        )

    ppo_dir = root / "ppo"
    against_rm = {  # PPO's and RLOO's inputs
        "policy": str(sft_dir / "model"),
        "reward_model": str(rm_dir / "model"),
        "prompts": str(rl_prompts),
    }
    threshold = p["min_rm_accuracy"] if min_rm_accuracy is None else min_rm_accuracy
    rm = json.loads((rm_dir / "eval.json").read_text())
    if not (ppo_dir / "model").exists():
        warning = gate(rm, threshold, force)
        if warning:
            progress(warning)
    if todo("ppo", ppo_dir / "model"):
        m = train(
            "ppo",
            ppo_dir,
            **against_rm,
            register=False,
            name=f"{preset}-policy",
            resume=True,
            reward_margin=float(rm.get("mean_margin", 0.0)),
            length_slope=float(rm.get("length_slope", 0.0)),
            max_margins=p["max_margins"],
        )
        record("ppo", m, **against_rm, model=str(ppo_dir / "model"))
    registry.register_model(
        f"{preset}-policy",
        ppo_dir / "model",
        f"pipeline {preset}: PPO policy",
        lineage=str(lineage_path),
    )
    policies = {"ppo": ppo_dir / "model"}
    for method in (m for m in methods if m in ("rloo", "dpo")):
        out = root / method
        policies[method] = out / "model"
        if todo(method, out / "model"):
            source = (
                {"model": str(sft_dir / "model"), "data": data} if method == "dpo" else against_rm
            )
            m = train(method, out, register=False, name=f"{preset}-{method}", **source)
            record(method, m, policy=str(sft_dir / "model"), model=str(out / "model"))

    win_path = root / "winrate.json"
    if todo("winrate", win_path):
        with compare.Meter() as m:
            result = compare.against_sft(root, p, preset, splits["win"], policies, methods)
        win_path.write_text(json.dumps(result, indent=2))
        record(
            "winrate", m, judge="judge", prompts=len(splits["win"]), methods=list(result["methods"])
        )

    chat_path = root / "evalchat.json"
    if todo("eval chat", chat_path):
        with compare.Meter() as m:
            models = {"SFT": sft_dir / "model", **{k.upper(): v for k, v in policies.items()}}
            axes = compare.eval_chat(p, models, progress)
        chat_path.write_text(json.dumps(axes, indent=2))
        record("evalchat", m, split=p["eval_split"], models=list(axes))
    from rlhf import report

    return report.write(root, preset)


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line) if path.exists() else 0
