"""Train the `/imagine` tool's image models: a DCGAN, a VAE, or a DDPM, all class-conditional.

    parley train image --arch diffusion     # Fashion-MNIST -> $PARLEY_HOME/tools/imagine/diffusion
    parley train image --arch gan --dataset digits --epochs 2 --output-dir /tmp/gan
    python -m assistant.tools.imagine.train --help

- gan: non-saturating GAN loss, Adam(2e-4, 0.5, 0.999) for both nets, projection discriminator.
- vae: Bernoulli likelihood (BCE on pixels in [0, 1]) + KL to N(0, I), Adam 1e-3.
- diffusion: DDPM epsilon loss on a diffusers `UNet2DModel` with diffusers' `DDPMScheduler`
  (1,000 steps, squared-cosine betas); the class is dropped 10% of the time (the "no class" label)
  so sampling can use classifier-free guidance. An EMA of the weights is what ships.

Each epoch ends with a checkpoint (`checkpoint-ARCH.safetensors`: weights, optimizer moments,
epoch; no pickle) and a sample grid (`samples-ARCH-epoch-N.png`, one row per class) in the output
dir; running the same command again resumes after the last finished epoch. `--max-minutes` stops
early (after a checkpoint). The tool's weights file is `ARCH.safetensors` in the output dir.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.tools import trained, training

PROG = "python -m assistant.tools.imagine.train"
ARCHS = ("gan", "vae", "diffusion")


@dataclass
class ImageConfig:
    arch: str = field(
        default="diffusion", metadata={"help": "gan, vae or diffusion", "choices": ARCHS}
    )
    dataset: str = field(
        default="fashion-mnist",
        metadata={"help": "fashion-mnist or digits", "choices": ("fashion-mnist", "digits")},
    )
    epochs: int = field(default=5, metadata={"help": "passes over the training set"})
    output_dir: str | None = training.output_dir_field(
        "imagine", "ARCH", "weights, checkpoint, grids"
    )
    batch_size: int = field(default=128, metadata={"help": "images per step"})
    lr: float | None = field(default=None, metadata={"help": "learning rate (default per arch)"})
    max_steps: int | None = field(default=None, metadata={"help": "stop after this many steps"})
    max_minutes: float | None = training.budget_field(None)
    limit: int | None = field(default=None, metadata={"help": "use only the first N images"})
    threads: int = training.threads_field(2)
    seed: int = training.seed_field("shuffling, noise")


parse = training.parser(ImageConfig, __doc__, PROG)


class Trainer:
    """One architecture's models, optimizers and training step; `step(x, y) -> loss`."""

    def __init__(self, arch: str, config: dict, lr: float | None) -> None:
        import copy

        import torch

        from assistant.tools.imagine import models

        self.arch, self.config = arch, config
        self.model = models.build(arch, config)
        self.modules = {"model": self.model}
        if arch == "gan":
            self.disc = models.Discriminator(
                **{k: config[k] for k in ("size", "num_classes", "z_dim", "width")}
            )
            self.modules["disc"] = self.disc
            betas = (0.5, 0.999)
            self.opts = {
                "model": torch.optim.Adam(self.model.parameters(), lr=lr or 2e-4, betas=betas),
                "disc": torch.optim.Adam(self.disc.parameters(), lr=lr or 2e-4, betas=betas),
            }
        else:
            self.opts = {
                "model": torch.optim.Adam(
                    self.model.parameters(), lr=lr or (1e-3 if arch == "vae" else 2e-3)
                )
            }
        self.ema = None
        if arch == "diffusion":
            from diffusers import DDPMScheduler

            self.noise = DDPMScheduler(
                num_train_timesteps=config["train_timesteps"], beta_schedule="squaredcos_cap_v2"
            )
            self.ema = copy.deepcopy(self.model).requires_grad_(False)
            self.modules["ema"] = self.ema
        self.steps = 0
        self.last: dict[str, float] = {}

    def shipped(self):
        return self.ema if self.ema is not None else self.model

    def step(self, x, y, gen) -> float:
        import torch
        import torch.nn.functional as F

        self.model.train()
        n = len(y)
        if self.arch == "gan":
            z = torch.randn(n, self.config["z_dim"], generator=gen)
            fake = self.model(z, y)
            d_loss = (
                F.softplus(-self.disc(x, y)).mean() + F.softplus(self.disc(fake.detach(), y)).mean()
            )
            self._update("disc", d_loss)
            g_loss = F.softplus(-self.disc(fake, y)).mean()
            self._update("model", g_loss)
            loss = g_loss + d_loss
            self.last = {"d": d_loss.item(), "g": g_loss.item()}
        elif self.arch == "vae":
            mu, logvar = self.model.encode(x, y)
            z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)
            logits = self.model.decode_logits(z, y)
            rec = F.binary_cross_entropy_with_logits(logits, (x + 1) / 2, reduction="sum") / n
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / n
            loss = rec + kl
            self._update("model", loss)
        else:
            noise = torch.randn(x.shape, generator=gen)
            t = torch.randint(0, self.config["train_timesteps"], (n,), generator=gen)
            drop = torch.rand(n, generator=gen) < 0.1
            labels = torch.where(drop, torch.full_like(y, self.config["num_classes"]), y)
            pred = self.model(self.noise.add_noise(x, noise, t), t, class_labels=labels).sample
            loss = F.mse_loss(pred, noise)
            self._update("model", loss, clip=1.0)
            with torch.no_grad():
                decay = min(0.999, (1 + self.steps) / (10 + self.steps))
                for pe, p in zip(self.ema.parameters(), self.model.parameters(), strict=True):
                    pe.lerp_(p, 1 - decay)
        self.steps += 1
        return float(loss.detach())

    def _update(self, name: str, loss, clip: float = 0.0) -> None:
        training.optimizer_step(loss, self.opts[name], self.modules[name].parameters(), clip=clip)

    # --- checkpoints (safetensors: weights, Adam moments, counters) ---

    def state(self) -> dict:
        import torch

        out = {}
        for name, module in self.modules.items():
            out.update({f"{name}.{k}": v for k, v in module.state_dict().items()})
        for name, opt in self.opts.items():
            for i, p in enumerate(self.modules[name].parameters()):
                st = opt.state.get(p)
                if st:
                    out[f"opt.{name}.{i}.exp_avg"] = st["exp_avg"]
                    out[f"opt.{name}.{i}.exp_avg_sq"] = st["exp_avg_sq"]
                    out[f"opt.{name}.{i}.step"] = torch.as_tensor(st["step"]).reshape(1).float()
        return {k: v.detach().contiguous() for k, v in out.items()}

    def load_state(self, tensors: dict) -> None:
        import torch

        for name, module in self.modules.items():
            prefix = f"{name}."
            module.load_state_dict(
                {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            )
        for name, opt in self.opts.items():
            for i, p in enumerate(self.modules[name].parameters()):
                key = f"opt.{name}.{i}"
                if f"{key}.exp_avg" in tensors:
                    opt.state[p] = {
                        "exp_avg": tensors[f"{key}.exp_avg"],
                        "exp_avg_sq": tensors[f"{key}.exp_avg_sq"],
                        "step": torch.tensor(float(tensors[f"{key}.step"][0])),
                    }


def sample_grid(trainer: Trainer, info: dict, path: Path, per_class: int = 8) -> Path:
    """One row per class, `per_class` samples each (fixed seed, so grids compare across epochs)."""
    from assistant.tools.imagine import sampling

    model = trainer.shipped().eval()
    labels = [c for c in range(trainer.config["num_classes"]) for _ in range(per_class)]
    images = sampling.sample(model, info, labels, seed=0, steps=20)
    return sampling.save_png(sampling.grid(images, per_class), path, scale=2)


def train(config: ImageConfig, progress: bool = True, log=print) -> Path:
    """Train (or resume); returns the path of the tool's weights file for this arch."""
    import torch
    from safetensors.torch import load_file, save_file
    from tqdm import tqdm

    from assistant.tools.imagine import models
    from assistant.tools.imagine.data import load

    if config.arch not in ARCHS:
        raise ValueError(f"--arch must be one of {', '.join(ARCHS)}; got {config.arch!r}")
    if config.epochs < 1:
        raise ValueError(f"--epochs must be at least 1; got {config.epochs}")
    training.start(config)
    x, y, classes = load(config.dataset, "train")
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    out_dir = trained.output_dir(config.output_dir, "imagine", config.arch)
    out_dir.mkdir(parents=True, exist_ok=True)
    arch_config = models.default_config(config.arch, size=x.shape[-1], num_classes=len(classes))
    trainer = Trainer(config.arch, arch_config, config.lr)
    ckpt = out_dir / f"checkpoint-{config.arch}.safetensors"
    epoch, history = 0, []
    if ckpt.exists():
        from safetensors import safe_open

        with safe_open(str(ckpt), framework="pt") as f:
            meta = json.loads(f.metadata()["parley"])
        if meta["dataset"] != config.dataset:
            raise ValueError(f"{ckpt} is from {meta['dataset']}; use another --output-dir")
        trainer.load_state(load_file(str(ckpt)))
        epoch, trainer.steps, history = meta["epoch"], meta["steps"], meta["history"]
        log(f"resuming from {ckpt} after epoch {epoch} (step {trainer.steps})")
    info = {"arch": config.arch, "config": arch_config, "classes": classes}
    clock = training.Stopwatch(budget=config.max_minutes)
    per_epoch = -(-len(y) // config.batch_size)
    bar = tqdm(
        total=config.epochs * per_epoch,
        initial=epoch * per_epoch,
        desc=f"image {config.arch}",
        disable=not progress,
    )
    stopped = False
    while epoch < config.epochs and not stopped:
        gen = torch.Generator().manual_seed(config.seed * 1000 + epoch)
        order = torch.randperm(len(y), generator=gen)
        losses = []
        for i in range(0, len(y), config.batch_size):
            idx = order[i : i + config.batch_size]
            losses.append(trainer.step(x[idx], y[idx], gen))
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.4f}")
            if (config.max_steps and trainer.steps >= config.max_steps) or clock.over():
                stopped = True
                break
        if not stopped:
            epoch += 1
        minutes = round(clock.minutes(), 2)
        history.append(
            {
                "epoch": epoch,
                "steps": trainer.steps,
                "loss": round(sum(losses) / len(losses), 5),
                "minutes": minutes,
            }
        )
        log(json.dumps(history[-1]))
        meta = {
            "epoch": epoch,
            "steps": trainer.steps,
            "history": history,
            "dataset": config.dataset,
        }
        save_file(
            trainer.state(), str(ckpt.with_suffix(".tmp")), metadata={"parley": json.dumps(meta)}
        )
        ckpt.with_suffix(".tmp").replace(ckpt)
        grid = sample_grid(trainer, info, out_dir / f"samples-{config.arch}-epoch-{epoch}.png")
        log(f"checkpoint {ckpt}; samples {grid}")
    bar.close()
    weights = models.save(
        out_dir / f"{config.arch}.safetensors",
        config.arch,
        trainer.shipped(),
        arch_config,
        classes,
        dataset=config.dataset,
        epochs=epoch,
        steps=trainer.steps,
        seed=config.seed,
        history=history,
    )
    params = sum(p.numel() for p in trainer.shipped().parameters())
    log(f"wrote {weights} ({params:,} parameters, epoch {epoch}, step {trainer.steps})")
    return weights


if __name__ == "__main__":
    training.script(parse, train)
