"""`parley prefs export|import|stats` as a user runs them: the exported pair has the voted model
as chosen, a bad import line is named and skipped, and the stats rank what the votes say."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant import store
from assistant.cli import main
from assistant.rate import prefs, prefs_stats
from assistant.store import ratings as R

SYS = {"role": "system", "content": "Be brief."}


def _vote(conn, vote, *, q="2+2?", a=("4", "good-model"), b=("5", "bad-model"), who="ana", **kw):
    return R.record(
        conn,
        R.Rating(
            source="arena",
            annotator=who,
            context=[SYS, {"role": "user", "content": q}],
            left=R.Response(a[0], a[1]),
            right=R.Response(b[0], b[1]),
            vote=vote,
            **kw,
        ),
    )


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_writes_the_voted_response_as_chosen(tmp_path):
    conn = store.connect()
    _vote(conn, "right", a=("5", "bad-model"), b=("4", "good-model"))
    _vote(conn, "tie", q="hi")
    _vote(conn, "both_bad", q="bye")
    _vote(conn, "skip", q="skip me")
    undone = _vote(conn, "left", q="undone")
    R.retract(conn, undone)
    out = tmp_path / "prefs.jsonl"
    result = _run("prefs", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 preferences, 1 ties dropped, 1 both-bad and 1 skips left out" in result.output
    (row,) = _read(out)
    assert row["prompt"] == [SYS, {"role": "user", "content": "2+2?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "4"}]
    assert row["rejected"] == [{"role": "assistant", "content": "5"}]
    assert (row["chosen_model"], row["rejected_model"], row["annotator"]) == (
        "good-model",
        "bad-model",
        "ana",
    )

    assert _run("prefs", "export", "--out", str(out), "--ties", "keep", "--redact").exit_code == 0
    rows = _read(out)
    ties = [r for r in rows if r.get("tie")]
    assert len(rows) == 3 and len(ties) == 2  # a tie is two mirrored rows
    assert {ties[0]["chosen"][0]["content"], ties[1]["chosen"][0]["content"]} == {"4", "5"}
    assert all("annotator" not in r for r in rows)


def test_export_is_atomic_a_crash_midway_leaves_the_old_file(tmp_path, monkeypatch):
    conn = store.connect()
    for i in range(5):
        _vote(conn, "left", q=f"q{i}")
    out = tmp_path / "out" / "prefs.jsonl"
    prefs.export(conn, out)
    before = out.read_text()
    _vote(conn, "left", q="new")
    calls = {"n": 0}
    real_dumps = json.dumps

    def dying_dumps(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # as if killed while writing the 4th line
        return real_dumps(*a, **k)

    monkeypatch.setattr(prefs.json, "dumps", dying_dumps)
    with pytest.raises(KeyboardInterrupt):
        prefs.export(conn, out)
    assert out.read_text() == before
    assert [p.name for p in out.parent.iterdir()] == ["prefs.jsonl"]  # no temp file left behind


def test_export_import_round_trip_gives_the_same_pairs(tmp_path, monkeypatch):
    conn = store.connect(tmp_path / "a.db")
    _vote(conn, "left", q="one")
    _vote(conn, "right", q="two", who="bob")
    _vote(conn, "tie", q="three")
    first = tmp_path / "first.jsonl"
    prefs.export(conn, first, ties="keep")
    result = _run("prefs", "import", str(first), "--db", str(tmp_path / "b.db"))
    assert result.exit_code == 0, result.output
    assert "imported 3 preference(s)" in result.output and "1 already present" in result.output
    second = tmp_path / "second.jsonl"
    prefs.export(store.connect(tmp_path / "b.db"), second, ties="keep")
    assert _read(first) == _read(second)
    # importing the same file again stores nothing new
    again = _run("prefs", "import", str(first), "--db", str(tmp_path / "b.db"))
    assert "imported 0 preference(s)" in again.output and "4 already present" in again.output


def _bad_file(tmp_path):
    good = {"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."}
    implicit = {
        "chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
        "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "B"}],
    }
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps(implicit),
                '{"prompt": "x", "chosen": "y"}',
                "{not json",
                json.dumps(good | {"prompt": "Hey"}),
            ]
        )
        + "\n"  # fmt: skip
    )
    return path


def test_import_reports_bad_lines_by_number_and_keeps_the_others(tmp_path):
    path = _bad_file(tmp_path)
    result = _run("prefs", "import", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}:3: no 'rejected' field" in result.output
    assert f"{path}:4:" in result.output
    assert "imported 3 preference(s)" in result.output
    rows = [R.decode(r) for r in R.standing(store.connect())]
    assert [(r["context"][-1]["content"], r["left_text"], r["right_text"]) for r in rows] == [
        ("Hi", "Hello!", "Go away."),
        ("Q", "A", "B"),
        ("Hey", "Hello!", "Go away."),
    ]
    assert rows[0]["source"] == "import" and rows[0]["annotator"] == "import:in"


def test_strict_import_stores_nothing_when_a_line_is_bad(tmp_path):
    result = _run("prefs", "import", str(_bad_file(tmp_path)), "--strict")
    assert result.exit_code != 0
    assert "2 bad line(s), nothing imported (--strict)" in result.output
    assert ":3:" in result.output
    assert store.connect().execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_hf_export_is_a_dataset_directory(tmp_path):
    from datasets import load_from_disk

    conn = store.connect()
    _vote(conn, "left")
    result = _run("prefs", "export", "--out", str(tmp_path / "ds"), "--format", "hf")
    assert result.exit_code == 0, result.output
    ds = load_from_disk(str(tmp_path / "ds"))
    assert ds[0]["chosen"] == [{"role": "assistant", "content": "4"}]
    assert ds[0]["prompt"][0] == SYS


def test_stats_rank_the_model_preferred_80_percent_first_with_separated_intervals(tmp_path):
    conn = store.connect()
    for i in range(100):
        a_wins = i % 5 != 0  # A preferred 80% of the time
        a_left = i % 2 == 0
        vote = ("left" if a_left else "right") if a_wins else ("right" if a_left else "left")
        a, b = (f"a{i}", "A"), (f"b{i}", "B")
        _vote(conn, vote, q=f"q{i}", a=a if a_left else b, b=b if a_left else a)
    stats = prefs_stats.compute(conn, bootstrap=100)
    first, second = stats["leaderboard"]
    assert (first["model"], second["model"]) == ("A", "B")
    assert first["low"] > second["high"]
    assert first["win_rate"] == pytest.approx(0.8)
    bias = stats["position_bias"]["ana"]
    assert bias["n"] == 100 and bias["low"] < 0.5 < bias["high"]  # sides balanced: no bias


def test_stats_quality_control_on_constructed_annotators(tmp_path):
    conn = store.connect()
    # ana always votes left (biased); bob agrees with her on 3 of 4 shared pairs
    for i in range(30):
        _vote(conn, "left", q=f"q{i}", a=(f"x{i}", "M1"), b=(f"y{i}", "M2"))
    for i, vote in enumerate(["left", "left", "left", "right"]):
        _vote(conn, vote, q=f"q{i}", a=(f"x{i}", "M1"), b=(f"y{i}", "M2"), who="bob")
    # ana rates q0 again, the same pair, and changes her mind once
    _vote(conn, "right", q="q0", a=(f"y{0}", "M2"), b=(f"x{0}", "M1"))  # same choice, sides swapped
    _vote(conn, "tie", q="q0", a=("x0", "M1"), b=("y0", "M2"))
    # gold: bob right on 1 of 2
    _vote(conn, "left", q="g", a=("good", "gold-chosen"), b=("bad", "gold-rejected"),
          who="bob", gold_side="left")  # fmt: skip
    _vote(conn, "left", q="g2", a=("bad", "gold-rejected"), b=("good", "gold-chosen"),
          who="bob", gold_side="right")  # fmt: skip
    stats = prefs_stats.compute(conn, bootstrap=20)
    assert stats["position_bias"]["ana"]["low"] > 0.5  # flagged
    assert stats["self_consistency"]["ana"] == {"items": 1, "agree": 1, "comparisons": 3,
                                                "rate": pytest.approx(1 / 3)}  # fmt: skip
    (pair,) = stats["agreement"]
    assert pair["annotators"] == ["ana", "bob"] and pair["shared"] == 4
    # ana's latest on q0 is the tie: agreement on q1, q2 only
    assert pair["agreement"] == pytest.approx(0.5)
    assert stats["gold"]["bob"] == {"items": 2, "correct": 1, "accuracy": 0.5}
    assert all(r["model"] in ("M1", "M2") for r in stats["leaderboard"])  # gold left out
    text = prefs_stats.report(stats)
    assert "<- biased" in text and "kappa" in text

    result = _run("prefs", "stats", "--plot", str(tmp_path / "s.png"), "--bootstrap", "20")
    assert result.exit_code == 0, result.output
    assert "1. M1" in result.output
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_importing_a_file_without_ids_twice_stores_it_once(tmp_path):
    rows = [
        {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
        {"prompt": "2+2?", "chosen": "4", "rejected": "5"},  # the same line twice in the file
        {"prompt": "Hi", "chosen": "Hello!", "rejected": "Hello!"},  # no preference in it
        {"prompt": "Capital?", "chosen": "Paris", "rejected": "Rome", "tie": True},
        {"prompt": "Capital?", "chosen": "Rome", "rejected": "Paris", "tie": True},  # its mirror
    ]
    path = tmp_path / "no-ids.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first = _run("prefs", "import", str(path))
    assert first.exit_code == 0, first.output
    assert f"warning: skipped {path}:3: chosen and rejected are the same text" in first.output
    assert "imported 2 preference(s)" in first.output and "2 already present" in first.output
    assert "1 with identical chosen and rejected" in first.output
    again = _run("prefs", "import", str(path), "--annotator", "someone-else")
    assert "imported 0 preference(s)" in again.output and "4 already present" in again.output
    assert store.connect().execute("SELECT count(*) FROM ratings").fetchone()[0] == 2
    # the same pair from another named annotator is another rating
    other = tmp_path / "bob.jsonl"
    other.write_text(json.dumps(rows[0] | {"annotator": "bob"}) + "\n")
    assert "imported 1 preference(s)" in _run("prefs", "import", str(other)).output
    stats = prefs_stats.compute(store.connect(), bootstrap=10)
    assert stats["self_consistency"] == {}  # no annotator rated any pair twice


def two_plus_two(**changes) -> R.Rating:
    """A rating of "4" (model a) over "5" (model b) for "2+2?", with `changes`."""
    rating = {
        "source": "arena",
        "annotator": "ana",
        "context": [{"role": "user", "content": "2+2?"}],
        "left": R.Response("4", "a"),
        "right": R.Response("5", "b"),
        "vote": "left",
    }
    return R.Rating(**(rating | changes))


def test_stats_count_a_line_imported_twice_before_deduplication_once(tmp_path):
    conn = store.connect()
    meta = {"file": "old.jsonl", "line": 1}
    twice = [
        two_plus_two(source="import", annotator="import:old", sides_shown=False, meta=meta)
        for _ in range(2)
    ]
    R.record_many(conn, twice)
    stats = prefs_stats.compute(conn, bootstrap=10)
    assert stats["self_consistency"] == {}
    assert stats["annotators"] == {"import:old": {"left": 1}}
