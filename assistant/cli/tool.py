"""`parley tool`: the tools from the shell.

    parley tool list                                   # tools, backends, architectures, figures
    parley tool translate --to pt "Good morning, my friend"
    parley tool sentiment --backend vader "I absolutely loved this film"
    parley tool summarize @README.md
    parley tool translate --json --to pt "Hello"       # one JSON record instead of plain text

Every word after the tool's name goes to the tool's own parser (the same one as the slash command
in the chat), so `parley tool translate --to pt hi` and `/translate --to pt hi` mean the same. The
answer goes to stdout; which backend ran, how long it took and how sure it is goes to stderr.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from assistant.cli.options import progress

if TYPE_CHECKING:
    from assistant.inference.events import ToolResult


def result_json(result: ToolResult, latency_digits: int = 4, with_data: bool = True) -> str:
    """A tool's result as the one JSON line `--json` prints (`parley tool NAME` and
    `parley ask /NAME`)."""
    record = {
        "tool": result.tool,
        "backend": result.backend,
        "architecture": result.architecture,
        "text": result.text,
        "latency_s": round(result.latency_s, latency_digits),
        "confidence": result.confidence,
        "images": [str(p) for p in result.images],
    }
    if with_data:
        record["data"] = result.data
    return json.dumps(record, ensure_ascii=False, default=str)


class ToolGroup(click.Group):
    """`list`, then one command per installed tool (found when it is asked for)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from assistant import tools

        return ["list", *tools.names()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        from assistant import tools

        tool = tools.get(cmd_name)  # unknown: ToolNotFound lists the installed ones
        return _tool_command(tool)


@click.group("tool", cls=ToolGroup)
def tool() -> None:
    """Run a tool: translate, sentiment, summarize, ... (`parley tool list` shows them all)."""
    from assistant.inference.threads import quiet_torch_threads

    quiet_torch_threads()  # the same thread setting as `chat` and `ask`, before torch loads


@tool.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def list_tools(as_json: bool) -> None:
    """Each tool, its backends, their architecture, whether their weights are present, and what
    they measured (bench/tools.py)."""
    from assistant import tools

    rows = {}
    for name in tools.names():
        tool_ = tools.get(name)
        rows[name] = {
            "description": tool_.description,
            "usage": tool_.usage,
            "backends": [vars(b) for b in tool_.backends()],
        }
    if as_json:
        click.echo(json.dumps({"tools": rows, "failed": tools.failures()}, indent=2))
        return
    for name, row in rows.items():
        click.echo(f"{name}: {row['description']}")
        click.echo(f"  usage: {row['usage']}")
        for b in row["backends"]:
            mark = "*" if b["default"] else " "
            weights = "weights present" if b["weights_present"] else "no weights"
            figures = ", ".join(f"{k} {_fmt(v)}" for k, v in b["metrics"].items())
            click.echo(f"  {mark} {b['name']:<11} {b['architecture']:<48} {weights}")
            if figures:
                click.echo(f"    {'':<11} measured: {figures}")
    for name, error in tools.failures().items():
        click.echo(f"{name}: failed to load, skipped ({error})")
    click.echo("(* default backend; choose another with --backend NAME)")


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _shell_help(tool_) -> str:
    """`parley tool NAME --help`: the tool's own parser, shown as the shell command it is (flags,
    not the keyword names `run` takes), then its backends."""
    backends = tool_.backends()
    lines = ["backends:"]
    lines += [f"  {b.name}{' (default)' if b.default else ''}: {b.architecture}" for b in backends]
    try:
        parser = tool_.parser()
    except NotImplementedError:  # a plugin without a parser: its usage and parameters
        described = [f"  {name:<10} {text}" for name, text in tool_.parameters.items()]
        return "\n".join([f"usage: {tool_.usage}", "", tool_.description, "", *described, *lines])
    for action in parser._actions:  # --backend NAME -> --backend bergamot|rnn|hf
        if "--backend" in action.option_strings:
            action.metavar = "|".join(b.name for b in backends)
    extra = [("--json", "print one JSON record instead of plain text")]
    return parser.shell_help(f"parley tool {tool_.name}", extra) + "\n" + "\n".join(lines)


def _shell_usage(tool_) -> str:
    """The one-line usage of `parley tool NAME` (the tool's declared parser as the shell command),
    or the slash command's usage for a plugin that parses its words itself."""
    try:
        parser = tool_.parser()
    except NotImplementedError:
        return tool_.usage
    parser.prog = f"parley tool {tool_.name}"
    return " ".join(parser.format_usage().split()).removeprefix("usage: ")


def _tool_command(tool_) -> click.Command:
    def run(argv: tuple[str, ...]) -> None:
        from assistant import tools
        from assistant.errors import CommandUsageError

        words = list(argv)
        as_json = "--json" in words
        words = [w for w in words if w != "--json"]
        if any(w in ("-h", "--help") for w in words):
            click.echo(_shell_help(tool_))
            return
        try:
            result = tools.run_slash(tool_.name, words, progress=progress)
        except CommandUsageError as e:  # as the shell command is typed, not the slash command
            raise CommandUsageError(e.problem, _shell_usage(tool_)) from None
        if as_json:
            click.echo(result_json(result))
            return
        click.echo(result.text)
        for path in result.images:
            click.echo(str(path))
        click.echo(result.summary(), err=True)

    return click.Command(
        tool_.name,
        callback=run,
        params=[click.Argument(["argv"], nargs=-1, type=click.UNPROCESSED)],
        help=f"{tool_.description}\n\nusage: {tool_.usage}",
        short_help=tool_.description,
        context_settings={"ignore_unknown_options": True, "help_option_names": []},
    )
