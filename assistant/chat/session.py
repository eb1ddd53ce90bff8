"""`ChatSession`: what a chat does, without a screen (the TUI in `assistant.tui.app` shows one).

    session = ChatSession(engine_factory=load_engine)
    session.load(None, session.begin_load(), print)          # blocking: call it in a thread
    user, _ = session.add_user_message("What is the capital of France?")
    answer = session.start_answer(user.id)
    message = session.run_answer(answer, feed)              # blocking; `feed` sees the stream

The session owns the engine, the answers and tool commands in progress (each stoppable with
`stop()`), the messages queued behind them, and every write to the store: conversations, answers
(saved from the generating thread on its own connection, so a stopped, failed or quit-mid-answer
turn keeps what was generated), ratings and preferences. It starts no thread of its own: the caller
runs the blocking calls where it likes (the TUI in its thread workers, a test in its own thread),
as `ArenaSession` does for the arena.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from assistant import store
from assistant.chat import answers
from assistant.chat.answers import Answer, AnswerFeed, EngineFactory, ToolFeed, load_engine
from assistant.chat.commands import SlashCommand
from assistant.sampling import PER_CHAT
from assistant.store import conversations as convs
from assistant.store import ratings

NEW_TITLE = "New chat"
SAMPLING = (*(s.name for s in PER_CHAT), "system_prompt")


class ChatSession:
    """One person's chat: the open conversation, the engine, and the work in progress."""

    def __init__(
        self,
        *,
        model: str | None = None,
        dtype: str = "float32",
        backend: str = "auto",
        engine_factory: EngineFactory | None = None,
        db_path: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """`settings`: defaults for new conversations (temperature, top_p, max_new_tokens, seed,
        system_prompt), e.g. from the config file and command-line flags. `backend`: the
        inference backend ("auto", "llamacpp", "transformers") of the chat's engine, and of the
        models its tools and `/arena` load."""
        self.model_name = model
        self.dtype = dtype
        self.backend = backend
        self.engine_factory = engine_factory or load_engine
        self.db_path = db_path
        self.defaults = {k: v for k, v in (settings or {}).items() if k in SAMPLING}
        self.conversation: convs.Conversation | None = None
        self._conn: sqlite3.Connection | None = None
        self.engine: Any = None
        self.engine_error: BaseException | None = None
        self.engine_ready = threading.Event()
        self.idle = threading.Event()  # set when no answer or tool command is running
        self.idle.set()
        self.answers: dict[threading.Event, Answer] = {}
        self.tool_runs: dict[threading.Event, int] = {}  # a running tool command's conversation
        self.queued: dict[int, list[str]] = {}  # conversation id -> texts, oldest first
        self._cancels: set[threading.Event] = set()
        self._gen_lock = threading.Lock()
        self._load_serial = 0

    @property
    def conn(self) -> sqlite3.Connection:
        """The store, opened on first use in the thread that uses it (the TUI's: on mount);
        answers and tool commands save on their own thread's connection."""
        if self._conn is None:
            self._conn = store.connect(self.db_path)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    # --- the engine ---

    def begin_load(self) -> int:
        """A new load starts: answers wait for it. Returns its serial number for `load`."""
        self._load_serial += 1
        self.engine_ready.clear()
        self.engine_error = None
        return self._load_serial

    def load(self, name: str | None, serial: int, progress: Callable[[str], None]) -> Any:
        """Load the engine (blocking). Returns it, or None when a newer load was asked for
        meanwhile; a failure is raised, and raised again to the answers waiting for it."""
        try:
            with self._gen_lock:  # never swap the engine under a running answer
                if self.engine_factory is load_engine:  # the real one, on the chat's backend
                    engine = load_engine(name, self.dtype, progress, backend=self.backend)
                else:
                    engine = self.engine_factory(name, self.dtype, progress)
        except Exception as e:
            if serial == self._load_serial:
                self.engine_error = e
                self.engine_ready.set()
            raise
        if serial != self._load_serial:
            return None
        self.engine = engine
        self.engine_ready.set()
        return engine

    # --- work in progress ---

    @property
    def generating(self) -> bool:
        return bool(self._cancels)

    def stop(self) -> bool:
        """Stop every running answer (they keep what they have, marked stopped) and tool command;
        False if nothing was running."""
        for cancel in list(self._cancels):
            cancel.set()
        return bool(self._cancels)

    def busy(self, conversation_id: int) -> bool:
        """An answer or a tool command still working on this conversation."""
        running = list(self.answers.values())  # copies: workers end meanwhile
        tools = list(self.tool_runs.values())
        return any(a.conversation_id == conversation_id for a in running) or (
            conversation_id in tools
        )

    def _work_began(self) -> threading.Event:
        cancel = threading.Event()
        self._cancels.add(cancel)
        self.idle.clear()
        return cancel

    def _work_ended(self, cancel: threading.Event) -> None:
        self._cancels.discard(cancel)
        if not self._cancels:
            self.idle.set()

    # --- conversations ---

    def ensure_conversation(self, first_text: str = "") -> convs.Conversation:
        """The open conversation, created (and titled by the first message) when needed."""
        if self.conversation is None:
            settings = {k: v for k, v in self.defaults.items() if v is not None}
            self.conversation = convs.create(
                self.conn, title=_title(first_text), model=self.model_name, **settings
            )
        elif (
            first_text
            and self.conversation.title == NEW_TITLE
            and not convs.branch(self.conn, self.conversation.id)
        ):
            convs.rename(self.conn, self.conversation.id, _title(first_text))
        self.conversation = convs.get(self.conn, self.conversation.id)
        return self.conversation

    def open(self, conversation_id: int | None) -> None:
        self.conversation = convs.get(self.conn, conversation_id) if conversation_id else None

    def reload(self) -> None:
        if self.conversation is not None:
            self.conversation = convs.get(self.conn, self.conversation.id)

    def branch(self) -> list[tuple[convs.Message, tuple[int, int]]]:
        """The open conversation's current branch, each message with its place among its
        siblings (position from 1, count)."""
        if self.conversation is None:
            return []
        out = []
        for message in convs.branch(self.conn, self.conversation.id):
            out.append((message, self.sibling_position(message.id)))
        return out

    def sibling_position(self, message_id: int) -> tuple[int, int]:
        ids = [s.id for s in convs.siblings(self.conn, message_id)]
        return ids.index(message_id) + 1, len(ids)

    def rename(self, conversation_id: int, title: str) -> None:
        convs.rename(self.conn, conversation_id, title)
        if self.conversation and self.conversation.id == conversation_id:
            self.reload()

    def delete(self, conversation_id: int) -> None:
        convs.delete(self.conn, conversation_id)
        self.queued.pop(conversation_id, None)

    def reply_parent(self, conversation: convs.Conversation) -> int | None:
        """The message a new one in this conversation follows: the current leaf, unless that is
        a question left without an answer (it failed, or was stopped before it began); then the
        new one becomes its sibling, so no stored path has two questions in a row."""
        leaf_id = conversation.current_leaf_id
        if leaf_id is None:
            return None
        leaf = convs.get_message(self.conn, leaf_id)
        return leaf.parent_id if leaf.role == "user" else leaf.id

    def add_user_message(
        self, text: str, meta: dict[str, Any] | None = None
    ) -> tuple[convs.Message, bool]:
        """Store the user's message on the open conversation (created if needed). Returns it
        and whether it went beside an unanswered question (the branch shown changed) rather
        than at the end of the one shown."""
        conversation = self.ensure_conversation(text)
        parent = self.reply_parent(conversation)
        fields = {"meta": meta} if meta else {}
        user = convs.add_message(self.conn, conversation.id, parent, "user", text, **fields)
        return user, parent != conversation.current_leaf_id

    def set_system_prompt(self, text: str) -> None:
        conversation = self.ensure_conversation()
        convs.update_settings(self.conn, conversation.id, system_prompt=text.strip() or None)
        self.reload()

    def apply_settings(self, settings: dict[str, Any]) -> bool:
        """New sampling settings for the open conversation, or (no chat yet) for the one about to
        start. True if they went to an open conversation."""
        if self.conversation is None:
            self.defaults.update(settings)
            return False
        convs.update_settings(self.conn, self.conversation.id, **settings)
        self.reload()
        return True

    def keep_settings_for_next(self) -> None:
        """/clear: the next conversation keeps this one's system prompt and sampling."""
        if self.conversation is not None:
            c = self.conversation
            self.defaults.update({s.name: getattr(c, s.name) for s in PER_CHAT})
            self.defaults.update(system_prompt=c.system_prompt)

    def draft_conversation(self) -> convs.Conversation:
        """What the next new conversation will be (nothing stored until a message is sent)."""
        d = self.defaults
        return convs.Conversation(
            id=0,
            title=NEW_TITLE,
            system_prompt=d.get("system_prompt"),
            model=self.model_name,
            **{s.name: d.get(s.name, s.default) for s in PER_CHAT},
            current_leaf_id=None,
            created_at=0.0,
            updated_at=0.0,
        )

    def use_model(self, name: str) -> bool:
        """Switch to the model `name` (already resolved); True if the engine must be loaded."""
        if self.conversation is not None:
            convs.update_settings(self.conn, self.conversation.id, model=name)
        self.model_name = name
        return self.engine is None or self.engine.name != name

    # --- the queue ---

    def queue(self, conversation_id: int, text: str) -> None:
        self.queued.setdefault(conversation_id, []).append(text)

    def take_queued(self, conversation_id: int) -> tuple[list[str], bool]:
        """The texts waiting for this conversation's work to end, taken off the queue, and
        whether they can be sent: not when the answer before them did not come (no stored path
        gets two questions in a row); then they go back to the user."""
        texts = self.queued.pop(conversation_id, [])
        branch = convs.branch(self.conn, conversation_id)
        return texts, not (branch and branch[-1].role == "user")

    # --- answers ---

    def start_answer(self, parent_id: int, view: Any = None) -> Answer:
        """An answer to the branch ending at `parent_id` of the open conversation. It counts as
        running from now on (`stop` stops it, a new message waits for it); `run_answer` makes it."""
        assert self.conversation is not None
        cancel = self._work_began()
        answer = Answer(self.conversation.id, parent_id, cancel, view)
        self.answers[cancel] = answer
        return answer

    def run_answer(self, answer: Answer, feed: AnswerFeed) -> convs.Message | None:
        """Generate and save the answer (blocking); None if it failed or was stopped before the
        model was ready (`feed` heard why)."""
        try:
            return self._generate(answer, feed)
        except Exception as e:
            feed.failed(e)
            return None
        finally:
            self.answers.pop(answer.cancel, None)
            self._work_ended(answer.cancel)

    def _generate(self, answer: Answer, feed: AnswerFeed) -> convs.Message | None:
        if not self.engine_ready.is_set():
            feed.state("waiting for the model to load…")
        while not self.engine_ready.wait(0.05):
            if answer.cancel.is_set():
                feed.state("■ stopped before the model was ready")
                return None
        if self.engine_error is not None:
            raise self.engine_error
        with self._gen_lock:
            message = answers.generate(self.engine, self.db_path, answer, feed)
        feed.saved(message)
        return message

    # --- tool commands ---

    def start_tool(self, command: SlashCommand) -> tuple[convs.Message, bool, threading.Event]:
        """Store a tool command as the user's message; it counts as running from now on.
        Returns the message, whether it went beside an unanswered question, and the event that
        stops it; `run_tool` runs it."""
        user, beside = self.add_user_message(command.raw, meta={"command": command.name})
        cancel = self._work_began()
        self.tool_runs[cancel] = user.conversation_id
        return user, beside, cancel

    def run_tool(
        self, command: SlashCommand, user: convs.Message, cancel: threading.Event, feed: ToolFeed
    ) -> convs.Message | None:
        """Run the tool command (blocking) and save its result under `user`."""
        try:
            return answers.run_tool(command, user, cancel, feed, self.db_path, self.backend)
        finally:
            self.tool_runs.pop(cancel, None)
            self._work_ended(cancel)

    # --- what is done to a message ---

    def rate(self, message: convs.Message, **rating: int) -> convs.Message:
        """Thumbs or stars on an answer; the same rating again takes it back."""
        current = {"thumbs": message.thumbs, "stars": message.stars}
        rating = {k: (None if current[k] == v else v) for k, v in rating.items()}
        return convs.rate(self.conn, message.id, **rating)

    def show_sibling(self, message: convs.Message, step: int) -> bool:
        """Show the sibling `step` away on the branch; False if there is none that way."""
        ids = [s.id for s in convs.siblings(self.conn, message.id)]
        index = ids.index(message.id) + step
        if not 0 <= index < len(ids):
            return False
        convs.show(self.conn, ids[index])
        return True

    def regenerate_from(self, message: convs.Message) -> int | None:
        """Where a new answer beside this one (or to this user message) goes: the branch is cut
        back to that parent, whose id is returned (None: nothing to answer)."""
        parent = message.id if message.role == "user" else message.parent_id
        if parent is None or self.conversation is None:
            return None
        convs.set_current_leaf(self.conn, self.conversation.id, parent)
        return parent

    def edit(self, conversation_id: int, message: convs.Message, text: str) -> convs.Message:
        """A new sibling with the edited text. An edited answer is recorded as preferred over
        the original (a preference for training); an edited question is to be answered."""
        if message.role == "user":
            return convs.add_message(self.conn, conversation_id, message.parent_id, "user", text)
        edited = convs.add_message(
            self.conn,
            conversation_id,
            message.parent_id,
            "assistant",
            text,
            model=message.model,
            finish_reason="edited",
            meta={"edited_from": message.id},
        )
        ratings.record_chat_preference(
            self.conn,
            conversation_id=conversation_id,
            chosen_message_id=edited.id,
            rejected_message_ids=[message.id],
            source="edit",
        )
        return edited

    def pick_best(self, message: convs.Message) -> int:
        """Record this answer as preferred over each of its siblings; returns how many."""
        others = [s.id for s in convs.siblings(self.conn, message.id) if s.id != message.id]
        if others:
            ratings.record_chat_preference(
                self.conn,
                conversation_id=message.conversation_id,
                chosen_message_id=message.id,
                rejected_message_ids=others,
                source="pick",
            )
        return len(others)


def _title(text: str) -> str:
    words = " ".join(text.split())
    return (words[:48] + "…" if len(words) > 48 else words) or NEW_TITLE
