"""`parley arena` in a real terminal (tmux), driven with the keys 1, r, 2, u, 3, 4, s and escape
over the tiny model: the database holds exactly those votes and `parley prefs export` writes the
left-voted pair with the left answer as chosen."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import store
from assistant.store import rating_queries as Q
from assistant.store import ratings as R

# slow: a real process and terminal (~10 s on a quiet machine, ~30 s on a busy one)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]
SESSION = "parley-arena-test"


def _screen() -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True
    ).stdout


def _wait_for(text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _screen()
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen:\n{_screen()}")


def _keys(*keys: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", SESSION, *keys], check=True)


def test_a_tmux_session_stores_exactly_the_votes_given(tmp_path, parley_home, tiny_model_dir):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("first question\nsecond question\nthird question\nfourth question\n")
    parley = Path(sys.executable).parent / "parley"
    models = f"{tiny_model_dir}@temperature=0,{tiny_model_dir}@temperature=1.5"
    command = (
        f"PARLEY_HOME={parley_home} HF_HUB_OFFLINE=1 {parley} arena --prompts {prompts} "
        f"--models {models} --annotator ana --max-new-tokens 6 --shuffle-seed 1; "
        "echo ARENA-EXITED $?; sleep 30"
    )
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "140", "-y", "40", command], check=True
    )

    def ready(item: int) -> str:  # the status line names the item whose answers are complete
        return f"Item {item} ready · 1 left · 2 right · 3 tie"

    try:
        _wait_for("Item 1 of 4")
        _wait_for(ready(1))
        _keys("1")
        _wait_for("Item 2 of 4")
        _wait_for(ready(2))
        _keys("r")
        _wait_for("Why?")
        _keys("too vague", "Enter")
        _wait_for("reason: too vague")
        _keys("2")
        _wait_for("Item 3 of 4")
        _keys("u")
        _wait_for("Item 2 of 4")
        _wait_for(ready(2))
        _keys("3")
        _wait_for("Item 3 of 4")
        _wait_for(ready(3))
        _keys("4")
        _wait_for("Item 4 of 4")
        _keys("s")
        _wait_for("All 4 items are rated")
        _keys("Escape")
        screen = _wait_for("ARENA-EXITED")
        assert "ARENA-EXITED 0" in screen and "4 of 4 items rated by ana." in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)

    conn = store.connect()
    rows = [R.decode(r) for r in Q.standing(conn)]
    assert [(r["item_index"], r["vote"]) for r in rows] == [
        (0, "left"),
        (1, "tie"),
        (2, "both_bad"),
        (3, "skip"),
    ]
    undone = R.decode(
        conn.execute("SELECT * FROM ratings WHERE retracted_at IS NOT NULL").fetchone()
    )
    assert (undone["item_index"], undone["vote"], undone["reason"]) == (1, "right", "too vague")

    out = tmp_path / "prefs.jsonl"
    result = subprocess.run(
        [str(parley), "prefs", "export", "--out", str(out)],
        capture_output=True,
        text=True,
        env={"PARLEY_HOME": str(parley_home), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    (pair,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert pair["prompt"][-1] == {"role": "user", "content": "first question"}
    assert pair["chosen"] == [{"role": "assistant", "content": rows[0]["left_text"]}]
    assert pair["rejected"] == [{"role": "assistant", "content": rows[0]["right_text"]}]
    assert pair["chosen_model"] == rows[0]["left_model"]
