"""Conversations and their messages, stored as a tree (queries over migration 0001).

    conn = store.connect()
    conv = conversations.create(conn, title="Trip ideas")
    q = conversations.add_message(conn, conv.id, None, "user", "Where to in May?")
    a = conversations.add_message(conn, conv.id, q.id, "assistant", "Lisbon.", model="smollm2")
    conversations.branch(conn, conv.id)          # [q, a]: the branch the user is looking at

Regenerating an answer adds a sibling (same parent); editing a message adds a sibling and starts a
branch. Every write is one transaction, so a crash never leaves half a turn behind.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import UsageError
from assistant.sampling import PER_CHAT
from assistant.store import transaction

ROLES = ("system", "user", "assistant", "tool")
# What a conversation keeps: its system prompt, its model and the sampling settings declared
# per chat (`assistant.sampling`), each a column of `conversations` and a field below.
SETTINGS = ("system_prompt", "model", *(s.name for s in PER_CHAT))


@dataclass
class Conversation:
    id: int
    title: str
    system_prompt: str | None
    model: str | None
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int | None
    current_leaf_id: int | None
    created_at: float
    updated_at: float


@dataclass
class Message:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens_per_second: float | None = None
    seconds: float | None = None
    finish_reason: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    thumbs: int | None = None
    stars: int | None = None
    created_at: float = 0.0


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (Row has no iter)


def _message(row: sqlite3.Row) -> Message:
    data = {k: row[k] for k in row.keys()}  # noqa: SIM118
    data["params"] = json.loads(data["params"]) if data["params"] else {}
    data["meta"] = json.loads(data["meta"]) if data["meta"] else {}
    return Message(**data)


# --- conversations ---


def create(conn: sqlite3.Connection, title: str = "New chat", **settings: Any) -> Conversation:
    """A new, empty conversation; `settings` are any of SETTINGS. A sampling setting not given
    is its declared default (`assistant.sampling`), not the column's SQL default of migration
    0001, which stays as it was written."""
    _check_settings(settings)
    settings = {**{s.name: s.default for s in PER_CHAT}, **settings}
    now = time.time()
    columns = ["title", "created_at", "updated_at", *settings]
    values = [title, now, now, *settings.values()]
    with transaction(conn):
        cur = conn.execute(
            f"INSERT INTO conversations ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            values,
        )
    return get(conn, cur.lastrowid)


def get(conn: sqlite3.Connection, conversation_id: int) -> Conversation:
    missing = f"no conversation with id {conversation_id}; see the sidebar for ids"
    return _conversation(_row(conn, "conversations", conversation_id, missing))


def _row(conn: sqlite3.Connection, table: str, row_id: int, missing: str) -> sqlite3.Row:
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        raise UsageError(missing)
    return row


def list_all(conn: sqlite3.Connection, search: str = "", limit: int = 500) -> list[Conversation]:
    """Most recently updated first; `search` matches titles and message text (case-insensitive)."""
    if not search.strip():
        rows = conn.execute(
            "SELECT * FROM conversations ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,)
        )
    else:
        pattern = "%" + _escape_like(search.strip()) + "%"
        rows = conn.execute(
            "SELECT * FROM conversations c WHERE c.title LIKE ? ESCAPE '\\' OR EXISTS ("
            "  SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.content LIKE ? ESCAPE '\\') "
            "ORDER BY updated_at DESC, id DESC LIMIT ?",
            (pattern, pattern, limit),
        )
    return [_conversation(r) for r in rows]


def rename(conn: sqlite3.Connection, conversation_id: int, title: str) -> None:
    title = " ".join(title.split())
    if not title:
        raise UsageError("a conversation needs a non-empty title")
    with transaction(conn):
        conn.execute(
            "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
            (title, time.time(), conversation_id),
        )


def delete(conn: sqlite3.Connection, conversation_id: int) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))


def update_settings(conn: sqlite3.Connection, conversation_id: int, **settings: Any) -> None:
    """Change any of SETTINGS (system prompt, model, sampling) for this conversation."""
    _check_settings(settings)
    if not settings:
        return
    assignments = ", ".join(f"{k} = ?" for k in settings)
    with transaction(conn):
        conn.execute(
            f"UPDATE conversations SET {assignments}, updated_at = ? WHERE id = ?",
            (*settings.values(), time.time(), conversation_id),
        )


def _check_settings(settings: dict[str, Any]) -> None:
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise UsageError(f"unknown conversation setting(s) {sorted(unknown)}; known: {SETTINGS}")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- messages ---


def add_message(
    conn: sqlite3.Connection,
    conversation_id: int,
    parent_id: int | None,
    role: str,
    content: str,
    **fields: Any,
) -> Message:
    """Append a message under `parent_id` and make it the conversation's current leaf.

    `fields`: model, params (dict), seed, prompt_tokens, completion_tokens, tokens_per_second,
    seconds, finish_reason, meta (dict).
    """
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; one of {ROLES}")
    for key in ("params", "meta"):
        if key in fields:
            fields[key] = json.dumps(fields[key] or {}, ensure_ascii=False)
    now = time.time()
    columns = ["conversation_id", "parent_id", "role", "content", "created_at", *fields]
    values = [conversation_id, parent_id, role, content, now, *fields.values()]
    with transaction(conn):
        cur = conn.execute(
            f"INSERT INTO messages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            values,
        )
        conn.execute(
            "UPDATE conversations SET current_leaf_id = ?, updated_at = ? WHERE id = ?",
            (cur.lastrowid, now, conversation_id),
        )
    return get_message(conn, cur.lastrowid)


def get_message(conn: sqlite3.Connection, message_id: int) -> Message:
    return _message(_row(conn, "messages", message_id, f"no message with id {message_id}"))


def messages(conn: sqlite3.Connection, conversation_id: int) -> list[Message]:
    """Every message of the conversation, all branches, oldest first."""
    rows = conn.execute(
        "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    )
    return [_message(r) for r in rows]


def path_to(conn: sqlite3.Connection, message_id: int) -> list[Message]:
    """The messages from the root down to `message_id`."""
    rows = conn.execute(
        "WITH RECURSIVE up(id, depth) AS ("
        "  SELECT ?, 0 UNION ALL"
        "  SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id"
        "  WHERE m.parent_id IS NOT NULL"
        ") SELECT m.* FROM up JOIN messages m ON m.id = up.id ORDER BY up.depth DESC",
        (message_id,),
    )
    return [_message(r) for r in rows]


def branch(conn: sqlite3.Connection, conversation_id: int) -> list[Message]:
    """The branch the user is looking at: root to the current leaf."""
    leaf = get(conn, conversation_id).current_leaf_id
    return path_to(conn, leaf) if leaf is not None else []


def siblings(conn: sqlite3.Connection, message_id: int) -> list[Message]:
    """The message and its alternatives (same parent), oldest first."""
    msg = get_message(conn, message_id)
    rows = conn.execute(
        "SELECT * FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
        (msg.conversation_id, msg.parent_id),
    )
    return [_message(r) for r in rows]


def latest_leaf(conn: sqlite3.Connection, message_id: int) -> int:
    """Follow the newest child from `message_id` down to a leaf."""
    current = message_id
    while True:
        row = conn.execute(
            "SELECT id FROM messages WHERE parent_id = ? ORDER BY id DESC LIMIT 1", (current,)
        ).fetchone()
        if row is None:
            return current
        current = row["id"]


def show(conn: sqlite3.Connection, message_id: int) -> list[Message]:
    """Make the branch through `message_id` (and its newest descendants) the current one."""
    msg = get_message(conn, message_id)
    leaf = latest_leaf(conn, message_id)
    with transaction(conn):
        conn.execute(
            "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
            (leaf, msg.conversation_id),
        )
    return path_to(conn, leaf)


def set_current_leaf(conn: sqlite3.Connection, conversation_id: int, leaf: int | None) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf, conversation_id)
        )


def rate(
    conn: sqlite3.Connection,
    message_id: int,
    *,
    thumbs: int | None | type[...] = ...,
    stars: int | None | type[...] = ...,
) -> Message:
    """Set (or clear with None) a message's thumbs (+1/-1) and/or stars (1-5)."""
    updates: dict[str, Any] = {}
    if thumbs is not ...:
        if thumbs not in (None, 1, -1):
            raise UsageError(f"thumbs must be +1 or -1, got {thumbs}")
        updates["thumbs"] = thumbs
    if stars is not ...:
        if stars is not None and not (isinstance(stars, int) and 1 <= stars <= 5):
            raise UsageError(f"stars must be 1 to 5, got {stars}")
        updates["stars"] = stars
    if updates:
        msg = get_message(conn, message_id)
        if msg.role != "assistant":
            raise UsageError("only assistant messages can be rated")
        with transaction(conn):
            conn.execute(
                f"UPDATE messages SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?",
                (*updates.values(), message_id),
            )
    return get_message(conn, message_id)


def chat_messages(branch_messages: list[Message], system_prompt: str | None) -> list[dict]:
    """The branch as the model sees it: system prompt first; slash commands, tool output and empty
    (stopped at once) answers left out."""
    out: list[dict] = []
    if system_prompt:
        out.append({"role": "system", "content": system_prompt})
    for m in branch_messages:
        if m.role == "tool" or (m.role == "user" and m.meta.get("command")):
            continue
        if m.role == "assistant" and not m.content.strip():  # stopped before a word
            continue
        out.append({"role": m.role, "content": m.content})
    return out
