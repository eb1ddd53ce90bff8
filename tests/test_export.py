"""Export: Markdown to read, TRL conversational JSONL to train on (from the library and the CLI)."""

import json

from click.testing import CliRunner

from assistant import store
from assistant.cli import main
from assistant.export import export, to_markdown
from assistant.store import conversations as convs


def _conversation(conn):
    c = convs.create(conn, title="Capitals", system_prompt="Be brief.")
    q = convs.add_message(conn, c.id, None, "user", "Capital of France?")
    convs.add_message(conn, c.id, q.id, "assistant", "Lyon", model="m")  # regenerated away
    a = convs.add_message(conn, c.id, q.id, "assistant", "**Paris**.", model="smollm2")
    convs.rate(conn, a.id, thumbs=1, stars=5)
    u = convs.add_message(conn, c.id, a.id, "user", "/translate hi", meta={"command": "translate"})
    convs.add_message(conn, c.id, u.id, "tool", "olá", meta={"tool": "translate", "backend": "b"})
    return c


def test_jsonl_is_trl_conversational_for_the_branch_on_screen(tmp_path):
    conn = store.connect()
    c = _conversation(conn)
    out = export(conn, [c.id], "jsonl", tmp_path / "chat.jsonl")
    [line] = out.read_text().splitlines()
    assert json.loads(line) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "**Paris**."},
        ]
    }


def test_markdown_has_the_turns_model_and_rating(tmp_path):
    conn = store.connect()
    c = _conversation(conn)
    md = to_markdown(conn, c.id)
    assert md.startswith("# Capitals\n")
    assert "## You\n\nCapital of France?" in md
    assert "## Assistant (smollm2, 👍, ★★★★★)\n\n**Paris**." in md
    assert "## Tool: translate (b)\n\nolá" in md
    assert "Lyon" not in md  # the other branch is not on screen
    path = export(conn, [c.id], "md", tmp_path)  # a directory: default file name inside
    assert path.name == f"parley-{c.id}-capitals.md" and path.read_text() == md


def test_cli_lists_and_exports(tmp_path):
    conn = store.connect()
    c = _conversation(conn)
    runner = CliRunner()
    listed = runner.invoke(main, ["export", "--list"])
    assert listed.exit_code == 0 and listed.output == f"{c.id}\t5\tCapitals\n"
    target = tmp_path / "all.jsonl"
    done = runner.invoke(main, ["export", "--all", "--format", "jsonl", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert json.loads(target.read_text())["messages"][-1]["content"] == "**Paris**."
    missing = runner.invoke(main, ["export", "99"])
    assert missing.exit_code == 2 and "no conversation with id 99" in missing.output
    none = runner.invoke(main, ["export"])
    assert none.exit_code == 2 and "parley export --list" in none.output
