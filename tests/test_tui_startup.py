"""Starting `parley chat`: the first frame comes without torch, a bad config is one clear line,
and the real command works in a real terminal (tmux): answer, quit, relaunch, the chat is listed."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def test_first_frame_is_up_with_the_prompt_focused_before_torch_is_imported(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio, sys, threading
        from assistant.tui.app import ChatApp
        from assistant.chat.session import load_engine

        release = threading.Event()
        seen = {}

        def factory(model, dtype, progress):
            seen["torch when loading starts"] = "torch" in sys.modules
            release.wait(20)
            raise RuntimeError("test over")

        async def main():
            assert ChatApp().session.engine_factory is load_engine  # the real path imports lazily
            app = ChatApp(engine_factory=factory)
            async with app.run_test(size=(100, 30)) as pilot:
                first = {"focused": app.focused is app.prompt, "torch": "torch" in sys.modules}
                await pilot.press("f1"); await pilot.pause(); await pilot.press("escape")
                await pilot.press("ctrl+s"); await pilot.pause(); await pilot.press("escape")
                await pilot.press("ctrl+o"); await pilot.pause(); await pilot.press("escape")
                first["torch after screens"] = "torch" in sys.modules
                release.set()
            print(first, seen)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PARLEY_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(
        "{'focused': True, 'torch': False, 'torch after screens': False} "
        "{'torch when loading starts': False}"
    )


def test_a_bad_config_file_is_one_clear_line(parley_home):
    parley_home.mkdir(parents=True, exist_ok=True)
    (parley_home / "config.toml").write_text("[chat]\ntemperature = 'hot'\n")
    result = CliRunner().invoke(main, ["chat"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"parley: error: {parley_home / 'config.toml'}: chat.temperature has the wrong type ('hot')"
    )
    (parley_home / "config.toml").write_text("[keymap\n")
    result = CliRunner().invoke(main, ["chat"])
    assert result.exit_code == 2 and "not valid TOML" in result.output
    assert len(result.output.strip().splitlines()) == 1
    (parley_home / "config.toml").unlink()
    result = CliRunner().invoke(main, ["chat", "--model", "no-such-model"])
    assert result.exit_code == 1 and result.output.startswith("parley: error: ")
    assert "no-such-model" in result.output and len(result.output.strip().splitlines()) == 1


def test_config_yaml_and_unknown_keys(parley_home):
    from assistant import config
    from assistant.errors import ConfigError

    parley_home.mkdir(parents=True, exist_ok=True)
    path = parley_home / "config.yaml"
    path.write_text("chat:\n  model: my-sft\nkeymap:\n  stop: ctrl+x\n")
    loaded = config.load()
    assert (loaded.chat, loaded.keymap, loaded.path) == (
        {"model": "my-sft"},
        {"stop": "ctrl+x"},
        path,
    )
    path.write_text("chat:\n  modle: my-sft\n")
    with pytest.raises(ConfigError, match="unknown key chat.modle; known: dtype, max_new_tokens"):
        config.load()
    path.write_text("colours: {}\n")
    with pytest.raises(ConfigError, match="unknown section"):
        config.load()
    path.write_text("chat: [1\n")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 2\)"):
        config.load()


def test_chat_flags_win_over_the_config_file(parley_home, monkeypatch):
    from assistant.tui.app import ChatApp

    parley_home.mkdir(parents=True, exist_ok=True)
    (parley_home / "config.toml").write_text(
        '[chat]\ntemperature = 0.9\nseed = 3\nsystem_prompt = "From config."\n'
        '[keymap]\nnew = "ctrl+g"\n'
    )
    started = []
    monkeypatch.setattr(ChatApp, "run", lambda self: started.append(self))
    model_dir = parley_home / "my-model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    result = CliRunner().invoke(main, ["chat", "--temperature", "0.5", "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    [app] = started
    assert app.defaults == {"temperature": 0.5, "seed": 3, "system_prompt": "From config."}
    assert app.config.keymap == {"new": "ctrl+g"} and app.model_name == str(model_dir)


class Tmux:
    """One private tmux server (its own socket) running one window."""

    def __init__(self, tmp_path: Path):
        self.socket = f"parley-test-{os.getpid()}-{tmp_path.name}"

    def run(self, *args: str) -> str:
        cmd = ["tmux", "-L", self.socket, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def start(self, command: str) -> None:
        self.run("new-session", "-d", "-s", "t", "-x", "120", "-y", "32", command)
        self.run("resize-window", "-t", "t", "-x", "120", "-y", "32")

    def restart(self, command: str) -> None:
        self.run("respawn-pane", "-k", "-t", "t", command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 30.0, regex: bool = False) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            found = re.search(text, screen) is not None if regex else text in screen
            if found:
                return screen
            if "PARLEY-EXITED" in screen:  # it quit or crashed: show what it printed
                history = self.run("capture-pane", "-p", "-t", "t", "-S", "-200")
                raise AssertionError(f"parley exited while waiting for {text!r}:\n{history}")
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def _chat_command(home: Path, extra: str = "") -> str:
    parley = Path(sys.executable).parent / "parley"
    return (
        f"cd {ROOT} && unset COLUMNS LINES && PARLEY_HOME={home} PYTHONPATH={ROOT}:{TESTS} {extra} "
        f"{parley} chat --engine fake_engine:factory; echo PARLEY-EXITED $?; sleep 120"
    )


@pytest.fixture
def tmux(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    session = Tmux(tmp_path)
    yield session
    session.kill()


def test_parley_chat_in_a_real_terminal(tmux, parley_home):
    script = json.dumps(["The capital of France is Paris. [bold red]x[/] \x1b[31mred"])
    env = f"PARLEY_FAKE_SCRIPT='{script}' PARLEY_FAKE_LOAD_S=1"
    tmux.start(_chat_command(parley_home, env))
    tmux.wait_for("Ask anything")
    tmux.keys("What is the capital of France?", "Enter")
    screen = tmux.wait_for("The capital of France is Paris. [bold red]x[/] red")
    assert "\x1b" not in screen
    tmux.wait_for("tok/s")
    tmux.keys("C-q")
    tmux.wait_for("PARLEY-EXITED 0")
    tmux.restart(_chat_command(parley_home))
    screen = tmux.wait_for("What is the capital of")  # the sidebar lists it
    assert "Paris" not in screen  # as a list entry: the chat opens when picked
    tmux.keys("C-q")
    tmux.wait_for("PARLEY-EXITED 0")


def test_pastes_in_a_real_terminal_arrive_once_and_keep_every_line(tmux, parley_home):
    # tmux's paste-buffer sends a bracketed paste with CR line ends, as xterm, VTE and iTerm do
    script = json.dumps(["Got every line."])
    tmux.start(_chat_command(parley_home, f"PARLEY_FAKE_SCRIPT='{script}'"))
    tmux.wait_for("Ask anything")
    tmux.run("set-buffer", "Plain paste one two")
    tmux.run("paste-buffer", "-p", "-t", "t")
    screen = tmux.wait_for("Plain paste one two")
    assert "twoPlain" not in screen
    tmux.keys("C-u")
    tmux.wait_for("Ask anything")  # the prompt is empty again
    tmux.run("set-buffer", "first line\nsecond line\nthird line")
    tmux.run("paste-buffer", "-p", "-t", "t")
    tmux.wait_for("ctrl+s sends")  # the composer
    tmux.keys("C-s")
    tmux.wait_for("Got every line.")
    tmux.keys("C-q")
    tmux.wait_for("PARLEY-EXITED 0")
    from assistant import store

    conn = store.connect(parley_home / "parley.db")
    [question] = conn.execute("SELECT content FROM messages WHERE role = 'user'").fetchall()
    assert question["content"] == "first line\nsecond line\nthird line"


@pytest.mark.slow
def test_real_model_in_tmux_answers_paris_and_esc_stops(tmux, embedded_ready, parley_home):
    parley = Path(sys.executable).parent / "parley"
    tmux.start(
        f"cd {ROOT} && unset COLUMNS LINES && PARLEY_HOME={parley_home} {parley} chat "
        "--temperature 0 --max-new-tokens 2000; echo PARLEY-EXITED $?; sleep 120"
    )
    tmux.wait_for("Ask anything")
    tmux.keys("What is the capital of France?", "Enter")
    tmux.wait_for("Paris", timeout=90)
    tmux.wait_for(r"instruct · [\d.]+ tok/s", timeout=60, regex=True)  # complete: speed shown
    tmux.keys("Write a very long story about a dragon, with many chapters.", "Enter")
    # "thinking…" lasts only until the first token (~0.2 s): wait for the prompt instead, then
    # stop well inside the answer (2,000 tokens take 15 s even at 130 tok/s).
    tmux.wait_for("many chapters.", timeout=30)
    time.sleep(2)
    tmux.keys("Escape")
    tmux.wait_for("■ stopped", timeout=30)
    tmux.keys("C-q")
    tmux.wait_for("PARLEY-EXITED 0")
    from assistant import store

    conn = store.connect(parley_home / "parley.db")
    rows = conn.execute("SELECT role, content, finish_reason FROM messages ORDER BY id").fetchall()
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert "Paris" in rows[1]["content"]
    assert rows[3]["finish_reason"] == "stopped" and rows[3]["content"].strip()


def test_an_image_in_a_real_terminal_asks_about_graphics_only_when_shown(tmux, parley_home):
    # tmux is no graphics terminal: no question before the first frame; the first image asks
    # with the app suspended, then shows (half cells here) and the chat goes on.
    tmux.start(_chat_command(parley_home, "TERM=tmux-256color"))
    tmux.wait_for("Ask anything")
    tmux.keys("/imagine a sneaker --arch gan --n 1 --seed 1", "Enter")
    screen = tmux.wait_for("image:", timeout=90)
    assert screen.count("▀") + screen.count("▄") > 100  # drawn, not only named
    tmux.keys("/new", "Enter")  # the app still takes keys: a new, empty conversation
    deadline = time.monotonic() + 30
    while "image:" in tmux.screen() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "image:" not in tmux.screen()
    tmux.keys("C-q")
    tmux.wait_for("PARLEY-EXITED 0")


def test_graphics_are_asked_before_the_first_frame_only_in_graphics_terminals():
    from assistant.tui import graphics_terminal

    assert graphics_terminal({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"})
    assert graphics_terminal({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"})
    assert not graphics_terminal({"TERM": "xterm-256color", "TERM_PROGRAM": "Apple_Terminal"})
    assert graphics_terminal({"TERM": "tmux-256color", "PARLEY_IMAGES": "query"})
    assert not graphics_terminal({"TERM": "xterm-kitty", "PARLEY_IMAGES": "halfcell"})
