"""Restore a photo (float pixels in [0, 1]) with the diffusion denoiser or the classical methods.

    from assistant.tools.restore.restorer import restore
    out, info = restore(pixels, mask=None, noise=None)     # noise: std of 255, None = estimate

Grey photos are one plane; colour photos are turned into three opponent planes (luminance and two
chroma, `image.to_opponent`) whose noise is still white, each restored at its own noise level, and
turned back. The diffusion model fills holes in the luminance only; the chroma planes, smooth and
faint, are filled by biharmonic interpolation (on the validation photo, in colour: the same PSNR
to 0.02 dB as filling them by diffusion, in a third of the time). Planes larger than `TILE` are
cut into overlapping tiles, restored one by one and blended with linear ramps, so memory stays
small for any allowed size. Pixels outside the mask of a clean photo are copied into the result
unchanged. A cancelled run (`progress` a cancelled `tools.base.Reporter`) stops at the next
sampler step or tile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TILE = 256
OVERLAP = 32
CLEAN_BELOW = 3.0  # an estimated noise std (of 255) under this is treated as a clean photo
# Sampler settings, each chosen on the validation photo (chelsea); figures in weights/README.md.
DENOISE_STEPS = 1  # of 1, 2, 4 at noise 15, 25, 50: 1 and 2 tie (0.02 dB), 1 takes half the time
INPAINT_STEPS = 6  # 6 levels x 6 resamplings: best of 10x4, 20x2, 20x4, 8x5, 7x5, 6x6, 5x8, 4x10
RESAMPLE = 6
INPAINT_SAMPLES = 4  # fills averaged: 1, 4, 8 gave 33.2, 34.5, 34.85 dB (10x4); 8 is 2.5x slower
MARGIN = 24  # context pixels around the damage that the fill sees


@dataclass
class Info:
    noise: float  # noise std (of 255) the photo was restored at
    noise_estimated: bool
    damaged_fraction: float
    notes: list[str] = field(default_factory=list)


def estimate_noise(pixels: Any, mask: Any = None) -> float:
    """Noise std on the 0-255 scale: Donoho's median estimator on the finest diagonal Haar
    wavelet band (the 2x2 blocks' `(a - b - c + d) / 2`), skipping blocks that touch the mask;
    the mean over colour channels.

    >>> import numpy as np
    >>> flat = np.full((64, 64), 0.5) + np.random.default_rng(0).normal(0, 20 / 255, (64, 64))
    >>> round(estimate_noise(flat))
    20
    """
    import numpy as np

    h, w = (pixels.shape[0] // 2) * 2, (pixels.shape[1] // 2) * 2
    image = pixels[:h, :w].reshape(h, w, -1).astype(np.float64)
    hh = (image[0::2, 0::2] - image[0::2, 1::2] - image[1::2, 0::2] + image[1::2, 1::2]) / 2
    ok = np.ones(hh.shape[:2], dtype=bool)
    if mask is not None and mask.any():
        m = mask[:h, :w]
        ok = ~(m[0::2, 0::2] | m[0::2, 1::2] | m[1::2, 0::2] | m[1::2, 1::2])
    if not ok.any():
        return 0.0
    sigmas = [np.median(np.abs(hh[..., c][ok])) / 0.6745 for c in range(hh.shape[-1])]
    return float(np.mean(sigmas)) * 255


def _tiles(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, size - tile, step)) + [size - tile]
    return sorted(set(starts))


def _ramp(n: int, at_start: bool, at_end: bool, overlap: int) -> Any:
    import numpy as np

    w = np.ones(n, dtype=np.float32)
    r = np.linspace(0, 1, overlap + 2, dtype=np.float32)[1:-1]
    if not at_start:
        w[:overlap] = r
    if not at_end:
        w[-overlap:] = r[::-1]
    return w


def by_tiles(plane: Any, mask: Any, fn: Callable[[Any, Any], Any], tile: int = TILE) -> Any:
    """Apply `fn(plane_tile, mask_tile)` over overlapping tiles and blend the results."""
    import numpy as np

    h, w = plane.shape
    ys, xs = _tiles(h, tile, OVERLAP), _tiles(w, tile, OVERLAP)
    if len(ys) == 1 and len(xs) == 1:
        return fn(plane, mask)
    out = np.zeros_like(plane)
    weight = np.zeros_like(plane)
    for y in ys:
        for x in xs:
            th, tw = min(tile, h), min(tile, w)
            res = fn(plane[y : y + th, x : x + tw], mask[y : y + th, x : x + tw])
            wy = _ramp(th, y == 0, y + th >= h, OVERLAP)
            wx = _ramp(tw, x == 0, x + tw >= w, OVERLAP)
            wt = wy[:, None] * wx[None, :]
            out[y : y + th, x : x + tw] += res * wt
            weight[y : y + th, x : x + tw] += wt
    return out / weight


def diffusion_plane(
    net: Any,
    noise: float,
    steps: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
    samples: int = INPAINT_SAMPLES,
    fill: str = "diffusion",
) -> Callable[[Any, Any], Any]:
    """A tile function for the diffusion model; `noise` in the plane's own 0-255 units. Holes are
    filled by RePaint, or with `fill="biharmonic"` by interpolating the denoised plane."""
    import numpy as np
    import torch
    from skimage.restoration import inpaint_biharmonic

    from assistant.tools.restore import sampler
    from assistant.tools.restore.model import sigma_of

    sigma = sigma_of(noise)

    def to_model(a: Any) -> Any:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None] * 2 - 1

    def run(tile: Any, mask: Any) -> Any:
        h, w = tile.shape
        ph, pw = (-h) % 4, (-w) % 4  # the UNet halves twice: pad to a multiple of 4
        padded = np.pad(tile, ((0, ph), (0, pw)), mode="reflect" if min(h, w) > 4 else "edge")
        out = padded.copy()
        if sigma > 0:
            out = (
                sampler.denoise(net, to_model(padded), sigma, DENOISE_STEPS)[0, 0].numpy() + 1
            ) / 2
        m = np.pad(mask, ((0, ph), (0, pw)), mode="edge")
        if m.any() and fill == "biharmonic":
            out = inpaint_biharmonic(out, m).astype(np.float32)
        elif m.any():  # fill only a box around the damage, with a margin of context
            rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
            y0, x0 = max(0, rows[0] - MARGIN) // 4 * 4, max(0, cols[0] - MARGIN) // 4 * 4
            y1 = min(m.shape[0], -(-(rows[-1] + 1 + MARGIN) // 4) * 4)
            x1 = min(m.shape[1], -(-(cols[-1] + 1 + MARGIN) // 4) * 4)
            known = torch.from_numpy(~m[y0:y1, x0:x1])[None, None]
            x = sampler.inpaint(
                net,
                to_model(padded[y0:y1, x0:x1]),
                known,
                sigma_in=sigma,
                steps=steps or INPAINT_STEPS,
                resample=RESAMPLE,
                seed=seed,
                progress=progress,
                samples=samples,
            )
            filled = (x[0, 0].numpy() + 1) / 2
            box = out[y0:y1, x0:x1]
            out[y0:y1, x0:x1] = np.where(m[y0:y1, x0:x1], filled, box)
        return out[:h, :w]

    return run


def classical_plane(noise: float) -> Callable[[Any, Any], Any]:
    """A tile function for the classical methods: biharmonic fill, then non-local means."""
    import numpy as np
    from skimage.restoration import denoise_nl_means, inpaint_biharmonic

    def run(tile: Any, mask: Any) -> Any:
        out = inpaint_biharmonic(tile, mask) if mask.any() else tile
        if noise > 0:
            s = noise / 255
            out = denoise_nl_means(
                out, h=0.8 * s, sigma=s, patch_size=5, patch_distance=6, fast_mode=True
            )
        return np.asarray(out, dtype=np.float32)

    return run


def restore(
    pixels: Any,
    mask: Any = None,
    noise: float | None = None,
    method: str = "diffusion",
    steps: int | None = None,
    seed: int = 0,
    net: Any = None,
    progress: Callable[[str], None] | None = None,
    samples: int | None = None,
) -> tuple[Any, Info]:
    """Restore `pixels` ((H, W) or (H, W, 3) float in [0, 1]); `mask` True where damaged."""
    import numpy as np

    from assistant.tools.base import checkpoint
    from assistant.tools.restore.image import OPPONENT_NOISE_GAIN, from_opponent, to_opponent

    mask = np.zeros(pixels.shape[:2], dtype=bool) if mask is None else mask.astype(bool)
    estimated = noise is None
    if noise is None:
        noise = estimate_noise(pixels, mask)
        noise = 0.0 if noise < CLEAN_BELOW else noise
    info = Info(
        noise=round(float(noise), 2), noise_estimated=estimated, damaged_fraction=float(mask.mean())
    )
    if noise <= 0 and not mask.any():
        info.notes.append("no noise or damage to remove: the photo is unchanged")
        return pixels.copy(), info
    if method == "diffusion" and net is None:
        from assistant.tools.restore.model import load

        net = load()
    if pixels.ndim == 2:
        planes, gains = [pixels], [1.0]
    else:
        opp = to_opponent(pixels)
        planes, gains = [opp[..., i] for i in range(3)], list(OPPONENT_NOISE_GAIN)

    def stoppable(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def run(tile: Any, tile_mask: Any) -> Any:
            checkpoint(progress)  # Esc stops between tiles (the denoiser reports no steps)
            return fn(tile, tile_mask)

        return run

    out = []
    for i, (plane, gain) in enumerate(zip(planes, gains, strict=True)):
        label = f"plane {i + 1}/{len(planes)}"

        def tick(done: int, total: int, label: str = label) -> None:
            checkpoint(progress)  # Esc stops between any two sampler steps
            if progress and (done == total or done % 5 == 0):
                progress(f"restoring {label}: step {done}/{total}")

        if method == "diffusion":
            fn = diffusion_plane(
                net,
                noise * gain,
                steps or 0,
                seed + i,
                tick,
                samples or INPAINT_SAMPLES,
                fill="diffusion" if i == 0 else "biharmonic",
            )
        else:
            fn = classical_plane(noise * gain)
        if progress:
            progress(f"restoring {label}")
        out.append(by_tiles(plane.astype(np.float32), mask, stoppable(fn)))
    result = out[0] if pixels.ndim == 2 else from_opponent(np.stack(out, axis=-1))
    result = np.clip(result, 0, 1)
    if noise <= 0:  # a clean photo: the known pixels are the photo's own, exactly
        keep = ~mask if pixels.ndim == 2 else ~mask[..., None]
        result = np.where(keep, pixels, result)
    return result.astype(np.float32), info
