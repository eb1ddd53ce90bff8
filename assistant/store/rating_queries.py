"""Reading the ratings in force (not retracted): as rows, as typed `Rating`s, and which items of
an arena session an annotator has already decided. Writes stay in `assistant.store.ratings`."""

from __future__ import annotations

import sqlite3
from typing import Any

from assistant.store.ratings import Rating


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
