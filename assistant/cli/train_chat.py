"""`parley train sft|reward|ppo|rloo|dpo --config RECIPE.yaml [--key value ...]`.

Each command hands its arguments, untouched, to the stage's `main(argv)` in `rlhf/` (imported
here lazily, inside the command: the runtime never imports training code). `--help` lists the
stage's own settings at once, without importing TRL (which imports torch: seconds); `--help-all`
adds the names of every TRL trainer setting. The same stages run as `python -m rlhf.sft ...` and
under `accelerate launch`.
"""

from __future__ import annotations

import importlib

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def _stage(name: str, module: str, run: str, trainer: str, summary: str) -> click.Command:
    """`run`: the stage's own settings dataclass in `module`; `trainer`: TRL's config class."""

    @click.command(name, context_settings=_RAW, help=summary, add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        stage = importlib.import_module(module)  # cheap: TRL is imported inside main()
        if "--help-all" in args:
            args = tuple("--help" if a == "--help-all" else a for a in args)
        elif any(a in ("-h", "--help") for a in args):
            from rlhf import recipe

            prog = f"parley train {name}"
            click.echo(recipe.quick_help(prog, getattr(stage, run), trainer, stage.__doc__ or ""))
            return
        stage.main(list(args))

    return command


sft = _stage(
    "sft",
    "rlhf.sft",
    "SFTRun",
    "SFTConfig",
    "Supervised fine-tuning on conversations (TRL SFTTrainer).",
)
reward = _stage(
    "reward",
    "rlhf.reward",
    "RewardRun",
    "RewardConfig",
    "Train a reward model on preference pairs.",
)
ppo = _stage(
    "ppo",
    "rlhf.ppo",
    "PPORun",
    "PPOConfig",
    "PPO against a reward model, with a KL leash to the SFT model.",
)
rloo = _stage(
    "rloo",
    "rlhf.rloo",
    "RLOORun",
    "RLOOConfig",
    "RLOO (REINFORCE leave-one-out) against a reward model.",
)
dpo = _stage(
    "dpo",
    "rlhf.dpo",
    "DPORun",
    "DPOConfig",
    "Direct preference optimisation from preference pairs.",
)
