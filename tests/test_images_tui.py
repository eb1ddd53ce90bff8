"""`/imagine` in the chat TUI runs the real tool and shows the picture inline.

.venv/bin/pytest -q tests/test_images_tui.py
"""

from pathlib import Path

from PIL import Image
from tool_chat import image_captions, tool_in_chat


async def test_imagine_in_the_chat_shows_the_image(tmp_path):
    out = tmp_path / "sneakers.png"
    command = f"/imagine two sneakers --arch gan --n 2 --seed 1 --out {out}"
    async with tool_in_chat(command) as (view, engine):
        assert view.header_text().startswith("/imagine · gan (GAN")
        assert [Path(p) for p in view.message.meta["images"]] == [out]
        assert Image.open(out).mode == "L"
        captions = image_captions(view)
        assert captions == [f"image: {out}"]
        assert len(view.query(".tool-image")) == 1  # the picture itself, inline
        assert "2 images of Sneaker by gan" in str(view.query_one(".body").render())
        assert engine.calls == []  # a tool command never reaches the model
