"""`restore`: remove noise and scratches from a photo and fill damaged regions.

    parley tool restore old.jpg                          # denoise + fix saturated scratches
    parley tool restore old.jpg --mask holes.png --out fixed.png
    parley tool restore old.jpg --noise 25 --backend classical
    /restore @old.jpg --mask @holes.png                  (in `parley chat` / `parley ask`)

- `diffusion` (default): Parley's small diffusion model (an EDM-style convolutional UNet denoiser,
  `model.py`), trained by `parley train restore` on bundled photographs; weights ship in
  `weights/` (weights the user trains, in `$PARLEY_HOME/tools/restore/diffusion/`, are used
  instead).
  Denoising starts the reverse process at the photo's own noise level; masked regions
  are filled by RePaint-style sampling that keeps the known pixels (`sampler.py`); the fill is
  the mean of `--samples` such fills drawn together (their posterior-mean estimate).
- `classical`: scikit-image's biharmonic inpainting, then non-local means denoising.

The mask is an image of the photo's size, white where the photo is damaged (or transparent
pixels of an RGBA mask). Without `--mask`, the tool looks for obvious damage: saturated pixels
(every channel >= 94%) that stand out from their 7x7 median by 12% of full scale (or 4 noise stds,
if more), in groups of at least 9 joined pixels — white scratches, dust, specks, and also small
bright details such as stars or highlights — grown by a pixel, and fills those; smaller groups
are what noise makes and are left to the denoiser; dark damage is not looked for. If that would
cover more than 10% of the photo it fills nothing and only denoises. The noise level is estimated
(wavelet median estimator) unless `--noise` gives it; under 3 of 255 the photo counts as clean
and is not denoised, and then every pixel outside the mask is kept exactly. Grey photos stay
grey, an alpha channel is kept unchanged, palette and 16-bit photos are converted to 8-bit.
Photos above 2048x2048 are refused (with the limit); above 256x256 they are restored in
overlapping tiles. The result is saved as PNG (default: `PHOTO-restored.png` beside the photo,
`PHOTO-restored-2.png` if that exists); an existing `--out` file is refused unless `--force`;
the tool result shows the photo and the result side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import CommandUsageError, UsageError
from assistant.tools.base import (
    BackendInfo,
    Output,
    Progress,
    Tool,
    free_path,
    refuse_overwrite,
)
from assistant.tools.params import Param, params, png_out
from assistant.tools.restore.restorer import INPAINT_SAMPLES, INPAINT_STEPS, RESAMPLE

MAX_SAMPLES = 16
ARCHITECTURE = "diffusion (EDM-style conv UNet denoiser, RePaint inpainting)"


def _path_argument(value: str | None) -> str | None:
    """`@photo.png` (the chat's file syntax) and `photo.png` both name a file."""
    if value is None:
        return None
    value = str(value).strip()
    return value[1:] if value.startswith("@") and len(value) > 1 else value


class RestoreTool(Tool):
    name = "restore"
    description = "Restore a photo: remove noise and scratches, fill masked holes (PNG out)."
    usage = (
        "/restore @PHOTO [--mask MASK.png] [--out FILE.png] [--noise N] [--steps N] [--samples K] "
        "[--seed N] [--force] [--backend diffusion|classical]"
    )
    parameters = params(
        Param("photo", "path of the photo to restore (PNG, JPEG, ...)", nargs="?", metavar="PHOTO"),
        Param(
            "mask",
            "path of a mask image, white where the photo is damaged",
            flags=("--mask", "-m"),
            metavar="MASK.png",
        ),
        png_out("where to save the restored PNG (default: PHOTO-restored.png)"),
        Param(
            "noise",
            "noise standard deviation on the 0-255 scale (default: estimated)",
            type=float,
            flags=("--noise", "-n"),
            metavar="N",
        ),
        Param(
            "steps",
            f"diffusion noise levels for filling holes (default {INPAINT_STEPS}, each "
            f"resampled {RESAMPLE} times)",
            type=int,
            flags=("--steps",),
            metavar="N",
        ),
        Param(
            "samples",
            f"diffusion fills averaged for holes (1 to {MAX_SAMPLES}; default "
            f"{INPAINT_SAMPLES}; 1 gives one sharper sample, more gives a smoother, closer fill)",
            type=int,
            flags=("--samples",),
            metavar="K",
        ),
        Param(
            "seed", "random seed of the fill (default 0)", type=int, flags=("--seed",), metavar="N"
        ),
        Param(
            "force",
            "overwrite --out if it exists (default names never overwrite: NAME-2.png, ...)",
            type=bool,
            flags=("--force",),
        ),
    )

    def backends(self) -> list[BackendInfo]:
        from assistant.tools.restore.model import default_weights

        classical = "non-local means + biharmonic inpainting (scikit-image)"
        return self.backend_table(
            ("diffusion", ARCHITECTURE, default_weights().is_file()),
            ("classical", classical, True),
        )

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        if not args.get("photo"):
            raise CommandUsageError("give a photo to restore", self.usage)
        return args

    def execute(
        self,
        backend: str,
        progress: Progress | None = None,
        photo: str = "",
        mask: str | None = None,
        out: str | None = None,
        noise: float | None = None,
        steps: int | None = None,
        samples: int | None = None,
        seed: int | None = None,
        force: bool | None = None,
    ) -> Output:
        from assistant.tools.restore.image import detect_damage, read_mask, read_photo, save_png
        from assistant.tools.restore.restorer import restore

        photo_path = Path(_path_argument(photo) or "").expanduser()
        if not str(photo).strip():
            raise CommandUsageError("give a photo to restore", self.usage)
        if noise is not None and not 0 <= float(noise) <= 100:
            raise UsageError(f"--noise is a std on the 0-255 scale, 0 to 100; got {noise}")
        if steps is not None and not 1 <= int(steps) <= 200:
            raise UsageError(f"--steps must be 1 to 200; got {steps}")
        if samples is not None and not 1 <= int(samples) <= MAX_SAMPLES:
            raise UsageError(f"--samples must be 1 to {MAX_SAMPLES}; got {samples}")
        pixels, alpha, notes = read_photo(photo_path)
        size = (pixels.shape[1], pixels.shape[0])
        if mask:
            damage = read_mask(_path_argument(mask), size)
            found = f"mask covers {damage.mean():.1%} of the photo"
        else:
            from assistant.tools.restore.restorer import estimate_noise

            level = estimate_noise(pixels) if noise is None else float(noise)
            damage, found = detect_damage(pixels, level)
        out_path = _output_path(photo_path, out, bool(force))
        restored, info = restore(
            pixels,
            damage,
            noise=None if noise is None else float(noise),
            method=backend,
            steps=steps,
            seed=int(seed or 0),
            progress=progress,
            samples=samples,
        )
        save_png(restored, out_path, alpha)
        before = photo_path
        if photo_path.suffix.lower() != ".png" or alpha is not None or notes:
            before = out_path.with_name(out_path.stem + "-before.png")
            before = before if force else free_path(before)
            save_png(pixels, before, alpha)
        noise_line = (
            f"noise {info.noise:g}/255 ({'estimated' if info.noise_estimated else 'given'})"
            if info.noise > 0
            else "no noise removed (clean photo)"
        )
        kind = "grey" if pixels.ndim == 2 else "colour"
        text = "; ".join(
            [
                f"restored {photo_path.name} ({size[0]}x{size[1]}, {kind}) -> {out_path}",
                found,
                noise_line,
                *notes,
                *info.notes,
            ]
        )
        return Output(
            text=text,
            images=[before, out_path],
            data={
                "out": str(out_path),
                "noise": info.noise,
                "noise_estimated": info.noise_estimated,
                "damaged_fraction": round(info.damaged_fraction, 5),
            },
        )


def _output_path(photo: Path, out: str | None, force: bool) -> Path:
    """`--out` (refused if it exists, unless `force`), else the first free
    `PHOTO-restored.png`, `PHOTO-restored-2.png`, ... beside the photo (or in Parley's home
    when that folder is read-only)."""
    if out:
        path = Path(_path_argument(out) or "").expanduser()
        if path.suffix.lower() != ".png":
            raise UsageError(f"--out must end in .png (the result is saved as PNG); got {path}")
        if path.resolve() == photo.resolve():
            raise UsageError("--out is the photo itself; give another file name")
        refuse_overwrite([path], force)
        return path
    path = photo.with_name(photo.stem + "-restored.png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".parley-write-test-{photo.stem}"
        probe.touch()
        probe.unlink()
    except OSError:
        from assistant import paths

        path = paths.home() / "restore" / path.name
    return free_path(path)
