"""`parley eval chat|tools|winrate`: measure a chat model (code in `rlhf/`, imported lazily)."""

from __future__ import annotations

import json
import sys
import time

import click

from assistant.cli.options import (
    backend_option,
    choice_option,
    count_option,
    dtype_option,
    model_option,
    progress,
    sampling_option,
)


@click.group("eval")
def eval_group() -> None:
    """Measure a model: the held-out chat battery, tool routing, win rate against another."""


class ProgressBar:
    """`[#####.....] 120/333 answers, 1m12s` on stderr: redrawn in place on a terminal, every
    tenth of the way otherwise (logs stay short)."""

    def __init__(self, label: str) -> None:
        self.label, self.start, self.shown = label, time.monotonic(), -1
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if not self.tty and tenth == self.shown:
            return
        self.shown = tenth
        filled = 30 * done // max(total, 1)
        seconds = int(time.monotonic() - self.start)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} answers, "
            f"{seconds // 60}m{seconds % 60:02d}s"
        )
        end = "\n" if done == total or not self.tty else ""
        click.echo(("\r" if self.tty else "") + line, err=True, nl=False)
        click.echo(end, err=True, nl=False)


def _sampling(f):
    """--temperature, --top-p, --repetition-penalty: Parley's defaults unless given."""
    for name in ("repetition_penalty", "top_p", "temperature"):
        f = sampling_option(name, parleys_default=True)(f)
    return f


@eval_group.command("chat")
@click.option("--model", "-m", default=None, help="The model under test (default: the embedded).")
@click.option("--against", "-b", default=None, help="A second model, shown side by side.")
@choice_option(
    "--split", choices=["dev", "test"], help="dev for choosing anything; test only for reporting."
)
@count_option("--seeds", default=1, help="Answers per prompt (seeds 0..N-1).")
@click.option(
    "--system",
    default=None,
    help="System prompt (default: Parley's; 'model': the chat template's own).",
)
@_sampling
@sampling_option(
    "max_new_tokens",
    default=128,
    help="Longest answer; an answer still going there counts as 'no end'.",
)
@count_option(
    "--limit", help="Only N prompts of each set, spread over its categories (a quick look)."
)
@count_option("--workers", high=64, default=8, help="Answers decoded together (llama.cpp).")
@backend_option
@click.option(
    "--by-category",
    is_flag=True,
    help="Also a table per category (knowledge, instructions, tools).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def chat_cmd(
    model,
    against,
    split,
    seeds,
    system,
    max_new_tokens,
    limit,
    workers,
    backend,
    by_category,
    as_json,
    **sampling,
):
    """The held-out battery: knowledge, instructions, language, degeneration and tools, each
    with a 95% interval; the record is written under $PARLEY_HOME/evals/ (or the run).

    Sampling and system prompt are Parley's built-in defaults (not config.toml's) unless given."""
    from assistant.inference import GenerationParams
    from assistant.models import EMBEDDED_NAME
    from rlhf import evalchat

    items = evalchat.load_items(split, limit=limit)
    chosen = {k: v for k, v in sampling.items() if v is not None}
    params = GenerationParams(max_new_tokens=max_new_tokens, **chosen)
    names = [model or EMBEDDED_NAME] + ([against] if against else [])
    results = []
    for name in names:
        engine, n = evalchat.load_engine(name, workers, progress=progress, backend=backend)
        try:
            prompt = evalchat.model_default_system(engine) if system == "model" else system
            results.append(evalchat.run(engine, items, prompt, params, seeds, n, ProgressBar(name)))
        finally:
            getattr(engine, "close", lambda: None)()
    record = {
        "split": split,
        "models": names,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "results": results,
    }
    path = evalchat.record_path(names[0], split)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    if as_json:
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    first = results[0]
    click.echo(
        f"split {split}: {first['prompts']} prompts x {seeds} seed(s); sampling "
        + ", ".join(f"{k} {v}" for k, v in first["params"].items())
    )
    click.echo(f"system: {first['system']!r}")
    click.echo(evalchat.table(results, names))
    if by_category:
        click.echo("\n" + evalchat.category_table(results, names))
    click.echo(f"record: {path}")


@eval_group.command("tools")
@model_option
@dtype_option
@click.option("--requests", "requests_file", default=None, help="Held-out requests JSONL.")
@count_option("--limit", help="Only the first N.")
@click.option(
    "--describe-tools", is_flag=True, help="Describe the call format in the system prompt."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Show each request as it is scored.")
def tools_cmd(
    model, backend, dtype, requests_file, limit, describe_tools, as_json, verbose
) -> None:
    """Tool-routing accuracy on held-out tool requests: right tool, and right call (arguments)."""
    from assistant.inference import load_engine
    from rlhf import eval_tools

    requests = eval_tools.load_requests(requests_file or eval_tools.HELDOUT)[:limit]
    engine = load_engine(model, backend=backend, dtype=dtype, progress=progress)
    result = eval_tools.evaluate(
        engine, requests, describe_tools, progress=progress if verbose else None
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"model: {engine.name}   requests: {result.total}   ({result.seconds:.0f} s)")
        click.echo(result.table())


def _name(model: str) -> str:
    """The name an engine for `model` records in its votes (as `load_engine` names it)."""
    from assistant.models import resolve

    return resolve(model).name


def _slug(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in _name(model))


def _human_judge(
    model: str, against: str, prompts: list[str], seed: int, backend: str
) -> dict | None:
    """The first call queues both models' answers for the arena; once rated, the next call
    returns the win rate from the votes."""
    from pathlib import Path

    from assistant import paths, store
    from assistant.inference import load_engine
    from rlhf import winrate

    queued = Path(paths.home()) / f"winrate-{_slug(model)}-vs-{_slug(against)}.jsonl"
    if queued.exists():
        result = winrate.human_winrate(store.connect(), queued, _name(model), _name(against))
        if result is not None:
            return result
        click.echo(f"no votes yet on {queued}; rate them with:")
    else:
        a = load_engine(model, backend=backend, progress=progress)
        b = load_engine(against, backend=backend, progress=progress)
        key = winrate.queue_for_humans(a, b, prompts, queued, seed)
        click.echo(f"queued {len(prompts)} pairs (session {key}); rate them with:")
    click.echo(f"  parley arena --prompts {queued}")
    click.echo("then run this command again for the win rate")
    return None


JUDGE_HELP = "An annotator (judge, concise, polite, on_topic), reward-model, or human."


@eval_group.command("winrate")
@click.option("--model", "-m", required=True, help="The model under test.")
@click.option("--against", "-b", required=True, help="The model it is compared with.")
@click.option("--judge", default="judge", show_default=True, help=JUDGE_HELP)
@click.option("--reward-model", default=None, help="Reward model dir for --judge reward-model.")
@click.option("--prompts", default=None, help="Prompt file (default: held-out RL prompts).")
@count_option("--limit", help="Only the first N prompts.")
@count_option("--max-new-tokens", default=64)
@click.option("--seed", type=int, default=0, show_default=True)
@backend_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def winrate_cmd(
    model, against, judge, reward_model, prompts, limit, max_new_tokens, seed, backend, as_json
):
    """How often MODEL's answer beats AGAINST's on held-out prompts, with a 95% interval."""
    from assistant.inference import load_engine
    from rlhf import winrate

    prompt_list = winrate.read_prompts(prompts or winrate.HELDOUT_PROMPTS)[:limit]
    if judge == "human":
        result = _human_judge(model, against, prompt_list, seed, backend)
        if result is None:
            return
    else:
        a = load_engine(model, backend=backend, progress=progress)
        b = load_engine(against, backend=backend, progress=progress)
        result = winrate.winrate(
            a, b, prompt_list, judge, reward_model, 0.7, max_new_tokens, seed, (model, against)
        )
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    low, high = result["ci95"]
    click.echo(
        f"{result['model']} vs {result['against']}: win rate {result['winrate']:.2f} "
        f"(95% CI {low:.2f}-{high:.2f}), {result['wins']} wins, {result['ties']} ties, "
        f"{result['n']} prompts, judge {judge}"
    )
