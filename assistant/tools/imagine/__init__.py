"""`imagine`: draw a Fashion-MNIST class with a GAN, a VAE or a diffusion model (PNG out).

    parley tool imagine a sneaker --arch diffusion --n 4 --seed 1
    parley tool imagine sneaker --arch diffusion --out /tmp/x.png
    parley tool imagine --interpolate sneaker,boot          # the VAE, between two classes
    /imagine an ankle boot --arch gan                       (in `parley chat` / `parley ask`)

The words name one of the ten classes (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal,
Shirt, Sneaker, Bag, Ankle boot; synonyms such as "jeans" or "trainers" work, `classes.py`).
Backends, all class-conditional and trained by `parley train image --arch ...` (`train.py`):
- `diffusion` (default): a diffusers `UNet2DModel` sampled with DDIM and classifier-free guidance;
  it reports each denoising step through `progress`.
- `gan`: a DCGAN generator. `vae`: a convolutional VAE's decoder; it alone can `--interpolate`
  between two classes (one latent, the class embedding blended, `--n` frames).
Weights the user trained (`$PARLEY_HOME/tools/imagine/ARCH/ARCH.safetensors`) are used before the
shipped ones (`weights/`). Each image is saved as a PNG (4x upscaled, nearest neighbour) and,
for several, a grid; the grid (or the single image) is what the chat shows. The confidence is
the shipped Fashion-MNIST classifier's mean probability that the images show the asked class.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from assistant.errors import CommandUsageError, UsageError
from assistant.tools.base import (
    ArgParser,
    BackendInfo,
    Output,
    Progress,
    Tool,
    measured,
    refuse_overwrite,
)
from assistant.tools.params import Param, params, png_out

WEIGHTS_DIR = Path(__file__).with_name("weights")
ARCHITECTURES = {
    "diffusion": "diffusion (DDPM UNet, DDIM + guidance)",
    "gan": "GAN (class-conditional DCGAN)",
    "vae": "VAE (class-conditional convolutional VAE)",
}
MAX_N = 64
MODEL_MAX_N = 8  # a model's own call draws at most this many
MAX_STEPS = 1000
SCALE = 4
_cache: dict[tuple[str, float], tuple[Any, dict]] = {}


def weights_path(arch: str) -> Path:
    """The weights `arch` runs with: the user's own training first, else the shipped file."""
    from assistant.tools import trained

    return trained.file("imagine", arch, f"{arch}.safetensors", WEIGHTS_DIR)


def load_model(arch: str):
    """(model, info) for `arch`, loaded once per process."""
    path = weights_path(arch)
    if not path.is_file():
        raise UsageError(
            f"no {arch} weights at {path}; train them with `parley train image --arch {arch}`"
        )
    key = (str(path), path.stat().st_mtime)
    if key not in _cache:
        from assistant.tools.imagine import models

        _cache[key] = models.load(path)
    return _cache[key]


class ImagineTool(Tool):
    name = "imagine"
    description = (
        "Draw a Fashion-MNIST item (sneaker, dress, bag, ...) with a GAN, VAE or diffusion model."
    )
    usage = (
        "/imagine WORDS [--arch diffusion|gan|vae] [--n N] [--seed S] [--steps N] "
        "[--guidance W] [--out FILE.png [--force]] | /imagine --interpolate CLASS,CLASS [--n N]"
    )
    parameters = params(
        Param(
            "prompt",
            "words naming one class: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, "
            "Shirt, Sneaker, Bag, Ankle boot",
            nargs="*",
            metavar="WORDS",
            model="required",
        ),
        Param(
            "n",
            f"how many images (1 to {MAX_N}; default 1, 8 frames when interpolating)",
            type=int,
            flags=("--n", "-n"),
            metavar="N",
            model="optional",
            model_choices=tuple(range(1, MODEL_MAX_N + 1)),
        ),
        Param("seed", "random seed (default 0)", type=int, flags=("--seed", "-s"), metavar="S"),
        Param(
            "steps",
            f"diffusion denoising steps (1 to {MAX_STEPS}; default 10)",
            type=int,
            flags=("--steps",),
            metavar="N",
        ),
        Param(
            "guidance",
            "diffusion classifier-free guidance weight (default: as the weights record, 2)",
            type=float,
            flags=("--guidance", "-g"),
            metavar="W",
        ),
        png_out("where to save the PNG (default: $PARLEY_HOME/images/...)"),
        Param(
            "interpolate",
            "two classes, 'sneaker,boot': the VAE morphs from one to the other",
            flags=("--interpolate", "-i"),
            metavar="CLASS,CLASS",
        ),
        Param(
            "force",
            "overwrite --out (and its -1.png, -2.png, ... singles) if they exist",
            type=bool,
            flags=("--force",),
        ),
    )

    def backends(self) -> list[BackendInfo]:
        return [
            BackendInfo(
                arch,
                ARCHITECTURES[arch],
                weights_path(arch).is_file(),
                _metrics(arch) or measured(self.name, arch),
                default=arch == "diffusion",
            )
            for arch in ("diffusion", "gan", "vae")
        ]

    def options(self, parser: ArgParser) -> None:
        parser.add_argument(
            "--arch", "-a", dest="backend", metavar="diffusion|gan|vae", help="which model draws"
        )

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        words = " ".join(args.pop("prompt", []) or []).strip()
        if words:
            args["prompt"] = words
        if not words and not args.get("interpolate"):
            raise CommandUsageError("say what to draw, e.g. `/imagine a sneaker`", self.usage)
        if args.get("interpolate") and args.get("backend") is None:
            args["backend"] = "vae"
        return args

    def run(self, backend: str | None = None, progress: Progress | None = None, **arguments: Any):
        if arguments.get("interpolate") and backend is None:
            backend = "vae"
        return super().run(backend=backend, progress=progress, **arguments)

    def execute(
        self,
        backend: str,
        progress: Progress | None = None,
        prompt: str = "",
        n: int | None = None,
        seed: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        out: str | None = None,
        interpolate: str | None = None,
        force: bool | None = None,
    ) -> Output:
        import torch

        from assistant.tools.imagine import sampling
        from assistant.tools.imagine.classes import match

        n = _int_in("--n", n, 1, MAX_N, default=8 if interpolate else 1)
        seed = int(seed or 0)
        if steps is not None:
            steps = _int_in("--steps", steps, 1, MAX_STEPS, default=None)
        if guidance is not None and not 0 <= float(guidance) <= 20:
            raise UsageError(f"--guidance must be 0 to 20; got {guidance}")
        out_path = _out_path(out)
        if out_path is not None:
            refuse_overwrite(_files(out_path, n), bool(force))
        model, info = load_model(backend)
        classes = info["classes"]
        notes = []
        start = time.perf_counter()
        if interpolate:
            if backend != "vae":
                raise UsageError(
                    f"--interpolate needs the vae backend (not {backend}); drop --arch"
                )
            parts = [p for p in str(interpolate).split(",") if p.strip()]
            if len(parts) != 2:
                raise UsageError(
                    f"--interpolate takes two classes, like sneaker,boot; got {interpolate!r}"
                )
            a, b = match(parts[0], classes), match(parts[1], classes)
            images = sampling.interpolate(model, info, a, b, n, seed=seed)
            labels, what = None, f"{classes[a]} -> {classes[b]}"
        else:
            label = match(prompt, classes)
            labels, what = [label] * n, classes[label]
            if steps is not None and backend != "diffusion":
                notes.append(f"--steps applies to diffusion only; {backend} draws in one pass")
            if guidance is not None and backend != "diffusion":
                notes.append(f"--guidance applies to diffusion only; {backend} ignores it")

            def step_progress(i: int, total: int) -> None:
                if progress is not None:
                    progress(f"denoising step {i}/{total}")

            with torch.inference_mode():
                images = sampling.sample(
                    model,
                    info,
                    labels,
                    seed=seed,
                    steps=steps,
                    guidance=guidance,
                    progress=step_progress,
                )
        seconds = time.perf_counter() - start
        files = _files(out_path or _default_path(what, backend, seed, n), n)
        sampling.save_png(
            images[0] if n == 1 else sampling.grid(images, min(n, 8)), files[0], SCALE
        )
        for image, path in zip(images, files[1:], strict=False):
            sampling.save_png(image, path, SCALE)
        confidence = _confidence(images, labels, info)
        text = (
            f"{n} image{'s' if n > 1 else ''} of {what} by {backend} (seed {seed}) in "
            f"{seconds:.2f} s -> {files[0]}" + (f" (+{n} single PNGs)" if n > 1 else "")
        )
        return Output(
            text="; ".join([text, *notes]),
            confidence=confidence,
            images=[files[0]],
            data={
                "class": what,
                "files": [str(f) for f in files],
                "seed": seed,
                "n": n,
                "weights": str(weights_path(backend)),
                "samples_per_s": round(n / seconds, 2),
            },
        )


def _metrics(arch: str) -> dict[str, Any]:
    """What `bench/images.py` measured for the shipped weights (conditional accuracy, FID, ...)."""
    import json

    try:
        return dict(json.loads((WEIGHTS_DIR / "metrics.json").read_text()).get(arch, {}))
    except (OSError, ValueError):
        return {}


def _int_in(flag: str, value, low: int, high: int, default):
    if value is None:
        return default
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{flag} must be a whole number; got {value!r}") from None
    if not low <= value <= high:
        raise UsageError(f"{flag} must be {low} to {high}; got {value}")
    return value


def _out_path(out: str | None) -> Path | None:
    if not out:
        return None
    path = Path(str(out).lstrip("@")).expanduser()
    if path.suffix.lower() != ".png":
        raise UsageError(f"--out must end in .png (images are saved as PNG); got {path}")
    return path


def _files(path: Path, n: int) -> list[Path]:
    """What one call writes: the image (or the grid of `n`) at `path`, then for several images
    each one as `STEM-1.png`, `STEM-2.png`, ..."""
    return [path] + (
        [path.with_name(f"{path.stem}-{i}.png") for i in range(1, n + 1)] if n > 1 else []
    )


def _default_path(what: str, backend: str, seed: int, n: int) -> Path:
    """A new name in `$PARLEY_HOME/images/` whose files are all free (two calls in the same
    second with the same seed get `...-seed0-2.png`)."""
    from assistant import paths

    slug = "-".join("".join(c if c.isalnum() else " " for c in what.lower()).split())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = paths.home() / "images" / f"{stamp}-{slug}-{backend}-seed{seed}.png"
    path, k = base, 1
    while any(p.exists() for p in _files(path, n)):
        k += 1
        path = base.with_name(f"{base.stem}-{k}.png")
    return path


def _confidence(images, labels, info) -> float | None:
    """The shipped classifier's mean probability of the asked class (Fashion-MNIST only)."""
    from assistant.tools.imagine.classes import FASHION_CLASSES

    judge = WEIGHTS_DIR / "classifier.safetensors"
    if labels is None or info["classes"] != FASHION_CLASSES or not judge.is_file():
        return None
    import torch
    from safetensors.torch import load_file

    from assistant.tools.imagine.models import classifier

    net = classifier()
    net.load_state_dict(load_file(str(judge)))
    with torch.no_grad():
        probs = net.eval()(images).softmax(1)
    return float(probs[torch.arange(len(labels)), torch.as_tensor(labels)].mean())
