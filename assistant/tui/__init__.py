"""Parley's Textual TUI: `parley chat`. The only package that imports textual.

    parley chat [--model M]              # or: python -m assistant.tui.app

`app.ChatApp` is the application; one widget or screen per module beside it, styles in
`app.tcss`. The engine loads in a thread worker, so the first frame never waits for torch.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys

# Terminals that can show real images (sixel or kitty's protocol). Only there does `parley chat`
# ask the terminal before the first frame; the query and its imports (numpy, PIL) cost 0.2-0.4 s.
GRAPHICS_ENV = ("KITTY_WINDOW_ID", "WEZTERM_PANE", "KONSOLE_VERSION", "GHOSTTY_RESOURCES_DIR")
GRAPHICS_TERM = ("kitty", "foot", "mlterm", "ghostty", "contour", "wezterm", "iterm", "mintty")


def graphics_terminal(env: dict[str, str] | None = None) -> bool:
    """Whether the terminal looks able to show images. `PARLEY_IMAGES=query|halfcell` decides.

    >>> graphics_terminal({"TERM": "xterm-kitty"}), graphics_terminal({"TERM": "tmux-256color"})
    (True, False)
    """
    env = os.environ if env is None else env
    choice = env.get("PARLEY_IMAGES", "")
    if choice in ("query", "halfcell"):
        return choice == "query"
    term = f"{env.get('TERM', '')} {env.get('TERM_PROGRAM', '')}".lower()
    return any(k in env for k in GRAPHICS_ENV) or any(t in term for t in GRAPHICS_TERM)


def prepare_terminal() -> None:
    """Call before `App.run()` where the terminal looks graphics-capable: textual-image asks the
    terminal what it supports, which only works before Textual takes the terminal. Elsewhere the
    first image asks (`load_images`), with the app suspended for that moment, so the first frame
    does not wait for it. Skipped while no image tool exists; images then show as their paths."""
    if importlib.util.find_spec("assistant.tools") is None or not graphics_terminal():
        return
    with contextlib.suppress(Exception):
        importlib.import_module("textual_image.widget")


def load_images(app) -> None:
    """Import textual-image (it asks the terminal about graphics as it loads) with `app` suspended,
    so the question and the answer do not go through Textual. No-op once loaded."""
    if "textual_image.widget" in sys.modules:
        return
    from textual.app import SuspendNotSupported

    try:
        with app.suspend():
            importlib.import_module("textual_image.widget")
    except (SuspendNotSupported, RuntimeError):  # headless (tests), Textual Web, not started
        importlib.import_module("textual_image.widget")
