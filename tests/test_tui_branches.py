"""Rating, regenerating, flipping between sibling answers, editing (branches) and picking the best
answer in the chat TUI; checked on the screen and in the database."""

from fake_engine import FakeEngine, make_app, screen_text, send, settle
from textual.widgets import TextArea

from assistant import store
from assistant.store import conversations as convs
from assistant.tui.message_view import AssistantMessageView, UserMessageView

SIZE = (110, 32)


async def test_thumbs_and_stars_are_stored_with_the_message():
    app = make_app(FakeEngine(["Paris."]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Capital of France?")
        view = app.query_one(AssistantMessageView)
        view.focus()
        await pilot.press("plus", "4")
        assert "👍" in view.header_text() and "★★★★☆" in view.header_text()
        await pilot.press("minus")
        row = (
            store.connect()
            .execute("SELECT thumbs, stars FROM messages WHERE id = ?", (view.message.id,))
            .fetchone()
        )
        assert tuple(row) == (-1, 4)
        await pilot.press("4")  # the same stars again take them back
        assert (
            store.connect()
            .execute("SELECT stars FROM messages WHERE role='assistant'")
            .fetchone()[0]
            is None
        )


async def test_regenerate_keeps_both_answers_and_left_right_flips_between_them():
    engine = FakeEngine(["First answer.", "Second answer."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Say something")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        view = app.query_one(AssistantMessageView)
        assert view.text == "Second answer." and "‹2/2›" in view.header_text()
        view.focus()
        await pilot.press("left")
        await settle(pilot, app)
        view = app.query_one(AssistantMessageView)
        assert view.text == "First answer." and "‹1/2›" in view.header_text()
        assert app.focused is view  # focus stays on the flipped message
        conn = store.connect()
        conv = convs.list_all(conn)[0]
        assert [m.content for m in convs.branch(conn, conv.id)] == [
            "Say something",
            "First answer.",
        ]
        # both answers were generated for the same prompt
        assert engine.calls[0] == engine.calls[1]


async def test_editing_a_user_message_starts_a_branch():
    engine = FakeEngine(["About cats.", "About dogs."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Tell me about cats")
        app.query_one(UserMessageView).focus()
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "Tell me about dogs"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert [v.text for v in app.message_views()] == ["Tell me about dogs", "About dogs."]
        assert "‹2/2›" in app.query_one(UserMessageView).header_text()
        await pilot.press("o", "k")  # typing goes on where it went before the edit
        assert app.focused is app.prompt and app.prompt.value == "ok"
        app.prompt.value = ""
        assert engine.calls[-1][-1]["content"] == "Tell me about dogs"
        app.query_one(UserMessageView).focus()
        await pilot.press("left")
        await settle(pilot, app)
        assert [v.text for v in app.message_views()] == ["Tell me about cats", "About cats."]


async def test_pick_best_and_edit_an_answer_record_preferences():
    app = make_app(FakeEngine(["Lyon.", "Paris."]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Capital of France?")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        view = app.query_one(AssistantMessageView)
        view.focus()
        await pilot.press("b")  # Paris is the best of the two
        conn = store.connect()
        [pick] = conn.execute("SELECT * FROM ratings").fetchall()
        assert pick["source"] == "pick"
        assert "Paris." in pick["left_text"] and "Lyon." in pick["right_text"]
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "Paris, on the Seine."
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        edited = app.query_one(AssistantMessageView)
        assert edited.text == "Paris, on the Seine." and "✎ edited" in edited.header_text()
        rows = conn.execute("SELECT source, left_text, right_text FROM ratings ORDER BY id")
        assert [tuple(r) for r in rows][-1] == ("edit", "Paris, on the Seine.", "Paris.")
        assert "Paris, on the Seine." in screen_text(app)
        await pilot.press("o", "k")  # typing goes on where it went before the edit
        assert app.focused is app.prompt and app.prompt.value == "ok"
