"""`/restore @PHOTO` in the chat TUI runs the real restore tool and shows the photo and the
restored result inline, one above the other.

    .venv/bin/pytest -q tests/test_restore_tui.py
"""

from pathlib import Path

import numpy as np
from fake_engine import FakeEngine, make_app, send
from PIL import Image

from assistant.tui.message_view import ToolMessageView


async def test_restore_in_the_chat_shows_before_and_after(tmp_path):
    grey = np.random.default_rng(0).integers(60, 200, (48, 64)).astype(np.uint8)
    grey[20, 4:60] = 255  # a white scratch for the damage detector
    photo = tmp_path / "old photo.png"
    Image.fromarray(grey).save(photo)
    engine = FakeEngine()
    app = make_app(engine)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, app, f'/restore "@{photo}" --noise 10 --steps 2')
        view = app.query_one(ToolMessageView)
        assert view.header_text().startswith("/restore · diffusion (diffusion")
        images = [Path(p) for p in view.message.meta["images"]]
        assert images == [photo, tmp_path / "old photo-restored.png"]
        assert Image.open(images[1]).size == (64, 48)
        captions = [str(w.render()) for w in view.query(".tool-image-path")]
        assert captions == [f"image: {photo}", f"image: {images[1]}"]
        assert len(view.query(".tool-image")) == 2  # both pictures inline
        assert "found damage" in str(view.query_one(".body").render())
        assert engine.calls == []  # a tool command never reaches the model
