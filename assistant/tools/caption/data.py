"""Image + caption pairs for `parley train caption` and `bench/caption.py`.

- **emoji**: every emoji of Debian's `fonts-noto-color-emoji` that has a Unicode name and a glyph
  in the font (about 1,350; regional-indicator letters, skin-tone swatches and other parts of
  sequences left out), rendered with Pillow at the font's bitmap size (109 px, `embedded_color`)
  and captioned with its name, lower-cased ("soft ice cream", "sunrise over mountains"). Every 7th
  emoji in code-point order is held out for testing, so the test emoji are ones the model never
  saw: it can only get them right from the words it learned on others ("cat face" + "with wry
  smile").
- **scenes**: one to three Fashion-MNIST items (Debian `dataset-fashion-mnist`) on a 64x64 black
  canvas, in the cells of a 2x2 grid, captioned in reading order ("a bag and an ankle boot").
  Training scenes use the training images; test scenes the 10,000 test images.

Both give uint8 RGB arrays (n, 3, 64, 64) and caption strings. Missing packages raise `DataError`
with the command that installs them.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from pathlib import Path

import numpy as np

from assistant.errors import DataError

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
EMOJI_RANGES = (range(0x2000, 0x2C00), range(0x1F000, 0x1FB00))
SKIP_WORDS = ("regional indicator", "emoji modifier", "emoji component", "tag ", "variation")
SCENE_NAMES = ["t-shirt", "pair of trousers", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]  # fmt: skip
SIZE = 64
HOLD_OUT_EVERY = 7


def _font():
    from PIL import ImageFont

    if not EMOJI_FONT.is_file():
        raise DataError(
            f"no emoji font at {EMOJI_FONT}: install it with `sudo apt-get install "
            "fonts-noto-color-emoji` (or `make setup` as root)"
        )
    # the basic layout engine: raqm fails on code points the font lacks instead of drawing .notdef
    return ImageFont.truetype(str(EMOJI_FONT), 109, layout_engine=ImageFont.Layout.BASIC)


def _draw(char: str, font) -> np.ndarray:
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (160, 140), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((4, 4), char, font=font, embedded_color=True)
    return np.asarray(canvas)


@functools.cache
def emoji() -> tuple[np.ndarray, tuple[str, ...], tuple[int, ...]]:
    """All named emoji: RGBA uint8 (n, 4, 64, 64) (glyph cropped, centred on a transparent
    square), their captions, and their code points."""
    from PIL import Image

    font = _font()
    missing = _draw("\u0561", font)  # a letter the font lacks: its .notdef box
    images, captions, points = [], [], []
    for block in EMOJI_RANGES:
        for point in block:
            name = unicodedata.name(chr(point), "").lower()
            if not name or any(name.startswith(w) for w in SKIP_WORDS):
                continue
            pixels = _draw(chr(point), font)
            if pixels[..., 3].max() == 0 or np.array_equal(pixels, missing):
                continue
            glyph = Image.fromarray(pixels).crop(Image.fromarray(pixels[..., 3]).getbbox())
            side = max(glyph.size)
            square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
            square.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
            square = square.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
            images.append(np.asarray(square).transpose(2, 0, 1))
            captions.append(name)
            points.append(point)
    return np.stack(images), tuple(captions), tuple(points)


def emoji_split(split: str) -> tuple[np.ndarray, list[str]]:
    """The train or test emoji (every 7th is test): RGBA arrays and captions."""
    images, captions, _ = emoji()
    keep = [(i % HOLD_OUT_EVERY == 3) == (split == "test") for i in range(len(captions))]
    index = np.flatnonzero(keep)
    return images[index], [captions[i] for i in index]


def on_white(rgba: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """RGBA (n, 4, 64, 64) -> RGB over white with a margin around the glyph, as a person's
    emoji PNG would look (the test images, and what `prepare` gives the model)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(rgba).float() / 255
    inner = round(SIZE * (1 - 2 * margin))
    x = F.interpolate(x, size=(inner, inner), mode="bilinear", antialias=True, align_corners=False)
    pad = (SIZE - inner) // 2
    x = F.pad(x, (pad, SIZE - inner - pad, pad, SIZE - inner - pad))
    rgb = x[:, :3] * x[:, 3:] + (1 - x[:, 3:])
    return (rgb * 255).round().clamp(0, 255).byte().numpy()


def augment(rgba, generator):
    """Random scale (0.7-1.0 of the frame), shift, and a white or pale background: RGBA uint8
    tensor (n, 4, 64, 64) -> float RGB in [-1, 1]."""
    import torch
    import torch.nn.functional as F

    n = rgba.size(0)
    x = rgba.float() / 255
    scale = 1 / (0.7 + 0.3 * torch.rand(n, generator=generator))
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 0.4
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    pale = 0.8 + 0.2 * torch.rand(n, 3, 1, 1, generator=generator)
    white = torch.rand(n, 1, 1, 1, generator=generator) < 0.6
    background = torch.where(white, torch.ones_like(pale), pale)
    rgb = x[:, :3] * x[:, 3:] + background * (1 - x[:, 3:])
    return rgb * 2 - 1


@functools.cache
def fashion(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (n, 28, 28) uint8 and labels, from the Debian package."""
    from assistant.tools.imagine.data import load

    x, y, _ = load("fashion-mnist", split)
    return ((x[:, 0].numpy() + 1) * 127.5).round().astype(np.uint8), y.numpy()


def scene_caption(labels: list[int]) -> str:
    """
    >>> scene_caption([8, 9])
    'a bag and an ankle boot'
    >>> scene_caption([7, 1, 4])
    'a sneaker, a pair of trousers and a coat'
    """
    items = [("an " if SCENE_NAMES[c][0] in "aeiou" else "a ") + SCENE_NAMES[c] for c in labels]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def scenes(split: str, count: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """`count` scenes of one to three items: RGB uint8 (count, 3, 64, 64) and captions."""
    items, labels = fashion(split)
    rng = random.Random(seed)
    canvas = np.zeros((count, 3, SIZE, SIZE), dtype=np.uint8)
    captions = []
    for n in range(count):
        cells = sorted(rng.sample(range(4), rng.randint(1, 3)))
        chosen = []
        for cell in cells:
            i = rng.randrange(len(labels))
            y0 = (cell // 2) * 32 + rng.randint(0, 4)
            x0 = (cell % 2) * 32 + rng.randint(0, 4)
            canvas[n, :, y0 : y0 + 28, x0 : x0 + 28] = items[i]
            chosen.append(int(labels[i]))
        captions.append(scene_caption(chosen))
    return canvas, captions


def test_set(scene_count: int = 300) -> dict[str, tuple[np.ndarray, list[str]]]:
    """The held-out pairs, RGB uint8: {"emoji": ..., "scenes": ...}."""
    rgba, captions = emoji_split("test")
    return {"emoji": (on_white(rgba), captions), "scenes": scenes("test", scene_count, seed=1)}
