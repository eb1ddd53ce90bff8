"""Options shared by the commands that generate text, `db_option` (the ratings database: `parley
arena`, `parley prefs`), and `choice_option` / `count_option` for any command. The sampling options
are derived from `assistant.inference.SETTINGS`, where each setting's name, default, range and help
are declared.

`$PARLEY_BACKEND` is read here and only here, as the default of `--backend`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from assistant.inference.loader import BACKENDS, DEFAULT_DTYPE, DTYPES
from assistant.sampling import PER_CHAT, SETTINGS

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
    default=DEFAULT_DTYPE,
    show_default=True,
    help="Weights' dtype on the transformers backend; bfloat16 decodes faster on CPUs with bf16.",
)
backend_option = click.option(
    "--backend",
    type=click.Choice(BACKENDS, case_sensitive=False),
    default="auto",
    envvar="PARLEY_BACKEND",
    show_default=True,
    help="Inference backend: auto is llama.cpp where installed and the model is a Llama "
    "(also $PARLEY_BACKEND).",
)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The ratings database (default: parley.db in $PARLEY_HOME).",
)


def choice_option(*decls: str, choices: list[str], help: str) -> Callable:
    """An option that takes one of `choices`, the first by default (shown in `--help`)."""
    return click.option(
        *decls, type=click.Choice(choices), default=choices[0], show_default=True, help=help
    )


def count_option(
    *decls: str, low: int = 1, high: int | None = None, default: int | None = None, help: str = ""
) -> Callable:
    """An option that takes a whole number from `low` (up to `high`), its default (if any) shown in
    `--help`: the shape of every count a command takes (seeds, workers, a limit, resamples)."""
    return click.option(
        *decls,
        type=click.IntRange(low, high),
        default=default,
        show_default=default is not None,
        help=help or None,
    )


def dtype_option(f):
    """--dtype and --backend."""
    return backend_option(_dtype(f))


def sampling_option(name: str, *, parleys_default: bool = False, **overrides: Any) -> Callable:
    """The click option of one sampling setting, as declared in `SETTINGS`; `overrides` replace
    its click keywords (a command's own default or help). `parleys_default`: no default here
    (None), so the command can tell Parley's default from a value given."""
    setting = SETTINGS[name]
    if setting.type is float:
        kind: Any = click.FloatRange(setting.low, setting.high, min_open=setting.low_open)
    elif setting.low is not None:
        kind = click.IntRange(setting.low, setting.high)
    else:
        kind = setting.type
    kwargs: dict[str, Any] = {
        "type": kind,
        "default": setting.default,
        "show_default": setting.default is not None,
        "help": setting.help,
    }
    if parleys_default:
        help_ = setting.help.rstrip(".")
        kwargs.update(default=None, help=f"{help_} [default: Parley's, {setting.default}].")
    kwargs.update(overrides)
    flags = [setting.flag, *([setting.short] if setting.short else [])]
    return click.option(*flags, **kwargs)


def sampling_options(f):
    """The per-conversation settings (--temperature, --top-p, --max-new-tokens, --seed) and
    --system."""
    f = click.option("--system", default=None, help="System prompt (default: Parley's).")(f)
    for setting in reversed(PER_CHAT):
        f = sampling_option(setting.name)(f)
    return f


def progress(message: str) -> None:
    """Loading messages go to stderr so stdout stays the answer."""
    click.echo(message, err=True)
