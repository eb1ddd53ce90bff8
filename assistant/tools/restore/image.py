"""Pixels in and out for the restorer: colour space, reading photos and masks, damage detection."""

from __future__ import annotations

from typing import Any

# Rows of an orthogonal opponent colour transform: luminance, red-green, yellow-blue. Rows are
# orthogonal, so white noise of std s in R, G, B stays white and independent in each opponent
# channel, with std s * |row|: the grey model restores each channel at its own noise level.
OPPONENT = ((1 / 3, 1 / 3, 1 / 3), (1 / 2, -1 / 2, 0.0), (1 / 4, 1 / 4, -1 / 2))
OPPONENT_OFFSET = (0.0, 0.5, 0.5)
OPPONENT_NOISE_GAIN = tuple(sum(v * v for v in row) ** 0.5 for row in OPPONENT)


def to_opponent(rgb: Any) -> Any:
    """(H, W, 3) RGB in [0, 1] -> (H, W, 3) opponent channels, each in [0, 1]."""
    import numpy as np

    m = np.array(OPPONENT, dtype=np.float32)
    return rgb.astype(np.float32) @ m.T + np.array(OPPONENT_OFFSET, dtype=np.float32)


def from_opponent(opp: Any) -> Any:
    """The inverse of `to_opponent`."""
    import numpy as np

    m = np.linalg.inv(np.array(OPPONENT, dtype=np.float64)).astype(np.float32)
    return (opp.astype(np.float32) - np.array(OPPONENT_OFFSET, dtype=np.float32)) @ m.T


MAX_PIXELS = 4_194_304  # 2048 x 2048: about 10 minutes of CPU for a colour photo; refuse above
MIN_SIDE = 8
SATURATED = 0.94  # "saturated" to the damage detector: every channel at least this bright
OUTLIER = 0.12  # how far (of full scale) a pixel must stand out from its 7x7 median, at least
MAX_DAMAGE_FRACTION = 0.10
# Fewer joined outlier pixels than this are what noise makes, not damage: Gaussian noise of std
# 15 to 50 on four scikit-image photos (astronaut, camera, coffee, chelsea; 6 seeds each) made
# bright specks of at most 6 joined pixels at std 25, 8 at std 15. A 3x3 dust speck or a scratch
# 9 pixels long is kept; single hot pixels are left to the denoiser.
MIN_DAMAGE_PIXELS = 9


def read_photo(path: Any) -> tuple[Any, Any, list[str]]:
    """A photo as float32 in [0, 1]: (H, W) grey or (H, W, 3) RGB, its alpha plane (or None),
    and notes on what was converted. Anything that is not a readable image is a `DataError`."""
    from pathlib import Path

    import numpy as np

    from assistant.errors import DataError, UsageError
    from assistant.tools.files import open_image

    path = Path(path).expanduser()

    def too_big(w: int, h: int) -> str | None:
        if w * h <= MAX_PIXELS:
            return None
        return (
            f"{path.name} is {w}x{h} ({w * h / 1e6:.1f} MP); the limit is "
            f"{MAX_PIXELS / 1e6:.1f} MP (2048x2048) — downscale or crop it first"
        )

    image = open_image(path, "photo", too_big)
    notes: list[str] = []
    w, h = image.size
    if min(w, h) < MIN_SIDE:
        raise UsageError(f"{path.name} is {w}x{h}; give a photo at least {MIN_SIDE}x{MIN_SIDE}")
    if getattr(image, "n_frames", 1) > 1:
        notes.append("only the first frame was restored")
    alpha = None
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float32)
        top = 65535.0 if arr.max() > 255 else 255.0
        notes.append(f"{mode} (16-bit) photo: restored and saved at 8 bits")
        return np.clip(arr / top, 0, 1), None, notes
    if mode == "F":
        raise DataError(f"{path.name} is a floating-point image; save it as an 8-bit PNG first")
    if mode in ("1", "L", "LA", "P", "PA") and _is_grey(image):
        if "A" in image.mode or "transparency" in image.info:
            la = image.convert("LA")
            alpha = np.asarray(la)[..., 1]
            notes.append("alpha channel kept unchanged")
            image = la.convert("L")
        grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
        return grey, alpha, notes
    if mode in ("RGBA", "LA", "PA", "P") and ("A" in mode or "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        notes.append("alpha channel kept unchanged")
    if mode not in ("RGB", "RGBA", "L", "P", "LA", "PA", "1"):
        notes.append(f"{mode} photo converted to RGB")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255
    return rgb, alpha, notes


def _is_grey(image: Any) -> bool:
    if image.mode in ("1", "L", "LA"):
        return True
    import numpy as np

    rgb = np.asarray(image.convert("RGB"))
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def read_mask(path: Any, size: tuple[int, int]) -> Any:
    """A damage mask as bool (H, W): white (> 127 in grey) marks pixels to fill."""
    from pathlib import Path

    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from assistant.errors import DataError, UsageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise UsageError(f"no such mask: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA") and np.asarray(im.getchannel("A")).min() < 255:
                mask = np.asarray(im.getchannel("A")) < 128  # transparent pixels are the holes
            else:
                mask = np.asarray(im.convert("L")) > 127
            msize = im.size
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"mask {path} is not an image ({type(e).__name__}); give a PNG") from None
    if msize != size:
        raise UsageError(
            f"the mask is {msize[0]}x{msize[1]} but the photo is {size[0]}x{size[1]}; "
            "give a mask of the same size (white = damaged)"
        )
    return mask


def detect_damage(image: Any, noise: float = 0.0) -> tuple[Any, str]:
    """Obvious damage, for a photo given without a mask: saturated (near-white) pixels that
    stand out from their 7x7 median by more than 12% of full scale, or 4 times the noise std
    (`noise`, of 255) if that is more, in groups of at least 9 joined pixels — white scratches,
    dust and specks — grown by one pixel. Smaller groups are what noise makes: a noisy photo
    with no damage goes down the denoise path only. Returns the mask and a one-line account.
    If that finds more than 10% of the photo, it is taken to be content, not damage, and
    nothing is masked (the photo is only denoised)."""
    import numpy as np
    from scipy.ndimage import binary_dilation, label, median_filter

    lum = image if image.ndim == 2 else image.mean(axis=2)
    lo = image.min(axis=2) if image.ndim == 3 else image
    med = median_filter(lum, size=7, mode="reflect")
    outlier = max(OUTLIER, 4 * noise / 255)
    # Only bright damage: scratches and dust on prints and scans are white; dark specks are too
    # easily confused with shadows and edges.
    groups, _ = label((lo >= SATURATED) & (lum - med > outlier), structure=np.ones((3, 3)))
    sizes = np.bincount(groups.ravel())
    big = sizes >= MIN_DAMAGE_PIXELS
    big[0] = False  # the background
    mask = binary_dilation(big[groups], iterations=1)
    fraction = float(mask.mean())
    if fraction == 0:
        specks = int((sizes[1:] > 0).sum())
        left = f"; {specks} isolated bright specks left to the denoiser" if specks else ""
        return mask, f"no damage found (no saturated scratches or specks){left}"
    if fraction > MAX_DAMAGE_FRACTION:
        return np.zeros_like(mask), (
            f"saturated outliers cover {fraction:.0%} of the photo, too much to be damage; "
            "nothing filled (give --mask to fill regions)"
        )
    return mask, f"found damage (saturated scratches/specks) on {fraction:.2%} of the pixels"


def save_png(pixels: Any, path: Any, alpha: Any = None) -> None:
    """Float [0, 1] grey or RGB (plus an optional 8-bit alpha plane) as a PNG, atomically."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    path = Path(path)
    data = (np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8)
    if alpha is not None:
        planes = [data] if data.ndim == 2 else [data[..., i] for i in range(3)]
        data = np.dstack([*planes, alpha])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    Image.fromarray(data).save(tmp, format="PNG")
    tmp.replace(path)
