"""Conversations as a tree in SQLite: the exact schema, branches, ratings, search, persistence."""

import pytest

from assistant import store
from assistant.errors import UsageError
from assistant.store import conversations as convs

MESSAGES_COLUMNS = {
    "id", "conversation_id", "parent_id", "role", "content", "model", "params", "seed",
    "prompt_tokens", "completion_tokens", "tokens_per_second", "seconds", "finish_reason",
    "meta", "thumbs", "stars", "created_at",
}  # fmt: skip
CONVERSATIONS_COLUMNS = {
    "id", "title", "system_prompt", "model", "temperature", "top_p", "max_new_tokens",
    "seed", "current_leaf_id", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def conn(tmp_path):
    return store.connect(tmp_path / "p.db")


def test_blank_database_gets_the_exact_schema(conn):
    cols = {r["name"] for r in conn.execute("PRAGMA table_info(messages)")}
    assert cols == MESSAGES_COLUMNS
    cols = {r["name"] for r in conn.execute("PRAGMA table_info(conversations)")}
    assert cols == CONVERSATIONS_COLUMNS
    applied = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert applied[0] == "0001_conversations"


def test_regenerate_and_edit_make_branches(conn):
    c = convs.create(conn, title="t")
    q = convs.add_message(conn, c.id, None, "user", "capital of France?")
    a1 = convs.add_message(conn, c.id, q.id, "assistant", "Paris", model="m1", seed=3)
    a2 = convs.add_message(conn, c.id, q.id, "assistant", "Paris, France", model="m2")
    assert [m.id for m in convs.siblings(conn, a1.id)] == [a1.id, a2.id]
    assert [m.content for m in convs.branch(conn, c.id)] == ["capital of France?", "Paris, France"]
    # flip back to the first answer: the branch on screen follows
    convs.show(conn, a1.id)
    assert [m.content for m in convs.branch(conn, c.id)] == ["capital of France?", "Paris"]
    # editing the question starts a new branch from the root
    q2 = convs.add_message(conn, c.id, None, "user", "capital of Spain?")
    convs.add_message(conn, c.id, q2.id, "assistant", "Madrid", model="m1")
    assert [m.content for m in convs.branch(conn, c.id)] == ["capital of Spain?", "Madrid"]
    assert len(convs.messages(conn, c.id)) == 5  # nothing was lost
    convs.show(conn, q.id)  # back to the first question: its newest answer
    assert convs.branch(conn, c.id)[-1].content == "Paris, France"
    assert convs.get_message(conn, a1.id).model == "m1"


def test_ratings_are_stored_and_checked(conn):
    c = convs.create(conn)
    q = convs.add_message(conn, c.id, None, "user", "hi")
    a = convs.add_message(conn, c.id, q.id, "assistant", "hello")
    convs.rate(conn, a.id, thumbs=1)
    convs.rate(conn, a.id, stars=4)
    row = conn.execute("SELECT thumbs, stars FROM messages WHERE id = ?", (a.id,)).fetchone()
    assert tuple(row) == (1, 4)
    with pytest.raises(UsageError, match="stars must be 1 to 5"):
        convs.rate(conn, a.id, stars=6)
    with pytest.raises(UsageError, match="only assistant"):
        convs.rate(conn, q.id, thumbs=1)


def test_search_rename_delete_and_settings(tmp_path, conn):
    a = convs.create(conn, title="Trip to Lisbon")
    b = convs.create(conn, title="Cooking")
    convs.add_message(conn, b.id, None, "user", "how long to boil 100% of an egg?")
    assert [c.title for c in convs.list_all(conn, "lisbon")] == ["Trip to Lisbon"]
    assert [c.title for c in convs.list_all(conn, "boil")] == ["Cooking"]
    assert [c.title for c in convs.list_all(conn, "100%")] == ["Cooking"]  # % is literal
    assert convs.list_all(conn, "_") == []
    convs.rename(conn, a.id, "  Lisbon   in May ")
    convs.update_settings(conn, a.id, system_prompt="Be brief.", temperature=0.7, seed=5)
    convs.delete(conn, b.id)
    conn.close()
    again = store.connect(tmp_path / "p.db")  # a restart sees it all
    [only] = convs.list_all(again)
    assert (only.title, only.system_prompt, only.temperature, only.seed) == (
        "Lisbon in May",
        "Be brief.",
        0.7,
        5,
    )
    assert again.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0  # cascaded
    with pytest.raises(UsageError, match="unknown conversation setting"):
        convs.update_settings(again, a.id, colour="red")


def test_model_context_skips_commands_tool_output_and_empty_answers(conn):
    c = convs.create(conn)
    u = convs.add_message(conn, c.id, None, "user", "/translate hi", meta={"command": "translate"})
    t = convs.add_message(conn, c.id, u.id, "tool", "olá", meta={"tool": "translate"})
    q = convs.add_message(conn, c.id, t.id, "user", "hi")
    a = convs.add_message(conn, c.id, q.id, "assistant", "", finish_reason="stopped")
    msgs = convs.chat_messages(convs.path_to(conn, a.id), "sys")
    assert msgs == [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
