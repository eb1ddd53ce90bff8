"""The arena screen driven by keys (App.run_test + pilot) over a scripted fake engine: every key
stores exactly the vote given, with the chosen model as shown on screen."""

from __future__ import annotations

import threading

from arena_fake import FakeEngine, factory

from assistant import store
from assistant.rate import arena
from assistant.store import ratings as R
from assistant.tui.arena import ArenaApp, ArenaScreen
from assistant.tui.arena_dialogs import ArenaSetupDialog

PROMPTS = [f"question {i}" for i in range(5)]


def _session(db, annotator="ana", seed=5, **engines):
    items = [arena.Item([{"role": "user", "content": p}]) for p in PROMPTS]
    return arena.ArenaSession(
        store.connect(db),
        items,
        arena.parse_contenders("alpha,beta@temperature=1.0"),
        annotator,
        shuffle_seed=seed,
        engine_factory=factory(**engines),
    )


async def _ready(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(app, widget_id):
    return str(app.screen.query_one(widget_id).content)


def _rows(session):
    return [R.decode(r) for r in R.standing(session.conn)]


async def test_each_key_stores_exactly_the_vote_given(tmp_path):
    session = _session(tmp_path / "p.db")
    app = ArenaApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot)
        screen = app.screen
        assert isinstance(screen, ArenaScreen)
        assert "Item 1 of 5" in _text(app, "#arena-progress")
        assert _text(app, "#arena-prompt") == "question 0"
        left_model = screen.shown.sides["left"].label
        assert _text(app, "#left-text").startswith(left_model.split("@")[0] + " answers question 0")

        await pilot.press("1")  # left is better
        await _ready(pilot)
        (row,) = _rows(session)
        assert row["vote"] == "left" and row["left_model"] == left_model
        assert row["left_text"].startswith(left_model.split("@")[0])
        assert "Item 2 of 5" in _text(app, "#arena-progress")

        # r: reason, a quick tag and scores, attached to the next vote
        await pilot.press("r")
        await pilot.press(*"wrong sum", "tab", "space", "tab", "4", "tab", "2", "enter")
        await pilot.pause()
        assert "reason: wrong sum" in _text(app, "#arena-status")
        right_model = screen.shown.sides["right"].label
        await pilot.press("2")
        await _ready(pilot)
        row = _rows(session)[-1]
        assert (row["vote"], row["right_model"]) == ("right", right_model)
        assert (row["reason"], row["tags"]) == ("wrong sum", ["incorrect"])
        assert (row["left_score"], row["right_score"]) == (4, 2)

        await pilot.press("3")
        await _ready(pilot)
        await pilot.press("4")
        await _ready(pilot)
        await pilot.press("s")
        await _ready(pilot)
        assert [r["vote"] for r in _rows(session)] == ["left", "right", "tie", "both_bad", "skip"]
        assert [r["item_index"] for r in _rows(session)] == [0, 1, 2, 3, 4]
        assert "All 5 items are rated" in _text(app, "#arena-prompt")

        # u: the skip is undone and item 5 comes back
        await pilot.press("u")
        await _ready(pilot)
        assert [r["vote"] for r in _rows(session)] == ["left", "right", "tie", "both_bad"]
        assert "Item 5 of 5" in _text(app, "#arena-progress")
        await pilot.press("u")  # and the both-bad on item 4: same answers on the same sides
        await _ready(pilot)
        undone = R.decode(session.conn.execute("SELECT * FROM ratings WHERE id = 4").fetchone())
        assert undone["retracted_at"] is not None
        assert _text(app, "#left-text") == undone["left_text"]
        await pilot.press("1")
        await _ready(pilot)
        last = _rows(session)[-1]
        assert (last["item_index"], last["vote"], last["left_text"]) == (
            3,
            "left",
            undone["left_text"],
        )
        assert "Item 5 of 5" in _text(app, "#arena-progress")


async def test_sides_are_shuffled_and_the_vote_follows_the_screen(tmp_path):
    session = _session(tmp_path / "p.db", seed=11)
    app = ArenaApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in PROMPTS:
            await _ready(pilot)
            await pilot.press("1")
    rows = _rows(session)
    assert {r["swapped"] for r in rows} == {0, 1}
    for r in rows:  # "1" always chose what was on the left, whichever model that was
        expected = "beta@temperature=1.0" if r["swapped"] else "alpha"
        assert r["left_model"] == expected and r["vote"] == "left"
        assert r["left_params"]["temperature"] == (1.0 if r["swapped"] else 0.7)


async def test_quitting_and_restarting_resumes_where_the_annotator_stopped(tmp_path):
    db = tmp_path / "p.db"
    first = _session(db)
    async with ArenaApp(first).run_test(size=(120, 40)) as pilot:
        await _ready(pilot)
        await pilot.press("1")
        await _ready(pilot)
        await pilot.press("2")
        await _ready(pilot)
        await pilot.press("escape")
    second = _session(db, seed=99)  # a new process: another shuffle seed
    app = ArenaApp(second)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot)
        assert "Item 3 of 5 · 2 of 5 rated" in _text(app, "#arena-progress")
        assert _text(app, "#arena-prompt") == "question 2"


async def test_voting_waits_for_both_answers_and_text_is_shown_literally(tmp_path):
    gate = threading.Event()
    markup = "[bold red]not markup[/] \x1b[31m"
    slow = FakeEngine("beta", script={p: markup for p in PROMPTS}, gate=gate)
    session = _session(tmp_path / "p.db", beta=slow)
    app = ArenaApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("1")
        await pilot.pause()
        assert _rows(session) == []  # not stored: the answer is still streaming
        gate.set()
        await _ready(pilot)
        beta_side = "left" if app.screen.shown.sides["left"].model == "beta" else "right"
        assert _text(app, f"#{beta_side}-text") == "[bold red]not markup[/] "
        await pilot.press("1")
        await _ready(pilot)
        assert len(_rows(session)) == 1


async def test_arena_screen_from_a_list_of_prompts_for_the_chat(tmp_path):
    conn = store.connect(tmp_path / "p.db")
    screen = ArenaScreen.from_spec(
        conn, ["hello there"], "alpha,beta", "ana", engine_factory=factory(), shuffle_seed=1
    )
    assert screen.session.n == 1 and screen.session.contenders[1].model == "beta"


async def test_bare_arena_screen_asks_for_its_setup_and_uses_the_chats_engine(tmp_path):
    from textual.app import App

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("first\nsecond\n")

    class Chat(App):
        def __init__(self):
            super().__init__()
            self.conn = store.connect(tmp_path / "p.db")
            self.engine = FakeEngine("alpha")
            self.model_name = "alpha"

        def on_mount(self):
            self.push_screen(ArenaScreen())

    app = Chat()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#setup-prompts").value = str(tmp_path / "nope.txt")
        await pilot.press("enter")
        await pilot.pause()
        # a bad file: the dialog comes back with what was typed, to be corrected
        assert isinstance(app.screen, ArenaSetupDialog)
        inp = app.screen.query_one("#setup-prompts")
        assert inp.value == str(tmp_path / "nope.txt")
        inp.value = str(prompts)
        await pilot.press("enter")
        await _ready(pilot)
        assert _text(app, "#arena-prompt") == "first"
        await pilot.press("2")
        await _ready(pilot)
    (row,) = [R.decode(r) for r in R.standing(app.conn)]
    assert row["vote"] == "right" and row["right_text"].startswith("alpha answers first")
    assert row["right_model"] in ("alpha@temperature=0.2", "alpha@temperature=1.0")
    assert row["right_params"]["temperature"] == float(row["right_model"].split("=")[1])


async def test_a_vote_the_database_refuses_is_announced_and_can_be_given_again(tmp_path):
    session = _session(tmp_path / "p.db")
    session.conn.execute("PRAGMA busy_timeout = 100")
    other = store.connect(tmp_path / "p.db")
    app = ArenaApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        await pilot.press("1")
        await pilot.pause()
        assert "Item 1 of 5" in _text(app, "#arena-progress")  # still here, nothing lost
        other.execute("ROLLBACK")
        await pilot.press("1")
        await _ready(pilot)
        assert "Item 2 of 5" in _text(app, "#arena-progress")
    assert [r["vote"] for r in _rows(session)] == ["left"]


async def test_snapshot_arena_at_100x30(tmp_path):
    """The arena as the terminal shows it. After looking at a changed screen, update with
    `PARLEY_UPDATE_SNAPSHOTS=1 pytest tests/test_arena_tui.py` and commit it with the change."""
    import difflib
    import os
    from pathlib import Path

    import pytest
    from fake_engine import screen_text

    engines = {
        "alpha": FakeEngine("alpha", {"question 0": "Paris is the capital of [b]France[/b]."}),
        "beta": FakeEngine("beta", {"question 0": "I think it is Lyon, but I am not sure."}),
    }
    app = ArenaApp(_session(tmp_path / "p.db", **engines))
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot)
        screen = "\n".join(line.rstrip() for line in screen_text(app).splitlines()) + "\n"
    path = Path(__file__).parent / "snapshots" / "arena.txt"
    if os.environ.get("PARLEY_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(screen, encoding="utf-8")
        if not os.environ.get("PARLEY_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot {path.name} written: look at it, then run again")
        return
    expected = path.read_text(encoding="utf-8")
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), screen.splitlines(), lineterm=""))
    assert screen == expected, f"{path.name} changed:\n{diff}"
