"""`parley train sft|reward|ppo|rloo|dpo --config RECIPE.yaml [--key value ...]`.

Each command hands its arguments, untouched, to the stage's `main(argv)` in `rlhf/` (imported
here lazily, inside the command: the runtime never imports training code). `--help` lists the
stage's settings. The same stages run as `python -m rlhf.sft ...` and under `accelerate launch`.
"""

from __future__ import annotations

import importlib

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def _stage(name: str, module: str, summary: str) -> click.Command:
    @click.command(name, context_settings=_RAW, help=summary, add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        importlib.import_module(module).main(list(args))

    return command


sft = _stage("sft", "rlhf.sft", "Supervised fine-tuning on conversations (TRL SFTTrainer).")
reward = _stage("reward", "rlhf.reward", "Train a reward model on preference pairs.")
ppo = _stage("ppo", "rlhf.ppo", "PPO against a reward model, with a KL leash to the SFT model.")
rloo = _stage("rloo", "rlhf.rloo", "RLOO (REINFORCE leave-one-out) against a reward model.")
dpo = _stage("dpo", "rlhf.dpo", "Direct preference optimisation from preference pairs.")
