"""A tool command typed into the chat TUI (a fake model behind it), for the tools' TUI tests:
the tool runs for real and its answer is one `ToolMessageView`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fake_engine import FakeEngine, make_app, send


@asynccontextmanager
async def tool_in_chat(command: str) -> AsyncIterator[Any]:
    """Inside: (the tool's message view, the fake engine), once `command` has been sent."""
    from assistant.tui.message_view import ToolMessageView

    engine = FakeEngine()
    app = make_app(engine)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, app, command)
        yield app.query_one(ToolMessageView), engine


def image_captions(view: Any) -> list[str]:
    """The path lines shown above the images of a tool's answer."""
    return [str(w.render()) for w in view.query(".tool-image-path")]
