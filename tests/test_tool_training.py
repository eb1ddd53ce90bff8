"""Every tool trainer has one entry shape, and trained tool weights have one `$PARLEY_HOME` layout.

The trainings themselves are tested beside each tool (test_images, test_restore, test_caption,
test_qa, test_transcribe, test_tools_models); these are about what they share.
"""

from __future__ import annotations

import subprocess
import sys

from assistant.tools import trained


def test_every_tool_trainer_lists_its_settings_without_importing_torch():
    from assistant.cli.train_tools import TRAINERS

    code = (
        "import sys\n"
        "from assistant.cli import main\n"
        f"for name in {sorted(TRAINERS)!r}:\n"
        "    try:\n"
        "        main(['train', name, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for name in TRAINERS:
        assert f"usage: parley train {name} " in out.stdout, name
    assert out.stdout.count("--output-dir OUTPUT_DIR") >= len(TRAINERS)
    assert "(default $PARLEY_HOME/tools/translate/rnn)" in " ".join(out.stdout.split())
    assert "HEAVY []" in out.stdout, out.stdout


def _touch(directory, *names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(b"weights")


def test_weights_trained_before_the_one_layout_are_still_found(parley_home):
    from assistant.tools import imagine, translate
    from assistant.tools.restore.model import default_weights

    old_rnn = parley_home / "tools" / "translate-rnn"
    _touch(old_rnn, "model.safetensors", "tokenizer.json")
    _touch(parley_home / "models" / "imagine", "gan.safetensors")
    _touch(parley_home / "models" / "restore", "restore-unet.safetensors")
    assert translate.weights_dir() == old_rnn
    assert imagine.weights_path("gan") == parley_home / "models" / "imagine" / "gan.safetensors"
    assert default_weights() == parley_home / "models/restore/restore-unet.safetensors"
    # the new place wins over the old one
    _touch(parley_home / "tools" / "translate" / "rnn", "model.safetensors", "tokenizer.json")
    assert translate.weights_dir() == parley_home / "tools" / "translate" / "rnn"
    # an incomplete directory is passed over: the shipped weights answer
    _touch(parley_home / "tools" / "imagine" / "vae", "checkpoint-vae.safetensors")
    assert imagine.weights_path("vae") == imagine.WEIGHTS_DIR / "vae.safetensors"


def test_training_into_the_default_place_moves_that_models_old_files_there(parley_home):
    old = parley_home / "models" / "imagine"
    _touch(old, "gan.safetensors", "checkpoint-gan.safetensors", "samples-gan-epoch-1.png")
    _touch(old, "vae.safetensors", "checkpoint-vae.safetensors")

    out = trained.output_dir(None, "imagine", "gan")

    assert out == parley_home / "tools" / "imagine" / "gan"
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint-gan.safetensors",
        "gan.safetensors",
        "samples-gan-epoch-1.png",
    ]
    assert sorted(p.name for p in old.iterdir()) == [
        "checkpoint-vae.safetensors",
        "vae.safetensors",
    ]
    # an explicit --output-dir is used as given, and nothing moves
    assert trained.output_dir("/elsewhere", "imagine", "vae").as_posix() == "/elsewhere"
    assert (old / "vae.safetensors").is_file()
