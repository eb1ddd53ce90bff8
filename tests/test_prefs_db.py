"""The user's stored ratings as training pairs (`--prefs db`, `parley train reward --data db`):
one conversion of arena votes, picks, edits, thumbs and stars, deduplicated, with ties and
both-bad left out; the rating ids go to the lineage. A real SQLite file in the test's home."""

from __future__ import annotations

import json

import pytest
from test_reward import train_tiny_reward

from assistant import paths, store
from assistant.errors import DataError
from assistant.rate import prefs
from assistant.store import conversations as C
from assistant.store import ratings as R
from rlhf import data

SYS = {"role": "system", "content": "Be brief."}


def _vote(conn, vote, q, a, b):
    return R.record(
        conn,
        R.Rating(
            source="arena",
            annotator="ana",
            context=[SYS, {"role": "user", "content": q}],
            left=R.Response(a, "m1"),
            right=R.Response(b, "m2"),
            vote=vote,
        ),
    )


def _prefer(conn, chosen, rejected, source: str) -> None:
    """A chat preference between two answers of one conversation (`source`: pick or edit)."""
    R.record_chat_preference(
        conn,
        conversation_id=chosen.conversation_id,
        chosen_message_id=chosen.id,
        rejected_message_ids=[rejected.id],
        source=source,
    )


def _ratings_db():
    """Every kind of rating a user leaves, in the home's database."""
    conn = store.connect()
    _vote(conn, "left", "2+2?", "4", "5")
    _vote(conn, "tie", "hi", "Hello!", "Hi there!")
    _vote(conn, "both_bad", "bye", "x", "y")
    _vote(conn, "skip", "skip me", "a", "b")
    conv = C.create(conn, system_prompt="You are terse.")
    user = C.add_message(conn, conv.id, None, "user", "Capital of France?")
    lyon = C.add_message(conn, conv.id, user.id, "assistant", "Lyon.", model="m1")
    paris = C.add_message(conn, conv.id, user.id, "assistant", "Paris.", model="m1")
    _prefer(conn, paris, lyon, "pick")
    C.rate(conn, paris.id, thumbs=1)  # the same judgement again: a duplicate
    C.rate(conn, lyon.id, thumbs=-1)
    user2 = C.add_message(conn, conv.id, paris.id, "user", "Name a colour.")
    blue = C.add_message(conn, conv.id, user2.id, "assistant", "Blue.", model="m1")
    dull = C.add_message(conn, conv.id, user2.id, "assistant", "I do not know.", model="m1")
    C.rate(conn, blue.id, stars=5)
    C.rate(conn, dull.id, stars=2)
    alone = C.add_message(conn, conv.id, blue.id, "user", "Thanks")
    C.rate(
        conn, C.add_message(conn, conv.id, alone.id, "assistant", "You're welcome.").id, thumbs=1
    )  # fmt: skip  (rated alone: no pair)
    edited = C.add_message(conn, conv.id, user2.id, "assistant", "Red, blue.", model="m1")
    fixed = C.add_message(conn, conv.id, user2.id, "assistant", "Red.", model="human-edit")
    _prefer(conn, fixed, edited, "edit")
    return conn


def test_every_kind_of_rating_becomes_one_pair_through_one_conversion():
    pairs = prefs.training_pairs(_ratings_db())
    said = [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in pairs.rows]
    assert said == [
        ("4", "5"),
        ("Paris.", "Lyon."),
        ("Red.", "Red, blue."),
        ("Blue.", "I do not know."),
    ]
    assert pairs.by_source == {"arena": 1, "pick": 1, "edit": 1, "stars": 1}
    assert (pairs.duplicates, pairs.ties_dropped, pairs.both_bad, pairs.skips) == (1, 1, 1, 1)
    stars = pairs.rows[-1]
    assert stars["prompt"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "Name a colour."},
    ]
    assert len(set(pairs.rating_ids)) == 4 and stars["id"].startswith("stars:")


def test_data_db_writes_the_pairs_and_the_rating_ids(tmp_path):
    _ratings_db().close()
    sources, info = data.with_database(f"{tmp_path / 'sim.jsonl'},db", tmp_path / "run")
    assert sources == f"{tmp_path / 'sim.jsonl'},{tmp_path / 'run' / 'human_pairs.jsonl'}"
    assert info["pairs"] == 4 and info["database"] == str(paths.database_path())
    rows = [
        json.loads(x) for x in (tmp_path / "run" / "human_pairs.jsonl").read_text().splitlines()
    ]
    assert [r["id"] for r in rows] == info["rating_ids"]
    assert len(data.load_preferences(str(tmp_path / "run" / "human_pairs.jsonl"))) == 4
    assert data.with_database("a.jsonl", tmp_path) == ("a.jsonl", None)


def test_an_empty_database_is_one_clear_line(tmp_path):
    with pytest.raises(DataError, match="no database at"):
        data.human_pairs_file(tmp_path)
    store.connect().close()
    with pytest.raises(DataError, match="has no rating that makes a pair"):
        data.human_pairs_file(tmp_path)


def test_parley_train_reward_data_db_trains_on_the_stored_ratings(tiny_model_dir, tmp_path):
    _ratings_db().close()
    train_tiny_reward(
        tiny_model_dir, "db", tmp_path / "rm", max_steps=2, per_device_train_batch_size=2
    )
    report = json.loads((tmp_path / "rm" / "eval.json").read_text())
    assert report["human_pairs"] == 4 and report["train_pairs"] == 3 and report["pairs"] == 1
    assert 0.0 <= report["judge_agreement"] <= 1.0
    info = json.loads((tmp_path / "rm" / "human_pairs.json").read_text())
    assert len(info["rating_ids"]) == 4


def test_pipeline_prefs_db_records_which_ratings_trained_the_reward_model(tmp_path, monkeypatch):
    from rlhf import pipeline, stage

    class Stop(Exception):
        pass

    seen = {}

    def launch(module, config, nproc=1, **settings):
        if module == "rlhf.ppo":
            raise Stop
        seen["data"] = settings["data"]
        out = tmp_path / "reward"
        out.mkdir()
        (out / "eval.json").write_text(json.dumps({"accuracy": 0.9, "pairs": 200}))

    monkeypatch.setattr(stage, "launch", launch)
    _ratings_db().close()
    (tmp_path / "sft" / "model").mkdir(parents=True)
    (tmp_path / "pairs.jsonl").write_text("")
    with pytest.raises(Stop):
        pipeline.run("cpu-tiny", tmp_path, prefs="db", progress=lambda m: None)
    lineage = json.loads((tmp_path / "lineage.json").read_text())["reward"]
    assert seen["data"] == f"{tmp_path / 'pairs.jsonl'},{tmp_path / 'human_pairs.jsonl'}"
    assert lineage["human_pairs"] == 4 and len(lineage["human_rating_ids"]) == 4
    assert lineage["human_by_source"] == {"arena": 1, "pick": 1, "edit": 1, "stars": 1}
