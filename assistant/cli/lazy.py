"""A click group whose subcommands are imported only when they run or `--help` lists them."""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """Subcommands come from `lazy_commands`: name -> "module:attribute" of a click command."""

    lazy_commands: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module_name, attr = self.lazy_commands[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)
