"""The reverse diffusion process for restoration: denoising and RePaint-style inpainting.

Both work on one grey plane at a time, pixels in [-1, 1], with the denoiser `D(x, sigma)` of
`model.py` (variance-exploding diffusion, `x_sigma = x0 + sigma * n`).

- `denoise(net, y, sigma_in, steps)`: a noisy photo with noise std `sigma_in` is the diffusion
  state at `sigma_in`, so the reverse process starts there (no noise is added) and runs `steps`
  deterministic Euler steps of the probability-flow ODE down to 0 on Karras' schedule (rho = 7).
  `steps=1` is a single call of the denoiser (its posterior-mean estimate).
- `inpaint(net, y, known, ...)`: RePaint (Lugmayr et al. 2022) in this parameterisation. It starts
  from pure noise at `sigma_max`; before every step, the known pixels are replaced with the photo
  noised to the current level, then an ancestral (stochastic) step goes down one level; each
  step is repeated `resample` times by noising back up (RePaint's resampling), which lets the
  filled region agree with its surroundings. If the photo itself is noisy (`sigma_in > 0`), the
  known pixels are only imposed while the level is above `sigma_in`; below it, the whole plane is
  denoised together. With a clean photo the known pixels are copied into the result exactly.
  `samples=K` draws K fills in one batch and returns their mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Inpainting starts from pure noise at SIGMA_MAX: 10x the pixels' spread, yet inside the noise
# levels training covers (at 10 and above the small model's estimate collapses to grey).
SIGMA_MAX = 5.0
SIGMA_MIN = 0.002


def karras_sigmas(sigma_hi: float, sigma_lo: float, steps: int, rho: float = 7.0) -> list[float]:
    """`steps` noise levels from `sigma_hi` down to `sigma_lo`, then 0 (EDM's schedule).

    >>> [round(s, 3) for s in karras_sigmas(1.0, 0.01, 3)]
    [1.0, 0.17, 0.01, 0.0]
    """
    if steps <= 1:
        return [sigma_hi, 0.0]
    a, b = sigma_hi ** (1 / rho), sigma_lo ** (1 / rho)
    return [(a + i / (steps - 1) * (b - a)) ** rho for i in range(steps)] + [0.0]


def _call(net: Any, x: Any, sigma: float) -> Any:
    import torch

    with torch.no_grad():
        return net(x, torch.full((x.shape[0],), float(sigma)))


def denoise(net: Any, y: Any, sigma_in: float, steps: int = 1) -> Any:
    """Remove white Gaussian noise of std `sigma_in` (model units) from `y`, (B, 1, H, W)."""
    if sigma_in <= 0:
        return y.clone()
    sigmas = karras_sigmas(sigma_in, min(sigma_in, max(SIGMA_MIN, sigma_in / 10)), steps)
    x = y
    for s, s_next in zip(sigmas[:-1], sigmas[1:], strict=True):
        d = _call(net, x, s)
        x = d if s_next == 0 else x + (s_next - s) * (x - d) / s
    return x.clamp(-1, 1)


def inpaint(
    net: Any,
    y: Any,
    known: Any,
    sigma_in: float = 0.0,
    steps: int = 20,
    resample: int = 2,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    sigma_max: float = SIGMA_MAX,
    eta: float = 1.0,
    samples: int = 1,
) -> Any:
    """Fill the pixels where `known` is False; (B, 1, H, W) tensors, `known` boolean.
    `eta` scales the fresh noise of each step (1: ancestral sampling, 0: deterministic).
    `samples` > 1 draws that many fills in one batch and returns their mean: an estimate of the
    posterior mean, the fill with the least expected squared error (so the best PSNR), smoother
    than any one sample."""
    import torch

    if samples > 1:
        many = inpaint(
            net,
            y.repeat_interleave(samples, 0),
            known.repeat_interleave(samples, 0),
            sigma_in,
            steps,
            resample,
            seed,
            progress,
            sigma_max,
            eta,
        )
        return many.view(y.shape[0], samples, *many.shape[1:]).mean(1)

    gen = torch.Generator().manual_seed(seed)

    def noise_like(t):
        return torch.randn(t.shape, generator=gen)

    known = known.to(torch.bool)
    sigmas = karras_sigmas(sigma_max, SIGMA_MIN, steps)
    x = noise_like(y) * sigmas[0]
    total, done = (len(sigmas) - 1) * resample, 0
    for i, (s, s_next) in enumerate(zip(sigmas[:-1], sigmas[1:], strict=True)):
        repeats = resample if i < len(sigmas) - 2 else 1
        for r in range(repeats):
            if s > sigma_in:  # the known pixels at this level: the photo plus the missing noise
                extra = (s * s - sigma_in * sigma_in) ** 0.5
                x = torch.where(known, y + extra * noise_like(y), x)
            d = _call(net, x, s)
            if s_next == 0:
                x = d
            else:  # ancestral step: deterministic part down to s_down, fresh noise up to s_next
                s_up = min(s_next, eta * (s_next**2 * (s**2 - s_next**2) / s**2) ** 0.5)
                s_down = (s_next**2 - s_up**2) ** 0.5
                x = x + (s_down - s) * (x - d) / s + s_up * noise_like(x)
                if r < repeats - 1:  # RePaint resampling: back up to level s and redo the step
                    x = x + (s * s - s_next * s_next) ** 0.5 * noise_like(x)
            done += 1
            if progress:
                progress(done, total)
    x = x.clamp(-1, 1)
    if sigma_in <= 0:
        x = torch.where(known, y, x)
    return x
