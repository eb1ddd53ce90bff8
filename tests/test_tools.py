"""The tool registry and contract, routing from slash commands, and bad input."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest
from click.testing import CliRunner

from assistant import tools
from assistant.cli import main
from assistant.errors import ToolNotFound, UsageError
from assistant.tools.base import ArgParser, BackendInfo, Output, Tool


class EchoTool(Tool):
    name = "echo"
    description = "Say it back."
    usage = "/echo [--loud] TEXT"
    parameters = {"text": "what to say", "loud": "shout"}

    def backends(self):
        return [
            BackendInfo("plain", "string ops", True, {"accuracy": 1.0}, default=True),
            BackendInfo("other", "string ops", True),
        ]

    def parse(self, argv):
        parser = ArgParser(self)
        parser.add_argument("--loud", action="store_true")
        parser.add_argument("text", nargs="+")
        args = parser.parse(argv)
        args["text"] = " ".join(args["text"])
        return args

    def execute(self, backend, progress=None, text="", loud=False):
        return Output(text.upper() if loud else text, confidence=1.0, data={"backend": backend})


@pytest.fixture
def fake_plugins(monkeypatch):
    """Entry points as a third party's would be: one good, one that fails to import."""
    eps = [
        EntryPoint("echo", f"{__name__}:EchoTool", tools.GROUP),
        EntryPoint("broken", "parley_no_such_plugin:Broken", tools.GROUP),
    ]
    monkeypatch.setattr(tools, "entry_points", lambda group: eps if group == tools.GROUP else [])
    tools.reload()
    yield
    tools.reload()


def test_a_broken_plugin_is_reported_and_skipped(fake_plugins, caplog):
    assert tools.names() == ["echo"]
    assert "broken" in tools.failures()
    assert "No module named 'parley_no_such_plugin'" in tools.failures()["broken"]
    with pytest.raises(ToolNotFound, match=r"broken failed to load.*installed: echo"):
        tools.get("broken")


def test_unknown_tool_lists_the_installed_ones():
    with pytest.raises(ToolNotFound) as e:
        tools.get("fly")
    message = str(e.value)
    for name in ("translate", "sentiment", "summarize"):
        assert name in message


def test_slash_and_call_routing_reach_the_same_tool(fake_plugins):
    slash = tools.run_slash("echo", ["--loud", "hi", "there"])
    assert (slash.tool, slash.backend, slash.text, slash.confidence) == (
        "echo",
        "plain",
        "HI THERE",
        1,
    )
    call = tools.get("echo").run(backend="other", text="hi")
    assert (call.backend, call.text) == ("other", "hi")
    with pytest.raises(UsageError, match="takes no argument colour"):
        tools.get("echo").run(text="hi", colour="red")
    with pytest.raises(UsageError, match="no backend 'gpu'; backends: plain, other"):
        tools.run_slash("echo", ["--backend", "gpu", "hi"])
    with pytest.raises(UsageError, match=r"usage: /echo \[--loud\] TEXT"):
        tools.run_slash("echo", ["--bogus"])


def test_importing_the_registry_does_not_import_torch():
    code = "import sys, assistant.tools as t; t.names(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_translate_bergamot_both_ways_and_pairs():
    result = tools.run_slash("translate", ["--to", "pt", "Good", "morning,", "my", "friend"])
    assert result.backend == "bergamot" and result.text == "Bom dia, meu amigo"
    back = tools.get("translate").run(text="Boa noite, meu amigo")  # source guessed: pt
    assert back.text == "Good night, my friend" and back.data["source"] == "pt"
    with pytest.raises(UsageError, match="unknown language 'fr'; supported pairs: en->pt, pt->en"):
        tools.run_slash("translate", ["--to", "fr", "hello"])
    with pytest.raises(UsageError, match="rnn cannot translate pt->en; supported pairs: en->pt"):
        tools.run_slash("translate", ["--backend", "rnn", "--to", "en", "bom dia"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "empty text"),
        (["   "], "empty text"),
        (["x" * 100_001], "the limit is"),
        (["@/no/such/file.txt"], "cannot read /no/such/file.txt"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message):
    for name in ("translate", "sentiment", "summarize"):
        with pytest.raises(UsageError, match=message):
            tools.run_slash(name, argv)


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café com leite".encode("latin-1"))
    with pytest.raises(UsageError, match="looks binary"):
        tools.run_slash("summarize", [f"@{binary}"])
    with pytest.raises(UsageError, match="not UTF-8"):
        tools.run_slash("sentiment", [f"@{latin}"])


def test_sentiment_vader():
    result = tools.run_slash("sentiment", ["--backend", "vader", "I absolutely loved this film"])
    assert result.data["label"] == "positive"
    assert abs(sum(result.data["probabilities"].values()) - 1) < 1e-6
    bad = tools.get("sentiment").run(backend="vader", text="This is awful, I hate it")
    assert bad.data["label"] == "negative" and bad.confidence == max(
        bad.data["probabilities"].values()
    )


def test_parley_tool_list_and_run():
    runner = CliRunner()
    listed = runner.invoke(main, ["tool", "list"])
    assert listed.exit_code == 0, listed.output
    expected = [
        "translate:",
        "* bergamot",
        "RNN (bi-GRU encoder, GRU decoder, attention)",
        "sentiment:",
        "* encoder",
        "vader",
        "summarize:",
        "extractive",
        "weights present",
    ]
    for text in expected:
        assert text in listed.output
    ran = runner.invoke(main, ["tool", "translate", "--to", "pt", "Good morning, my friend"])
    assert ran.exit_code == 0 and ran.stdout.strip() == "Bom dia, meu amigo"
    assert "bergamot" in ran.stderr
    unknown = runner.invoke(main, ["tool", "fly", "x"])
    assert (
        unknown.exit_code == 1 and "installed:" in unknown.stderr and "translate" in unknown.stderr
    )
    bad = runner.invoke(main, ["tool", "translate", "--to", "xx", "hi"])
    assert bad.exit_code == 2 and "supported pairs" in bad.stderr
    helped = runner.invoke(main, ["tool", "restore", "--help"])
    assert helped.exit_code == 0, helped.output
    for text in (
        "usage: parley tool restore",
        "  --samples K ",
        "fills averaged",
        "backends:",
        "diffusion (default)",
    ):
        assert text in helped.output, text


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_tool_help_reads_as_the_shell_command(flag):
    """`parley tool translate --help` shows the shell syntax and the flags a user types, each
    with its meaning (from the tool's parameters), not the slash command or `run`'s names."""
    helped = CliRunner().invoke(main, ["tool", "translate", flag])
    assert helped.exit_code == 0, helped.output
    text = helped.output
    assert text.startswith("usage: parley tool translate [--backend bergamot|rnn|hf]")
    assert "/translate" not in text and "\n  source " not in text
    for line in (
        "--from en|pt, -f en|pt",
        "source language code (guessed when absent)",
        "--to pt|en, -t pt|en  target language code",
        "--json ",
        "TEXT ",
        "bergamot (default): transformer",
    ):
        assert line in text, line


def test_parley_ask_routes_a_slash_command_to_the_tool():
    result = CliRunner().invoke(main, ["ask", "/translate --to pt good night"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Boa noite"


def test_parley_tool_runs_with_the_thread_setting_of_chat_and_ask(fake_plugins, monkeypatch):
    """`parley tool` applies `threads.quiet_torch_threads` before the tool (and torch) runs, as
    `parley chat` and `parley ask` do: the tool sees MKL held to one thread."""
    import os

    seen = []
    real = EchoTool.execute

    def execute(self, backend, progress=None, **arguments):
        seen.append(os.environ.get("MKL_NUM_THREADS"))
        return real(self, backend, progress, **arguments)

    monkeypatch.setattr(EchoTool, "execute", execute)
    monkeypatch.setenv("MKL_NUM_THREADS", "unset")  # restored after the test
    monkeypatch.delenv("MKL_NUM_THREADS")
    ran = CliRunner().invoke(main, ["tool", "echo", "hi"])
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.strip() == "hi" and seen == ["1"]
