"""Slash commands: the one parser shared by `parley chat` and `parley ask`.

    >>> parse('/system "Be brief." --keep')
    SlashCommand(name='system', argv=['Be brief.', '--keep'], raw='/system "Be brief." --keep')
    >>> parse("hello") is None
    True
    >>> complete("/he")
    ['/help']

Builtins are handled by the chat; tool commands (/translate, /sentiment, ...) come from the tool
registry in `assistant.tools` when it is installed, and `run_tool` hands them to it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from assistant import tools
from assistant.errors import UsageError

BUILTINS: dict[str, str] = {
    "help": "list commands and key bindings",
    "new": "start a new conversation",
    "model": "switch model: /model NAME (no name: pick from a list)",
    "system": "set this conversation's system prompt: /system TEXT (no text: back to default)",
    "export": "export this conversation: /export [md|jsonl] [PATH]",
    "clear": "clear the screen and start over in a new conversation",
    "arena": "open the arena: rate two models' answers side by side",
}


@dataclass(frozen=True)
class SlashCommand:
    name: str
    argv: list[str]
    raw: str


def parse(text: str) -> SlashCommand | None:
    """A `/name args...` line as a SlashCommand, or None when the text is not a command.

    `//text` is an escape for a message that starts with a slash. Quoting follows the shell.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//") or stripped == "/":
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.strip().lower()
    if not name or not (name[0].isalpha()):
        return None  # "/ 2" or a path like "/usr/bin" is text, not a command
    if "/" in name:
        return None
    try:
        argv = shlex.split(rest)
    except ValueError as e:
        raise UsageError(f"/{name}: {e} (close the quote, or escape it with a backslash)") from e
    return SlashCommand(name=name, argv=argv, raw=stripped)


def unescape(text: str) -> str:
    """The text of a message typed as `//...` (a message that really starts with a slash)."""
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("//") else text


def tool_names() -> list[str]:
    try:
        return sorted(tools.names())
    except Exception:  # a broken tool plugin must not break the chat
        return []


def names(builtins: bool = True) -> list[str]:
    """Every command name: builtins (when asked) then tools."""
    out = list(BUILTINS) if builtins else []
    out += [n for n in tool_names() if n not in out]
    return out


def complete(prefix: str, builtins: bool = True) -> list[str]:
    """Completions of a partly typed command, e.g. "/tr" -> ["/translate"], sorted."""
    if not prefix.startswith("/") or " " in prefix:
        return []
    stem = prefix[1:].lower()
    return sorted(f"/{n}" for n in names(builtins) if n.startswith(stem))


def is_tool(name: str) -> bool:
    return name in tool_names()


def run_tool(command: SlashCommand, progress=None, cancel=None) -> Any:
    """Run a tool command through `assistant.tools.run_slash`; returns its ToolResult. Setting
    the `cancel` event stops it (`assistant.errors.Cancelled`)."""
    if command.name not in tool_names():
        known = ", ".join(f"/{n}" for n in names())
        raise UsageError(f"unknown command /{command.name}; known: {known}")
    return tools.run_slash(command.name, command.argv, progress=progress, cancel=cancel)


def help_texts() -> dict[str, str]:
    """name -> one line of help, for every command (tools say which tool they run)."""
    out = dict(BUILTINS)
    for name in tool_names():
        try:
            out[name] = str(getattr(tools.get(name), "description", "")) or f"the {name} tool"
        except Exception:
            out[name] = f"the {name} tool"
    return out
