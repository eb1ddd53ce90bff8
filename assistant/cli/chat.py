"""`parley chat`: the chat. A plain line-based loop until the Textual TUI lands."""

from __future__ import annotations

import sys

import click

from assistant.cli.options import dtype_option, model_option, progress, sampling_options


@click.command()
@model_option
@dtype_option
@sampling_options
def chat(model, dtype, temperature, top_p, max_new_tokens, seed, system):
    """Chat with a model. Type /quit (or Ctrl-D) to leave, /new to start over."""
    import threading

    from assistant.engine import Engine, GenerationParams, TextChunk

    params = GenerationParams(temperature, top_p, max_new_tokens, seed)
    engine = Engine.load(model, dtype=dtype, progress=progress)
    base = [{"role": "system", "content": system}] if system else []
    messages = list(base)
    click.echo(f"Chatting with {engine.name}. /new starts over, /quit leaves.", err=True)
    while True:
        try:
            line = input("you> ")
        except EOFError:
            break
        if line.strip() in ("/quit", "/exit"):
            break
        if line.strip() == "/new":
            messages = list(base)
            continue
        if not line.strip():
            continue
        messages.append({"role": "user", "content": line})
        cancel = threading.Event()
        answer = []
        sys.stdout.write("parley> ")
        try:
            for event in engine.generate(messages, params, cancel):
                if isinstance(event, TextChunk):
                    answer.append(event.text)
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
        except KeyboardInterrupt:
            cancel.set()
            answer.append(" [stopped]")
        sys.stdout.write("\n")
        messages.append({"role": "assistant", "content": "".join(answer)})
