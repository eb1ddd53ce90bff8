"""Each tool's parameters are declared once (`assistant.tools.params.Param`): the slash command's
parser, `parley tool NAME --help` and the check of a model-written call all come from it."""

from __future__ import annotations

import dataclasses
import doctest

import pytest
from click.testing import CliRunner

from assistant import toolcall, tools
from assistant.cli import main
from assistant.errors import UsageError
from assistant.tools import params
from assistant.tools.params import Param


def test_doctests_pass():
    result = doctest.testmod(params)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize("name", tools.names())
def test_the_parser_reads_each_declared_parameter_as_declared(name):
    tool = tools.get(name)
    actions = {a.dest: a for a in tool.parser()._actions}
    for param in tool.parameters.values():
        action = actions[param.name]  # the keyword `run` takes is the parser's destination
        assert action.help == param.help
        assert tuple(action.option_strings) == param.flags
        if param.choices is not None:
            assert action.metavar == "|".join(map(str, param.choices))


@pytest.mark.parametrize("name", tools.MODEL_CALLS)
def test_what_a_model_may_pass_is_what_the_declaration_marks(name):
    declared = tools.get(name).parameters
    assert toolcall.schemas()[name] == {k: p for k, p in declared.items() if p.model}
    for param in toolcall.schemas()[name].values():
        required = toolcall.validate(name, {})
        if param.model == "required":
            assert required is not None and "missing argument" in required


@pytest.mark.parametrize(
    ("name", "call", "words", "said"),
    [
        ("translate", {"text": "hi", "to": "de"}, ["--to", "de", "hi"], "unknown language 'de'"),
        ("imagine", {"prompt": "a bag", "n": "2"}, ["--n", "two", "a bag"], "invalid int value"),
    ],
)
def test_a_value_the_call_check_refuses_the_parser_refuses_in_one_line(name, call, words, said):
    assert toolcall.validate(name, call) is not None
    with pytest.raises(UsageError) as refused:
        tools.get(name).parse(words)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_a_change_in_the_declaration_shows_in_the_parser_the_help_and_the_call_check():
    """Add Spanish to translate's `to` (choices and help, in one place): the parser accepts it,
    `--help` shows it, and a model's call may carry it."""
    from assistant.tools.translate import TranslateTool

    to = dataclasses.replace(
        TranslateTool.parameters["to"],
        help="target language code: pt, en or es",
        choices=("pt", "en", "es"),
        normalize=None,
    )

    class Spanish(TranslateTool):
        parameters = {**TranslateTool.parameters, "to": to}

    tool = Spanish()
    assert tool.parse(["--to", "es", "hello"])["to"] == "es"
    shown = tool.parser().shell_help("parley tool translate")
    assert "--to pt|en|es, -t pt|en|es" in shown and "pt, en or es" in shown
    assert params.check_call("translate", tool.parameters, {"text": "hi", "to": "es"}) is None
    refused = params.check_call("translate", TranslateTool.parameters, {"text": "hi", "to": "es"})
    assert refused == "translate: 'to' must be one of pt, en, got 'es'"


def test_a_person_may_draw_more_images_than_a_model_call_may_ask_for():
    """imagine's `n`: 1 to 64 from a person, 1 to 8 in a model's call (`model_choices`)."""
    assert tools.get("imagine").parse(["--n", "40", "a bag"])["n"] == 40
    assert "'n' must be one of 1, 2" in toolcall.validate("imagine", {"prompt": "a bag", "n": 40})


def test_a_plugin_may_still_declare_its_parameters_as_plain_help_strings():
    class Echo(tools.Tool):
        name = "echo"
        parameters = {"text": "what to say"}

    assert Echo.parameters == {"text": Param("text", "what to say", cli=False)}
    with pytest.raises(NotImplementedError):
        Echo().parser()


def test_the_shell_help_of_every_tool_is_its_declared_parser():
    """`parley tool NAME --help` of a tool that parses its own words (caption, transcribe, qa)
    reads as the shell command, with its declared flags, not the slash command's usage."""
    for name in ("caption", "transcribe", "qa"):
        helped = CliRunner().invoke(main, ["tool", name, "--help"])
        assert helped.exit_code == 0, helped.output
        assert helped.output.startswith(f"usage: parley tool {name} ")
        for param in tools.get(name).parameters.values():
            assert param.help.split()[0] in helped.output


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["translate", "--bogus", "hi"], "unrecognized arguments: --bogus"),
        (["caption"], "give an image to caption"),
        (["imagine", "--n", "x", "cat"], "invalid int value: 'x'"),
    ],
)
def test_parley_tool_errors_show_the_shell_usage_not_the_slash_command(words, said):
    name = words[0]
    ran = CliRunner().invoke(main, ["tool", *words])
    line = ran.stderr.strip()
    assert ran.exit_code == 2 and "\n" not in line
    assert said in line and f"; usage: parley tool {name} [--backend" in line
    assert f"/{name}" not in line
    with pytest.raises(UsageError, match=rf"; usage: /{name} "):  # the chat's own words
        tools.run_slash(name, words[1:])
