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

from rlhf import callbacks, raters, winrate

PRESETS: dict[str, dict[str, Any]] = {
    "cpu-tiny": {"sft": "sft-cpu-tiny", "reward": "reward-cpu-tiny", "ppo": "ppo-cpu-tiny",
                 "pair_prompts": 10, "eval_prompts": 6, "max_new_tokens": 12,
                 "temperatures": (0.7, 1.0),
                 "min_rm_accuracy": 0.0},
    "cpu-small": {"sft": "sft-cpu-small", "reward": "reward-cpu-small", "ppo": "ppo-cpu-small",
                  "pair_prompts": 40, "eval_prompts": 20, "max_new_tokens": 48,
                  "temperatures": (0.7, 1.0, 1.3),
                  "min_rm_accuracy": 0.7},
}  # fmt: skip
DATA = Path(__file__).resolve().parents[1] / "data"
PAIR_PROMPTS = DATA / "rl" / "prompts.jsonl"
SEED = DATA / "sft" / "seed.jsonl"


def training_prompts(n: int, path: Path = PAIR_PROMPTS) -> list[dict[str, Any]]:
    """`n` rows of `data/rl/prompts.jsonl` in a fixed shuffled order: any `n` mixes the families."""
    import random

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    random.Random(0).shuffle(rows)
    return rows[:n]


def preference_pairs(
    engine, prompts: list[dict[str, Any]], max_new_tokens: int,
    temperatures: tuple[float, ...] = (0.7, 1.0),
) -> tuple[list[dict[str, Any]], dict[str, Any]]:  # fmt: skip
    """Each prompt answered once per temperature by `engine`, every two different answers a pair,
    labelled by the pool of careful raters with the prompt's facts: TRL records whose prompt is the
    chat context the answers were sampled under (PPO queries use it too), and each rater's
    agreement with the held-out judge and the others."""
    facts = {json.dumps(r["prompt"]): raters.facts_of(r) for r in prompts}
    sampled = winrate.sample_answer_pairs(engine, [r["prompt"] for r in prompts], temperatures,
                                          max_new_tokens)  # fmt: skip
    rows = [(p, a, b, facts[json.dumps(p)]) for p, a, b in sampled]
    pairs = raters.label_pairs(rows, annotators=tuple(raters.POOL))
    return pairs, raters.agreement(rows)


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def gate(rm: dict[str, Any], threshold: float, force: bool = False) -> str | None:
    """Stop before PPO when the reward model is no better than `threshold` on its held-out pairs
    (optimising a weak reward model is how PPO collapses); `force` runs PPO anyway. Returns the
    warning to show when forced, None when the gate is passed.

    >>> gate({"accuracy": 0.9, "pairs": 240}, 0.7) is None
    True
    """
    from assistant.errors import ParleyError

    # against the raters' rubric where the pairs are simulated (their 25% label noise would cap
    # the plain accuracy near 75%); human pairs count as labelled
    accuracy, n = rm.get("rubric_accuracy", rm.get("accuracy")), rm.get("pairs", 0)
    if accuracy is not None and accuracy >= threshold:
        return None
    said = (f"{accuracy:.2f} on {n} held-out pairs" if accuracy is not None
            else "not measured (no held-out pairs)")  # fmt: skip
    message = (f"the reward model's held-out accuracy is {said}, below {threshold:.2f}: PPO would "
               "optimise noise. Add pairs (more prompts, `--prefs db`) or pass --force to run "
               "PPO anyway.")  # fmt: skip
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
) -> Path:
    """Run (or finish) the pipeline; returns the report's path. With `nproc` > 1 the training
    stages run as `torchrun --nproc_per_node NPROC -m rlhf.STAGE ...`. PPO runs only when the
    reward model's held-out accuracy reaches `min_rm_accuracy` (the preset's unless given) or
    `force` is set."""
    from assistant import models as registry
    from assistant.errors import UsageError
    from assistant.inference import load_engine
    from rlhf import data as rlhf_data
    from rlhf.distributed import run_stage
    from rlhf.models import runs_dir

    if preset not in PRESETS:
        raise UsageError(f"no preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    root = Path(root) if root else runs_dir().parent / "pipelines" / preset
    root.mkdir(parents=True, exist_ok=True)
    lineage_path = root / "lineage.json"
    lineage: dict[str, Any] = json.loads(lineage_path.read_text()) if lineage_path.exists() else {}

    def record(stage: str, **info: Any) -> None:
        lineage[stage] = {**info, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
        lineage_path.write_text(json.dumps(lineage, indent=2))

    def stage(name: str, output: Path) -> bool:
        if output.exists():
            progress(f"pipeline: {name}: done already ({output}), skipped")
            return False
        progress(f"pipeline: {name} ...")
        return True

    sft_dir = root / "sft"
    if stage("sft", sft_dir / "model"):
        run_stage("rlhf.sft", ["--config", p["sft"], "--output_dir", str(sft_dir), "--register",
                               "false", "--resume", "--name", f"{preset}-sft"], nproc)  # fmt: skip
        record("sft", recipe=p["sft"], data="data/sft/seed.jsonl",
               data_sha256=_digest(SEED), model=str(sft_dir / "model"))  # fmt: skip

    pairs_path = root / "pairs.jsonl"
    if stage("pairs", pairs_path):
        engine = load_engine(str(sft_dir / "model"))
        chats, agreement = preference_pairs(engine, training_prompts(p["pair_prompts"]),
                                            p["max_new_tokens"], p["temperatures"])  # fmt: skip
        (root / "raters.json").write_text(json.dumps(agreement, indent=2))
        winrate.write_jsonl(pairs_path, chats)
        record("pairs", sampled_from=str(sft_dir / "model"), prompts=str(PAIR_PROMPTS),
               annotators=list(raters.POOL), noise=raters.NOISE, pairs=len(chats),
               temperatures=list(p["temperatures"]),
               agreement=agreement)  # fmt: skip

    rm_dir = root / "reward"
    data = str(pairs_path) + (f",{prefs}" if prefs else "")
    if stage("reward", rm_dir / "eval.json"):
        human: dict[str, Any] = {}
        if prefs == rlhf_data.DB:  # the ratings in Parley's database, converted once, here
            data, human = rlhf_data.with_database(data, root)
        elif prefs:
            human = {"pairs": sum(1 for line in Path(prefs).read_text().splitlines() if line)}
        run_stage("rlhf.reward", ["--config", p["reward"], "--model", str(sft_dir / "model"),
                                  "--data", data, "--output_dir", str(rm_dir)], nproc)  # fmt: skip
        record("reward", base=str(sft_dir / "model"), data=data, human_prefs=prefs,
               human_prefs_sha256=_digest(Path(data.split(",")[-1])) if prefs else None,
               human_pairs=human.get("pairs", 0), human_by_source=human.get("by_source", {}),
               human_rating_ids=human.get("rating_ids", []),
               model=str(rm_dir / "model"))  # fmt: skip

    ppo_dir = root / "ppo"
    threshold = p["min_rm_accuracy"] if min_rm_accuracy is None else min_rm_accuracy
    if not (ppo_dir / "model").exists():
        warning = gate(json.loads((rm_dir / "eval.json").read_text()), threshold, force)
        if warning:
            progress(warning)
    if stage("ppo", ppo_dir / "model"):
        run_stage("rlhf.ppo", ["--config", p["ppo"], "--policy", str(sft_dir / "model"),
                               "--reward_model", str(rm_dir / "model"), "--output_dir",
                               str(ppo_dir), "--register", "false", "--name", f"{preset}-policy"],
                  nproc)  # fmt: skip
        record("ppo", policy=str(sft_dir / "model"), reward_model=str(rm_dir / "model"),
               model=str(ppo_dir / "model"))  # fmt: skip
    registry.register_model(
        f"{preset}-policy", ppo_dir / "model", f"pipeline {preset}: PPO policy",
        lineage=str(lineage_path),
    )  # fmt: skip

    win_path = root / "winrate.json"
    if stage("winrate", win_path):
        prompts = winrate.read_prompts()[: p["eval_prompts"]]
        result = winrate.winrate(load_engine(str(ppo_dir / "model")),
                                 load_engine(str(sft_dir / "model")), prompts, judge="judge",
                                 max_new_tokens=p["max_new_tokens"],
                                 names=(f"{preset}-policy (PPO)", f"{preset} SFT"))  # fmt: skip
        win_path.write_text(json.dumps(result, indent=2))
        record("winrate", judge="judge", prompts=str(winrate.HELDOUT_PROMPTS))
    return write_report(root, preset)


# What the report plots per PPO step (`rlhf.ppo` logs them all).
PPO_SERIES = ("objective/scores", "objective/kl", "objective/entropy", "objective/kl_coef",
              "rollout/response_length", "rollout/eos_rate", "rollout/identical_share",
              "policy/clipfrac_avg", "loss/value_avg")  # fmt: skip


def _last(series: list[tuple[float, float]]) -> str:
    return f"{series[-1][1]:.3f}" if series else "n/a"


def _plot(path: Path, series: dict[str, list[tuple[float, float]]], title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(len(series), 3)
    rows = -(-len(series) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax in axes.flat[len(series) :]:
        ax.set_visible(False)
    for ax, (name, points) in zip(axes.flat, series.items(), strict=False):
        if points:
            ax.plot([x for x, _ in points], [y for _, y in points], marker=".")
        ax.set_title(name)
        ax.set_xlabel("step")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path.name


def _plot_winrate(path: Path, win: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    low, high = win["ci95"]
    fig, ax = plt.subplots(figsize=(3.5, 3))
    ax.bar(["PPO vs SFT"], [win["winrate"]], yerr=[[win["winrate"] - low], [high - win["winrate"]]],
           capsize=8)  # fmt: skip
    ax.axhline(0.5, color="grey", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_title(f"win rate, judge {win['judge']}, n={win['n']}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path.name


def _samples(path: Path) -> list[str]:
    """The PPO policy's answers to the first sample prompt at the first and the last step."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        return []
    prompt = rows[0]["prompt"]
    mine = [r for r in rows if r["prompt"] == prompt]
    lines = ["", "## PPO samples (first prompt, near-greedy)", "",
             "| step | reward | answer |", "| ---: | ---: | --- |"]  # fmt: skip
    for r in (mine[0], mine[-1]) if len(mine) > 1 else mine:
        answer = " ".join(r["response"].split()).replace("|", "\\|")
        lines.append(f"| {r['step']} | {r['reward']:.3f} | {answer} |")
    return lines


def _raters_line(path: Path) -> str:
    """The report's line on the simulated raters: their agreement with the judge and each other."""
    if not path.exists():
        return "| simulated raters | no agreement recorded |"
    agree = json.loads(path.read_text())
    judge = ", ".join(f"{k} {v['judge']:.2f}" for k, v in agree.items() if "judge" in v)
    pool = agree.get("pool", {}).get("others", float("nan"))
    return (f"| simulated raters | agreement with the held-out judge: {judge}; "
            f"with each other {pool:.2f} |")  # fmt: skip


def write_report(root: Path, preset: str) -> Path:
    sft_m = callbacks.read_metrics(root / "sft" / "metrics.jsonl")
    ppo_m = callbacks.read_metrics(root / "ppo" / "metrics.jsonl")
    rm = json.loads((root / "reward" / "eval.json").read_text())
    win = json.loads((root / "winrate.json").read_text())
    loss = [(m["step"], m["loss"]) for m in sft_m if "loss" in m]
    series = {k: [(m["step"], m[k]) for m in ppo_m if k in m]
              for k in PPO_SERIES}  # fmt: skip
    sft_png = _plot(root / "sft_loss.png", {"SFT loss": loss}, "SFT")
    rm_m = callbacks.read_metrics(root / "reward" / "metrics.jsonl")
    rm_series = {k: [(m["step"], m[k]) for m in rm_m if k in m] for k in ("loss", "accuracy")}
    rm_png = _plot(root / "reward.png", rm_series, "reward model (training batches)")
    ppo_png = _plot(root / "ppo.png", series, "PPO per step")
    win_png = _plot_winrate(root / "winrate.png", win)
    rater_line = _raters_line(root / "raters.json")
    lineage = json.loads((root / "lineage.json").read_text())
    human = lineage.get("reward", {}).get("human_pairs", 0)
    sources = ", ".join(
        f"{k} {v}" for k, v in lineage.get("reward", {}).get("human_by_source", {}).items()
    )
    pairs_line = (f"| preference pairs | {lineage.get('pairs', {}).get('pairs', 0)} simulated "
                  f"(raters), {human} human{f' ({sources})' if sources else ''} |")  # fmt: skip
    final_kl = series["objective/kl"][-1][1] if series["objective/kl"] else float("nan")
    low, high = win["ci95"]
    rewards = [y for _, y in series["objective/scores"]] or [float("nan")]
    first_reward, last_reward = rewards[0], rewards[-1]
    lines = [
        f"# Pipeline report: {preset}", "",
        "| stage | figure |", "| --- | --- |",
        f"| SFT | loss {loss[0][1]:.3f} -> {loss[-1][1]:.3f} over {loss[-1][0]} steps |" if loss
        else "| SFT | no loss logged |",
        pairs_line,
        rater_line,
        f"| reward model | held-out accuracy {rm.get('accuracy', float('nan')):.2f} on "
        f"{rm.get('pairs', 0)} pairs ({rm.get('rubric_accuracy', float('nan')):.2f} against the "
        f"raters' rubric, noise undone), mean margin {rm.get('mean_margin', float('nan')):.3f}, "
        f"length bias {rm.get('length_bias', float('nan')):.2f}, agreement with the held-out "
        f"judge {rm.get('judge_agreement', float('nan')):.2f} |",
        f"| PPO | {len(series['objective/kl'])} steps, final KL {final_kl:.3f}, reward "
        f"{first_reward:.3f} -> {last_reward:.3f}; last step: entropy "
        f"{_last(series['objective/entropy'])}, response length "
        f"{_last(series['rollout/response_length'])}, EOS rate "
        f"{_last(series['rollout/eos_rate'])}, "
        f"identical answers {_last(series['rollout/identical_share'])}, clip fraction "
        f"{_last(series['policy/clipfrac_avg'])}, value loss {_last(series['loss/value_avg'])} |",
        f"| win rate PPO vs SFT | {win['winrate']:.2f} (95% CI {low:.2f}-{high:.2f}), "
        f"judge `{win['judge']}`, {win['n']} held-out prompts, {win['ties']} ties |",
        "", f"![SFT loss]({sft_png})", "", f"![reward model]({rm_png})", "",
        f"![PPO]({ppo_png})", "", f"![win rate]({win_png})", "",
        "Lineage: `lineage.json`. The judge labelled no training pair.",
        *_samples(root / "ppo" / "samples.jsonl"),
    ]  # fmt: skip
    report = root / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
