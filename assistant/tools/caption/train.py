"""Train the `caption` tool's captioner (CNN encoder + GRU decoder with attention).

    parley train caption                 # -> $PARLEY_HOME/tools/caption/rnn
    parley train caption --steps 20 --output-dir /tmp/cap     # a quick smoke run
    nice python -m assistant.tools.caption.train --help

Data (``data.py``): the training emoji of `fonts-noto-color-emoji`, re-rendered each
step at a random scale, shift and background, and fresh Fashion-MNIST scenes each step; half of
every batch is each. Teacher forcing, cross-entropy with label smoothing, Adam with warm-up and
linear decay. Every `--eval-every` steps the held-out captions' loss is logged and the weights are
saved (fp16 safetensors + config with the word list); the last ones are kept, never picked by the
test split. Stops after `--steps` or `--max-cpu-minutes` of this process's CPU time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.tools import tokens, trained, training

PROG = "python -m assistant.tools.caption.train"


@dataclass
class CaptionTrainConfig:
    output_dir: str | None = training.output_dir_field("caption", "rnn")
    steps: int = field(default=600, metadata={"help": "optimizer steps"})
    batch_size: int = field(default=64, metadata={"help": "pairs per step (half emoji)"})
    lr: float = field(default=2e-3, metadata={"help": "Adam learning rate"})
    channels: int = field(default=128, metadata={"help": "CNN feature channels"})
    hidden_dim: int = field(default=256, metadata={"help": "GRU hidden size"})
    eval_every: int = field(default=150, metadata={"help": "steps between held-out checks"})
    max_cpu_minutes: float = training.budget_field(12.0, cpu=True)
    emoji_limit: int = field(default=0, metadata={"help": "use only N training emoji (0: all)"})
    seed: int = training.seed_field("sampling")
    threads: int = training.threads_field(1)


parse = training.parser(CaptionTrainConfig, __doc__, PROG)


def vocabulary(captions: list[str]) -> list[str]:
    """Special tokens, then every training word by frequency (ties alphabetical)."""
    from assistant.tools.caption.model import tokenize
    from assistant.tools.tokens import SPECIAL

    counts = Counter(w for c in captions for w in tokenize(c))
    return SPECIAL + sorted(counts, key=lambda w: (-counts[w], w))


def encode(captions: list[str], index: dict[str, int], max_len: int = 16):
    """Word ids with BOS and EOS, padded: (n, T+2) long."""
    from assistant.tools.caption.model import tokenize
    from assistant.tools.tokens import BOS, EOS, UNK, pad

    return pad(
        [[BOS] + [index.get(w, UNK) for w in tokenize(c)][:max_len] + [EOS] for c in captions]
    )


def train(config: CaptionTrainConfig, progress: bool = True, log=print) -> Path:
    import numpy as np
    import torch
    from tqdm import tqdm

    from assistant.tools.caption import data
    from assistant.tools.caption import model as cap

    training.start(config)
    out_dir = trained.output_dir(config.output_dir, "caption", "rnn")
    emoji_rgba, emoji_captions = data.emoji_split("train")
    if config.emoji_limit:
        emoji_rgba = emoji_rgba[: config.emoji_limit]
        emoji_captions = emoji_captions[: config.emoji_limit]
    scene_words = data.scene_caption(list(range(10))).replace(",", " , ")
    words = vocabulary([*emoji_captions, scene_words])
    index = {w: i for i, w in enumerate(words)}
    emoji_x = torch.from_numpy(emoji_rgba)
    emoji_y = encode(emoji_captions, index)
    held = data.test_set(scene_count=64)
    val_x = torch.from_numpy(np.concatenate([held["emoji"][0], held["scenes"][0]])).float()
    val_x = val_x / 127.5 - 1
    val_y = encode(held["emoji"][1] + held["scenes"][1], index)

    model = cap.Captioner(
        cap.CaptionConfig(len(words), config.channels, hidden_dim=config.hidden_dim)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    warmup = max(1, config.steps // 30)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / config.steps)
    )
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=tokens.PAD, label_smoothing=0.1)
    generator = torch.Generator().manual_seed(config.seed)

    def loss_of(images, targets) -> torch.Tensor:
        logits = model(images, targets[:, :-1])
        return loss_fn(logits.reshape(-1, logits.size(-1)), targets[:, 1:].reshape(-1))

    def held_out_loss() -> float:
        model.eval()
        with torch.no_grad():
            value = float(loss_of(val_x, val_y))
        model.train()
        return value

    half = config.batch_size // 2
    clock = training.Stopwatch(cpu=True, budget=config.max_cpu_minutes)
    window, curve = [], []
    bar = tqdm(range(config.steps), desc="caption", disable=not progress)
    for step in bar:
        pick = torch.randint(len(emoji_y), (half,), generator=generator)
        scene_seed = config.seed * 1_000_003 + step
        scene_x, scene_captions = data.scenes("train", config.batch_size - half, scene_seed)
        images = torch.cat(
            [data.augment(emoji_x[pick], generator), torch.from_numpy(scene_x).float() / 127.5 - 1]
        )
        targets = encode([emoji_captions[i] for i in pick.tolist()] + scene_captions, index)
        loss = loss_of(images, targets)
        training.optimizer_step(loss, optimizer, model.parameters(), scheduler)
        window.append(loss.item())
        bar.set_postfix(loss=f"{float(loss):.3f}")
        spent = clock.minutes()
        last = step + 1 == config.steps or spent > config.max_cpu_minutes
        if (step + 1) % config.eval_every == 0 or last:
            current = held_out_loss()
            curve.append(round(sum(window) / len(window), 4))
            window = []
            log(f"step {step + 1}: train loss {float(loss):.3f}, held-out loss {current:.3f}")
            # the latest weights, not the best on the test split: choosing by it would leak
            meta = {
                "steps": step + 1,
                "held_out_loss": round(current, 4),
                "train_loss": curve,
                "cpu_minutes": round(spent, 2),
                "train": training.settings(config),
            }
            cap.save(model, words, out_dir, meta)
        if last:
            if step + 1 < config.steps:
                log(clock.stopped())
            break
    return training.finished(out_dir, cap.load)


if __name__ == "__main__":
    training.script(parse, train)
