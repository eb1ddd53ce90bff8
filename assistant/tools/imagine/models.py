"""The three class-conditional image models behind `/imagine`, and how their weights are stored.

- `Generator` / `Discriminator`: a small DCGAN (transposed convolutions, batch norm); the class
  enters the generator as a learned embedding beside the noise and the discriminator by projection.
- `VAE`: a convolutional encoder to a Gaussian latent and a decoder from (latent, class embedding).
- `unet(config)`: a diffusers `UNet2DModel` with a class embedding (one extra "no class" label for
  classifier-free guidance), sampled with a DDIM scheduler (`sampling.py`).

Images are one grey channel, `size` x `size` (28 for Fashion-MNIST, 8 for the test digits; a
multiple of 4), in [-1, 1]. Weights are safetensors whose metadata holds `{"arch", "config",
"classes", ...}` as JSON, so `load(path)` rebuilds the model with no other file. torch is imported
here, so import this module lazily (inside functions) from anything the CLI loads at start-up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

ARCHS = ("gan", "vae", "diffusion")


def default_config(arch: str, size: int = 28, num_classes: int = 10) -> dict[str, Any]:
    """Small sizes that train in minutes on a laptop CPU."""
    base = {"size": size, "num_classes": num_classes}
    if arch == "gan":
        return {**base, "z_dim": 64, "width": 16}
    if arch == "vae":
        return {**base, "z_dim": 16, "width": 16}
    if arch == "diffusion":
        return {**base, "channels": [16, 32, 32], "train_timesteps": 1000, "guidance": 2.0}
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


class _UpDecoder(nn.Module):
    """(vector, class) -> image: linear to 4w x s/4 x s/4, two stride-2 transposed convolutions."""

    def __init__(self, in_dim: int, size: int, num_classes: int, width: int) -> None:
        super().__init__()
        self.size, self.width = size, width
        self.embed = nn.Embedding(num_classes, 16)
        s = size // 4
        self.project = nn.Sequential(
            nn.Linear(in_dim + 16, 4 * width * s * s), nn.BatchNorm1d(4 * width * s * s), nn.ReLU()
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, 1, 3, 1, 1),
        )

    def forward(self, v: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([v, self.embed(labels)], dim=1))
        s = self.size // 4
        return self.net(h.view(-1, 4 * self.width, s, s))


def _down(width: int) -> nn.Sequential:
    """image -> 2w x s/4 x s/4 features: two stride-2 convolutions."""
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1),
        nn.BatchNorm2d(2 * width),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
    )


class Generator(nn.Module):
    """DCGAN generator: (noise, class) -> image in [-1, 1]."""

    def __init__(self, size: int, num_classes: int, z_dim: int, width: int) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.decoder = _UpDecoder(z_dim, size, num_classes, width)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.decoder(z, labels))


class Discriminator(nn.Module):
    """DCGAN discriminator with a projection class term (Miyato & Koyama 2018): a logit."""

    def __init__(self, size: int, num_classes: int, z_dim: int, width: int) -> None:
        super().__init__()
        feat = 2 * width * (size // 4) ** 2
        self.features = _down(width)
        self.out = nn.Linear(feat, 1)
        self.project = nn.Embedding(num_classes, feat)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return self.out(h).squeeze(1) + (self.project(labels) * h).sum(1) / h.shape[1] ** 0.5


class VAE(nn.Module):
    """Conditional VAE: q(z | x, class) and p(x | z, class); the decoder gives pixel logits."""

    def __init__(self, size: int, num_classes: int, z_dim: int, width: int) -> None:
        super().__init__()
        self.z_dim = z_dim
        feat = 2 * width * (size // 4) ** 2
        self.features = _down(width)
        self.embed = nn.Embedding(num_classes, 16)
        self.stats = nn.Linear(feat + 16, 2 * z_dim)
        self.decoder = _UpDecoder(z_dim, size, num_classes, width)

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.stats(torch.cat([self.features(x), self.embed(labels)], 1)).chunk(2, 1)
        return mu, logvar.clamp(-10, 10)

    def decode_logits(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.decoder(z, labels)

    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] (the Bernoulli means, rescaled)."""
        return torch.sigmoid(self.decode_logits(z, labels)) * 2 - 1

    def decode_mixed(self, z: torch.Tensor, a: int, b: int, t: torch.Tensor) -> torch.Tensor:
        """Decode with the class embedding interpolated from class `a` (t=0) to `b` (t=1)."""
        dec = self.decoder
        ea, eb = dec.embed.weight[a], dec.embed.weight[b]
        cond = ea[None] * (1 - t[:, None]) + eb[None] * t[:, None]
        h = dec.project(torch.cat([z, cond], dim=1))
        s = dec.size // 4
        return torch.sigmoid(dec.net(h.view(-1, 4 * dec.width, s, s))) * 2 - 1


def unet(config: dict[str, Any]):
    """The diffusion model's noise predictor: a small class-conditional diffusers UNet2DModel.

    Three resolutions (s, s/2, s/4), one ResNet block per level, no attention; the class embedding
    has `num_classes + 1` rows, the last being "no class" for classifier-free guidance.
    """
    from diffusers import UNet2DModel

    channels = tuple(config["channels"])
    return UNet2DModel(
        sample_size=config["size"],
        in_channels=1,
        out_channels=1,
        block_out_channels=channels,
        layers_per_block=1,
        down_block_types=("DownBlock2D",) * len(channels),
        up_block_types=("UpBlock2D",) * len(channels),
        add_attention=False,
        norm_num_groups=8,
        num_class_embeds=config["num_classes"] + 1,
    )


def classifier():
    """The Fashion-MNIST judge (trained by `assistant.tools.imagine.data`):
    conv32-pool-conv64-pool-fc128-fc10 with dropout; the fc128 are `.features(x)`.
    """

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
            )  # fmt: skip
            self.drop = nn.Dropout(0.3)
            self.head = nn.Linear(128, 10)

        def features(self, x):
            return self.body(x)

        def forward(self, x):
            return self.head(self.drop(self.body(x)))

    return Classifier()


def build(arch: str, config: dict[str, Any]) -> nn.Module:
    """The inference model of `arch` (the GAN's generator, the whole VAE, the UNet)."""
    if arch == "diffusion":
        return unet(config)
    keys = {k: config[k] for k in ("size", "num_classes", "z_dim", "width")}
    if arch == "gan":
        return Generator(**keys)
    if arch == "vae":
        return VAE(**keys)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


def save(
    path: Path, arch: str, model: nn.Module, config: dict[str, Any], classes: list[str], **meta
) -> Path:
    """Write fp16 weights plus the metadata `load` needs (atomically: tmp file, then rename)."""
    from safetensors.torch import save_file

    state = {k: v.detach().to(torch.float16 if v.is_floating_point() else v.dtype).contiguous()
             for k, v in model.state_dict().items()}  # fmt: skip
    info = {"arch": arch, "config": config, "classes": classes, **meta}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={"parley": json.dumps(info)})
    tmp.replace(path)
    return path


def read_info(path: Path) -> dict[str, Any]:
    """The metadata of a weights file (arch, config, classes, and what training recorded)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return json.loads((f.metadata() or {})["parley"])


def load(path: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The model in a weights file, in fp32 eval mode, and its metadata."""
    from safetensors.torch import load_file

    info = read_info(path)
    model = build(info["arch"], info["config"])
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    model.load_state_dict(state)
    return model.float().eval(), info
