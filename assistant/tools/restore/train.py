"""Train the restorer's diffusion denoiser on patches of photographs that installed packages bundle.

    parley train restore             # -> $PARLEY_HOME/tools/restore/diffusion/ (the tool uses it)
    parley train restore --max-minutes 2 --output-dir /tmp/restore     # a quick run
    python -m assistant.tools.restore.train --help

The model (`assistant/tools/restore/model.py`) is an EDM-style denoiser `D(x, sigma)`: each step
takes random patches, adds Gaussian noise at a random level (ln sigma ~ N(-1.2, 1.2^2), Karras et
al. 2022) and regresses the clean patch with EDM's loss weight. Photos are grey, or the luminance
and (now and then) a chroma channel of the opponent colour space the tool restores colour in.

Held out of training entirely: `camera`, `astronaut`, `coffee` (the benchmark's test images) and
`chelsea` (validation: the checkpoint log's PSNR, and the step counts chosen for the tool).
A checkpoint (model, EMA, optimizer, step; safetensors, no pickle) is written every
`--checkpoint-every` steps to the output dir; running again resumes from it. The weights the tool
loads are the EMA's, in fp16.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from assistant.tools import trained, training

PROG = "python -m assistant.tools.restore.train"
TRAIN_IMAGES = (
    "brick", "cell", "coins", "grass", "gravel", "hubble_deep_field", "immunohistochemistry",
    "moon", "page", "retina", "rocket", "motorcycle_left", "motorcycle_right", "text",
    "china", "flower", "grace_hopper",
)  # fmt: skip
# Photos bundled by other installed packages (scikit-image has few of everyday scenes and people):
# scikit-learn's two sample images and matplotlib's portrait of Grace Hopper.
OTHER_PHOTOS = {
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
VALIDATION_IMAGES = ("chelsea",)
TEST_IMAGES = ("camera", "astronaut", "coffee")


@dataclass
class RestoreConfig:
    output_dir: str | None = training.output_dir_field(
        "restore", "diffusion", "where weights + checkpoint go"
    )
    steps: int = field(default=3000, metadata={"help": "optimizer steps"})
    max_minutes: float = training.budget_field(20.0)
    patch: int = field(default=32, metadata={"help": "patch side in pixels (multiple of 4)"})
    batch_size: int = field(default=32, metadata={"help": "patches per step"})
    lr: float = field(default=2e-3, metadata={"help": "Adam learning rate (cosine decay)"})
    ema: float = field(default=0.998, metadata={"help": "EMA decay of the shipped weights"})
    channels: str = field(default="16,32,64", metadata={"help": "UNet widths per resolution"})
    checkpoint_every: int = field(default=200, metadata={"help": "steps between checkpoints"})
    threads: int = training.threads_field(2, "; 1 on a busy CPU")
    images: str = field(
        default=",".join(TRAIN_IMAGES),
        metadata={"help": f"photos to train on: skimage.data names, {', '.join(OTHER_PHOTOS)}"},
    )
    seed: int = training.seed_field("patch sampling")
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "start from these weights (e.g. the shipped ones) instead of random; "
            "ignored when resuming from a checkpoint"
        },
    )


parse = training.parser(RestoreConfig, __doc__, PROG)


def load_photo(name: str):
    """A bundled photograph (`skimage.data` or `OTHER_PHOTOS`) as float32 in [0, 1], (H, W) grey
    or (H, W, 3) RGB."""
    import importlib

    import numpy as np
    import skimage.data
    import skimage.io
    from skimage.util import img_as_float32

    if name in OTHER_PHOTOS:
        package, relative = OTHER_PHOTOS[name]
        root = Path(importlib.import_module(package).__file__).parent
        image = skimage.io.imread(root / relative)
    elif name.startswith("motorcycle_"):
        left, right, _ = skimage.data.stereo_motorcycle()
        image = left if name.endswith("left") else right
    else:
        image = getattr(skimage.data, name)()
    image = img_as_float32(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    return np.ascontiguousarray(image)


def planes(image, rng, chroma_p: float = 0.15):
    """The grey planes one photo contributes: itself, or its luminance and maybe one chroma."""
    from assistant.tools.restore.image import to_opponent

    if image.ndim == 2:
        return [image]
    opp = to_opponent(image)
    out = [opp[..., 0]]
    if rng.random() < chroma_p:
        out.append(opp[..., 1 + int(rng.integers(2))])
    return out


class Patches:
    """Random patches (flips, 90° turns, and a 2x-downscaled copy of each photo for scale)."""

    def __init__(self, names, patch: int, seed: int) -> None:
        import numpy as np
        from skimage.transform import rescale

        self.rng = np.random.default_rng(seed)
        self.patch = patch
        self.planes = []
        for name in names:
            photo = load_photo(name)
            for plane in planes(photo, self.rng, chroma_p=1.0):
                self.planes.append(plane)
                self.planes.append(rescale(plane, 0.5, anti_aliasing=True).astype("float32"))
        areas = np.array([p.shape[0] * p.shape[1] for p in self.planes], dtype=float)
        self.weights = areas / areas.sum()

    def batch(self, n: int):
        import numpy as np
        import torch

        out = np.empty((n, 1, self.patch, self.patch), dtype=np.float32)
        which = self.rng.choice(len(self.planes), size=n, p=self.weights)
        turns = self.rng.integers(4, size=n)
        flips = self.rng.random(n) < 0.5
        for i in range(n):
            plane = self.planes[which[i]]
            y = self.rng.integers(plane.shape[0] - self.patch + 1)
            x = self.rng.integers(plane.shape[1] - self.patch + 1)
            p = np.rot90(plane[y : y + self.patch, x : x + self.patch], turns[i])
            out[i, 0] = p[:, ::-1] if flips[i] else p
        return torch.from_numpy(out) * 2 - 1


def training_loss(net, clean, generator=None, sigma=None):
    """EDM denoising loss of one batch of clean patches in [-1, 1]."""
    import torch

    from assistant.tools.restore.model import loss_weight

    n = clean.shape[0]
    if sigma is None:
        sigma = (torch.randn(n, generator=generator) * 1.2 - 1.2).exp()
    noise = torch.randn(clean.shape, generator=generator)
    denoised = net(clean + sigma.reshape(-1, 1, 1, 1) * noise, sigma)
    per = ((denoised - clean) ** 2).mean(dim=(1, 2, 3))
    return (loss_weight(sigma) * per).mean()


def validation_psnr(net, plane, noise_255: float = 25.0) -> float:
    """PSNR (dB) of a one-step denoise of a fixed noisy crop of the validation photo."""
    import torch

    h, w = (min(128, s) // 4 * 4 for s in plane.shape)
    clean = torch.from_numpy(plane[:h, :w].copy())[None, None] * 2 - 1
    gen = torch.Generator().manual_seed(1)
    sigma = torch.tensor([2 * noise_255 / 255])
    with torch.no_grad():
        out = net(clean + sigma * torch.randn(clean.shape, generator=gen), sigma).clamp(-1, 1)
    mse = float(((out - clean) / 2).pow(2).mean())
    return 10 * math.log10(1 / mse)


def _checkpoint_tensors(net, ema, optimizer):
    state = {f"model.{k}": v for k, v in net.state_dict().items()}
    state.update({f"ema.{k}": v for k, v in ema.state_dict().items()})
    for i, p in enumerate(net.parameters()):
        st = optimizer.state.get(p)
        if st:
            state[f"opt.{i}.exp_avg"] = st["exp_avg"]
            state[f"opt.{i}.exp_avg_sq"] = st["exp_avg_sq"]
            state[f"opt.{i}.step"] = st["step"].reshape(1).float()
    return {k: v.contiguous() for k, v in state.items()}


def _restore_checkpoint(path: Path, net, ema, optimizer) -> int:
    import torch
    from safetensors.torch import load_file

    from assistant.tools.restore.model import read_metadata

    tensors = load_file(str(path))
    net.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
    for i, p in enumerate(net.parameters()):
        if f"opt.{i}.exp_avg" in tensors:
            optimizer.state[p] = {
                "exp_avg": tensors[f"opt.{i}.exp_avg"],
                "exp_avg_sq": tensors[f"opt.{i}.exp_avg_sq"],
                "step": torch.tensor(float(tensors[f"opt.{i}.step"][0])),
            }
    return int(read_metadata(path).get("step", 0))


def train(config: RestoreConfig, progress: bool = True, log=print) -> Path:
    """Train (or resume); returns the path of the tool's weights file."""
    import copy

    import torch
    from tqdm import tqdm

    from assistant.tools.restore import model as restore_model

    training.start(config)
    out_dir = trained.output_dir(config.output_dir, "restore", "diffusion")
    ckpt_path = out_dir / "checkpoint.safetensors"
    channels = tuple(int(c) for c in config.channels.split(","))
    if config.patch % 4 or config.patch < 8:
        raise ValueError(f"--patch must be a multiple of 4 and at least 8, got {config.patch}")
    net = restore_model.build(restore_model.NetConfig(channels=channels))
    ema = copy.deepcopy(net).requires_grad_(False)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    step = _restore_checkpoint(ckpt_path, net, ema, optimizer) if ckpt_path.exists() else 0
    if step:
        log(f"resuming from {ckpt_path} at step {step}")
    elif config.init_from:
        start_net = restore_model.load(Path(config.init_from))
        if start_net.config.channels != channels:
            raise ValueError(
                f"--init-from {config.init_from} has widths {start_net.config.channels}, "
                f"not --channels {config.channels}"
            )
        net.load_state_dict(start_net.state_dict())
        ema.load_state_dict(start_net.state_dict())
        log(f"starting from the weights in {config.init_from}")
    names = [n.strip() for n in config.images.split(",") if n.strip()]
    held = sorted(set(names) & set(VALIDATION_IMAGES + TEST_IMAGES))
    if held or not names:
        raise ValueError(f"--images must name training photos; held out: {', '.join(held)}")
    data = Patches(names, config.patch, config.seed + step)
    val_plane = planes(load_photo(VALIDATION_IMAGES[0]), data.rng, chroma_p=0)[0]
    history: list[dict] = []
    clock = training.Stopwatch()
    bar = tqdm(total=config.steps, initial=step, desc="restore", disable=not progress)

    def checkpoint() -> None:
        meta = {"step": step, "config": {**vars(config)}}
        tmp = ckpt_path.with_suffix(".tmp")
        from safetensors.torch import save_file

        out_dir.mkdir(parents=True, exist_ok=True)
        save_file(
            _checkpoint_tensors(net, ema, optimizer),
            str(tmp),
            metadata={k: json.dumps(v) for k, v in meta.items()},
        )
        tmp.replace(ckpt_path)

    while step < config.steps and clock.minutes() < config.max_minutes:
        lr = config.lr * 0.5 * (1 + math.cos(math.pi * step / config.steps))
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 100)
        loss = training_loss(net, data.batch(config.batch_size))
        training.optimizer_step(loss, optimizer, net.parameters())
        with torch.no_grad():
            decay = min(config.ema, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), net.parameters(), strict=True):
                pe.lerp_(p, 1 - decay)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if step % config.checkpoint_every == 0 or step == config.steps:
            psnr = validation_psnr(ema, val_plane)
            minutes = round(clock.minutes(), 2)
            history.append(
                {
                    "step": step,
                    "loss": round(loss.item(), 5),
                    "val_psnr_25": round(psnr, 3),
                    "minutes": minutes,
                }
            )
            log(json.dumps(history[-1]))
            checkpoint()
    bar.close()
    checkpoint()
    weights = out_dir / restore_model.WEIGHTS_FILE.name
    restore_model.save(
        ema,
        weights,
        meta={
            "step": step,
            "init_from": Path(config.init_from).name if config.init_from else None,
            "train_images": names,
            "held_out": list(VALIDATION_IMAGES + TEST_IMAGES),
            "val_psnr_25": round(validation_psnr(ema, val_plane), 3),
            "minutes_this_run": round(clock.minutes(), 2),
        },
    )
    log(f"wrote {weights} (step {step}, {restore_model.count_parameters(net):,} parameters)")
    return weights


if __name__ == "__main__":
    training.script(parse, train)
