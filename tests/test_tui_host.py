"""The chat app's parts (the mixins beside `tui/app.py`) know the app only as `ChatHost`, a
protocol in `tui/host.py`: no part imports the app back, and the app has all the protocol lists."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from assistant.tui import host
from assistant.tui.app import ChatApp

TUI = Path(host.__file__).parent


def _imported(path: Path) -> set[str]:
    """Every module `path` imports, also under `if TYPE_CHECKING:` (a type's import is one too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_no_part_of_the_tui_imports_the_app_back():
    importers = [
        p.name
        for p in TUI.glob("*.py")
        if p.name != "app.py" and "assistant.tui.app" in _imported(p)
    ]
    assert importers == []


def test_the_mixins_annotate_self_as_the_host():
    for name in ("chat_commands", "generation", "message_actions", "queued"):
        text = (TUI / f"{name}.py").read_text(encoding="utf-8")
        assert "self: ChatHost" in text and "ChatApp" not in text.replace("into ChatApp", ""), name


def test_the_app_has_everything_the_host_protocol_lists():
    members = [
        name
        for name, value in vars(host.ChatHost).items()
        if callable(value) or isinstance(value, property)
    ]
    members = [n for n in members if not n.startswith("__") and n != "_proto_hook"]
    assert len(members) > 30
    assert [n for n in members if not hasattr(ChatApp, n)] == []
    for name in members:  # a coroutine in the protocol is one in the app, and the other way round
        declared = inspect.iscoroutinefunction(getattr(host.ChatHost, name))
        assert declared == inspect.iscoroutinefunction(getattr(ChatApp, name)), name
    app = ChatApp()  # the data the protocol lists are set when the app is made
    assert [n for n in host.ChatHost.__annotations__ if not hasattr(app, n)] == []
