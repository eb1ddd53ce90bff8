"""`parley train STAGE --config RECIPE.yaml [--key value ...]`: one training stage per subcommand.

Each stage's command lives in its own module and is loaded only when it runs (training imports
torch, TRL and `rlhf`, lazily). Add a stage with one line in `STAGES`.
"""

from __future__ import annotations

import click

from assistant.cli.lazy import LazyGroup

# stage name -> "module:attribute" of a click command
STAGES: dict[str, str] = {
    "sft": "assistant.cli.train_chat:sft",
    "reward": "assistant.cli.train_chat:reward",
    "ppo": "assistant.cli.train_chat:ppo",
    "rloo": "assistant.cli.train_chat:rloo",
    "dpo": "assistant.cli.train_chat:dpo",
    "restore": "assistant.cli.train_restore:restore",
    "translate": "assistant.cli.train_tools:translate",
    "sentiment": "assistant.cli.train_tools:sentiment",
    "transcribe": "assistant.cli.train_tools:transcribe",
    "image": "assistant.cli.train_image:image",
    "caption": "assistant.cli.train_vision:caption",
    "qa": "assistant.cli.train_vision:qa",
}


class LazyStages(LazyGroup):
    lazy_commands = STAGES


@click.group("train", cls=LazyStages)
def train() -> None:
    """Train a model: the chat model (sft, reward, ppo, rloo, dpo) or a tool's model."""
