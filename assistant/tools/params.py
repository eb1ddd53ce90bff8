"""A tool's parameters, declared once: the slash command's parser, `--help` and the check of a
model-written call are all derived from the same `Param`s.

    class TranslateTool(Tool):
        parameters = params(
            Param("text", "the text to translate", nargs="*", model="required"),
            Param("to", "target language code", flags=("--to", "-t"), choices=("pt", "en"),
                  model="required"),
        )

`Param.add_to(parser)` adds the argument as a person types it (`--to pt`, the words), with its
type, choices and help; `check_call` checks the arguments a model wrote against the parameters
it may carry (`model="optional"` or `"required"`; the rest only a person may choose: files,
output paths, backends).

    >>> to = Param("to", "target language", flags=("--to",), choices=("pt", "en"), model="required")
    >>> check_call("translate", params(to), {"to": "fr"})
    "translate: 'to' must be one of pt, en, got 'fr'"
    >>> check_call("translate", params(to), {}) is None
    False
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MODEL = ("", "optional", "required")


@dataclass(frozen=True)
class Param:
    """One keyword argument of a tool's `run`.

    `flags` are how a person types it (`("--to", "-t")`); none means the command's words, `nargs`
    of them (`"*"`: all, `"?"`: one). `type` is str, int, float, or bool (a flag that takes no
    value). `choices` are the values allowed (shown as the metavar `pt|en`); `normalize` turns a
    person's spelling into one of them (`PT` -> `pt`) or raises the tool's own message. `model`
    says whether a model's call may carry it, and `model_choices` narrows the values it may give.
    A parameter declared as a plain string (`{"text": "what to say"}`, a plugin's older form) has
    `cli=False`: the tool parses its words itself."""

    name: str
    help: str
    type: type = str
    flags: tuple[str, ...] = ()
    nargs: str | None = None
    metavar: str | None = None
    choices: tuple | None = None
    default: Any = None
    normalize: Callable[[Any], Any] | None = None
    model: str = ""
    model_choices: tuple | None = None
    cli: bool = True

    def __post_init__(self) -> None:
        if self.model not in MODEL:
            raise ValueError(f"{self.name}: model must be one of {MODEL}, got {self.model!r}")

    @property
    def call_choices(self) -> tuple | None:
        """The values a model's call may give (None: any of its type)."""
        return self.model_choices if self.model_choices is not None else self.choices

    def add_to(self, parser: argparse.ArgumentParser) -> argparse.Action:
        """This parameter as `parser` reads it from a person's words."""
        if self.type is bool:
            return parser.add_argument(
                *self.flags, dest=self.name, action="store_true", default=None, help=self.help
            )
        metavar = self.metavar
        if metavar is None and self.choices is not None:
            metavar = "|".join(map(str, self.choices))
        kwargs: dict[str, Any] = {"help": self.help, "default": self.default, "metavar": metavar}
        if self.type is not str or self.choices is not None or self.normalize is not None:
            kwargs["type"] = self._converter()
        if self.flags:
            return parser.add_argument(*self.flags, dest=self.name, **kwargs)
        return parser.add_argument(self.name, nargs=self.nargs, **kwargs)

    def _converter(self) -> Callable[[str], Any]:
        def convert(text: str) -> Any:
            value = self.type(text)  # ValueError: argparse says "invalid int value: 'x'"
            if self.normalize is not None:
                value = self.normalize(value)
            if self.choices is not None and value not in self.choices:
                shown = ", ".join(map(str, self.choices))
                raise argparse.ArgumentTypeError(f"must be one of {shown}, got {value!r}")
            return value

        convert.__name__ = self.type.__name__  # argparse's "invalid int value" names the type
        return convert


def png_out(help: str) -> Param:
    """`--out FILE.png` (`-o`): where a tool that makes an image saves it (imagine, restore)."""
    return Param("out", help, flags=("--out", "-o"), metavar="FILE.png")


def params(*declared: Param) -> dict[str, Param]:
    """A tool's `parameters`: its `Param`s by name, in the order declared."""
    return {p.name: p for p in declared}


def as_params(parameters: dict[str, Any]) -> dict[str, Param]:
    """`parameters` with plain-string entries (a plugin's `{"text": "what to say"}`) made into
    `Param`s that only `run` reads (no derived command-line form)."""
    return {
        name: value if isinstance(value, Param) else Param(name, str(value), cli=False)
        for name, value in parameters.items()
    }


def for_model(parameters: dict[str, Param]) -> dict[str, Param]:
    """The parameters a model's call may carry, in the order declared."""
    return {name: p for name, p in parameters.items() if p.model}


def check_call(tool: str, parameters: dict[str, Param], arguments: Any) -> str | None:
    """Why a model's call of `tool` with `arguments` cannot run (one line), or None if it can."""
    if not isinstance(arguments, dict):
        return f"{tool}: arguments must be a JSON object"
    schema = for_model(parameters)
    unknown = sorted(set(arguments) - set(schema))
    if unknown:
        return f"{tool}: unknown argument(s) {', '.join(unknown)}; takes {', '.join(schema)}"
    for arg, param in schema.items():
        if arg not in arguments:
            if param.model == "required":
                return f"{tool}: missing argument {arg!r}"
            continue
        value, kind, allowed = arguments[arg], param.type, param.call_choices
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            return f"{tool}: {arg!r} must be {kind.__name__}, got {value!r}"
        if kind is str and not value.strip():
            return f"{tool}: {arg!r} is empty"
        if allowed is not None and value not in allowed:
            shown = ", ".join(map(str, allowed))
            return f"{tool}: {arg!r} must be one of {shown}, got {value!r}"
    return None
