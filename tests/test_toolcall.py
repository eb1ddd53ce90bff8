"""The tool-call format the chat model writes and the engine parses (`assistant.toolcall`)."""

from __future__ import annotations

import doctest

import pytest

from assistant import toolcall
from assistant.toolcall import find_partial_start, parse, render, strip_calls, validate


def test_doctests_pass():
    result = doctest.testmod(toolcall)
    assert result.attempted > 5 and result.failed == 0


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("translate", {"text": "good night", "to": "pt"}),
        ("translate", {"text": "boa noite, até amanhã", "to": "en"}),
        ("sentiment", {"text": 'He said "awful" twice.'}),
        ("summarize", {"text": "Line one.\nLine two </tool_ca"}),
        ("imagine", {"prompt": "a red sneaker", "n": 2}),
        ("imagine", {"prompt": "a bag"}),
    ],
)
def test_render_then_parse_round_trips(name, arguments):
    text = "Here you go: " + render(name, arguments)
    [call] = parse(text)
    assert (call.name, call.arguments, call.error) == (name, arguments, None)
    assert text[call.start : call.end] == render(name, arguments)
    assert strip_calls(text) == "Here you go:"


def test_several_calls_in_order():
    text = render("sentiment", {"text": "ok"}) + "\n" + render("summarize", {"text": "long"})
    assert [c.name for c in parse(text)] == ["sentiment", "summarize"]


def test_broken_calls_are_reported_not_dropped():
    calls = parse('<tool_call>{"name": "translate", "arguments": {"text": </tool_call>')
    assert len(calls) == 1 and calls[0].error.startswith("not JSON")
    [call] = parse('<tool_call>{"name": "translate", "arguments": {"text": "hi"}}</tool_call>')
    assert call.name == "translate" and call.error == "translate: missing argument 'to'"
    [call] = parse('<tool_call>["translate"]</tool_call>')
    assert not call.ok


@pytest.mark.parametrize(
    ("name", "arguments", "fragment"),
    [
        ("translate", {"text": "hi", "to": "de"}, "must be one of pt, en"),
        ("sentiment", {"text": ""}, "is empty"),
        ("sentiment", {"text": "x", "lang": "en"}, "unknown argument(s) lang"),
        ("imagine", {"prompt": "cat", "n": 40}, "'n' must be one of"),
        ("imagine", {"prompt": "cat", "n": True}, "must be int"),
        ("summarise", {"text": "x"}, "unknown tool 'summarise'; known: translate"),
    ],
)
def test_validate_names_the_problem(name, arguments, fragment):
    assert fragment in validate(name, arguments)


def test_unclosed_call_is_not_a_call_but_a_partial():
    text = 'Okay. <tool_call>{"name": "sentiment", "arguments": {"text": "gr'
    assert parse(text) == []
    assert find_partial_start(text) == len("Okay. ")


@pytest.mark.parametrize("tail", ["<", "<t", "<tool_", "<tool_call"])
def test_tag_prefix_at_the_end_is_held_back(tail):
    assert find_partial_start("Sure " + tail) == len("Sure ")


def test_plain_angle_brackets_are_not_held_back():
    assert find_partial_start("a < b and <b>bold</b>") is None
