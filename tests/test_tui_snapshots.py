"""Screen snapshots at a fixed terminal size (100x30): the chat with a rated Markdown answer, the
help screen, and the settings panel, compared as the text the terminal shows.

A changed screen fails with a diff. After looking at the new screen, update the stored one with
`PARLEY_UPDATE_SNAPSHOTS=1 pytest tests/test_tui_snapshots.py` and commit it with the change.
(pytest-textual-snapshot's `snap_compare` would need pytest < 9; this is the same idea, as text.)
"""

import difflib
import os
from pathlib import Path

import pytest
from fake_engine import FakeEngine, make_app, screen_text, send

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (100, 30)
ANSWER = """Three **primary** colours:

1. red
2. yellow
3. blue

```python
print("mix them")
```"""


def check(name: str, screen: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    screen = "\n".join(line.rstrip() for line in screen.splitlines()) + "\n"
    if os.environ.get("PARLEY_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(screen, encoding="utf-8")
        if not os.environ.get("PARLEY_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot {path.name} written: look at it, then run again")
        return
    expected = path.read_text(encoding="utf-8")
    if screen != expected:
        diff = "\n".join(
            difflib.unified_diff(expected.splitlines(), screen.splitlines(), lineterm="")
        )
        pytest.fail(f"{path.name} changed:\n{diff}")


async def _chat(pilot, app):
    await send(pilot, app, "Name the primary colours")
    view = app.message_views()[-1]
    view.focus()
    await pilot.press("plus", "5")
    app.prompt.focus()
    await pilot.pause()


async def test_snapshot_chat_with_a_rated_markdown_answer():
    app = make_app(FakeEngine([ANSWER], name="smollm2-135m-instruct", context_window=8192))
    async with app.run_test(size=SIZE) as pilot:
        await _chat(pilot, app)
        check("chat", screen_text(app))


async def test_snapshot_help_screen():
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        await pilot.pause()
        check("help", screen_text(app))


async def test_snapshot_settings_panel():
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, '/system "Be brief."')
        await pilot.press("ctrl+s")
        await pilot.pause()
        check("settings", screen_text(app))


async def test_help_screen_at_80x24_shows_what_each_key_does_and_the_whole_footer():
    import re

    app = make_app(FakeEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        await pilot.pause()
        screen = screen_text(app)
        assert re.search(r"ctrl\+r +Regenerate +regenerate", screen), screen
        assert re.search(r"ctrl\+y +Copy +copy_last", screen), screen
        footer = screen.splitlines()[-1]
        assert "f1 Help" in footer and footer.rstrip().endswith("^p palette"), footer
        check("help-80x24", screen)
