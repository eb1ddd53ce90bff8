"""Slash commands, the settings panel, the model switcher, the palette, the help screen, the
keymap from the config file, and tool results in the chat TUI."""

import json
import types
from pathlib import Path

from fake_engine import FakeEngine, make_app, screen_text, send, settle
from textual.widgets import DataTable, Input, TextArea

from assistant import store
from assistant.chat import commands
from assistant.config import Config
from assistant.inference import ToolCall, ToolResult
from assistant.store import conversations as convs
from assistant.tui.help_screen import HelpScreen
from assistant.tui.message_view import AssistantMessageView, ToolMessageView

SIZE = (110, 32)


def _notes(app):
    return [n.message for n in app._notifications]


async def test_system_prompt_export_clear_and_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = FakeEngine(["Oui.", "Yes."])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, '/system "Answer in French."')
        await send(pilot, app, "Is Paris in France?")
        assert engine.calls[0][0] == {"role": "system", "content": "Answer in French."}
        out = tmp_path / "c.jsonl"
        await send(pilot, app, f"/export jsonl {out}")
        assert json.loads(out.read_text())["messages"] == [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Is Paris in France?"},
            {"role": "assistant", "content": "Oui."},
        ]
        assert any(str(out) in n for n in _notes(app))
        await send(pilot, app, f"/export md {tmp_path / 'c.md'}")
        assert "## You\n\nIs Paris in France?" in (tmp_path / "c.md").read_text()
        first = app.conversation.id
        await pilot.press("f3")  # the export key: Markdown to ./parley-ID-title.md
        [md] = tmp_path.glob(f"parley-{first}-*.md")
        assert md.name == f"parley-{first}-is-paris-in-france.md"
        await send(pilot, app, "/clear")  # new conversation, same settings
        assert app.conversation is None and not app.message_views()
        await send(pilot, app, "Again?")
        assert app.conversation.id != first
        assert app.conversation.system_prompt == "Answer in French."
        await send(pilot, app, "/new")
        assert app.conversation is None and len(convs.list_all(store.connect())) == 2


async def test_unknown_command_says_what_is_known_and_gives_the_text_back():
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "/frobnicate now")
        assert any("unknown command /frobnicate; known: /help" in n for n in _notes(app))
        assert app.prompt.value == "/frobnicate now"
        await send(pilot, app, "/model no-such-model")
        assert any("no-such-model" in n for n in _notes(app))
        await send(pilot, app, "//etc is a directory")  # // sends a message starting with /
        assert app.message_views()[0].text == "/etc is a directory"


async def test_settings_panel_changes_sampling_for_this_conversation():
    engine = FakeEngine(["a b c d e f g h"])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#system_prompt", TextArea).text = "Be terse."
        screen.query_one("#temperature", Input).value = "1.5"
        screen.query_one("#max_new_tokens", Input).value = "3"
        screen.query_one("#seed", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not a number" in str(screen.query_one("#settings-error").render())
        screen.query_one("#seed", Input).value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.conversation is None  # nothing stored before the first message
        await send(pilot, app, "Count")
        conv = convs.get(store.connect(), app.conversation.id)
        assert (conv.system_prompt, conv.temperature, conv.max_new_tokens, conv.seed) == (
            "Be terse.", 1.5, 3, 7,
        )  # fmt: skip
        params = engine.params[-1]
        assert (params.temperature, params.max_new_tokens, params.seed) == (1.5, 3, 7)
        view = app.query_one(AssistantMessageView)
        assert view.text == "a b c" and "cut at max tokens" in view.header_text()
        assert view.message.seed == 7 and view.message.params["temperature"] == 1.5
        await pilot.press("ctrl+s")  # now for the open conversation, stored at once
        await pilot.pause()
        app.screen.query_one("#temperature", Input).value = "0"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert convs.get(store.connect(), app.conversation.id).temperature == 0.0


async def test_model_switch_records_the_model_per_message(monkeypatch):
    from assistant import models

    loaded = []

    def factory(model, dtype, progress):
        loaded.append(model)
        return FakeEngine(name=model or "first-model")

    fake_spec = types.SimpleNamespace(name="other-model", kind="local", description="d")
    monkeypatch.setattr(models, "resolve", lambda name: fake_spec)
    monkeypatch.setattr(models, "list_models", lambda: [fake_spec])
    from assistant.tui.app import ChatApp

    app = ChatApp(engine_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hi")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "other-model" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, app)
        await send(pilot, app, "hi again")
        assert loaded == [None, "other-model"]
        models_used = [v.message.model for v in app.query(AssistantMessageView)]
        assert models_used == ["first-model", "other-model"]
        assert "model other-model" in app.status.summary()
        assert convs.get(store.connect(), app.conversation.id).model == "other-model"


async def test_palette_offers_the_chat_actions():
    app = make_app(FakeEngine(["x"]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hello")
        assert app.conversation is not None
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"new conversation")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.conversation is None and not app.message_views()


async def test_help_lists_every_binding_with_keymap_overrides():
    app = make_app(FakeEngine(), config=Config(keymap={"new": "ctrl+g", "thumbs_up": "u"}))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hello")
        await pilot.press("ctrl+g")  # the overridden key works
        await settle(pilot, app)
        assert app.conversation is None
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = [
            [str(c) for c in table.get_row_at(i)]
            for table in app.screen.query(".help-keys").results(DataTable)
            for i in range(table.row_count)
        ]
        by_id = {r[2]: r for r in rows}  # keys, does, id
        assert by_id["new"][0] == "ctrl+g" and by_id["thumbs_up"][0] == "u"
        assert {"stop", "regenerate", "settings", "model", "copy", "help", "delete"} <= set(by_id)
        commands_table = app.screen.query_one("#help-commands", DataTable)
        names = [str(commands_table.get_row_at(i)[0]) for i in range(commands_table.row_count)]
        assert {"/help", "/new", "/model", "/system", "/export", "/clear"} <= set(names)


async def test_tool_commands_show_backend_latency_confidence_and_images(monkeypatch, tmp_path):
    png = tmp_path / "shirt.png"
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(png)
    ran = []

    def run_slash(name, argv, progress=None, cancel=None):
        ran.append((name, argv))
        progress("warming up")
        return types.SimpleNamespace(
            tool=name, backend="bergamot", architecture="transformer", text="boa [i]noite[/i]",
            latency_s=0.25, confidence=0.93, images=[png],
        )  # fmt: skip

    fake = types.SimpleNamespace(names=lambda: ["translate"], run_slash=run_slash)
    monkeypatch.setattr(commands, "tools", fake)
    app = make_app(FakeEngine())
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "/translate --to pt good night")
        assert ran == [("translate", ["--to", "pt", "good", "night"])]
        view = app.query_one(ToolMessageView)
        header = view.header_text()
        assert header == "/translate · bergamot (transformer) · 0.25 s · confidence 0.93"
        shown = screen_text(app)
        assert "boa [i]noite[/i]" in shown and f"image: {png}" in shown
        from textual_image.widget import Image as ImageWidget

        assert view.query_one(ImageWidget).image == str(png)  # shown inline
        row = store.connect().execute("SELECT role, content, meta FROM messages WHERE role='tool'")
        role, content, meta = row.fetchone()
        assert content == "boa [i]noite[/i]" and json.loads(meta)["images"] == [str(png)]
        assert Path(json.loads(meta)["images"][0]).exists()


async def test_tool_calls_the_model_makes_are_shown_with_the_answer():
    script = [
        [
            ToolCall("sentiment", {"text": "great"}),
            ToolResult("sentiment", "vader", "", "positive", latency_s=0.01, confidence=0.98),
            "It reads as positive.",
        ]
    ]
    app = make_app(FakeEngine(script))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "How does 'great' feel?")
        shown = screen_text(app)
        assert "→ tool call sentiment({'text': 'great'})" in shown
        assert "← sentiment via vader, 0.01 s, confidence 0.98: positive" in shown
        assert "It reads as positive." in shown
        meta = app.query_one(AssistantMessageView).message.meta
        assert [e["kind"] for e in meta["tool_events"]] == ["call", "result"]


async def test_arena_command_opens_the_arena():
    from assistant.tui.arena import ArenaScreen

    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        assert "/arena" in commands.complete("/ar")
        await send(pilot, app, "/arena")
        assert any(isinstance(s, ArenaScreen) for s in app.screen_stack)


async def test_slash_autocomplete_suggests_and_lists_commands():
    app = make_app(FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", "e", "x")
        await pilot.pause()
        hints = str(app.query_one("#hints").render())
        assert "/export  export this conversation" in hints
        await pilot.press("right")  # accept the suggestion
        assert app.prompt.value == "/export"
        app.prompt.value = ""
        await pilot.press("/", "h", "e")
        await pilot.pause()
        await pilot.press("end")  # End accepts it too
        assert app.prompt.value == "/help" and app.prompt.cursor_position == len("/help")
        app.prompt.value = "plain text"
        app.prompt.cursor_position = 0
        await pilot.press("end")  # and without a suggestion goes to the end
        assert app.prompt.cursor_position == len("plain text")


async def test_message_keys_follow_the_keymap_too():
    app = make_app(FakeEngine(["ok"]), config=Config(keymap={"thumbs_up": "u"}))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "hi")
        view = app.query_one(AssistantMessageView)
        view.focus()
        await pilot.press("u")
        assert store.connect().execute("SELECT thumbs FROM messages WHERE id = ?",
                                       (view.message.id,)).fetchone()[0] == 1  # fmt: skip
