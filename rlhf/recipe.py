"""Recipes: a stage's settings read from a YAML file and overridden by `--key value` flags.

    parley train sft --config rlhf/recipes/sft-cpu-small.yaml --max_steps 50 --no-use_lora

Every key belongs to one of the stage's config dataclasses (Parley's own run settings, TRL's
`SFTConfig`, ...), whose fields carry the help text. A key that no dataclass has is an error that
names the nearest known key, so a typo in a recipe never silently falls back to a default.
Flag values are read as YAML scalars (`10` is an int, `true` a bool, `[a, b]` a list); a bare
`--flag` means true and `--no-flag` false; `-` and `_` are the same in flag names.
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import UsageError

RECIPES_DIR = Path(__file__).with_name("recipes")


def find_recipe(name: str) -> Path:
    """A recipe path, or the name of one shipped in `rlhf/recipes/` (`sft-cpu-tiny`)."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    shipped = RECIPES_DIR / (name if name.endswith(".yaml") else f"{name}.yaml")
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in RECIPES_DIR.glob("*.yaml")))
    raise UsageError(f"no recipe {name!r}; pass a YAML file or one of: {known}")


def read_recipe(name: str) -> dict[str, Any]:
    path = find_recipe(name)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a recipe is a mapping of key: value")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def parse_flags(argv: list[str]) -> tuple[str | None, dict[str, Any], bool]:
    """`--config X --a 1 --b` -> ("X", {"a": 1, "b": True}, wants_help)."""
    config, values, wants_help = None, {}, False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            wants_help = True
            i += 1
            continue
        if not arg.startswith("--") or len(arg) == 2:
            raise UsageError(f"unexpected argument {arg!r}; settings are --key value")
        key, _, inline = arg[2:].partition("=")
        key = key.replace("-", "_")
        has_value = bool(inline) or (i + 1 < len(argv) and not argv[i + 1].startswith("--"))
        raw = inline or (argv[i + 1] if has_value and not inline else None)
        i += 2 if has_value and not inline else 1
        if key == "config":
            if raw is None:
                raise UsageError("--config needs a recipe file")
            config = raw
        elif raw is None:
            negated = key.startswith("no_")
            values[key[3:] if negated else key] = not negated
        else:
            try:
                values[key] = yaml.safe_load(raw)
            except yaml.YAMLError:
                values[key] = raw
            if values[key] is None:
                values[key] = raw if raw.lower() not in ("null", "none", "~") else None
    return config, values, wants_help


def _coerce(cls: type, name: str, value: Any) -> Any:
    """Strings given to numeric fields (`--learning_rate 1e-4` reads as the str '1e-4')."""
    field_type = {f.name: f.type for f in dataclasses.fields(cls)}[name]
    kind = str(field_type)
    if isinstance(value, str) and "str" not in kind:
        for convert in (int, float) if "int" in kind else (float,) if "float" in kind else ():
            try:
                return convert(value)
            except ValueError:
                continue
    if isinstance(value, int) and not isinstance(value, bool) and "float" in kind:
        return float(value)
    return value


def build(
    classes: tuple[type, ...], settings: dict[str, Any], where: str, flags: frozenset = frozenset()
) -> list[Any]:
    """Distribute `settings` over the dataclasses (first one that has the field wins); an error
    names the recipe file, or the flag for keys in `flags`."""
    per_class: list[dict[str, Any]] = [{} for _ in classes]
    known = [{f.name for f in dataclasses.fields(c) if f.init} for c in classes]
    for key, value in settings.items():
        for i, names in enumerate(known):
            if key in names:
                per_class[i][key] = _coerce(classes[i], key, value)
                break
        else:
            everything = sorted(set().union(*known))
            close = difflib.get_close_matches(key, everything, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            origin = f"--{key}" if key in flags else f"{where}: {key!r}"
            raise UsageError(f"{origin}: unknown setting{hint} (see --help)")
    out = []
    for cls, kwargs in zip(classes, per_class, strict=True):
        try:
            out.append(cls(**kwargs))
        except (TypeError, ValueError) as e:
            raise UsageError(f"{where}: {cls.__name__}: {e}") from e
    return out


def help_text(prog: str, classes: tuple[type, ...], doc: str, limit_to_first: int = 1) -> str:
    """The stage's docstring, then every setting of its own dataclasses with default and help;
    the trainer's (TRL's) settings are listed by name only, they are documented upstream."""
    lines = [f"usage: {prog} --config RECIPE.yaml [--key value ...]", "", doc.strip(), ""]
    for cls in classes[:limit_to_first]:
        lines.append(f"{cls.__name__} settings:")
        groups: dict[str, list[dataclasses.Field]] = {}
        for f in dataclasses.fields(cls):
            groups.setdefault(f.metadata.get("group", ""), []).append(f)
        for group in sorted(groups, key=bool):  # the ungrouped first, then each group's
            if group:
                lines.append(f" {group}:")
            for f in groups[group]:
                default = f.default if f.default is not dataclasses.MISSING else "(list)"
                lines.append(f"  --{f.name} (default {default!r}): {f.metadata.get('help', '')}")
    for cls in classes[limit_to_first:]:
        names = sorted(f.name for f in dataclasses.fields(cls) if f.init)
        lines.append(f"\n{cls.__name__} settings (see the TRL/transformers docs): ")
        lines.append("  " + ", ".join(names))
    return "\n".join(lines)


def quick_help(prog: str, run: type, trainer: str, doc: str) -> str:
    """`--help` without importing the trainer (TRL imports torch, which takes seconds): the
    stage's own settings in full; the trainer's by a pointer to `--help-all`."""
    return (
        help_text(prog, (run,), doc)
        + f"\n\n{trainer} settings (TRL/transformers: --max_steps, --learning_rate, "
        "--per_device_train_batch_size, ...): `--help-all` lists every name"
    )


def parse(
    argv: list[str], classes: tuple[type, ...], prog: str, doc: str, defaults: dict | None = None
) -> list[Any]:
    """argv -> one instance per dataclass: recipe first, then flags; `--help` prints and exits."""
    config, flags, wants_help = parse_flags(argv)
    if wants_help:
        print(help_text(prog, classes, doc))
        raise SystemExit(0)
    settings = dict(defaults or {})
    where = "flags"
    if config:
        settings.update(read_recipe(config))
        where = str(find_recipe(config))
    settings.update(flags)
    return build(classes, settings, where, frozenset(flags))
