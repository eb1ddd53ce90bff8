"""Train the `rnn` translator (English -> Portuguese) by sequence-level distillation from bergamot.

    parley train translate       # corpus, tokenizer, model -> $PARLEY_HOME/tools/translate/rnn
    parley train translate --sentences 2000 --epochs 1 --output-dir /tmp/rnn   # a quick smoke run
    python -m assistant.tools.translate.train --help

1. Corpus: English sentences from the chitchat-dataset wheel (MIT; 3 to 16 words, deduplicated)
   plus the project-written `data/translate/sentences.txt`, each translated by the bergamot backend
   (the teacher). The pairs are appended to a TSV as they are made, so an interrupted build resumes
   where it stopped. Sentences of `data/translate/heldout.tsv` never enter it.
2. A joint English/Portuguese BPE vocabulary (`tokenizers`), trained on the corpus.
3. The GRU encoder-decoder (`assistant/tools/translate/rnn.py`), teacher forcing, label smoothing,
   Adam; the checkpoint with the best validation loss is saved (fp16 safetensors).
"""

from __future__ import annotations

import csv
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant import paths
from assistant.tools import tokens, trained, training

PROG = "python -m assistant.tools.translate.train"

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "translate"


@dataclass
class TranslateConfig:
    output_dir: str | None = training.output_dir_field("translate", "rnn")
    corpus: str | None = field(
        default=None, metadata={"help": "parallel corpus TSV, built if missing or short"}
    )
    sentences: int = field(default=24000, metadata={"help": "corpus size (sentence pairs)"})
    vocab_size: int = field(default=6000, metadata={"help": "joint BPE vocabulary"})
    embed_dim: int = field(default=192, metadata={"help": "token embedding size"})
    hidden_dim: int = field(default=256, metadata={"help": "GRU hidden size"})
    epochs: int = field(default=6, metadata={"help": "passes over the corpus"})
    batch_size: int = field(default=64, metadata={"help": "sentence pairs per step"})
    lr: float = field(default=2e-3, metadata={"help": "Adam learning rate"})
    max_minutes: float = training.budget_field(30.0)
    seed: int = training.seed_field("corpus sampling")
    threads: int = training.threads_field(0)


parse = training.parser(TranslateConfig, __doc__, PROG)


def heldout_pairs() -> list[tuple[str, str]]:
    """The project's held-out English/Portuguese pairs (references written by hand)."""
    rows = []
    for line in (DATA_DIR / "heldout.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            en, pt = line.split("\t")
            rows.append((en.strip(), pt.strip()))
    return rows


def english_sentences(limit: int, seed: int) -> list[str]:
    """Project-written sentences first, then a seeded sample of chitchat-dataset sentences."""
    import chitchat_dataset

    from assistant.tools.text import split_sentences

    banned = {en.lower() for en, _ in heldout_pairs()}
    own = [
        s.strip()
        for s in (DATA_DIR / "sentences.txt").read_text(encoding="utf-8").splitlines()
        if s.strip() and not s.startswith("#")
    ]
    seen = {s.lower() for s in own} | banned
    pool = []
    for conversation in chitchat_dataset.Dataset().values():
        for turn in conversation["messages"]:
            for utterance in turn:
                for s in split_sentences(utterance["text"]):
                    words = s.split()
                    if not 3 <= len(words) <= 16 or not re.fullmatch(r"[\w ,.'?!-]+", s):
                        continue
                    s = s[0].upper() + s[1:]
                    if s.lower() not in seen:
                        seen.add(s.lower())
                        pool.append(s)
    random.Random(seed).shuffle(pool)
    return (own + pool)[:limit]


def build_corpus(path: Path, size: int, seed: int, progress: bool = True) -> list[tuple[str, str]]:
    """English sentences and bergamot's Portuguese, appended to `path` (resumes a partial file)."""
    from tqdm import tqdm

    from assistant.tools.translate import bergamot

    done = read_corpus(path) if path.exists() else []
    todo = english_sentences(size, seed)[len(done) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        for en in tqdm(todo, desc="translating corpus (bergamot)", disable=not progress):
            pt = bergamot.translate(en, "en", "pt")
            writer.writerow([en, pt])
            done.append((en, pt))
            f.flush()
    return done


def read_corpus(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(r[0], r[1]) for r in csv.reader(f, delimiter="\t") if len(r) == 2]


def train_tokenizer(pairs: list[tuple[str, str]], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=tokens.SPECIAL)
    tokenizer.train_from_iterator((s for pair in pairs for s in pair), trainer)
    return tokenizer


def batches(rows, batch_size: int, rng: random.Random):
    """Sentence pairs in batches of about one source length (`training.length_buckets`)."""
    return training.length_buckets(rows, lambda r: len(r[0]), batch_size, rng)


def train(config: TranslateConfig, progress: bool = True, log=print) -> Path:
    import torch
    from tqdm import tqdm

    from assistant.tools.translate import rnn

    training.start(config)
    out_dir = trained.output_dir(config.output_dir, "translate", "rnn")
    corpus_path = (
        Path(config.corpus) if config.corpus else paths.home() / "corpora" / "translate-en-pt.tsv"
    )
    pairs = build_corpus(corpus_path, config.sentences, config.seed, progress)[: config.sentences]
    tokenizer = train_tokenizer(pairs, config.vocab_size)
    encoded = [
        (tokenizer.encode(en).ids[:63] + [tokens.EOS], tokenizer.encode(pt).ids[:63] + [tokens.EOS])
        for en, pt in pairs
    ]
    rng = random.Random(config.seed)
    rng.shuffle(encoded)
    n_val = max(1, min(500, len(encoded) // 50))
    val, train = encoded[:n_val], encoded[n_val:]

    model = rnn.Seq2Seq(
        rnn.RNNConfig(tokenizer.get_vocab_size(), config.embed_dim, config.hidden_dim)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=tokens.PAD, label_smoothing=0.1)
    steps_total = config.epochs * math.ceil(len(train) / config.batch_size)
    warmup = max(1, steps_total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / steps_total)
    )

    def loss_of(batch) -> torch.Tensor:
        src = tokens.pad([s for s, _ in batch])
        tgt = tokens.pad([[tokens.BOS] + t for _, t in batch])
        logits = model(src, tgt[:, :-1])
        return loss_fn(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1))

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            losses = [float(loss_of(b)) for b in batches(val, 128, random.Random(0))]
        model.train()
        return sum(losses) / len(losses)

    clock = training.Stopwatch(budget=config.max_minutes)
    best, history = float("inf"), []
    for epoch in range(config.epochs):
        bar = tqdm(
            batches(train, config.batch_size, rng), desc=f"epoch {epoch + 1}", disable=not progress
        )
        for batch in bar:
            loss = loss_of(batch)
            training.optimizer_step(loss, optimizer, model.parameters(), scheduler)
            bar.set_postfix(loss=f"{float(loss):.3f}")
            if clock.over():
                break
        current = val_loss()
        history.append({"epoch": epoch + 1, "val_loss": round(current, 4)})
        log(f"epoch {epoch + 1}: validation loss {current:.3f}")
        if current < best:
            best = current
            meta = {"pairs": len(pairs), "history": history, "corpus": "chitchat+project"}
            rnn.save(model, tokenizer, out_dir, {**meta, "train": training.settings(config)})
        if clock.over():
            log(clock.stopped())
            break
    return training.finished(out_dir, rnn.load)


if __name__ == "__main__":
    training.script(parse, train)
