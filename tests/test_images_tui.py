"""`/imagine` in the chat TUI runs the real tool and shows the picture inline.

.venv/bin/pytest -q tests/test_images_tui.py
"""

from pathlib import Path

from fake_engine import FakeEngine, make_app, send
from PIL import Image

from assistant.tui.message_view import ToolMessageView


async def test_imagine_in_the_chat_shows_the_image(tmp_path):
    out = tmp_path / "sneakers.png"
    engine = FakeEngine()
    app = make_app(engine)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, app, f"/imagine two sneakers --arch gan --n 2 --seed 1 --out {out}")
        view = app.query_one(ToolMessageView)
        assert view.header_text().startswith("/imagine · gan (GAN")
        assert [Path(p) for p in view.message.meta["images"]] == [out]
        assert Image.open(out).mode == "L"
        captions = [str(w.render()) for w in view.query(".tool-image-path")]
        assert captions == [f"image: {out}"]
        assert len(view.query(".tool-image")) == 1  # the picture itself, inline
        assert "2 images of Sneaker by gan" in str(view.query_one(".body").render())
        assert engine.calls == []  # a tool command never reaches the model
