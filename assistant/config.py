"""The user's config file: `$PARLEY_HOME/config.toml` (or `config.yaml` beside it).

    [chat]
    model = "smollm2-135m-instruct"   # default model for `parley chat`
    temperature = 0.2
    system_prompt = "You are terse."

    [keymap]                          # binding id = keys (see the help screen, F1)
    stop = "escape"
    regenerate = "ctrl+r"

A bad file is one clear line (`parley: error: config.toml: ...`), never a traceback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import ConfigError
from assistant.sampling import PER_CHAT

# [chat]: the model, its dtype, the system prompt and the per-conversation sampling settings
# (declared in `assistant.sampling`; a float setting may be written as an integer).
CHAT_KEYS = {
    "model": str,
    "dtype": str,
    **{s.name: (int, float) if s.type is float else s.type for s in PER_CHAT},
    "system_prompt": str,
}


@dataclass
class Config:
    chat: dict[str, Any] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    tools: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def find() -> Path | None:
    """The config file in use, if any: config.toml, else config.yaml / config.yml."""
    toml_path = paths.config_path()
    for candidate in (toml_path, toml_path.with_suffix(".yaml"), toml_path.with_suffix(".yml")):
        if candidate.is_file():
            return candidate
    return None


def load(path: Path | None = None) -> Config:
    """Read and check the config; no file means defaults."""
    path = path or find()
    if path is None:
        return Config()
    data = _read(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected tables like [chat] and [keymap] at the top level")
    known = {"chat", "keymap", "tools"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(known))}"
        )
    chat = _table(path, data, "chat")
    for key, value in chat.items():
        if key not in CHAT_KEYS:
            raise ConfigError(
                f"{path}: unknown key chat.{key}; known: {', '.join(sorted(CHAT_KEYS))}"
            )
        if not isinstance(value, CHAT_KEYS[key]) or isinstance(value, bool):
            raise ConfigError(f"{path}: chat.{key} has the wrong type ({value!r})")
    keymap = _table(path, data, "keymap")
    for key, value in keymap.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f'{path}: keymap.{key} must be a key string like "ctrl+r" (comma-separate several)'
            )
    return Config(chat=chat, keymap=keymap, tools=_table(path, data, "tools"), path=path)


def _table(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table of key = value")
    return dict(table)


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from e
    import yaml

    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(e, 'problem', e)}") from e
