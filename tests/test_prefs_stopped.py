"""An answer that was stopped (Esc) or cut off at the token limit is no side of a preference in
`parley prefs export` or the training pairs, unless `--include-stopped` keeps it, as the SFT
export does (`assistant.rate.export`). A real SQLite file in the test's home."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant import store
from assistant.cli import main
from assistant.rate import prefs
from assistant.store import conversations as C


def _answers(conn, finish_reasons):
    """One question and its regenerated answers, finished as `finish_reasons` say."""
    conv = C.create(conn)
    q = C.add_message(conn, conv.id, None, "user", "Name a fruit.")
    return conv, [
        C.add_message(conn, conv.id, q.id, "assistant", text, model="m", finish_reason=reason)
        for text, reason in zip(
            ["Apple.", "Banana, a long", "Cherry."], finish_reasons, strict=True
        )
    ]


def test_a_pick_over_a_stopped_answer_is_left_out_of_the_export_unless_asked(tmp_path):
    """In the chat the user picks the first answer as the best of three (one of the others was
    stopped): the export keeps the pick over the finished answer only."""
    from assistant.chat.session import ChatSession

    session = ChatSession()
    _, (done, _, _) = _answers(session.conn, ["stop", "stopped", "stop"])
    assert session.pick_best(done) == 2
    out = tmp_path / "p.jsonl"
    runner = CliRunner()
    ran = runner.invoke(main, ["prefs", "export", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert [_sides(line) for line in out.read_text().splitlines()] == [("Apple.", "Cherry.")]
    assert "1 with a stopped or cut-off answer left out (--include-stopped keeps them)" in (
        ran.stderr
    )
    ran = runner.invoke(main, ["prefs", "export", "--out", str(out), "--include-stopped"])
    assert [_sides(line) for line in out.read_text().splitlines()] == [
        ("Apple.", "Banana, a long"),
        ("Apple.", "Cherry."),
    ]


def _sides(line: str) -> tuple[str, str]:
    row = json.loads(line)
    return row["chosen"][0]["content"], row["rejected"][0]["content"]


def test_thumbs_on_a_cut_off_answer_make_no_training_pair():
    conn = store.connect()
    _, (done, cut, other) = _answers(conn, ["stop", "length", "stop"])
    C.rate(conn, done.id, thumbs=1)
    C.rate(conn, cut.id, thumbs=-1)
    C.rate(conn, other.id, thumbs=-1)
    pairs = prefs.training_pairs(conn)
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in pairs.rows] == [
        ("Apple.", "Cherry.")
    ]
    assert pairs.unfinished == 1
    assert len(prefs.training_pairs(conn, include_stopped=True).rows) == 2
