"""`ChatSession` without a screen: answers, stopping, the queue, tool events and preferences, on a
real SQLite store with the scripted fake engine (the TUI tests drive the same session through
Textual)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from fake_engine import FakeEngine

from assistant import store
from assistant.chat.session import ChatSession
from assistant.inference import ToolCall
from assistant.rate import arena
from assistant.store import conversations as convs
from assistant.store import ratings
from assistant.tools.base import ToolResult

ROOT = Path(__file__).resolve().parents[1]


class Feed:
    """Records what a running answer or tool command reports."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.chunks: list[str] = []
        self.tool_events: list[dict] = []
        self.errors: list[BaseException] = []
        self.saved_messages: list[convs.Message] = []
        self.first_chunk = threading.Event()

    def state(self, text):
        self.states.append(text)

    def started(self, prompt_tokens, dropped, cut):
        self.states.append(f"started {prompt_tokens}")

    def chunk(self, text):
        self.chunks.append(text)
        self.first_chunk.set()

    def tool_event(self, record):
        self.tool_events.append(record)

    def saved(self, message):
        self.saved_messages.append(message)

    def failed(self, error):
        self.errors.append(error)


def loaded(engine, **kwargs) -> ChatSession:
    session = ChatSession(engine_factory=lambda model, dtype, progress: engine, **kwargs)
    session.load(None, session.begin_load(), lambda message: None)
    return session


def ask(session: ChatSession, text: str) -> tuple[convs.Message | None, Feed]:
    user, _ = session.add_user_message(text)
    feed = Feed()
    return session.run_answer(session.start_answer(user.id), feed), feed


def test_the_session_imports_no_textual():
    code = "import sys, assistant.chat.session; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_an_answer_is_streamed_and_saved_with_its_conversation():
    engine = FakeEngine(["Paris is the capital of France."])
    session = loaded(engine, settings={"temperature": 0.5, "seed": 7, "ignored": 1})
    message, feed = ask(session, "What is the capital of France?")
    assert "".join(feed.chunks) == message.content == "Paris is the capital of France."
    assert feed.saved_messages == [message] and not feed.errors
    assert (message.model, message.finish_reason, message.seed) == ("fake-model", "eos", 7)
    assert engine.params[0].temperature == 0.5
    conversation = convs.get(store.connect(), message.conversation_id)
    assert conversation.title == "What is the capital of France?"
    roles = [m.role for m in convs.branch(store.connect(), conversation.id)]
    assert roles == ["user", "assistant"]
    assert session.idle.is_set() and not session.generating


def test_stop_keeps_the_partial_answer_marked_stopped():
    engine = FakeEngine(["one two three four five six seven eight nine ten"], delay=0.05)
    session = loaded(engine)
    user, _ = session.add_user_message("Count")
    answer = session.start_answer(user.id)
    assert session.busy(user.conversation_id) and not session.idle.is_set()
    feed = Feed()
    worker = threading.Thread(target=session.run_answer, args=(answer, feed))
    worker.start()
    assert feed.first_chunk.wait(10)
    assert session.stop()
    worker.join(10)
    (message,) = feed.saved_messages
    assert message.finish_reason == "stopped"
    assert message.content.startswith("one") and "ten" not in message.content
    assert not session.busy(user.conversation_id) and session.idle.is_set()


def test_a_question_stopped_before_the_model_is_ready_is_not_answered_and_the_next_goes_beside():
    session = ChatSession(engine_factory=lambda model, dtype, progress: FakeEngine())
    session.begin_load()  # loading, not ready yet
    user, _ = session.add_user_message("Hello?")
    answer = session.start_answer(user.id)
    session.stop()
    feed = Feed()
    assert session.run_answer(answer, feed) is None
    assert feed.states[-1] == "■ stopped before the model was ready"
    texts, sendable = session.take_queued(user.conversation_id)
    assert texts == [] and not sendable  # the branch ends in an unanswered question
    again, beside = session.add_user_message("Hello again")
    assert beside and again.parent_id == user.parent_id  # a sibling, not a second question


def test_a_failed_load_is_reported_to_the_answer_waiting_for_it():
    def broken(model, dtype, progress):
        raise RuntimeError("no weights here")

    session = ChatSession(engine_factory=broken)
    serial = session.begin_load()
    try:
        session.load(None, serial, lambda m: None)
    except RuntimeError as e:
        assert str(e) == "no weights here"
    else:
        raise AssertionError("the load's failure was not raised")
    message, feed = ask(session, "Hi")
    assert message is None and [str(e) for e in feed.errors] == ["no weights here"]
    assert session.idle.is_set()


def test_a_queued_message_waits_for_the_answer_and_is_sendable_after_it():
    session = loaded(FakeEngine(["Madrid."]))
    user, _ = session.add_user_message("Capital of Spain?")
    answer = session.start_answer(user.id)
    session.queue(user.conversation_id, "And of Italy?")
    assert session.busy(user.conversation_id)
    session.run_answer(answer, Feed())
    assert session.take_queued(user.conversation_id) == (["And of Italy?"], True)
    assert session.queued == {}


def test_tool_events_have_one_shape_in_the_answer_and_in_the_preference():
    call = ToolCall("sentiment", {"text": "great"})
    result = ToolResult("sentiment", "vader", "lexicon", "positive", 0.01, confidence=0.98)
    session = loaded(FakeEngine([[call, result, "It reads as positive."], "Plain."]))
    first, feed = ask(session, "How does 'great' feel?")
    events = [
        {"kind": "call", "name": "sentiment", "arguments": {"text": "great"}},
        {"kind": "result", "name": "sentiment", "output": "positive", "backend": "vader",
         "seconds": 0.01, "ok": True, "architecture": "lexicon", "confidence": 0.98,
         "images": []},
    ]  # fmt: skip
    assert feed.tool_events == events and first.meta["tool_events"] == events
    parent = session.regenerate_from(first)
    second = session.run_answer(session.start_answer(parent), Feed())
    assert session.pick_best(second) == 1
    (rating,) = ratings.standing_ratings(session.conn)
    assert (rating.source, rating.vote, rating.left.text) == ("pick", "left", "Plain.")
    assert rating.right.tool_calls == events and rating.right.message_id == first.id


def test_editing_an_answer_records_the_edit_as_preferred_and_ratings_toggle():
    session = loaded(FakeEngine(["Go away."]))
    answer, _ = ask(session, "Hello")
    edited = session.edit(answer.conversation_id, answer, "Hi! How can I help?")
    assert (edited.parent_id, edited.finish_reason) == (answer.parent_id, "edited")
    (rating,) = [ratings.Rating.from_row(r) for r in ratings.standing(session.conn)]
    assert (rating.left.text, rating.left.model) == ("Hi! How can I help?", "human-edit")
    assert (rating.right.text, rating.right.model) == ("Go away.", "fake-model")
    assert rating.context[-1] == {"role": "user", "content": "Hello"}
    assert session.rate(edited, thumbs=1).thumbs == 1
    again = convs.get_message(session.conn, edited.id)
    assert session.rate(again, thumbs=1).thumbs is None  # the same rating again takes it back


def test_the_arena_stores_tool_events_in_the_chat_shape():
    call = ToolCall("sentiment", {"text": "great"})
    result = ToolResult("sentiment", "vader", "", "positive", 0.01)
    engines = {
        "alpha": FakeEngine([[call, result, "Positive."]], name="alpha"),
        "beta": FakeEngine(["Fine."], name="beta"),
    }
    conn = store.connect()
    session = arena.ArenaSession(
        conn,
        [arena.Item([{"role": "user", "content": "How does 'great' feel?"}])],
        arena.parse_contenders("alpha,beta"),
        "ana",
        engine_factory=lambda name: engines[name],
        shuffle_seed=1,
    )
    shown = session.show(session.next_index())
    session.generate_pair(shown)
    session.vote(shown, "left")
    (rating,) = ratings.standing_ratings(conn)
    alpha = rating.left if rating.left.model == "alpha" else rating.right
    assert alpha.tool_calls == [call.to_dict(), result.to_dict()]
    assert [e["kind"] for e in alpha.tool_calls] == ["call", "result"]


class ToolFeedRecorder(Feed):
    def __init__(self) -> None:
        super().__init__()
        self.progress_lines: list[str] = []
        self.was_stopped = False

    def progress(self, text):
        self.progress_lines.append(text)

    def stopped(self):
        self.was_stopped = True


def test_a_tool_command_is_saved_with_its_result_and_can_be_stopped(monkeypatch):
    from assistant.chat import commands
    from assistant.errors import Cancelled

    def run_slash(name, argv, progress=None, cancel=None):
        progress("warming up")
        if cancel.is_set():
            raise Cancelled("stopped")
        return ToolResult(name, "bergamot", "transformer", "boa noite", 0.25, confidence=0.93)

    fake = type("Tools", (), {"names": staticmethod(lambda: ["translate"])})()
    fake.run_slash = run_slash
    monkeypatch.setattr(commands, "tools", fake)
    session = loaded(FakeEngine())
    command = commands.parse("/translate --to pt good night")
    user, beside, cancel = session.start_tool(command)
    assert user.meta == {"command": "translate"} and not beside
    assert session.busy(user.conversation_id)
    feed = ToolFeedRecorder()
    message = session.run_tool(command, user, cancel, feed)
    assert feed.progress_lines == ["warming up"] and feed.saved_messages == [message]
    assert (message.role, message.content, message.parent_id) == ("tool", "boa noite", user.id)
    assert message.meta == {
        "tool": "translate",
        "backend": "bergamot",
        "architecture": "transformer",
        "latency_s": 0.25,
        "confidence": 0.93,
        "images": [],
    }
    assert not session.busy(user.conversation_id)
    again, _, cancel = session.start_tool(command)
    session.stop()
    stopped = ToolFeedRecorder()
    assert session.run_tool(command, again, cancel, stopped) is None and stopped.was_stopped
    assert session.idle.is_set()
