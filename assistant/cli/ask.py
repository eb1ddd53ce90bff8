"""`parley ask`: one answer, streamed to stdout."""

from __future__ import annotations

import json
import sys

import click

from assistant.cli.options import dtype_option, model_option, progress, sampling_options
from assistant.errors import UsageError


@click.command()
@click.argument("prompt")
@model_option
@dtype_option
@sampling_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON record (model, parameters, text, token counts, seconds).",
)
def ask(prompt, model, backend, dtype, system, as_json, **sampling):
    """Answer PROMPT and stream the answer to stdout. PROMPT `-` reads it from stdin.

    \b
    parley ask "What is the capital of France?"
    echo "Name three colours." | parley ask - --seed 1 --json
    parley ask "/translate --to pt good night"     # tool commands work here too
    """
    from assistant.tools.text import decode_utf8, require_utf8

    # Checked before torch loads: text that is not UTF-8 is one line, at once.
    if prompt == "-":
        prompt = decode_utf8(click.get_binary_stream("stdin").read(), "stdin")
    prompt = require_utf8(prompt, "the prompt")
    system = require_utf8(system, "--system") if system else system
    if not prompt.strip():
        raise UsageError(
            'empty prompt: ask something, e.g. parley ask "What is the capital of '
            'France?" (or pass - and pipe it on stdin)'
        )
    from assistant.inference.threads import quiet_torch_threads

    quiet_torch_threads()
    from assistant.chat import commands
    from assistant.inference import Done, GenerationParams, TextChunk, load_engine

    command = commands.parse(prompt)
    if command is not None:
        _run_tool(command, as_json)
        return
    prompt = commands.unescape(prompt)
    params = GenerationParams(**sampling)
    engine = load_engine(
        model, backend=backend, dtype=dtype, progress=None if as_json else progress
    )
    messages = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt.strip()})
    done = None
    for event in engine.generate(messages, params):
        if isinstance(event, TextChunk) and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, Done):
            done = event
    assert done is not None
    if as_json:
        record = {
            "model": engine.name,
            "dtype": dtype,
            "parameters": done.params,
            "prompt": prompt.strip(),
            "text": done.text,
            "seed": done.seed,
            "finish_reason": done.finish_reason,
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "seconds": round(done.seconds, 3),
            "first_token_seconds": round(done.first_token_seconds or 0.0, 3),
        }
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        sys.stdout.write("\n")
        if done.finish_reason == "length":  # the answer stops mid-way: say so, and how to get more
            limit = done.params.get("max_new_tokens", done.completion_tokens)
            click.echo(
                f"(cut off at the {limit}-token limit: -n/--max-new-tokens {2 * limit} gives a "
                "longer answer)",
                err=True,
            )
        if sampling["seed"] is None:  # a random seed: say which, so the answer can be had again
            click.echo(f"seed {done.seed} (--seed {done.seed} gives this answer again)", err=True)


def _run_tool(command, as_json: bool) -> None:
    """A slash command in `parley ask`: only tool commands make sense outside the chat."""
    from assistant.chat import commands

    tools = ", ".join(f"/{n}" for n in commands.tool_names()) or "none installed"
    if command.name in commands.BUILTINS:
        raise UsageError(
            f"/{command.name} works inside `parley chat`; here only tool commands do ({tools}); "
            "start the text with // to ask it as a question"
        )
    if not commands.is_tool(command.name):
        raise UsageError(f"unknown command /{command.name}; tool commands: {tools}")
    result = commands.run_tool(command, progress=None if as_json else progress)
    if as_json:
        from assistant.cli.tool import result_json

        click.echo(result_json(result, latency_digits=3, with_data=False))
        return
    click.echo(result.text)
    for path in result.images:
        click.echo(str(path))
