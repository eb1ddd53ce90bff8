"""`parley eval tools|winrate`: measure a chat model (code in `rlhf/`, imported lazily)."""

from __future__ import annotations

import json

import click

from assistant.cli.options import dtype_option, model_option, progress


@click.group("eval")
def eval_group() -> None:
    """Measure a model: tool routing, win rate against another model."""


@eval_group.command("tools")
@model_option
@dtype_option
@click.option("--requests", "requests_file", default=None, help="Held-out requests JSONL.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N.")
@click.option(
    "--describe-tools", is_flag=True, help="Describe the call format in the system prompt."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Show each request as it is scored.")
def tools_cmd(model, dtype, requests_file, limit, describe_tools, as_json, verbose) -> None:
    """Tool-routing accuracy on held-out tool requests: right tool, and right call (arguments)."""
    from assistant.engine import Engine
    from rlhf import eval_tools

    requests = eval_tools.load_requests(requests_file or eval_tools.HELDOUT)[:limit]
    engine = Engine.load(model, dtype=dtype, progress=progress)
    result = eval_tools.evaluate(
        engine, requests, describe_tools, progress=progress if verbose else None
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"model: {engine.name}   requests: {result.total}   ({result.seconds:.0f} s)")
        click.echo(result.table())


def _name(model: str) -> str:
    """The name an engine for `model` records in its votes (as `Engine.load` names it)."""
    from assistant.models import resolve

    return resolve(model).name


def _slug(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in _name(model))


def _human_judge(model: str, against: str, prompts: list[str], seed: int) -> dict | None:
    """The first call queues both models' answers for the arena; once rated, the next call
    returns the win rate from the votes."""
    from pathlib import Path

    from assistant import paths, store
    from assistant.engine import Engine
    from rlhf import winrate

    queued = Path(paths.home()) / f"winrate-{_slug(model)}-vs-{_slug(against)}.jsonl"
    if queued.exists():
        result = winrate.human_winrate(store.connect(), queued, _name(model), _name(against))
        if result is not None:
            return result
        click.echo(f"no votes yet on {queued}; rate them with:")
    else:
        a, b = Engine.load(model, progress=progress), Engine.load(against, progress=progress)
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
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N prompts.")
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def winrate_cmd(model, against, judge, reward_model, prompts, limit, max_new_tokens, seed, as_json):
    """How often MODEL's answer beats AGAINST's on held-out prompts, with a 95% interval."""
    from assistant.engine import Engine
    from rlhf import winrate

    prompt_list = winrate.read_prompts(prompts or winrate.HELDOUT_PROMPTS)[:limit]
    if judge == "human":
        result = _human_judge(model, against, prompt_list, seed)
        if result is None:
            return
    else:
        a = Engine.load(model, progress=progress)
        b = Engine.load(against, progress=progress)
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
