"""The chat TUI's queue: a question sent while an answer streams waits for it, and Esc or quitting
with a question queued (App.run_test() with a scripted fake engine)."""

import contextlib
import threading

from fake_engine import FakeEngine, held_until, make_app, screen_text, send, settle

from assistant import store
from assistant.store import conversations as convs
from assistant.tui.message_view import AssistantMessageView

SIZE = (110, 32)
LONG_ANSWER = " ".join(f"w{i}" for i in range(400))


async def _wait_for_words(pilot, app, n: int) -> AssistantMessageView:
    for _ in range(300):
        await pilot.pause(0.02)
        views = app.query(AssistantMessageView)
        if views and len(views.last().streamed.split()) >= n:
            return views.last()
    raise AssertionError("nothing streamed")


async def send_without_waiting(pilot, app, text):
    app.prompt.focus()
    app.prompt.value = text
    await pilot.press("enter")
    await pilot.pause()


@contextlib.asynccontextmanager
async def _question_queued_behind_a_long_answer(second_answer: str, question: str):
    """A chat asked for a long story; once it streams, `question` is sent (queued behind it).
    Yields (engine, app, pilot) inside `run_test`."""
    engine = FakeEngine([LONG_ANSWER, second_answer], delay=0.05)
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.prompt.value = "tell me a long story"
        await pilot.press("enter")
        await _wait_for_words(pilot, app, 3)
        await send_without_waiting(pilot, app, question)
        yield engine, app, pilot


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
    question = "stop, and tell me a short one"
    async with _question_queued_behind_a_long_answer("Short.", question) as (_, app, pilot):
        await pilot.press("escape")
        await settle(pilot, app)
        branch = convs.branch(store.connect(), app.conversation.id)
        assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
        assert branch[1].finish_reason == "stopped" and branch[3].content == "Short."
    _stored_paths_alternate()


async def test_quitting_with_a_question_queued_stops_the_answer_and_sends_nothing_more():
    async with _question_queued_behind_a_long_answer("never", "and another") as queued:
        engine, _, pilot = queued
        await pilot.press("ctrl+q")
    rows = store.connect().execute("SELECT role, finish_reason FROM messages ORDER BY id")
    assert [tuple(r) for r in rows] == [("user", None), ("assistant", "stopped")]
    assert len(engine.calls) == 1


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
