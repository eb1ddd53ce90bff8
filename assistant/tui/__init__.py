"""Parley's Textual TUI: `parley chat`. The only package that imports textual.

    parley chat [--model M]              # or: python -m assistant.tui.app

`app.ChatApp` is the application; one widget or screen per module beside it, styles in
`app.tcss`. The engine loads in a thread worker, so the first frame never waits for torch.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util


def prepare_terminal() -> None:
    """Call before `App.run()`: textual-image asks the terminal which graphics it supports, which
    only works before Textual takes the terminal. Skipped (no cost) while no image tool exists;
    images then show as their file paths."""
    if importlib.util.find_spec("assistant.tools") is None:
        return
    with contextlib.suppress(Exception):
        importlib.import_module("textual_image.widget")
