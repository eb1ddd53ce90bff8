"""`/restore @PHOTO` in the chat TUI runs the real restore tool and shows the photo and the
restored result inline, one above the other.

    .venv/bin/pytest -q tests/test_restore_tui.py
"""

from pathlib import Path

import numpy as np
from fake_engine import FakeEngine, make_app, screen_text, settle
from PIL import Image
from tool_chat import image_captions, tool_in_chat


async def test_restore_in_the_chat_shows_before_and_after(tmp_path):
    grey = np.random.default_rng(0).integers(60, 200, (48, 64)).astype(np.uint8)
    grey[20, 4:60] = 255  # a white scratch for the damage detector
    photo = tmp_path / "old photo.png"
    Image.fromarray(grey).save(photo)
    async with tool_in_chat(f'/restore "@{photo}" --noise 10 --steps 2') as (view, engine):
        assert view.header_text().startswith("/restore · diffusion (diffusion")
        images = [Path(p) for p in view.message.meta["images"]]
        assert images == [photo, tmp_path / "old photo-restored.png"]
        assert Image.open(images[1]).size == (64, 48)
        captions = image_captions(view)
        assert captions == [f"image: {photo}", f"image: {images[1]}"]
        assert len(view.query(".tool-image")) == 2  # both pictures inline
        assert "found damage" in str(view.query_one(".body").render())
        assert engine.calls == []  # a tool command never reaches the model


async def test_escape_stops_a_running_restore_at_the_next_step(tmp_path, monkeypatch):
    from assistant import store
    from assistant.tools.restore import sampler

    steps = []
    real_call = sampler._call
    monkeypatch.setattr(sampler, "_call", lambda *a: (steps.append(1), real_call(*a))[1])
    grey = np.random.default_rng(0).integers(60, 200, (48, 64)).astype(np.uint8)
    grey[20, 4:60] = 255
    photo = tmp_path / "old photo.png"
    Image.fromarray(grey).save(photo)
    app = make_app(FakeEngine())
    async with app.run_test(size=(110, 40)) as pilot:
        app.prompt.value = f'/restore "@{photo}" --noise 10 --steps 50'  # 300 sampler steps
        await pilot.press("enter")
        for _ in range(3000):
            await pilot.pause(0.01)
            if len(steps) >= 3:
                break
        await pilot.press("escape")
        at_escape = len(steps)
        await settle(pilot, app)
        assert len(steps) <= at_escape + 1  # the step under way, then no more
        assert "/restore: ■ stopped" in screen_text(app)
        roles = [r[0] for r in store.connect().execute("SELECT role FROM messages")]
        assert roles == ["user"]  # nothing restored, nothing written
        assert not (tmp_path / "old photo-restored.png").exists()
