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
