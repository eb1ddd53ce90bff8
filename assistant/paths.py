"""Where Parley keeps its files: one data dir (`$PARLEY_HOME`, else the XDG data dir)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """Parley's data dir: `$PARLEY_HOME`, else `$XDG_DATA_HOME/parley` (~/.local/share/parley)."""
    if env := os.environ.get("PARLEY_HOME"):
        path = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        path = Path(xdg) / "parley"
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Converted and trained models live here, one directory each."""
    path = home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    """The one SQLite database: conversations, ratings, tool calls, lineage."""
    return home() / "parley.db"


def config_path() -> Path:
    """The user's config file (TOML): `$PARLEY_HOME/config.toml`."""
    return home() / "config.toml"
