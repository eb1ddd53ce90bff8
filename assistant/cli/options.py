"""Options shared by the commands that generate text."""

from __future__ import annotations

import os

import click

from assistant.models import DTYPES

model_option = click.option(
    "--model",
    "-m",
    default=None,
    help="A model name from `parley models list`, a local HF directory, or a hub id "
    "(default: the embedded smollm2-135m-instruct).",
)
_dtype = click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    default="float32",
    show_default=True,
    help="Weights' dtype on the transformers backend; bfloat16 decodes faster on CPUs with bf16.",
)


def _set_backend(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:  # read by inference.load_engine, wherever the command loads its engines
        os.environ["PARLEY_BACKEND"] = value


_backend = click.option(
    "--backend",
    type=click.Choice(["auto", "llamacpp", "transformers"]),
    default=None,
    expose_value=False,
    callback=_set_backend,
    help="Inference backend (default auto: llama.cpp where installed and the model is a Llama; "
    "also $PARLEY_BACKEND).",
)


def dtype_option(f):
    """--dtype and --backend."""
    return _backend(_dtype(f))


def sampling_options(f):
    """--temperature, --top-p, --max-new-tokens, --seed, --system."""
    for option in reversed(
        [
            click.option(
                "--temperature",
                "-t",
                type=click.FloatRange(min=0),
                default=0.2,
                show_default=True,
                help="0 means greedy.",
            ),
            click.option(
                "--top-p",
                type=click.FloatRange(0, 1, min_open=True),
                default=0.9,
                show_default=True,
                help="Nucleus sampling mass.",
            ),
            click.option(
                "--max-new-tokens",
                "-n",
                type=click.IntRange(min=1),
                default=512,
                show_default=True,
                help="Longest answer in tokens.",
            ),
            click.option(
                "--seed",
                type=int,
                default=None,
                help="Same seed, same answer (default: a random seed, reported).",
            ),
            click.option("--system", default=None, help="System prompt (default: Parley's)."),
        ]
    ):
        f = option(f)
    return f


def progress(message: str) -> None:
    """Loading messages go to stderr so stdout stays the answer."""
    click.echo(message, err=True)
