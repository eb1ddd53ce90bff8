"""The ratings store: full provenance, undo as a recorded retraction, chat pairs, and no lost vote
with two processes writing at once or a process killed mid-session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from assistant import store
from assistant.store import ratings as R

CTX = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]


def _rating(vote="left", annotator="ana", **kw):
    return R.Rating(
        source="arena",
        annotator=annotator,
        context=CTX,
        left=R.Response("4", "model-a", "/ckpt/a", {"temperature": 0.7, "seed": 11}, score=5),
        right=R.Response("5", "model-b", None, {"temperature": 1.0, "seed": 12}, score=1),
        vote=vote,
        reason="b is wrong",
        tags=["incorrect"],
        swapped=False,
        shuffle_seed=99,
        ready_at=100.0,
        decided_at=103.5,
        **kw,
    )


def test_a_vote_keeps_everything_that_was_compared(tmp_path):
    conn = store.connect(tmp_path / "p.db")
    rid = R.record(conn, _rating())
    row = R.decode(conn.execute("SELECT * FROM ratings WHERE id = ?", (rid,)).fetchone())
    assert row["context"] == CTX  # system prompt included
    assert (row["left_text"], row["left_model"], row["left_checkpoint"]) == (
        "4",
        "model-a",
        "/ckpt/a",
    )
    assert row["left_params"] == {"temperature": 0.7, "seed": 11}
    assert row["right_params"]["seed"] == 12
    assert (row["left_score"], row["right_score"]) == (5, 1)
    assert row["vote"] == "left" and row["reason"] == "b is wrong" and row["tags"] == ["incorrect"]
    assert row["decision_seconds"] == pytest.approx(3.5)
    assert row["annotator"] == "ana" and row["shuffle_seed"] == 99 and row["swapped"] == 0


def test_bad_votes_are_refused_and_nothing_is_stored(tmp_path):
    conn = store.connect(tmp_path / "p.db")
    with pytest.raises(R.UsageError, match="vote must be one of"):
        R.record(conn, _rating(vote="maybe"))
    bad_score = _rating()
    bad_score.left.score = 9
    with pytest.raises(R.UsageError, match="1 to 5"):
        R.record_many(conn, [_rating(), bad_score])  # all or nothing
    assert conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_undo_retracts_the_latest_vote_and_keeps_it_as_history(tmp_path):
    conn = store.connect(tmp_path / "p.db")
    first = R.record(conn, _rating("left", session_key="s", item_index=0))
    second = R.record(conn, _rating("tie", session_key="s", item_index=1))
    undone = R.retract_last(conn, "ana", "s")
    assert undone["id"] == second
    assert [r["id"] for r in R.standing(conn)] == [first]
    assert R.done_items(conn, "ana", "s") == {0}
    assert conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 2  # not deleted
    assert R.retract_last(conn, "bob", "s") is None


def test_picking_a_regenerated_answer_records_pairs_with_the_branch_context(tmp_path):
    from assistant.store import conversations as C

    conn = store.connect(tmp_path / "p.db")
    conv = C.create(conn, system_prompt="You are terse.")
    user = C.add_message(conn, conv.id, None, "user", "Capital of France?")
    params = {"temperature": 0.8, "top_p": 0.9, "max_new_tokens": 64, "seed": 5}
    a = C.add_message(conn, conv.id, user.id, "assistant", "Lyon.", model="m1", params=params)
    b = C.add_message(conn, conv.id, user.id, "assistant", "Paris.", model="m1", seed=6)
    events = [{"kind": "call", "name": "translate", "arguments": {"text": "x"}}]
    c = C.add_message(
        conn, conv.id, user.id, "assistant", "Nice.", model="m2", meta={"tool_events": events}
    )
    ids = R.record_chat_preference(
        conn, conversation_id=conv.id, chosen_message_id=b.id,
        rejected_message_ids=[a.id, c.id], source="pick",
    )  # fmt: skip
    rows = [R.decode(r) for r in R.standing(conn)]
    assert [r["id"] for r in rows] == ids and len(ids) == 2
    assert all(r["left_text"] == "Paris." and r["vote"] == "left" for r in rows)
    assert [r["right_text"] for r in rows] == ["Lyon.", "Nice."]
    assert rows[0]["context"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert rows[0]["right_params"] == params and rows[0]["left_params"]["seed"] == 6
    assert rows[0]["source"] == "pick" and rows[0]["sides_shown"] == 0
    assert rows[1]["right_tool_calls"] == events and rows[0]["right_tool_calls"] == []
    assert (rows[0]["left_message_id"], rows[0]["conversation_id"]) == (b.id, conv.id)


def test_an_edit_is_chosen_over_the_original(tmp_path):
    from assistant.store import conversations as C

    conn = store.connect(tmp_path / "p.db")
    conv = C.create(conn)
    user = C.add_message(conn, conv.id, None, "user", "Say hi")
    orig = C.add_message(conn, conv.id, user.id, "assistant", "Go away.", model="m1")
    edit = C.add_message(conn, conv.id, user.id, "assistant", "Hi!", finish_reason="edited")
    (rid,) = R.record_chat_preference(
        conn, conversation_id=conv.id, chosen_message_id=edit.id,
        rejected_message_ids=[orig.id], source="edit",
    )  # fmt: skip
    row = R.decode(R.standing(conn)[0])
    assert (row["left_text"], row["left_model"]) == ("Hi!", "human-edit")
    assert (row["right_text"], row["right_model"]) == ("Go away.", "m1")
    assert row["context"][0]["role"] == "system"  # Parley's default system prompt
    assert row["context"][1:] == [{"role": "user", "content": "Say hi"}]


# One `parley arena` session without the screen: the same ArenaSession.vote the TUI calls.
VOTER = """
import os, sys, time
from assistant import store
from assistant.rate import arena
conn = store.connect(sys.argv[1])
name, n = sys.argv[2], int(sys.argv[3])
items = [arena.Item([{"role": "user", "content": f"q{i}"}],
                    [arena.Prepared("A", f"a{i}"), arena.Prepared("B", f"b{i}")]) for i in range(n)]
session = arena.ArenaSession(conn, items, [], name)
print("ready", flush=True)
while not os.path.exists(sys.argv[4]):  # start together: the writes really overlap
    time.sleep(0.01)
while (i := session.next_index()) is not None:
    shown = session.show(i)
    session.generate_pair(shown)
    session.vote(shown, "left" if i % 2 else "right")
    print(i, flush=True)
"""


def _voter(db, name, n):
    go = db.parent / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", VOTER, str(db), name, str(n), str(go)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_voting_at_once_lose_nothing(tmp_path):
    db = tmp_path / "p.db"
    store.connect(db).close()  # migrate first, so both start on the same schema
    procs = [_voter(db, "ana", 200), _voter(db, "bob", 200)]
    (tmp_path / "go").touch()
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    conn = store.connect(db)
    counts = dict(conn.execute("SELECT annotator, count(*) FROM ratings GROUP BY annotator"))
    assert counts == {"ana": 200, "bob": 200}
    key = R.standing(conn)[0]["session_key"]
    assert R.done_items(conn, "ana", key) == set(range(200))
    assert R.done_items(conn, "bob", key) == set(range(200))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    by_id = [r["annotator"] for r in R.standing(conn)]
    switches = sum(a != b for a, b in zip(by_id, by_id[1:], strict=False))
    assert switches > 1  # the two writers interleaved, not one after the other


def test_kill_9_mid_session_loses_no_committed_vote(tmp_path):
    db = tmp_path / "p.db"
    store.connect(db).close()
    proc = _voter(db, "ana", 5000)
    (tmp_path / "go").touch()
    confirmed = -1
    deadline = time.monotonic() + 60
    while confirmed < 50 and time.monotonic() < deadline:
        confirmed = int(proc.stdout.readline().split()[0])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = store.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    items = {r["item_index"] for r in R.standing(conn)}
    # every vote the process reported as committed is there, and the stored ones are a prefix
    assert set(range(confirmed + 1)) <= items
    assert items == set(range(len(items)))
    row = R.decode(R.standing(conn)[-1])
    assert json.dumps(row["context"])  # the last row is whole, not torn


def test_a_blank_database_migrates_to_the_exact_ratings_schema(tmp_path):
    conn = store.connect(tmp_path / "p.db")
    columns = [r["name"] for r in conn.execute("PRAGMA table_info(ratings)")]
    assert columns == [
        "id", "uid", "source", "annotator", "session_key", "item_index", "pair_key",
        "context_json",
        "left_text", "left_model", "left_checkpoint", "left_params_json", "left_tool_calls_json",
        "left_score",
        "right_text", "right_model", "right_checkpoint", "right_params_json",
        "right_tool_calls_json", "right_score",
        "sides_shown", "swapped", "shuffle_seed", "gold_side", "vote", "reason", "tags_json",
        "conversation_id", "left_message_id", "right_message_id",
        "shown_at", "ready_at", "decided_at", "decision_seconds", "created_at", "retracted_at",
        "meta_json",
    ]  # fmt: skip
    assert conn.execute("PRAGMA foreign_key_list(ratings)").fetchall() == []  # stands on its own
    indexes = {r["name"] for r in conn.execute("PRAGMA index_list(ratings)")}
    assert {"ratings_session", "ratings_pair", "ratings_annotator"} <= indexes
