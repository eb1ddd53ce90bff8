"""`parley train STAGE ...`: one training stage per subcommand.

The chat model's stages (`sft`, `reward`, `ppo`, `rloo`, `dpo`; `rlhf/`) take
`--config RECIPE.yaml [--key value ...]`; a tool's model (`translate`, `image`, ...) is trained by
the trainer beside the tool (`assistant/tools/<tool>/train.py`, listed in
`assistant.cli.train_tools.TRAINERS`). Each command is loaded only when it runs (training imports
torch, TRL and `rlhf`, lazily). Add a chat stage with one line in `STAGES`.
"""

from __future__ import annotations

import click

from assistant.cli.lazy import LazyGroup
from assistant.cli.train_tools import TRAINERS, command

# stage name -> "module:attribute" of a click command
STAGES: dict[str, str] = {
    "sft": "assistant.cli.train_chat:sft",
    "reward": "assistant.cli.train_chat:reward",
    "ppo": "assistant.cli.train_chat:ppo",
    "rloo": "assistant.cli.train_chat:rloo",
    "dpo": "assistant.cli.train_chat:dpo",
}


class LazyStages(LazyGroup):
    lazy_commands = STAGES

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *TRAINERS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in TRAINERS:
            return command(cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group("train", cls=LazyStages)
def train() -> None:
    """Train a model: the chat model (sft, reward, ppo, rloo, dpo) or a tool's model."""
