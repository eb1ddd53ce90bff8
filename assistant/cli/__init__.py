"""`parley`: the command line. Each command group lives in its own module here.

Errors from the library (`assistant.errors.ParleyError`) become one line on stderr and a non-zero
exit. Training commands import `rlhf` lazily, inside the command.
"""

from __future__ import annotations

import sqlite3
import sys

import click

from assistant import __version__
from assistant.cli.lazy import LazyGroup
from assistant.errors import ParleyError

# Every command: name -> "module:attribute". A command's module is imported only when that command
# runs (or `--help` lists it), so `parley --help` stays instant. Add a line here for a new command.
COMMANDS: dict[str, str] = {
    "chat": "assistant.cli.chat:chat",
    "export": "assistant.cli.export:export_cmd",
    "ask": "assistant.cli.ask:ask",
    "models": "assistant.cli.models:models_group",
    "train": "assistant.cli.train:train",
    "tool": "assistant.cli.tool:tool",
    "eval": "assistant.cli.eval:eval_group",
    "pipeline": "assistant.cli.pipeline:pipeline",
    "arena": "assistant.cli.arena:arena",
    "prefs": "assistant.cli.prefs:prefs_group",
    "db": "assistant.cli.db:db_group",
}


class ParleyGroup(LazyGroup):
    """Loads commands lazily from `COMMANDS`, and turns domain errors into `parley: error: ...` and
    an exit code, never a traceback."""

    lazy_commands = COMMANDS

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ParleyError as e:
            click.echo(f"parley: error: {e}", err=True)
            sys.exit(e.exit_code)
        except sqlite3.DatabaseError as e:
            from assistant import store

            if not store.is_damage(e):
                raise
            # a damaged page met by a query, after the file opened fine
            error = store.damaged(store.opened[-1] if store.opened else None, e)
            click.echo(f"parley: error: {error}", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("\nparley: interrupted", err=True)
            sys.exit(130)


@click.group(cls=ParleyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="parley")
def main() -> None:
    """Parley: chat with a local model, rate its answers, and train it on your ratings.

    Runs offline on a CPU. Data (conversations, ratings, converted and trained models) lives in
    $PARLEY_HOME, by default ~/.local/share/parley.
    """
