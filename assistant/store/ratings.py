"""Preference ratings: one row per decision, with everything needed to know what was compared.

    from assistant import store
    from assistant.store import ratings
    conn = store.connect()
    rid = ratings.record(conn, ratings.Rating(source="arena", annotator="ana", context=[...],
                         left=ratings.Response("4", "model-a"), right=ratings.Response("5", "b"),
                         vote="left"))
    ratings.retract(conn, rid)          # undo: the row stays, marked retracted

Every write is one `store.transaction` (BEGIN IMMEDIATE), so several processes can rate into one
database at once. Undo is a recorded retraction (`retracted_at`), never a delete: a rating that was
given and taken back is still history; every reader filters `retracted_at IS NULL`.

Chat pairs: `record_chat_preference` turns "the user picked this regenerated answer" or "the user
edited this answer" into rows whose chosen side is `left` (`sides_shown = 0`: no screen sides).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from assistant import store
from assistant.chat_context import chat_context
from assistant.errors import UsageError

VOTES = ("left", "right", "tie", "both_bad", "skip")
SOURCES = ("arena", "pick", "edit", "import")
TAGS = ("incorrect", "unhelpful", "unsafe", "too long", "rude")

Message = dict[str, Any]


@dataclass
class Response:
    """One side of a pair: the text and where it came from."""

    text: str
    model: str
    checkpoint: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # sampling settings incl. the seed
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    score: int | None = None  # optional 1-5
    message_id: int | None = None


@dataclass
class Rating:
    """A decision on a pair. `left`/`right` are the screen sides (or chosen/rejected when
    `sides_shown` is False)."""

    source: str
    annotator: str
    context: list[Message]
    left: Response
    right: Response
    vote: str
    reason: str = ""
    tags: list[str] = field(default_factory=list)
    session_key: str | None = None
    item_index: int | None = None
    sides_shown: bool = True
    swapped: bool | None = None
    shuffle_seed: int | None = None
    gold_side: str | None = None
    conversation_id: int | None = None
    shown_at: float | None = None
    ready_at: float | None = None
    decided_at: float | None = None
    uid: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # set once stored (`from_row`)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Rating:
        """A stored rating as it was recorded: the one way a ratings row is read. Every field
        is the column of its name (`left_text` is `left.text`, `tags_json` is `tags`)."""
        r = decode(row)

        def side(name: str) -> Response:
            resp = Response(**{f.name: r[f"{name}_{f.name}"] for f in fields(Response)})
            resp.params, resp.tool_calls = resp.params or {}, resp.tool_calls or []
            return resp

        rating = cls(
            **{f.name: r[f.name] for f in fields(cls) if f.name not in ("left", "right")},
            left=side("left"),
            right=side("right"),
        )
        rating.sides_shown = bool(rating.sides_shown)
        rating.swapped = None if rating.swapped is None else bool(rating.swapped)
        rating.reason, rating.tags, rating.meta = (
            rating.reason or "",
            rating.tags or [],
            rating.meta or {},
        )
        return rating

    def response(self, side: str) -> Response:
        """The `left` or `right` response."""
        return {"left": self.left, "right": self.right}[side]

    @property
    def pair_key(self) -> str:
        return pair_key(self.context, self.left.text, self.right.text)

    def validate(self) -> None:
        if self.vote not in VOTES:
            raise UsageError(f"vote must be one of {', '.join(VOTES)}; got {self.vote!r}")
        if self.source not in SOURCES:
            raise UsageError(f"source must be one of {', '.join(SOURCES)}; got {self.source!r}")
        if not self.annotator:
            raise UsageError("a rating needs an annotator name (--annotator NAME)")
        for side in (self.left, self.right):
            if side.score is not None and not 1 <= side.score <= 5:
                raise UsageError(f"scores are 1 to 5; got {side.score}")
        if self.gold_side not in (None, "left", "right"):
            raise UsageError(f"gold_side must be left or right; got {self.gold_side!r}")


def pair_key(context: Sequence[Message], text_a: str, text_b: str) -> str:
    """Same context and the same two responses (in either order) give the same key."""
    payload = json.dumps([list(context), sorted([text_a, text_b])], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _insert(conn: sqlite3.Connection, r: Rating) -> int:
    r.validate()
    now = time.time()
    decided = r.decided_at if r.decided_at is not None else now
    decision_seconds = decided - r.ready_at if r.ready_at is not None else None
    row = {
        "uid": r.uid or uuid.uuid4().hex,
        "source": r.source,
        "annotator": r.annotator,
        "session_key": r.session_key,
        "item_index": r.item_index,
        "pair_key": pair_key(r.context, r.left.text, r.right.text),
        "context_json": json.dumps(r.context, ensure_ascii=False),
        "sides_shown": int(r.sides_shown),
        "swapped": None if r.swapped is None else int(r.swapped),
        "shuffle_seed": r.shuffle_seed,
        "gold_side": r.gold_side,
        "vote": r.vote,
        "reason": r.reason,
        "tags_json": json.dumps(list(r.tags), ensure_ascii=False),
        "conversation_id": r.conversation_id,
        "left_message_id": r.left.message_id,
        "right_message_id": r.right.message_id,
        "shown_at": r.shown_at,
        "ready_at": r.ready_at,
        "decided_at": decided,
        "decision_seconds": decision_seconds,
        "created_at": now,
        "meta_json": json.dumps(r.meta, ensure_ascii=False),
    }
    for side, resp in (("left", r.left), ("right", r.right)):
        row[f"{side}_text"] = resp.text
        row[f"{side}_model"] = resp.model
        row[f"{side}_checkpoint"] = resp.checkpoint
        row[f"{side}_params_json"] = json.dumps(resp.params, ensure_ascii=False)
        row[f"{side}_tool_calls_json"] = json.dumps(resp.tool_calls, ensure_ascii=False)
        row[f"{side}_score"] = resp.score
    names = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    cur = conn.execute(f"INSERT INTO ratings ({names}) VALUES ({marks})", row)
    return int(cur.lastrowid)


def record(conn: sqlite3.Connection, rating: Rating) -> int:
    """Store one rating in its own transaction; returns its id."""
    with store.transaction(conn):
        return _insert(conn, rating)


def record_many(conn: sqlite3.Connection, ratings: Sequence[Rating]) -> list[int]:
    """Store several ratings in one transaction: all of them or none."""
    with store.transaction(conn):
        return [_insert(conn, r) for r in ratings]


def retract(conn: sqlite3.Connection, rating_id: int) -> bool:
    """Undo one rating (recorded, not deleted). False if it was already retracted or unknown."""
    with store.transaction(conn):
        cur = conn.execute(
            "UPDATE ratings SET retracted_at = ? WHERE id = ? AND retracted_at IS NULL",
            (time.time(), rating_id),
        )
        return cur.rowcount == 1


def retract_last(
    conn: sqlite3.Connection, annotator: str, session_key: str | None = None
) -> sqlite3.Row | None:
    """Undo this annotator's latest standing rating (in `session_key` if given), in one
    transaction; returns the retracted row, or None when there was nothing to undo."""
    where = "annotator = ? AND retracted_at IS NULL"
    args: list[Any] = [annotator]
    if session_key is not None:
        where += " AND session_key = ?"
        args.append(session_key)
    with store.transaction(conn):
        row = conn.execute(
            f"SELECT * FROM ratings WHERE {where} ORDER BY id DESC LIMIT 1", args
        ).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE ratings SET retracted_at = ? WHERE id = ?", (time.time(), row["id"]))
    return row


def standing_ratings(conn: sqlite3.Connection, **where: Any) -> list[Rating]:
    """`standing`, as typed records."""
    return [Rating.from_row(row) for row in standing(conn, **where)]


def standing(
    conn: sqlite3.Connection,
    *,
    annotator: str | None = None,
    session_key: str | None = None,
    include_skips: bool = True,
) -> list[sqlite3.Row]:
    """The ratings in force (not retracted), oldest first."""
    where = ["retracted_at IS NULL"]
    args: list[Any] = []
    if annotator is not None:
        where.append("annotator = ?")
        args.append(annotator)
    if session_key is not None:
        where.append("session_key = ?")
        args.append(session_key)
    if not include_skips:
        where.append("vote != 'skip'")
    sql = f"SELECT * FROM ratings WHERE {' AND '.join(where)} ORDER BY id"
    return conn.execute(sql, args).fetchall()


def done_items(conn: sqlite3.Connection, annotator: str, session_key: str) -> set[int]:
    """Item indices this annotator has a standing vote (or skip) on in this session."""
    rows = conn.execute(
        "SELECT DISTINCT item_index FROM ratings WHERE annotator = ? AND session_key = ? "
        "AND retracted_at IS NULL AND item_index IS NOT NULL",
        (annotator, session_key),
    )
    return {r[0] for r in rows}


def decode(row: sqlite3.Row) -> dict[str, Any]:
    """A ratings row as a dict with its JSON columns parsed (`Rating.from_row` reads it)."""
    out = dict(row)
    for key in list(out):
        if key.endswith("_json"):
            out[key[: -len("_json")]] = json.loads(out.pop(key) or "null")
    return out


# --- pairs from ordinary chat (regenerate + pick, edit) ---


def _message(conn: sqlite3.Connection, message_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise UsageError(f"no message with id {message_id}")
    return dict(row)


def _json_field(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return default
    return value


def _context(conn: sqlite3.Connection, conversation_id: int, message: dict[str, Any]) -> list:
    """The messages before `message` on its branch (root first), system prompt first."""
    chain: list[dict[str, Any]] = []
    parent = message.get("parent_id")
    seen: set[int] = set()
    while parent is not None and parent not in seen:
        seen.add(parent)
        m = _message(conn, parent)
        chain.append(m)
        parent = m.get("parent_id")
    chain.reverse()
    # As the model saw it (mirrors conversations.chat_messages): tool output and slash commands
    # are the user's business, not part of the prompt.
    context = [
        {"role": m["role"], "content": m["content"]}
        for m in chain
        if m.get("role") not in (None, "tool")
        and not (m["role"] == "user" and _json_field(m.get("meta"), {}).get("command"))
    ]
    system = None
    conv_row = conn.execute(
        "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    if conv_row is not None:
        keys = conv_row.keys()
        system = next((conv_row[k] for k in ("system_prompt", "system") if k in keys), None)
    return chat_context(context, system)


def context_of(conn: sqlite3.Connection, message_id: int) -> list:
    """The chat context an assistant message answered (system prompt first)."""
    m = _message(conn, message_id)
    return _context(conn, m["conversation_id"], m)


def _response(m: dict[str, Any]) -> Response:
    params = _json_field(m.get("params"), {})
    meta = _json_field(m.get("meta"), {})
    if not isinstance(params, dict):
        params = {}
    if not isinstance(meta, dict):
        meta = {}
    if m.get("seed") is not None and "seed" not in params:
        params["seed"] = m["seed"]
    # the chat keeps a message's tool calls and results as meta["tool_events"]
    tool_calls = meta.get("tool_events") or meta.get("tool_calls") or []
    model = m.get("model") or meta.get("model") or "unknown"
    checkpoint = meta.get("checkpoint") or _checkpoint_of(model)
    return Response(
        text=m["content"],
        model=model,
        checkpoint=checkpoint,
        params=params,
        tool_calls=tool_calls if isinstance(tool_calls, list) else [],
        message_id=m["id"],
    )


def record_chat_preference(
    conn: sqlite3.Connection,
    *,
    conversation_id: int,
    chosen_message_id: int,
    rejected_message_ids: list[int],
    source: str,
    annotator: str | None = None,
) -> list[int]:
    """Record "chosen is better than each rejected" from chat, one row per rejected message,
    all in one transaction; returns the new rating ids.

    source "pick": the user picked `chosen` among regenerated siblings; "edit": the user edited
    an assistant answer (the edit is the chosen sibling, the original is rejected). The context
    (system prompt first) is read from the chosen message's branch. Chosen is stored as `left`
    with vote `left` and `sides_shown = 0`.
    """
    if source not in ("pick", "edit"):
        raise UsageError(f"chat preferences come from 'pick' or 'edit', not {source!r}")
    if not rejected_message_ids:
        return []
    import getpass

    who = annotator or _user_name(getpass)
    chosen = _message(conn, chosen_message_id)
    context = _context(conn, conversation_id, chosen)
    left = _response(chosen)
    if source == "edit":
        left.model = "human-edit"
        left.checkpoint = None
    now = time.time()
    rows = []
    for rid in rejected_message_ids:
        rejected = _message(conn, rid)
        rows.append(
            Rating(
                source=source,
                annotator=who,
                context=context,
                left=left,
                right=_response(rejected),
                vote="left",
                sides_shown=False,
                conversation_id=conversation_id,
                decided_at=now,
                meta={"edited_from": rid} if source == "edit" else {},
            )
        )
    return record_many(conn, rows)


def _checkpoint_of(model: str) -> str | None:
    """Where the named model's weights are (None if it is not a model Parley knows)."""
    from assistant import models

    try:
        for spec in models.list_models():
            if spec.name == model:
                return spec.path
    except Exception:  # a broken registry must not lose the user's preference
        return None
    return None


def _user_name(getpass: Any) -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "user"
