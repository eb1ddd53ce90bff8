"""The caption tool: bad input is one clear line, a model's call never opens a file, the shipped
captioner names pictures like those it learned, the trainer's loss falls, and `/caption @FILE`
shows the image with its caption in the chat.

    .venv/bin/pytest -q tests/test_caption.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assistant import tools
from assistant.errors import DataError, UsageError

FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
needs_font = pytest.mark.skipif(not FONT.is_file(), reason="apt-get install fonts-noto-color-emoji")
needs_fashion = pytest.mark.skipif(not FASHION.is_file(), reason="needs dataset-fashion-mnist")


def _emoji_png(path: Path, char: str) -> Path:
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 109, layout_engine=ImageFont.Layout.BASIC)
    canvas = Image.new("RGBA", (136, 128), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((0, 0), char, font=font, embedded_color=True)
    canvas.save(path)
    return path


def test_not_an_image_is_one_line(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is text, not pixels")
    with pytest.raises(DataError, match=r"notes.png is not an image Parley can read"):
        tools.run_slash("caption", [f"@{fake}"])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="is empty"):
        tools.run_slash("caption", [str(empty)])
    with pytest.raises(UsageError, match="no such image"):
        tools.run_slash("caption", [f"@{tmp_path / 'missing.png'}"])
    with pytest.raises(UsageError, match="give an image to caption"):
        tools.run_slash("caption", [])


def test_beam_width_is_checked(tmp_path):
    path = tmp_path / "grey.png"
    Image.new("RGB", (32, 32), (128, 128, 128)).save(path)
    with pytest.raises(UsageError, match="--beam must be 1 to 10; got 0"):
        tools.run_slash("caption", [str(path), "--beam", "0"])


def test_a_model_call_cannot_open_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret.png"
    Image.new("RGB", (32, 32)).save(secret)
    opened = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or None)
    with pytest.raises(UsageError, match=rf"type /caption @{secret}"):
        tools.run_call("caption", {"image": str(secret)})
    with pytest.raises(UsageError, match="type /caption @"):
        tools.run_call("caption", {"image": f"@{secret}"})
    assert opened == []


@needs_font
def test_the_shipped_captioner_names_emoji_it_learned(tmp_path):
    from assistant.tools.caption.data import emoji_split, on_white

    rgba, names = emoji_split("train")
    rgb, names = on_white(rgba[::10]), names[::10]  # 116 emoji it was trained on
    said = []
    for pixels in rgb:
        path = tmp_path / "emoji.png"
        Image.fromarray(pixels.transpose(1, 2, 0)).save(path)
        result = tools.run_slash("caption", [f"@{path}"])
        assert result.images == [path] and 0 < result.confidence <= 1
        said.append(result.text)
    right = sum(s == n for s, n in zip(said, names, strict=True))
    assert right >= 5, "the shipped weights named 10 of these 116 exactly when they were made"


@needs_font
@needs_fashion
def test_a_clothing_scene_gets_its_items_in_reading_order():
    from assistant.tools.caption.data import scenes

    pixels, captions = scenes("test", 12, seed=3)
    from assistant.tools.caption import model, weights_dir

    directory = weights_dir()
    said = [model.caption(Image.fromarray(p.transpose(1, 2, 0)), directory)[0] for p in pixels]
    assert sum(s == c for s, c in zip(said, captions, strict=True)) >= 6, list(
        zip(said, captions, strict=True)
    )


@needs_font
@needs_fashion
def test_the_trainer_lowers_its_loss_on_tiny_data(tmp_path):
    from assistant.tools.caption.train import CaptionTrainConfig, train

    out = train(
        CaptionTrainConfig(output_dir=str(tmp_path / "cap"), steps=24, batch_size=8, eval_every=8,
                           emoji_limit=8, channels=16, hidden_dim=32, lr=5e-3),
        progress=False, log=lambda *_: None,
    )  # fmt: skip
    meta = json.loads((out / "config.json").read_text())
    assert meta["steps"] == 24 and len(meta["train_loss"]) == 3
    assert meta["train_loss"][-1] < meta["train_loss"][0]
    from assistant.tools.caption import model

    text, _ = model.caption(Image.new("RGB", (64, 64), "white"), out)
    assert isinstance(text, str)


def test_caption_help_says_what_it_knows():
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "tool", "caption", "--help"],
                         capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "emoji" in run.stdout and "never seen a photo" in run.stdout


def test_a_bad_image_from_the_shell_is_one_line_on_stderr(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(np.arange(200, dtype=np.uint8).tobytes())
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PARLEY_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "tool", "caption", str(fake)],
                         capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "is not an image Parley can read" in run.stderr and "Traceback" not in run.stderr


@needs_font
async def test_caption_in_the_chat_shows_the_image_and_its_caption(tmp_path):
    from tool_chat import image_captions, tool_in_chat

    picture = _emoji_png(tmp_path / "my snail.png", "\U0001f40c")
    async with tool_in_chat(f'/caption "@{picture}"') as (view, engine):
        assert view.header_text().startswith("/caption · rnn (CNN encoder + GRU decoder")
        assert view.message.meta["images"] == [str(picture)]
        assert image_captions(view) == [f"image: {picture}"]
        assert len(view.query(".tool-image")) == 1
        assert str(view.query_one(".body").render()) == "snail"
        assert engine.calls == []


def test_training_without_the_emoji_font_says_how_to_install_it(tmp_path, monkeypatch):
    from assistant.tools.caption import data as caption_data

    monkeypatch.setattr(caption_data, "EMOJI_FONT", tmp_path / "missing.ttf")
    caption_data.emoji.cache_clear()
    try:
        with pytest.raises(DataError, match="apt-get install fonts-noto-color-emoji"):
            caption_data.emoji_split("train")
    finally:
        caption_data.emoji.cache_clear()
