"""The migration runner: order, exactly once, atomic, and WAL on a real SQLite file."""

import sqlite3

import pytest

from assistant import store


def _write(d, name, sql):
    (d / name).write_text(sql)


def test_migrations_apply_in_order_once(tmp_path):
    mig = tmp_path / "migrations"
    mig.mkdir()
    _write(mig, "0002_add.sql", "ALTER TABLE t ADD COLUMN b TEXT;")
    _write(mig, "0001_create.sql", "CREATE TABLE t (a INTEGER);\nCREATE INDEX t_a ON t (a);")
    conn = store.connect(tmp_path / "p.db", migrations_dir=mig)
    cols = [r["name"] for r in conn.execute("PRAGMA table_info(t)")]
    assert cols == ["a", "b"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.migrate(conn, mig) == []  # nothing applied twice
    conn.close()
    # A new file is applied on the next open; the old ones are not.
    _write(mig, "0003_more.sql", "CREATE TABLE u (x TEXT);")
    conn = store.connect(tmp_path / "p.db", migrations_dir=mig)
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == ["0001_create", "0002_add", "0003_more"]


def test_a_failing_migration_leaves_nothing_half_done(tmp_path):
    mig = tmp_path / "migrations"
    mig.mkdir()
    _write(mig, "0001_ok.sql", "CREATE TABLE t (a INTEGER);")
    _write(mig, "0002_bad.sql", "CREATE TABLE u (x TEXT);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        store.connect(tmp_path / "p.db", migrations_dir=mig)
    conn = sqlite3.connect(tmp_path / "p.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "t" in tables and "u" not in tables


def test_transaction_rolls_back_on_error(tmp_path):
    mig = tmp_path / "migrations"
    mig.mkdir()
    _write(mig, "0001_create.sql", "CREATE TABLE t (a INTEGER);")
    conn = store.connect(tmp_path / "p.db", migrations_dir=mig)
    with pytest.raises(RuntimeError), store.transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("crash in the middle")
    with store.transaction(conn):
        conn.execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in conn.execute("SELECT a FROM t")] == [2]
