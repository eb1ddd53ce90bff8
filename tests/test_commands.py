"""The slash-command parser shared by the chat and `parley ask`."""

import types

import pytest

from assistant.chat import commands
from assistant.chat.commands import SlashCommand, parse
from assistant.errors import UsageError


def test_parse_commands_with_shell_quoting():
    assert parse('/system "Be brief." --keep') == SlashCommand(
        "system", ["Be brief.", "--keep"], '/system "Be brief." --keep'
    )
    assert parse("  /EXPORT jsonl out.jsonl ") == SlashCommand(
        "export", ["jsonl", "out.jsonl"], "/EXPORT jsonl out.jsonl"
    )
    assert parse("/new") == SlashCommand("new", [], "/new")


@pytest.mark.parametrize("text", ["hello", "", "/", "// not a command", "/usr/bin/env", "/ 2"])
def test_plain_text_is_not_a_command(text):
    assert parse(text) is None


def test_double_slash_sends_a_literal_slash_message():
    assert commands.unescape("//etc/hosts is a file") == "/etc/hosts is a file"
    assert commands.unescape("plain") == "plain"


def test_unclosed_quote_is_one_clear_error():
    with pytest.raises(UsageError, match="/system: No closing quotation"):
        parse('/system "oops')


def test_complete_builtins():
    assert commands.complete("/he") == ["/help"]
    builtins = {"/help", "/new", "/model", "/system", "/export", "/clear"}
    assert builtins <= set(commands.complete("/"))
    assert commands.complete("/zzz") == []
    assert commands.complete("hello") == []
    assert commands.complete("/help me") == []


@pytest.fixture
def fake_tools(monkeypatch):
    calls = []

    def run_slash(name, argv, progress=None, cancel=None):
        calls.append((name, argv))
        return types.SimpleNamespace(tool=name, text=" ".join(argv).upper())

    module = types.SimpleNamespace(
        names=lambda: ["translate", "sentiment"],
        run_slash=run_slash,
        get=lambda n: types.SimpleNamespace(description=f"{n} text"),
    )
    monkeypatch.setattr(commands, "tools", module)
    return calls


def test_tools_join_completion_and_dispatch(fake_tools):
    assert commands.complete("/tr") == ["/translate"]
    assert commands.complete("/s") == ["/sentiment", "/system"]
    assert commands.help_texts()["translate"] == "translate text"
    result = commands.run_tool(parse('/translate --to pt "good night"'))
    assert result.text == "--TO PT GOOD NIGHT"
    assert fake_tools == [("translate", ["--to", "pt", "good night"])]


def test_unknown_command_lists_known_ones(fake_tools):
    with pytest.raises(
        UsageError, match=r"unknown command /frobnicate; known: .*/help.*/translate"
    ):
        commands.run_tool(parse("/frobnicate x"))


def test_parley_ask_routes_tool_commands_through_the_parser(fake_tools, monkeypatch):
    from click.testing import CliRunner

    from assistant.cli import main

    def run_slash(name, argv, progress=None, cancel=None):
        fake_tools.append((name, argv))
        return types.SimpleNamespace(
            tool=name, backend="bergamot", architecture="transformer", text="boa noite",
            latency_s=0.1234, confidence=None, images=[],
        )  # fmt: skip

    monkeypatch.setattr(commands.tools, "run_slash", run_slash)
    runner = CliRunner()
    out = runner.invoke(main, ["ask", '/translate --to pt "good night"'])
    assert out.exit_code == 0 and out.output == "boa noite\n"
    assert fake_tools == [("translate", ["--to", "pt", "good night"])]
    out = runner.invoke(main, ["ask", "/translate hi", "--json"])
    assert '"backend": "bergamot"' in out.output and '"latency_s": 0.123' in out.output
    out = runner.invoke(main, ["ask", "/help"])
    assert out.exit_code == 2
    assert (
        "/help works inside `parley chat`; here only tool commands do (/sentiment, /translate)"
        in out.output
    )
    out = runner.invoke(main, ["ask", "/nope"])
    assert (
        out.exit_code == 2
        and "unknown command /nope; tool commands: /sentiment, /translate" in out.output
    )
