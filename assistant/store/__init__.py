"""Parley's SQLite database: one file shared by conversations and ratings.

Schema changes are ordered migrations: `assistant/store/migrations/NNNN_name.sql`, applied in file
name order, each exactly once, each in its own transaction, recorded in `_migrations`. Add a change
as a new file; never edit one that has shipped.

Every connection runs in WAL mode with a busy timeout, so a TUI and `parley arena` processes can
write to the same file at once; every write goes through `transaction()`.

A file SQLite cannot read (truncated, overwritten, not a database) raises `DatabaseDamaged`, whose
one line names the file and what to do; nothing is written to it. `assistant.store.repair` checks
a file and copies what can still be read into a new one (`parley db check|recover`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant import paths
from assistant.errors import DatabaseDamaged

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 30.0


def connect(
    path: str | Path | None = None, *, migrations_dir: Path = MIGRATIONS_DIR
) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database; default path: `paths.database_path()`."""
    path = Path(path) if path is not None else paths.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path not in opened:
        opened.append(path)
    # isolation_level=None: no implicit transactions; `transaction()` says where each one starts.
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(conn, migrations_dir)
    except sqlite3.DatabaseError as e:
        conn.close()
        if is_damage(e):
            raise damaged(path, e) from e
        raise
    return conn


# The database files this process opened, latest last: a damaged page found later, by a query,
# is reported against them (see `assistant.cli`).
opened: list[Path] = []


def is_damage(error: BaseException) -> bool:
    """SQLite says the file is corrupt or not a database at all."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return isinstance(error, sqlite3.DatabaseError) and name.startswith(
        ("SQLITE_CORRUPT", "SQLITE_NOTADB")
    )


def damaged(path: Path | None, error: BaseException) -> DatabaseDamaged:
    """The one line a user sees for a database SQLite cannot read."""
    where = str(path) if path is not None else "the database"
    recover = f"parley db recover {path} -o NEW.db" if path is not None else "parley db recover"
    return DatabaseDamaged(
        f"{where} is damaged ({error}) and was left as it is: move it aside (with its -wal file, "
        f"if any) to start a new one, or save what can be read with `{recover}`"
    )


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken with BEGIN IMMEDIATE so concurrent writers wait, not fail."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migration_files(migrations_dir: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(p for p in migrations_dir.glob("*.sql") if p.name[:4].isdigit())


def migrate(conn: sqlite3.Connection, migrations_dir: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not yet applied, in order; returns the names applied now."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    applied_now = []
    for path in migration_files(migrations_dir):
        with transaction(conn):
            # Checked inside the transaction: another process may have applied it meanwhile.
            done = conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (path.stem,)).fetchone()
            if done:
                continue
            for statement in _statements(path.read_text()):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (path.stem, time.time())
            )
            applied_now.append(path.stem)
    return applied_now


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer.strip()!r}")
