"""The restorer's network: a small convolutional UNet denoiser with EDM preconditioning.

It is a score-based diffusion model in the variance-exploding form of Karras et al. 2022 ("EDM"):
a noisy image is `x = x0 + sigma * n` (pixels in [-1, 1], `n` white Gaussian noise), and the
network `D(x, sigma)` estimates `x0` for any noise level `sigma` in about [0.002, 80]. Because the
noise level is an input, a photo with noise of standard deviation `s` (of 255) *is* a point on the
diffusion path at `sigma = 2 s / 255`: denoising starts the reverse process right there
(`assistant/tools/restore/sampler.py`).

The UNet is fully convolutional (no attention), so it runs on any image size that is a multiple of
4 and was trained on small patches (`train.py`). One channel in, one channel out: colour
photos are restored channel by channel in an orthogonal opponent colour space (`image.py`).

    net = load()                      # trained weights, else the shipped weights/*.safetensors
    x0 = net(x_noisy, sigma)          # x: (B, 1, H, W) in [-1, 1], sigma: (B,)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

WEIGHTS_DIR = Path(__file__).with_name("weights")
WEIGHTS_FILE = WEIGHTS_DIR / "restore-unet.safetensors"
SIGMA_DATA = 0.5  # standard deviation of pixel values in [-1, 1], roughly, for photos


@dataclass
class NetConfig:
    channels: tuple[int, ...] = (32, 64, 96)  # per resolution: full, /2, /4
    emb_dim: int = 128
    groups: int = 8


def _torch():
    import torch
    from torch import nn

    return torch, nn


def build(config: NetConfig | None = None) -> Any:
    """A fresh (randomly initialised) denoiser `D(x, sigma)`."""
    torch, nn = _torch()
    cfg = config or NetConfig()
    F = torch.nn.functional

    class ResBlock(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.norm1 = nn.GroupNorm(min(cfg.groups, cin), cin)
            self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
            self.emb = nn.Linear(cfg.emb_dim, 2 * cout)
            self.norm2 = nn.GroupNorm(min(cfg.groups, cout), cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
            nn.init.zeros_(self.conv2.weight)
            nn.init.zeros_(self.conv2.bias)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x, emb):
            h = self.conv1(F.silu(self.norm1(x)))
            scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
            h = self.conv2(F.silu(h))
            return self.skip(x) + h

    class UNet(nn.Module):
        """F(c_in x, c_noise): encoder (1 block per level), middle, decoder with skips."""

        def __init__(self) -> None:
            super().__init__()
            ch = cfg.channels
            self.freqs = nn.Parameter(torch.randn(cfg.emb_dim // 2) * 4.0, requires_grad=False)
            self.emb = nn.Sequential(
                nn.Linear(cfg.emb_dim, cfg.emb_dim), nn.SiLU(), nn.Linear(cfg.emb_dim, cfg.emb_dim)
            )
            self.inp = nn.Conv2d(1, ch[0], 3, padding=1)
            self.enc = nn.ModuleList()
            self.down = nn.ModuleList()
            for i, c in enumerate(ch):
                self.enc.append(ResBlock(ch[max(i - 1, 0)] if i else ch[0], c))
                if i < len(ch) - 1:
                    self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
            self.mid = ResBlock(ch[-1], ch[-1])
            self.dec = nn.ModuleList()
            self.up = nn.ModuleList()
            for i in reversed(range(len(ch))):
                self.dec.append(ResBlock(2 * ch[i], ch[i]))
                if i > 0:
                    self.up.append(nn.Conv2d(ch[i], ch[i - 1], 3, padding=1))
            self.out_norm = nn.GroupNorm(min(cfg.groups, ch[0]), ch[0])
            self.out = nn.Conv2d(ch[0], 1, 3, padding=1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, x, c_noise):
            f = c_noise[:, None] * self.freqs[None, :]
            emb = self.emb(torch.cat([f.cos(), f.sin()], dim=1))
            h = self.inp(x)
            skips = []
            for i, block in enumerate(self.enc):
                h = block(h, emb)
                skips.append(h)
                if i < len(self.down):
                    h = self.down[i](h)
            h = self.mid(h, emb)
            for j, block in enumerate(self.dec):
                h = block(torch.cat([h, skips.pop()], dim=1), emb)
                if j < len(self.up):
                    h = self.up[j](F.interpolate(h, scale_factor=2, mode="nearest"))
            return self.out(F.silu(self.out_norm(h)))

    class Denoiser(nn.Module):
        """EDM preconditioning around the UNet: D(x, s) = c_skip x + c_out F(c_in x, ln(s)/4)."""

        def __init__(self) -> None:
            super().__init__()
            self.config = cfg
            self.unet = UNet()

        def forward(self, x, sigma):
            s = sigma.reshape(-1, 1, 1, 1).to(x.dtype)
            c_skip = SIGMA_DATA**2 / (s**2 + SIGMA_DATA**2)
            c_out = s * SIGMA_DATA / (s**2 + SIGMA_DATA**2).sqrt()
            c_in = 1 / (s**2 + SIGMA_DATA**2).sqrt()
            return c_skip * x + c_out * self.unet(c_in * x, sigma.reshape(-1).log() / 4)

    return Denoiser()


def loss_weight(sigma: Any) -> Any:
    """EDM's per-noise-level loss weight, so every level contributes about equally."""
    return (sigma**2 + SIGMA_DATA**2) / (sigma * SIGMA_DATA) ** 2


def save(net: Any, path: Path, meta: dict[str, Any] | None = None, half: bool = True) -> None:
    """Weights (fp16 by default: half the size, same results to ~0.01 dB) and the config as
    safetensors metadata; written to a temporary file, then renamed."""
    from safetensors.torch import save_file

    state = {
        k: (v.half() if half and v.is_floating_point() else v).contiguous()
        for k, v in net.state_dict().items()
    }
    metadata = {"config": json.dumps(asdict(net.config))}
    metadata.update({k: json.dumps(v) for k, v in (meta or {}).items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp), metadata=metadata)
    tmp.replace(path)


def read_metadata(path: Path) -> dict[str, Any]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata() or {}
    return {k: json.loads(v) for k, v in raw.items()}


def default_weights() -> Path:
    """The weights the tool uses: the user's own trained ones if any (`parley train restore`,
    `$PARLEY_HOME/tools/restore/diffusion/`), else the shipped ones."""
    from assistant.tools import trained

    return trained.file("restore", "diffusion", WEIGHTS_FILE.name, WEIGHTS_DIR)


def load(path: Path | None = None) -> Any:
    """The denoiser with weights from `path` (default: `default_weights()`), eval mode, fp32."""
    from safetensors.torch import load_file

    from assistant.errors import ModelLoadError

    path = Path(path) if path else default_weights()
    if not path.is_file():
        raise ModelLoadError(
            f"no restore weights at {path}; train them with `parley train restore`"
        )
    meta = read_metadata(path)
    raw = meta.get("config", {})
    cfg = NetConfig(**{**raw, "channels": tuple(raw.get("channels", NetConfig.channels))})
    net = build(cfg)
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    net.load_state_dict(state)
    net.eval()
    return net


def count_parameters(net: Any) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def sigma_of(noise_std_255: float) -> float:
    """Noise standard deviation on the 0-255 scale -> sigma in the model's [-1, 1] units."""
    return 2.0 * noise_std_255 / 255.0
