"""Check a Parley database and copy what can still be read out of a damaged one.

    parley db check                 # PRAGMA integrity_check, read-only
    parley db recover -o new.db     # a new file with every row that can be read; the old one stays

Both open the damaged file read-only: nothing here ever writes to it. Recovery builds a fresh,
migrated database beside the target, copies each table row by row in rowid order (a damaged page
ends a scan; the scan then seeks past it), and renames the result into place, so a kill midway
leaves no half file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from assistant import store
from assistant.errors import DatabaseDamaged, UsageError

MAX_PROBLEMS = 20


def _open_read_only(path: Path, salvage: bool = False) -> sqlite3.Connection:
    """Read-only. Without a -wal file holding data, opened as immutable, so that not even the
    -wal and -shm files SQLite keeps beside a WAL database are created. `salvage` reads a
    truncated file up to its end instead of refusing it."""
    if not path.is_file():
        raise UsageError(f"no database at {path}")
    wal = Path(f"{path}-wal")
    mode = "mode=ro" if wal.is_file() and wal.stat().st_size else "immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    if salvage:
        conn.execute("PRAGMA writable_schema=ON")  # SQLite then trusts the file's real size
    return conn


def check(path: Path) -> list[str]:
    """SQLite's integrity check of the file: [] when it is sound, else what is wrong."""
    conn = _open_read_only(path)
    try:
        rows = conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as e:
        return [str(e)]
    finally:
        conn.close()
    problems = [r[0] for r in rows]
    return [] if problems == ["ok"] else problems


def counts(path: Path) -> dict[str, int]:
    """Rows per table of a sound database (what `parley db check` reports)."""
    conn = _open_read_only(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


@dataclass
class Recovery:
    out: Path
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    damaged_tables: list[str] = field(default_factory=list)  # a scan hit a damaged page


def recover(src: Path, out: Path) -> Recovery:
    """Copy every readable row of `src` into a new database at `out` (which must not exist)."""
    if out.exists():
        raise UsageError(f"{out} exists; name a new file with --out (nothing is overwritten)")
    if out.resolve() == src.resolve():
        raise UsageError("--out is the damaged file itself; name a new file")
    source = _open_read_only(src, salvage=True)
    try:
        tables = _tables(source)
    except sqlite3.DatabaseError as e:
        source.close()
        raise DatabaseDamaged(f"nothing can be read from {src} ({e}); it holds no tables") from e
    tmp = out.with_name(f".{out.name}.recovering")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    result = Recovery(out)
    target = store.connect(tmp)
    try:
        target.execute("PRAGMA foreign_keys=OFF")  # rows arrive in table order, not in FK order
        with store.transaction(target):
            for table, columns in _tables(target).items():
                if table == "_migrations" or table not in tables:
                    continue
                shared = [c for c in columns if c in tables[table]]
                copied, complete = _copy(source, target, table, shared)
                result.rows[table] = copied
                if not complete:
                    result.damaged_tables.append(table)
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        target.close()
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    target.close()
    os.replace(tmp, out)
    return result


def _tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}


def _copy(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str, columns: list[str]
) -> tuple[int, bool]:
    """Rows of `table` in rowid order; past a damaged page, seek ever further ahead (1, 2, 4, ...
    rowids) until rows read again. Returns (rows copied, whether the scan met no damage)."""
    names = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT rowid, {names} FROM "{table}" WHERE rowid >= ? ORDER BY rowid'
    marks = ", ".join("?" * (len(columns) + 1))
    insert = f'INSERT OR IGNORE INTO "{table}" (rowid, {names}) VALUES ({marks})'
    copied, complete, start, jump = 0, True, 0, 1  # Parley's rowids start at 1
    while True:
        last = None
        try:
            for row in source.execute(select, (start,)):
                copied += target.execute(insert, tuple(row)).rowcount
                last = row[0]
            return copied, complete
        except sqlite3.DatabaseError as e:
            if not store.is_damage(e):
                raise
            complete = False
        if last is not None:
            start, jump = last + 1, 1
        else:
            start, jump = start + jump, jump * 2
        if start > 2**62:
            return copied, complete
