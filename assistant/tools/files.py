"""Files a person names in a command (`/caption @FILE`, `/ask @FILE ...`, `parley tool restore
PHOTO`): a `NamedFile` holds one once read, and `open_image` reads an image whole, every way the
file can be wrong said in one line. Imports PIL when it opens an image.

Only a person names files: tools make a `NamedFile` in `parse` (the slash command's words), never
in `execute`, so a model's tool call, which reaches `run` without `parse`, can carry none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import DataError, UsageError


@dataclass(frozen=True)
class NamedFile:
    """A file a person named in a command, read: where it is, and its content (the text of a
    document, the pixels of an image as a PIL image)."""

    path: Path
    content: Any


def named_path(value: str) -> Path:
    """The path in `@FILE` (or a plain `FILE`), `~` expanded."""
    text = str(value).strip()
    return Path(text[1:] if text.startswith("@") and len(text) > 1 else text).expanduser()


def open_image(
    path: str | Path, what: str = "image", too_big: Callable[[int, int], str | None] | None = None
) -> Any:
    """The image at `path` as a PIL image, its pixels read (the file closed again). `too_big`
    gets the size before any pixel is decoded and may refuse it with the line it returns."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(f"no such {what}: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; give a PNG or JPEG image")
    try:
        with Image.open(path) as im:
            if too_big and (refusal := too_big(im.width, im.height)):
                raise UsageError(refusal)
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise DataError(
            f"{path} is not an image Parley can read ({type(e).__name__}); give a PNG or JPEG"
        ) from None
