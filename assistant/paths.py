"""Where Parley keeps its files: one data dir (`$PARLEY_HOME`, else the XDG data dir).

These are lookups: they never create anything, so reading (a model, the config, the database)
works from a read-only home. Code that writes creates the directories it writes into.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """Parley's data dir: `$PARLEY_HOME`, else `$XDG_DATA_HOME/parley` (~/.local/share/parley)."""
    if env := os.environ.get("PARLEY_HOME"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(xdg) / "parley"


def models_dir() -> Path:
    """Converted and trained models live here, one directory each."""
    return home() / "models"


def database_path() -> Path:
    """The one SQLite database: conversations (tool results included) and ratings."""
    return home() / "parley.db"


def config_path() -> Path:
    """The user's config file (TOML): `$PARLEY_HOME/config.toml`."""
    return home() / "config.toml"
