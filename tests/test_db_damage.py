"""A damaged parley.db (truncated, junk) as a user meets it: every command that opens it says so
in one line that names the file, exits non-zero and never writes to it; `parley db check` finds
the damage and `parley db recover` saves what can be read into a new file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_prefs import two_plus_two

from assistant import store
from assistant.cli import main
from assistant.store import conversations as convs
from assistant.store import ratings as R

M = "smollm2-135m-instruct"
COMMANDS = {
    "chat": ["chat"],
    "arena": ["arena", "--prompts", "PROMPTS", "--models", f"{M}@temperature=0.2,{M}@seed=2"],
    "prefs": ["prefs", "stats"],
    "export": ["export", "--all", "--format", "jsonl", "-o", "OUT"],
}


def _database(path: Path, conversations: int = 300) -> None:
    """A real database with enough rows to span many pages, checkpointed into the one file."""
    conn = store.connect(path)
    for i in range(conversations):
        c = convs.create(conn, title=f"chat {i}")
        q = convs.add_message(conn, c.id, None, "user", f"question {i} " + "x" * 400)
        convs.add_message(conn, c.id, q.id, "assistant", f"answer {i}", finish_reason="eos")
    R.record(conn, two_plus_two())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _beside(db: Path) -> list[str]:
    """The database's file and any -wal, -shm or journal files SQLite left beside it."""
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name))


@pytest.fixture
def truncated(parley_home) -> Path:
    db = parley_home / "parley.db"
    _database(db)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    return db


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_truncated_database_gives_one_line_and_stays_as_it_was(name, truncated, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("What is 2+2?\n")
    args = [str(prompts) if a == "PROMPTS" else a for a in COMMANDS[name]]
    args = [str(tmp_path / "out.jsonl") if a == "OUT" else a for a in args]
    before = truncated.read_bytes()
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TERM": "dumb"},
        timeout=120,
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1, run.stderr
    assert len(lines) == 1, run.stderr  # no traceback
    assert lines[0].startswith(f"parley: error: {truncated} is damaged (database disk image")
    assert "move it aside" in lines[0] and "parley db recover" in lines[0]
    assert truncated.read_bytes() == before
    assert _beside(truncated) == ["parley.db"]
    assert not (tmp_path / "out.jsonl").exists()


def test_a_junk_file_is_not_a_database(parley_home):
    db = parley_home / "parley.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not sqlite\n" * 300)
    result = CliRunner().invoke(main, ["prefs", "import", "/nonexistent.jsonl"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"parley: error: {db} is damaged (file is not a database) and was left as it is: move it "
        f"aside (with its -wal file, if any) to start a new one, or save what can be read with "
        f"`parley db recover {db} -o NEW.db`\n"
    )
    assert db.read_bytes() == b"this is not sqlite\n" * 300


def test_damage_met_by_a_query_after_the_file_opened_is_one_line_too(parley_home):
    db = parley_home / "parley.db"
    _database(db)
    data = bytearray(db.read_bytes())
    page = 4096
    data[20 * page : 40 * page] = os.urandom(20 * page)  # pages of messages, not the schema
    db.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["export", "--list"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"parley: error: {db} is damaged (")
    assert db.read_bytes() == bytes(data)


def test_db_check_reports_a_sound_and_a_damaged_file(parley_home, truncated, tmp_path):
    sound = tmp_path / "sound.db"
    _database(sound, conversations=3)
    ok = CliRunner().invoke(main, ["db", "check", str(sound)])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == f"{sound}: ok (3 conversations, 6 messages, 1 ratings)\n"
    before = truncated.read_bytes()
    bad = CliRunner().invoke(main, ["db", "check"])  # the default: $PARLEY_HOME/parley.db
    assert bad.exit_code == 1
    assert f"parley: error: {truncated} is damaged" in bad.stderr
    assert f"parley db recover {truncated} -o NEW.db" in bad.stderr
    assert truncated.read_bytes() == before
    assert _beside(truncated) == ["parley.db"]


def test_db_recover_writes_what_can_be_read_to_a_new_file(truncated, tmp_path):
    before = truncated.read_bytes()
    out = tmp_path / "saved.db"
    result = CliRunner().invoke(main, ["db", "recover", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert truncated.read_bytes() == before
    assert f"mv {truncated} {truncated}.damaged && mv {out} {truncated}" in result.stderr
    conn = store.connect(out)  # a sound, migrated database
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert 50 < saved < 300  # the first half of the file holds many, not all
    assert convs.get(conn, 1).title == "chat 0"
    again = CliRunner().invoke(main, ["db", "recover", "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.stderr  # never overwrites


def test_store_connect_raises_the_domain_error(truncated):
    with pytest.raises(store.DatabaseDamaged, match="is damaged"):
        store.connect(truncated)
    with pytest.raises(sqlite3.DatabaseError):  # the library's own errors still pass through
        sqlite3.connect(truncated).execute("SELECT * FROM messages").fetchall()
