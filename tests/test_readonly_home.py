"""Parley's home is only read by commands that only read: looking up a path creates nothing, and
`parley ask` and `parley models list` work where the home cannot be written to at all.

Tests run as root in CI, and root ignores permission bits, so "cannot be written" is made real by
putting PARLEY_HOME under a regular file: no mkdir or open-for-writing can succeed there."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant import config, models, paths
from assistant.cli import main


@pytest.fixture
def unwritable_home(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    home = blocker / "parley"
    monkeypatch.setenv("PARLEY_HOME", str(home))
    return home


def test_looking_up_paths_models_and_config_creates_nothing(parley_home):
    assert paths.home() == parley_home
    assert paths.models_dir() == parley_home / "models"
    assert paths.database_path().parent == parley_home
    assert paths.config_path().parent == parley_home
    models.list_models()
    models.resolve(None)
    assert not models.is_converted()
    config.load()
    assert not parley_home.exists()


def test_models_list_and_ask_work_from_an_unwritable_home(unwritable_home, tiny_model_dir):
    runner = CliRunner()
    listed = runner.invoke(main, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith("smollm2-135m-instruct (default)")
    args = ["ask", "--model", str(tiny_model_dir), "-n", "3", "--seed", "1", "--json", "Hi"]
    asked = runner.invoke(main, args)
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout.strip().splitlines()[-1])["completion_tokens"] >= 1


def test_converting_the_embedded_model_into_an_unwritable_home_is_one_line(
    unwritable_home, monkeypatch
):
    monkeypatch.setenv("PARLEY_BACKEND", "transformers")  # llama.cpp reads the GGUF as it is
    result = CliRunner().invoke(main, ["ask", "Hi"])
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("parley: error: the embedded model is converted once into ")
    assert "set PARLEY_HOME to a writable directory" in error
    assert "Traceback" not in result.output
