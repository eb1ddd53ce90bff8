"""The pipeline's `report.md`: one table per question a reader asks (did each stage work, what
did it cost, which method beats SFT, and is the final model better than the one the user began
with), with PNG plots. Everything is read from the files the stages wrote in the pipeline's
directory, so a report can be written again without training (`write(root, preset)`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlhf import callbacks

# What the report plots per PPO step (`rlhf.ppo` logs them all).
PPO_SERIES = (
    "objective/scores",
    "objective/rm_score",
    "objective/kl",
    "objective/entropy",
    "objective/kl_coef",
    "rollout/response_length",
    "rollout/eos_rate",
    "rollout/identical_share",
    "policy/clipfrac_avg",
    "loss/value_avg",
)


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
    ax.bar(
        ["PPO vs SFT"],
        [win["winrate"]],
        yerr=[[win["winrate"] - low], [high - win["winrate"]]],
        capsize=8,
    )
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
    lines = [
        "",
        "## PPO samples (first prompt, near-greedy)",
        "",
        "| step | reward | answer |",
        "| ---: | ---: | --- |",
    ]
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
    return (
        f"| simulated raters | agreement with the held-out judge: {judge}; "
        f"with each other {pool:.2f} |"
    )


STAGES = ("sft", "pairs", "reward", "ppo", "rloo", "dpo", "winrate", "evalchat")
METHOD_NAMES = {
    "ppo": "PPO",
    "rloo": "RLOO",
    "dpo": "DPO (offline, same pairs)",
    "bon": "best-of-n with the reward model",
}


def _interval(win: dict[str, Any]) -> str:
    low, high = win["ci95"]
    return f"{win['winrate']:.2f} [{low:.2f}–{high:.2f}]"


def _cell(axis: dict[str, Any] | None) -> str:
    from rlhf.evalchat import cell

    return cell(axis) if axis else "-"


def _stage_costs(lineage: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Wall time and peak memory per stage",
        "",
        "| stage | wall time | peak RSS |",
        "| --- | ---: | ---: |",
    ]
    total = 0.0
    for name in STAGES:
        info = lineage.get(name, {})
        if "seconds" in info:
            total += info["seconds"]
            lines.append(
                f"| {name} | {info['seconds'] / 60:.1f} min | {info['peak_rss_mb'] / 1024:.1f} GB |"
            )
    lines.append(f"| all measured stages | {total / 60:.1f} min | |")
    return lines


def _methods(win: dict[str, Any], chat: dict[str, Any], lineage: dict[str, Any]) -> list[str]:
    """One row per method: win rate against SFT by the held-out judge, the eval-chat axes, the
    method's own wall time and peak memory (training, or sampling and scoring for best-of-n)."""
    axes = ("knowledge", "instructions", "false_call", "right_call", "loop", "no_end")
    lines = [
        "",
        "## Methods side by side (same SFT model, pairs, reward model and prompts)",
        "",
        "| method | win rate vs SFT [95% CI] (W/T/L) | "
        + " | ".join(axes)
        + " | wall time | peak RSS |",
        "| --- | --- |" + " --- |" * (len(axes) + 2),
    ]
    for method, result in win.get("methods", {}).items():
        cost = win.get("bon_cost", {}) if method == "bon" else lineage.get(method, {})
        model = chat.get(method.upper(), {}).get("axes", {})
        cells = " | ".join(_cell(model.get(a)) for a in axes)
        spent = (
            f"{cost['seconds'] / 60:.1f} min | {cost['peak_rss_mb'] / 1024:.1f} GB"
            if "seconds" in cost
            else "- | -"
        )
        lines.append(
            f"| {METHOD_NAMES.get(method, method)} | {_interval(result)} "
            f"({result['wins']}/{result['ties']}/{result['losses']}) | {cells} | {spent} |"
        )
    return lines


def _eval_chat(chat: dict[str, Any], split: str) -> list[str]:
    """`parley eval chat` axes, one column per model, the embedded model last."""
    from rlhf.evalchat import AXES

    if not chat:
        return []
    names = list(chat)
    lines = [
        "",
        f"## `parley eval chat --split {split}` (Parley's sampling, one seed)",
        "",
        "| axis | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for key, label, lower in AXES:
        cells = [_cell(chat[n]["axes"].get(key)) for n in names]
        if all(c == "-" for c in cells):
            continue
        lines.append(f"| {label}{' ↓' if lower else ''} | " + " | ".join(cells) + " |")
    lines.append("| time | " + " | ".join(f"{chat[n]['seconds']:.0f} s" for n in names) + " |")
    return lines


def _ordered_said(rm: dict) -> str:
    """The accuracy the gate reads, when measured: against the rubric on the pairs it orders.

    >>> _ordered_said({"rubric_accuracy_ordered": 0.8123, "ordered_pairs": 210})
    '; **0.81** on the 210 pairs the rubric orders'
    """
    if not rm.get("ordered_pairs"):
        return ""
    accuracy, n = rm["rubric_accuracy_ordered"], rm["ordered_pairs"]
    return f"; **{accuracy:.2f}** on the {n} pairs the rubric orders"


def _reading_said(rm: dict) -> str:
    """Where the head-only reward model's score reads an answer, when recorded.

    >>> _reading_said({"pooling": "mean", "head_layers": 18}), _reading_said({"pooling": "last"})
    ('; reads the mean over the answer of layer 18', '; reads the last token of the last layer')
    """
    if not rm.get("pooling"):
        return ""
    where = "the mean over the answer" if rm["pooling"] == "mean" else "the last token"
    layer = f"layer {rm['head_layers']}" if rm.get("head_layers") else "the last layer"
    return f"; reads {where} of {layer}"


def _length_said(ppo_metrics: list[dict], rm: dict) -> str:
    """That PPO's reward had the reward model's taste for length taken out, when it had.

    >>> _length_said([{"objective/length_term": 0.2}], {"length_slope": -0.0041})
    "; length-neutral reward (+0.41 per 100 characters, the reward model's slope taken out)"
    >>> _length_said([{"objective/kl": 1.0}], {"length_slope": -0.0041})
    ''
    """
    if not any("objective/length_term" in m for m in ppo_metrics):
        return ""
    per_100 = -100 * rm.get("length_slope", float("nan"))
    taken = f"{per_100:+.2f} per 100 characters, the reward model's slope taken out"
    return f"; length-neutral reward ({taken})"


def write(root: Path, preset: str) -> Path:
    sft_m = callbacks.read_metrics(root / "sft" / "metrics.jsonl")
    ppo_m = callbacks.read_metrics(root / "ppo" / "metrics.jsonl")
    rm = json.loads((root / "reward" / "eval.json").read_text())
    win = json.loads((root / "winrate.json").read_text())
    chat_path = root / "evalchat.json"
    chat = json.loads(chat_path.read_text()) if chat_path.exists() else {}
    loss = [(m["step"], m["loss"]) for m in sft_m if "loss" in m]
    # a step redone after a resume was logged twice: the later line is the one that counts
    series = {k: list({m["step"]: m[k] for m in ppo_m if k in m}.items()) for k in PPO_SERIES}
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
    pairs = lineage.get("pairs", {})
    pairs_line = (
        f"| preference pairs | {pairs.get('pairs', 0)} simulated (raters), {human} human"
        f"{f' ({sources})' if sources else ''} |\n| held-out pairs | "
        f"{pairs.get('heldout_pairs', 0)} on {pairs.get('heldout_prompts', 0)} prompts that are "
        f"in no training pair ({pairs.get('pair_prompts', '?')} prompts made the training pairs) |"
    )
    final_kl = series["objective/kl"][-1][1] if series["objective/kl"] else float("nan")
    rewards = [y for _, y in series["objective/rm_score"]] or [float("nan")]
    stopped = (
        json.loads((root / "ppo" / "run.json").read_text()).get("stopped_early")
        if (root / "ppo" / "run.json").exists()
        else None
    )
    lines = [
        f"# Pipeline report: {preset}",
        "",
        "| stage | figure |",
        "| --- | --- |",
        f"| SFT | loss {loss[0][1]:.3f} -> {loss[-1][1]:.3f} over {loss[-1][0]} steps |"
        if loss
        else "| SFT | no loss logged |",
        pairs_line,
        rater_line,
        f"| reward model | held-out accuracy {rm.get('accuracy', float('nan')):.2f} on "
        f"{rm.get('pairs', 0)} pairs ({rm.get('rubric_accuracy', float('nan')):.2f} against the "
        f"raters' rubric, noise undone{_ordered_said(rm)}), mean margin "
        f"{rm.get('mean_margin', float('nan')):.3f}, "
        f"length bias {rm.get('length_bias', float('nan')):.2f}, agreement with the held-out "
        f"judge {rm.get('judge_agreement', float('nan')):.2f}{_reading_said(rm)} |",
        f"| PPO | {len(series['objective/kl'])} steps, final KL {final_kl:.3f}, reward-model score "
        f"{rewards[0]:.3f} -> {rewards[-1]:.3f}; last step: entropy "
        f"{_last(series['objective/entropy'])}, response length "
        f"{_last(series['rollout/response_length'])}, EOS rate "
        f"{_last(series['rollout/eos_rate'])}, "
        f"identical answers {_last(series['rollout/identical_share'])}, clip fraction "
        f"{_last(series['policy/clipfrac_avg'])}, value loss {_last(series['loss/value_avg'])}"
        f"{_length_said(ppo_m, rm)}{f'; stopped early: {stopped}' if stopped else ''} |",
        f"| win rate PPO vs SFT | {_interval(win)}, judge `{win['judge']}` (both orders), "
        f"{win['n']} held-out prompts, {win['wins']} wins, {win['ties']} ties, "
        f"{win['losses']} losses |",
        *_methods(win, chat, lineage),
        *_eval_chat(chat, lineage.get("evalchat", {}).get("split", "test")),
        *_stage_costs(lineage),
        "",
        f"![SFT loss]({sft_png})",
        "",
        f"![reward model]({rm_png})",
        "",
        f"![PPO]({ppo_png})",
        "",
        f"![win rate]({win_png})",
        "",
        "Lineage: `lineage.json`. The judge labelled no training pair; the win-rate prompts and "
        "the reward model's held-out prompts are in no training pair and no PPO query.",
        *_samples(root / "ppo" / "samples.jsonl"),
    ]
    report = root / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
