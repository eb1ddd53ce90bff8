"""`parley train STAGE --config RECIPE.yaml [--key value ...]`: one training stage per subcommand.

Each stage's command lives in its own module and is loaded only when it runs (training imports
torch, TRL and `rlhf`, lazily). Add a stage with one line in `STAGES`.
"""

from __future__ import annotations

import importlib

import click

# stage name -> "module:attribute" of a click command
STAGES: dict[str, str] = {}


class LazyStages(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *STAGES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in STAGES:
            module_name, attr = STAGES[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


@click.group("train", cls=LazyStages)
def train() -> None:
    """Train a model: the chat model (sft, reward, ppo, rloo, dpo) or a tool's model."""
