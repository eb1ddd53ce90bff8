"""The chat TUI through `App.run_test()` with a scripted fake engine: streaming, waiting for the
model, Esc, persistence across restarts, literal text, the status line, copy and the sidebar."""

import threading

from fake_engine import FakeEngine, held_until, make_app, screen_text, send, settle

from assistant import store
from assistant.store import conversations as convs
from assistant.tui.message_view import AssistantMessageView, UserMessageView

SIZE = (110, 32)


async def test_first_frame_has_the_prompt_focused_and_the_answer_streams_in():
    engine = FakeEngine(["The capital of France is **Paris**."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is app.prompt
        await send(pilot, app, "What is the capital of France?")
        answer = app.query_one(AssistantMessageView)
        assert answer.text == "The capital of France is **Paris**."
        assert "The capital of France is Paris." in screen_text(app)
        assert engine.calls[0][-1] == {"role": "user", "content": "What is the capital of France?"}
        assert app.prompt.value == "" and app.focused is app.prompt


async def test_conversation_is_there_after_a_restart():
    engine = FakeEngine(["Paris."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "What is the capital of France?")
    engine = FakeEngine(["Madrid."])
    again = make_app(engine)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, again)
        assert again.sidebar.titles() == ["What is the capital of France?"]
        assert not again.message_views()  # a fresh chat until one is opened
        again.query_one("#conversations").focus()
        await pilot.press("enter")
        await settle(pilot, again)
        assert [v.text for v in again.message_views()] == [
            "What is the capital of France?",
            "Paris.",
        ]
        await send(pilot, again, "And of Spain?")  # continues the same conversation
        [conv] = convs.list_all(store.connect())
        branch = [m.content for m in convs.branch(store.connect(), conv.id)]
        assert branch == ["What is the capital of France?", "Paris.", "And of Spain?", "Madrid."]
        assert [m["content"] for m in engine.calls[-1]] == branch[:3]  # the model saw it all


async def test_a_prompt_sent_while_loading_waits_for_the_model():
    release = threading.Event()
    engine = FakeEngine(["Ready now."])

    app = make_app(factory=held_until(release, engine, "reading weights 1/2"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.prompt.value = "hello?"
        await pilot.press("enter")
        for _ in range(20):
            await pilot.pause(0.02)
        view = app.query_one(AssistantMessageView)
        assert "waiting for the model to load" in view.header_text()
        assert "reading weights 1/2" in app.status.summary()
        assert app.query_one(UserMessageView).text == "hello?"  # already stored
        release.set()
        await settle(pilot, app)
        assert view.text == "Ready now."
        assert "⏳" not in app.status.summary()


async def test_a_model_that_fails_to_load_is_reported_and_the_prompt_is_kept():
    def broken(model, dtype, progress):
        raise RuntimeError("no weights here")

    from assistant.tui.app import ChatApp

    app = ChatApp(engine_factory=broken)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hello?")
        assert "✗ failed" in app.query_one(AssistantMessageView).header_text()
        messages = [n.message for n in app._notifications]
        assert any("could not load the model: no weights here" in m for m in messages)
        assert any("ctrl+r tries again" in m for m in messages)
        conn = store.connect()
        assert [m.content for m in convs.messages(conn, 1)] == ["hello?"]


async def test_escape_stops_and_keeps_the_partial_answer_marked_stopped():
    long_answer = " ".join(f"word{i}" for i in range(400))
    app = make_app(FakeEngine([long_answer], delay=0.05))  # ~20 tok/s, as on a CPU
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.prompt.value = "Tell me a long story"
        await pilot.press("enter")
        view = app.query_one(AssistantMessageView)
        for _ in range(200):
            await pilot.pause(0.02)
            if len(view.streamed.split()) >= 5:
                break
        await pilot.press("h", "i")  # typing works while the answer streams
        assert app.prompt.value == "hi" and app.generating
        await pilot.press("escape")
        await settle(pilot, app)
        saved = view.message
        assert saved is not None and saved.finish_reason == "stopped"
        assert 5 <= len(saved.content.split()) < 400
        assert long_answer.startswith(saved.content)
        assert "■ stopped" in view.header_text()
        row = store.connect().execute("SELECT finish_reason, content FROM messages WHERE id = ?",
                                      (saved.id,)).fetchone()  # fmt: skip
        assert row["finish_reason"] == "stopped" and row["content"] == saved.content


async def test_model_output_and_user_text_are_literal():
    answer = "Look: [bold red]x[/] and \x1b[31mred\x1b[0m and \x1b]52;c;aGk=\x07done"
    app = make_app(FakeEngine([answer]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "say [b]this[/b] \x1b[2J")
        shown = screen_text(app)
        assert "Look: [bold red]x[/] and red and done" in shown
        assert "say [b]this[/b]" in shown
        assert "\x1b" not in shown
        # stored as the model wrote it: the data is kept, only the display is cleaned
        assert app.query_one(AssistantMessageView).message.content == answer


async def test_status_shows_model_context_and_speed_and_copy_uses_the_clipboard():
    engine = FakeEngine(["one two three four"], name="tiny-fake", context_window=512, dropped=2)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "count")
        summary = app.status.summary()
        view = app.query_one(AssistantMessageView)
        used = view.message.prompt_tokens + view.message.completion_tokens
        assert f"model tiny-fake · ctx {used}/512 · " in summary
        assert f"{view.message.tokens_per_second:.1f} tok/s" in summary
        assert view.message.tokens_per_second > 0
        assert "The 2 oldest messages did not fit the context window" in thread_text(app)
        await pilot.press("ctrl+y")
        assert app.clipboard == "one two three four"
        assert app.screen.allow_select and view.allow_select  # mouse selection is on


async def test_sidebar_search_rename_and_delete():
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Lisbon in May")
        await pilot.press("ctrl+n")
        await send(pilot, app, "Boiling eggs")
        assert app.sidebar.titles() == ["Boiling eggs", "Lisbon in May"]
        await pilot.press("ctrl+f")
        await pilot.press(*"lisb")
        await settle(pilot, app)
        assert app.sidebar.titles() == ["Lisbon in May"]
        await pilot.press("enter", "enter")  # to the list, open it
        await settle(pilot, app)
        assert app.conversation.title == "Lisbon in May"
        await pilot.press("f2")
        await pilot.pause()
        from textual.widgets import TextArea

        app.screen.query_one(TextArea).text = "Trip"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.sidebar.titles() == ["Trip"]
        app.query_one("#conversations").focus()
        await pilot.press("delete", "y")
        await settle(pilot, app)
        assert app.conversation is None
        assert [c.title for c in convs.list_all(store.connect())] == ["Boiling eggs"]


async def test_switching_conversations_while_an_answer_streams_keeps_both():
    from textual.widgets import Markdown

    long_answer = " ".join(f"w{i}" for i in range(120))
    engine = FakeEngine(["First chat answer.", long_answer], delay=0.02)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "first chat")
        first = app.conversation.id
        await pilot.press("ctrl+n")
        app.prompt.value = "second chat"
        await pilot.press("enter")
        second = app.conversation.id

        async def streamed_words() -> int:
            for _ in range(200):
                await pilot.pause(0.02)
                views = app.query(AssistantMessageView)
                if views and len(views.last().streamed.split()) >= 3:
                    return len(views.last().streamed.split())
            raise AssertionError("nothing streamed")

        await streamed_words()
        await app.open_conversation(first)  # switch away mid-answer
        app.prompt.value = "typing still works"
        assert [v.text for v in app.message_views()] == ["first chat", "First chat answer."]
        await pilot.pause(0.1)
        await app.open_conversation(second)  # and back while it still streams
        live = app.message_views()[-1]
        assert live.message is None and long_answer.startswith(live.streamed)
        before = await streamed_words()
        await settle(pilot, app)
        assert live.message is not None and live.message.content == long_answer  # the same view
        assert before < 120 and live.query_one(Markdown).source == long_answer
        assert convs.branch(store.connect(), second)[-1].content == long_answer  # saved in full


async def test_pasting_several_lines_keeps_every_line():
    from textual import events

    engine = FakeEngine(["Got it."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "Fix this: "
        app.prompt.post_message(events.Paste("def f():\n    return [1]\n"))
        await pilot.pause()
        await pilot.press("ctrl+s")  # the composer sends it
        await settle(pilot, app)
        assert engine.calls[0][-1]["content"] == "Fix this: def f():\n    return [1]\n"
        assert app.message_views()[0].text.endswith("return [1]\n")


async def test_a_pasted_line_appears_once():
    from textual import events

    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "Say: "
        app.prompt.cursor_position = len(app.prompt.value)
        app.post_message(events.Paste("Plain paste one two"))  # as the terminal driver does
        await pilot.pause()
        assert app.prompt.value == "Say: Plain paste one two"
        assert len(app.screen_stack) == 1  # no composer for one line


async def test_a_paste_with_carriage_returns_opens_the_composer_with_every_line():
    from textual import events
    from textual.widgets import TextArea

    engine = FakeEngine(["Got it."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        for paste in ["first line\rsecond line\rthird", "first line\r\nsecond line\r\nthird"]:
            app.post_message(events.Paste(paste))  # what tmux and xterm send
            await pilot.pause()
            assert app.screen.query_one(TextArea).text == "first line\nsecond line\nthird"
            assert app.prompt.value == ""  # not also pasted into the prompt
            await pilot.press("escape")
        app.post_message(events.Paste("first line\rsecond line\rthird"))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert engine.calls[0][-1]["content"] == "first line\nsecond line\nthird"


async def test_escape_while_the_model_loads_cancels_the_waiting_prompt():
    release = threading.Event()

    app = make_app(factory=held_until(release, FakeEngine(["never asked"])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.prompt.value = "hello?"
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.2)
        view = app.query_one(AssistantMessageView)
        assert "stopped before the model was ready" in view.header_text()
        release.set()
        await settle(pilot, app)
        roles = [r[0] for r in store.connect().execute("SELECT role FROM messages")]
        assert roles == ["user"]  # the question is kept; there was no answer to keep
        assert view.message is None


async def test_pieces_still_queued_when_the_answer_is_saved_are_not_shown_twice():
    from textual.widgets import Markdown

    app = make_app(FakeEngine(["The stored answer."]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hi")
        stored = app.query_one(AssistantMessageView).message
        view = AssistantMessageView(None, model="m")
        await app.thread.mount(view)
        for piece in ["The ", "stored "]:
            view.post_message(view.Chunk(piece))
        await pilot.pause()
        view.post_message(view.Chunk("answer."))  # still queued when the answer is saved
        await view.finish(stored)
        view.post_message(view.Chunk(" late"))
        for _ in range(3):
            await pilot.pause()
        assert view.query_one(Markdown).source == "The stored answer."


async def test_quitting_mid_answer_saves_the_partial_answer_as_stopped():
    long_answer = " ".join(f"word{i}" for i in range(400))
    app = make_app(FakeEngine([long_answer], delay=0.05))  # ~20 tok/s, as on a CPU
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "Tell me a long story"
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.query(AssistantMessageView) and app.query_one(AssistantMessageView).streamed:
                break
        await pilot.press("ctrl+q")
    [row] = store.connect().execute(
        "SELECT content, finish_reason FROM messages WHERE role = 'assistant'"
    )
    assert row["finish_reason"] == "stopped" and long_answer.startswith(row["content"])
    assert 0 < len(row["content"].split()) < 400


async def test_a_long_history_is_one_list_widget_and_every_chat_opens():
    # Hundreds of conversations must not cost the first frame: as one widget each, 300 of them
    # took `parley chat` from 0.6 to 2 s to show its first frame.
    conn = store.connect()
    for i in range(300):
        conv = convs.create(conn, title=f"Chat number {i}")
        convs.add_message(conn, conv.id, None, "user", f"question {i}")
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        titles = app.sidebar.titles()
        assert len(titles) == 300 and titles[0] == "Chat number 299"
        assert len(app.screen.query("*")) < 100  # the rows are lines, not widgets
        app.query_one("#conversations").focus()
        await pilot.press("end", "enter")
        await settle(pilot, app)
        assert app.conversation.title == "Chat number 0"
        assert [v.text for v in app.message_views()] == ["question 0"]


async def _wait_for_words(pilot, app, n: int) -> AssistantMessageView:
    for _ in range(300):
        await pilot.pause(0.02)
        views = app.query(AssistantMessageView)
        if views and len(views.last().streamed.split()) >= n:
            return views.last()
    raise AssertionError("nothing streamed")


def _stored_paths_alternate() -> list[list[str]]:
    """Every stored message's path from the root, as roles; asserts each alternates."""
    conn = store.connect()
    paths = []
    for (message_id,) in conn.execute("SELECT id FROM messages ORDER BY id"):
        roles = [m.role for m in convs.path_to(conn, message_id)]
        assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), roles
        paths.append(roles)
    return paths


class GatedEngine(FakeEngine):
    """Holds its first answer after a few words until `gate` is set."""

    def __init__(self, script, gate: threading.Event):
        super().__init__(script)
        self.gate = gate

    def generate(self, messages, params=None, cancel=None):
        for i, event in enumerate(super().generate(messages, params, cancel)):
            yield event
            if i == 3 and len(self.calls) == 1:
                self.gate.wait(10)


async def test_a_question_sent_while_an_answer_streams_waits_for_that_answer():
    gate = threading.Event()
    engine = GatedEngine(["The first answer is long.", "The second answer."], gate)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "first question"
        await pilot.press("enter")
        first = await _wait_for_words(pilot, app, 3)
        await send_without_waiting(pilot, app, "second question")
        assert "queued: sent when the answer above ends" in screen_text(app)
        assert first.message is None and len(engine.calls) == 1  # not answered yet
        gate.set()
        await settle(pilot, app)
        branch = convs.branch(store.connect(), app.conversation.id)
        assert [(m.role, m.content) for m in branch] == [
            ("user", "first question"),
            ("assistant", "The first answer is long."),
            ("user", "second question"),
            ("assistant", "The second answer."),
        ]
        assert [m["content"] for m in engine.calls[1]] == [m.content for m in branch[:3]]
        assert [v.text for v in app.message_views()] == [m.content for m in branch]
        assert "queued" not in screen_text(app)
    assert _stored_paths_alternate()[-1] == ["user", "assistant", "user", "assistant"]


async def test_escape_with_a_question_queued_stops_the_answer_and_sends_the_question():
    long_answer = " ".join(f"w{i}" for i in range(400))
    engine = FakeEngine([long_answer, "Short."], delay=0.05)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "tell me a long story"
        await pilot.press("enter")
        await _wait_for_words(pilot, app, 3)
        await send_without_waiting(pilot, app, "stop, and tell me a short one")
        await pilot.press("escape")
        await settle(pilot, app)
        branch = convs.branch(store.connect(), app.conversation.id)
        assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
        assert branch[1].finish_reason == "stopped" and branch[3].content == "Short."
    _stored_paths_alternate()


async def send_without_waiting(pilot, app, text):
    app.prompt.focus()
    app.prompt.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_a_message_cut_to_the_context_window_says_so_in_the_chat():
    engine = FakeEngine(["An answer to the end of it."], context_window=8192, cut=45210)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "a 200 KB paste " * 20)
        notice = "Too long for the context window: the first 45,210 tokens of your message were cut"
        assert notice in thread_text(app)
    again = make_app(FakeEngine())
    async with again.run_test(size=SIZE) as pilot:
        await again.open_conversation(convs.list_all(store.connect())[0].id)
        await settle(pilot, again)
        assert notice in thread_text(again)  # stored with the answer
        assert "did not fit" not in thread_text(again)  # nothing was dropped


def thread_text(app) -> str:
    """The thread's text on screen as one line (wrapped lines joined)."""
    lines = [line.split("▊")[-1].strip() for line in screen_text(app).splitlines()]
    return " ".join(line for line in lines if line)


async def test_a_model_load_that_fails_while_the_app_closes_does_not_crash_it():
    import asyncio
    from pathlib import Path

    from assistant.tui import app as app_module
    from assistant.tui.app import ChatApp

    release, reported = threading.Event(), threading.Event()
    raised = []

    def factory(model, dtype, progress):
        release.wait(10)
        raise RuntimeError("no weights here")

    class ClosingWhileLoading(ChatApp):
        CSS_PATH = Path(app_module.__file__).with_name("app.tcss")

        def _engine_failed(self, error):
            try:
                super()._engine_failed(error)
            except Exception as e:  # what took the app down (NoMatches: no status bar)
                raised.append(e)
                raise
            finally:
                reported.set()

        async def on_unmount(self) -> None:  # the screens are gone; the load fails now
            release.set()
            await asyncio.to_thread(reported.wait, 10)

    app = ClosingWhileLoading(engine_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert reported.is_set() and raised == []
    assert app._exception is None and app.return_code in (0, None)


async def test_a_question_after_an_unanswered_one_goes_beside_it():
    release = threading.Event()
    engine = FakeEngine(["Second answer."])

    app = make_app(factory=held_until(release, engine))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.prompt.value = "first question"
        await pilot.press("enter")
        for _ in range(500):  # the answer waits for the model
            if app.session.generating:
                break
            await pilot.pause(0.02)
        await pilot.press("escape")  # stopped before the model was ready: no answer
        release.set()
        await settle(pilot, app)
        await send(pilot, app, "second question")
        branch = convs.branch(store.connect(), app.conversation.id)
        assert [(m.role, m.content) for m in branch] == [
            ("user", "second question"),
            ("assistant", "Second answer."),
        ]
        assert [m["content"] for m in engine.calls[0]] == ["second question"]
        assert [v.text for v in app.message_views()] == ["second question", "Second answer."]
        assert "‹2/2›" in app.message_views()[0].header_text()  # the first is a branch beside it
    assert sorted(_stored_paths_alternate()) == [["user"], ["user"], ["user", "assistant"]]


async def test_quitting_with_a_question_queued_stops_the_answer_and_sends_nothing_more():
    long_answer = " ".join(f"w{i}" for i in range(400))
    engine = FakeEngine([long_answer, "never"], delay=0.05)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "tell me a long story"
        await pilot.press("enter")
        await _wait_for_words(pilot, app, 3)
        await send_without_waiting(pilot, app, "and another")
        await pilot.press("ctrl+q")
    rows = store.connect().execute("SELECT role, finish_reason FROM messages ORDER BY id")
    assert [tuple(r) for r in rows] == [("user", None), ("assistant", "stopped")]
    assert len(engine.calls) == 1
