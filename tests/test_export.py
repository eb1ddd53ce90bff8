"""Export: Markdown to read, TRL conversational JSONL to train on (from the library and the CLI)."""

import json

from click.testing import CliRunner

from assistant import store
from assistant.cli import main
from assistant.rate.export import export, to_markdown
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


def _with_unfinished_answers(conn):
    """A complete answer, then one stopped (esc) and, in another chat, one cut at the limit."""
    c = convs.create(conn, title="Stops")
    q1 = convs.add_message(conn, c.id, None, "user", "Capital of France?")
    a1 = convs.add_message(conn, c.id, q1.id, "assistant", "Paris.", finish_reason="eos")
    q2 = convs.add_message(conn, c.id, a1.id, "user", "And of Spain?")
    a2 = convs.add_message(conn, c.id, q2.id, "assistant", "The capi", finish_reason="stopped")
    q3 = convs.add_message(conn, c.id, a2.id, "user", "Go on.")
    convs.add_message(conn, c.id, q3.id, "assistant", "Madrid.", finish_reason="eos")
    cut = convs.create(conn, title="Long")
    q = convs.add_message(conn, cut.id, None, "user", "Tell me a long story.")
    convs.add_message(conn, cut.id, q.id, "assistant", "Once upon a", finish_reason="length")
    return c, cut


def test_jsonl_leaves_out_stopped_and_cut_off_answers_unless_asked(tmp_path):
    conn = store.connect()
    c, cut = _with_unfinished_answers(conn)
    out = export(conn, [c.id, cut.id], "jsonl", tmp_path / "sft.jsonl")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    # The record ends at the last complete answer; the cut-off chat has none and is left out.
    assert records == [
        {
            "messages": [
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ]
        }
    ]
    kept = export(conn, [c.id, cut.id], "jsonl", tmp_path / "all.jsonl", include_stopped=True)
    lines = kept.read_text().splitlines()
    texts = [[m["content"] for m in json.loads(line)["messages"]] for line in lines]
    assert texts == [
        ["Capital of France?", "Paris.", "And of Spain?", "The capi", "Go on.", "Madrid."],
        ["Tell me a long story.", "Once upon a"],
    ]
    # Markdown is for reading: all of it, marked
    assert "## Assistant (assistant, stopped)\n\nThe capi" in to_markdown(conn, c.id)
    assert "(assistant, cut off at the token limit)\n\nOnce upon a" in to_markdown(conn, cut.id)


def test_cli_export_says_what_it_left_out_and_include_stopped_keeps_it(tmp_path):
    conn = store.connect()
    c, _ = _with_unfinished_answers(conn)
    target = tmp_path / "sft.jsonl"
    done = CliRunner().invoke(main, ["export", str(c.id), "--format", "jsonl", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert "left out 1 stopped or cut-off answer(s)" in done.stderr
    assert "The capi" not in target.read_text()
    args = ["export", str(c.id), "--format", "jsonl", "-o", str(target), "--include-stopped"]
    kept = CliRunner().invoke(main, args)
    assert kept.exit_code == 0 and "left out" not in kept.stderr
    assert "The capi" in target.read_text()


def test_jsonl_of_a_chat_with_only_tool_commands_writes_nothing_and_says_so(tmp_path):
    conn = store.connect()
    tools = convs.create(conn, title="Tools")
    u = convs.add_message(conn, tools.id, None, "user", "/translate hi", meta={"command": "t"})
    convs.add_message(conn, tools.id, u.id, "tool", "olá", meta={"tool": "translate"})
    target = tmp_path / "sft.jsonl"
    result = CliRunner().invoke(
        main, ["export", str(tools.id), "--format", "jsonl", "-o", str(target)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "parley: error: nothing to train on: this conversation has no complete answer from the "
        "model (slash commands and tool output are not training data); no file written\n"
    )
    assert not target.exists() and not target.with_name("sft.jsonl.tmp").exists()
    stopped, _ = _with_unfinished_answers(conn)
    cut = convs.create(conn, title="Cut")
    q = convs.add_message(conn, cut.id, None, "user", "Story?")
    convs.add_message(conn, cut.id, q.id, "assistant", "Once", finish_reason="length")
    only_cut = CliRunner().invoke(main, ["export", str(cut.id), "--format", "jsonl"])
    assert only_cut.exit_code == 2
    assert "(only stopped or cut-off ones: --include-stopped keeps them)" in only_cut.stderr
    both = CliRunner().invoke(
        main, ["export", str(tools.id), str(stopped.id), "--format", "jsonl", "-o", str(target)]
    )
    assert both.exit_code == 0, both.output  # one of them has something: that is written
    assert len(target.read_text().splitlines()) == 1
    markdown = CliRunner().invoke(main, ["export", str(tools.id), "-o", str(tmp_path / "t.md")])
    assert markdown.exit_code == 0  # Markdown is for reading: the tool output is in it
