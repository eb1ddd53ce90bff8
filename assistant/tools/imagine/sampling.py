"""Drawing images from the three models, and writing them as PNG.

    from assistant.tools.imagine import sampling
    images = sampling.sample(model, info, labels=[7, 7], seed=1)   # (2, 1, 28, 28) in [-1, 1]
    sampling.save_png(images[0], "sneaker.png", scale=4)

GAN: one generator pass from Gaussian noise. VAE: the decoder from a prior draw. Diffusion: DDIM
(diffusers `DDIMScheduler`, eta 0) over `steps` steps with classifier-free guidance
`eps = eps(x, none) + w * (eps(x, class) - eps(x, none))`; `progress(step, steps)` is called
after each step. Sampling is deterministic for a seed. torch is imported here: import lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

StepProgress = Callable[[int, int], None]
DEFAULT_STEPS = 10


def scheduler(info: dict[str, Any]):
    """The DDIM scheduler matching the training noise schedule (squared-cosine betas)."""
    from diffusers import DDIMScheduler

    return DDIMScheduler(
        num_train_timesteps=info["config"]["train_timesteps"],
        beta_schedule="squaredcos_cap_v2",
        clip_sample=True,
        set_alpha_to_one=False,
        prediction_type="epsilon",
    )


@torch.no_grad()
def sample(
    model: torch.nn.Module,
    info: dict[str, Any],
    labels: Sequence[int],
    seed: int = 0,
    steps: int | None = None,
    guidance: float | None = None,
    progress: StepProgress | None = None,
) -> torch.Tensor:
    """Images of the given classes, (n, 1, size, size) in [-1, 1]."""
    arch, config = info["arch"], info["config"]
    gen = torch.Generator().manual_seed(int(seed))
    y = torch.as_tensor(list(labels), dtype=torch.long)
    n = len(y)
    if arch == "gan":
        out = model(torch.randn(n, config["z_dim"], generator=gen), y)
    elif arch == "vae":
        out = model.decode(torch.randn(n, config["z_dim"], generator=gen), y)
    elif arch == "diffusion":
        out = ddim(model, info, y, gen, steps or DEFAULT_STEPS, guidance, progress)
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return out.clamp(-1, 1)


def ddim(model, info, y, gen, steps, guidance=None, progress=None) -> torch.Tensor:
    """Classifier-free-guided DDIM from pure noise."""
    config = info["config"]
    w = float(config.get("guidance", 2.0) if guidance is None else guidance)
    sched = scheduler(info)
    sched.set_timesteps(int(steps))
    n, size = len(y), config["size"]
    x = torch.randn(n, 1, size, size, generator=gen)
    null = torch.full_like(y, config["num_classes"])
    both = torch.cat([y, null])
    for i, t in enumerate(sched.timesteps):
        eps = model(torch.cat([x, x]), t, class_labels=both).sample
        cond, uncond = eps.chunk(2)
        x = sched.step(uncond + w * (cond - uncond), t, x).prev_sample
        if progress is not None:
            progress(i + 1, len(sched.timesteps))
    return x


@torch.no_grad()
def interpolate(model, info, a: int, b: int, n: int, seed: int = 0) -> torch.Tensor:
    """VAE only: `n` images from class `a` to class `b`, one latent, the class blended between."""
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(1, info["config"]["z_dim"], generator=gen).expand(n, -1)
    t = torch.linspace(0, 1, n)
    return model.decode_mixed(z, a, b, t).clamp(-1, 1)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, H, W) or (H, W) in [-1, 1] -> (H, W) uint8."""
    arr = image.detach().float().cpu().numpy().reshape(image.shape[-2:])
    return np.round((arr + 1) * 127.5).clip(0, 255).astype(np.uint8)


def save_png(image: torch.Tensor, path: str | Path, scale: int = 1) -> Path:
    """One grey image as PNG, each pixel repeated `scale` times each way (nearest neighbour)."""
    from PIL import Image

    arr = to_uint8(image)
    if scale > 1:
        arr = arr.repeat(scale, 0).repeat(scale, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr, mode="L").save(path, format="PNG")
    return path


def grid(images: torch.Tensor, columns: int, pad: int = 2) -> torch.Tensor:
    """Tile (n, 1, H, W) into one (1, H', W') image with a dark gap between tiles."""
    n, _, h, w = images.shape
    rows = -(-n // columns)
    out = torch.full((1, rows * (h + pad) + pad, columns * (w + pad) + pad), -1.0)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        out[:, top : top + h, left : left + w] = images[i]
    return out
