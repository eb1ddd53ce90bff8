"""The chat's inference backend (`parley chat --backend`, or $PARLEY_BACKEND) reaches every model
the chat loads: its own engine, the tools' llm backend (/summarize, /ask) and the contenders of an
arena started with /arena. A fake `load_engine` records the backend each load asked for."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fake_engine import FakeEngine, make_app, send, settle
from test_chat_session import ToolFeedRecorder

from assistant.chat import commands
from assistant.chat.session import ChatSession

TEXT = "The council met on Monday to discuss the bus routes. It will vote next month."


@pytest.fixture
def loads(monkeypatch) -> list[tuple[str | None, str]]:
    """(model, backend) of every engine loaded, in order; each load gets a scripted fake."""
    from assistant import inference
    from assistant.tools import llm

    asked: list[tuple[str | None, str]] = []

    def fake_load_engine(model=None, *, backend="auto", progress=None, **options):
        asked.append((model, backend))
        return FakeEngine(["A short answer."] * 4, name=model or "embedded")

    monkeypatch.setattr(inference, "load_engine", fake_load_engine)
    monkeypatch.setattr(llm, "_engines", {})  # the tools' cache: nothing loaded yet
    return asked


def test_parley_chat_backend_is_the_sessions(monkeypatch, tmp_path):
    from assistant.cli import main
    from assistant.tui.app import ChatApp

    seen = []
    monkeypatch.setattr(ChatApp, "run", lambda app: seen.append(app.session.backend))
    monkeypatch.setenv("PARLEY_BACKEND", "transformers")
    result = CliRunner().invoke(main, ["chat", "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        main, ["chat", "--db", str(tmp_path / "p.db"), "--backend", "llamacpp"]
    )
    assert result.exit_code == 0, result.output
    assert seen == ["transformers", "llamacpp"]


def test_the_chats_backend_reaches_its_engine_and_the_tools_llm_backend(loads):
    session = ChatSession(backend="transformers")
    session.load(None, session.begin_load(), lambda message: None)
    command = commands.parse(f"/summarize --backend llm {TEXT}")
    user, _, cancel = session.start_tool(command)
    feed = ToolFeedRecorder()
    message = session.run_tool(command, user, cancel, feed)
    assert feed.errors == [] and message is not None
    assert (message.content, message.meta["backend"]) == ("A short answer.", "llm")
    assert loads == [(None, "transformers"), (None, "transformers")]


async def test_an_arena_started_in_the_chat_loads_its_models_on_the_chats_backend(loads, tmp_path):
    from assistant.tui.arena import ArenaScreen
    from assistant.tui.arena_dialogs import ArenaSetupDialog

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Name a colour.\n")
    app = make_app(FakeEngine(name="fake-model"), backend="transformers")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, app, "/arena")
        assert isinstance(app.screen, ArenaSetupDialog)
        app.screen.query_one("#setup-prompts").value = str(prompts)
        app.screen.query_one("#setup-models").value = "other@temperature=0.2,other@seed=3"
        app.screen.query_one("#setup-annotator").value = "ana"
        app.screen.query_one("#setup-prompts").focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ArenaScreen)
    assert loads == [("other", "transformers")]
