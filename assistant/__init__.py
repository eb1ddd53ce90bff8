"""Parley's runtime: models, engine, tools, store, TUI and CLI. Never imports `rlhf` (training)."""

__version__ = "0.1.0"
