"""`parley export`: conversations from the chat to Markdown or TRL conversational JSONL.

parley export --list                          # ids and titles
parley export 3 -o trip.md                    # one conversation as Markdown
parley export --all --format jsonl -o sft.jsonl
parley export 3 --format jsonl --include-stopped   # keep stopped and cut-off answers too
"""

from __future__ import annotations

import click

from assistant.errors import UsageError


@click.command("export")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "all_", is_flag=True, help="Every conversation.")
@click.option(
    "--format", "fmt", type=click.Choice(["md", "jsonl"]), default="md", show_default=True
)
@click.option(
    "-o", "--output", default=None, help="File to write (default: ./parley-ID-title.FMT)."
)
@click.option(
    "--include-stopped",
    is_flag=True,
    help="JSONL: keep answers that were stopped or cut off at the token limit (by default the "
    "record ends at the last complete answer before one).",
)
@click.option("--list", "list_", is_flag=True, help="List conversations (id, messages, title).")
def export_cmd(ids, all_, fmt, output, include_stopped, list_):
    """Export chat conversations: Markdown to read, JSONL ({"messages": [...]}) to train on."""
    from assistant import store
    from assistant.rate.export import export, unfinished_answers
    from assistant.store import conversations as convs

    conn = store.connect()
    if list_:
        for c in convs.list_all(conn, limit=100_000):
            count = len(convs.messages(conn, c.id))
            click.echo(f"{c.id}\t{count}\t{c.title}")
        return
    if all_:
        ids = [c.id for c in reversed(convs.list_all(conn, limit=100_000))]
    if not ids:
        raise UsageError("name conversation ids (see `parley export --list`) or pass --all")
    for cid in ids:
        convs.get(conn, cid)  # an unknown id is one clear error
    path = export(conn, list(ids), fmt, output, include_stopped=include_stopped)
    click.echo(str(path))
    left_out = 0 if fmt != "jsonl" or include_stopped else unfinished_answers(conn, list(ids))
    if left_out:
        click.echo(
            f"left out {left_out} stopped or cut-off answer(s) and what followed them "
            "(--include-stopped keeps them)",
            err=True,
        )
