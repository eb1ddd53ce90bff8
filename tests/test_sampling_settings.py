"""The sampling settings are declared once (`assistant.sampling.SETTINGS`): the engine's
parameters, the CLI's options, the config file's keys and the chat's settings screen all follow
that one declaration."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from assistant import config
from assistant.cli import main
from assistant.errors import ConfigError, UsageError
from assistant.inference import PER_CHAT, SETTINGS, GenerationParams


def test_generation_params_are_the_declared_settings_with_their_defaults():
    fields = dataclasses.fields(GenerationParams)
    assert [f.name for f in fields] == list(SETTINGS)
    assert GenerationParams().to_dict() == {n: s.default for n, s in SETTINGS.items()}
    assert (SETTINGS["temperature"].default, SETTINGS["top_p"].default) == (0.2, 0.9)
    assert SETTINGS["max_new_tokens"].default == 512
    assert SETTINGS["repetition_penalty"].default == 1.1
    with pytest.raises(TypeError):
        GenerationParams(0.7)  # by keyword only: a new setting cannot shift the others
    with pytest.raises(UsageError, match=r"top_p must be in \(0, 1\], got 0"):
        GenerationParams(top_p=0)


def _options(command: str) -> dict:
    return {p.name: p for p in main.get_command(None, command).params}


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_ask_and_chat_offer_every_per_chat_setting_with_its_default_and_range(command):
    options = _options(command)
    for setting in PER_CHAT:
        option = options[setting.name]
        assert option.default == setting.default and setting.flag in option.opts
    runner = CliRunner()
    result = runner.invoke(main, [command, "--top-p", "0", "x"])
    assert result.exit_code == 2 and "0<x<=1" in result.output
    result = runner.invoke(main, ["ask", "--help"])
    assert "0 means greedy. [default: 0.2; x>=0]" in " ".join(result.output.split())


def test_eval_chat_defers_to_parleys_defaults_and_says_them():
    names = {p.name: p for p in main.get_command(None, "eval").commands["chat"].params}
    assert all(names[n].default is None for n in ("temperature", "top_p", "repetition_penalty"))
    help_text = " ".join(CliRunner().invoke(main, ["eval", "chat", "--help"]).output.split())
    assert "[default: Parley's, 0.2]" in help_text and "[default: Parley's, 1.1]" in help_text


def test_config_keys_follow_the_declaration(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[chat]\ntemperature = 1\ntop_p = 0.5\nmax_new_tokens = 64\nseed = 3\n")
    assert config.load(path).chat == {
        "temperature": 1,
        "top_p": 0.5,
        "max_new_tokens": 64,
        "seed": 3,
    }
    path.write_text("[chat]\nmax_new_tokens = 6.5\n")
    with pytest.raises(ConfigError, match="chat.max_new_tokens has the wrong type"):
        config.load(path)
    path.write_text("[chat]\nrepetition_penalty = 1.2\n")  # not a per-conversation setting
    with pytest.raises(ConfigError, match="unknown key chat.repetition_penalty"):
        config.load(path)


def test_the_settings_screen_checks_each_field_as_declared():
    from assistant.tui.settings_screen import FIELDS, check

    assert [name for name, _ in FIELDS] == [s.name for s in PER_CHAT]
    form = {"temperature": "0.7", "top_p": "1", "max_new_tokens": "64", "seed": " "}
    assert check(form) == {"temperature": 0.7, "top_p": 1.0, "max_new_tokens": 64, "seed": None}
    for field, bad, message in [
        ("temperature", "-1", "temperature must be >= 0"),
        ("top_p", "0", "top_p must be in (0, 1]"),
        ("max_new_tokens", "0", "max new tokens must be >= 1"),
        ("seed", "x", "not a number"),
    ]:
        with pytest.raises(ValueError) as caught:
            check({**form, field: bad})
        assert message in str(caught.value)


def test_a_conversation_keeps_the_per_chat_settings_with_their_declared_defaults(
    tmp_path, monkeypatch
):
    """The store lists no sampling setting of its own: its conversation settings and a new
    conversation's defaults come from the declaration (`assistant.sampling`), which the store
    may import (it may not import inference)."""
    from assistant import store
    from assistant.store import conversations as convs

    names = [s.name for s in PER_CHAT]
    assert list(convs.SETTINGS) == ["system_prompt", "model", *names]
    assert set(names) <= {f.name for f in dataclasses.fields(convs.Conversation)}
    conn = store.connect(tmp_path / "p.db")
    fresh = convs.create(conn)
    assert {n: getattr(fresh, n) for n in names} == {s.name: s.default for s in PER_CHAT}
    hotter = tuple(
        dataclasses.replace(s, default=0.7) if s.name == "temperature" else s for s in PER_CHAT
    )
    monkeypatch.setattr(convs, "PER_CHAT", hotter)  # a new default, declared in one place
    assert convs.create(conn).temperature == 0.7
