"""Train the `qa` tool's answer-span reader: the top layers of the shipped MiniLM-L6 encoder and a
start/end head, SQuAD 2.0 style ("no answer" = the [CLS] span).

    parley train qa                               # -> $PARLEY_HOME/tools/qa/encoder
    parley train qa --templated 64 --hand-repeat 1 --max-steps 5 --output-dir /tmp/qa   # smoke
    nice python -m assistant.tools.qa.train --help

Data (``data.py``): templated questions over invented passages, plus the hand-written
training questions over the four training documents (`data/qa/train.jsonl`), each seen in the
passage that holds its answer and, as a no-answer example, in the nearest passage that does not.
The held-out documents and questions (`data/qa/test.jsonl`) are never read here.

After training, the no-answer threshold is the one that gives the best F1 on the hand-written
training questions asked of their whole documents (retrieval included), as the tool asks them.
"""

from __future__ import annotations

import random
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.tools import trained, training

PROG = "python -m assistant.tools.qa.train"


@dataclass
class QATrainConfig:
    output_dir: str | None = training.output_dir_field("qa", "encoder", "where the reader goes")
    templated: int = field(default=1600, metadata={"help": "templated examples to make"})
    hand_repeat: int = field(
        default=3, metadata={"help": "times each hand-written example is seen"}
    )
    layers: int = field(default=2, metadata={"help": "top encoder layers trained (and shipped)"})
    epochs: int = field(default=3, metadata={"help": "passes over the examples"})
    batch_size: int = field(default=16, metadata={"help": "examples per step"})
    lr: float = field(default=2e-4, metadata={"help": "AdamW learning rate (head: 10x)"})
    max_steps: int = field(default=0, metadata={"help": "stop after N steps (0: epochs decide)"})
    max_cpu_minutes: float = training.budget_field(10.0, cpu=True)
    calibrate: int = field(
        default=1, metadata={"help": "1: pick the no-answer threshold on train.jsonl; 0: use 0"}
    )
    seed: int = training.seed_field("data")
    threads: int = training.threads_field(1)


parse = training.parser(QATrainConfig, __doc__, PROG)


# --- SQuAD's answer scores ---


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's normalisation).

    >>> normalize("The  Harbour-Library!")
    'harbourlibrary'
    """
    text = "".join(c for c in text.lower() if c not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def exact_match(prediction: str, answers: list[str]) -> float:
    """1.0 if the prediction equals an answer (no answers: the prediction must be empty)."""
    if not answers:
        return float(not normalize(prediction))
    return max(float(normalize(prediction) == normalize(a)) for a in answers)


def f1(prediction: str, answers: list[str]) -> float:
    """Word-overlap F1 against the best answer (no answers: 1.0 only for an empty prediction).

    >>> round(f1("Teresa Couto, a teacher", ["Teresa Couto"]), 3)
    0.667
    """
    if not answers:
        return float(not normalize(prediction))
    best = 0.0
    for answer in answers:
        p, g = normalize(prediction).split(), normalize(answer).split()
        common = sum((Counter(p) & Counter(g)).values())
        if common:
            precision, recall = common / len(p), common / len(g)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- data ---


def hand_examples(split: str = "train") -> list[dict]:
    """Hand-written questions in passages: the one holding the answer, and (no answer) the
    nearest one that does not."""
    from assistant.tools.qa import data as qa_data
    from assistant.tools.qa.passages import retrieve, split_passages

    docs = qa_data.documents()
    out = []
    for row in qa_data.questions(split):
        passages = split_passages(docs[row["doc"]])
        ranked = [i for i, _ in retrieve(row["question"], passages, k=len(passages))]
        answer = row["answers"][0] if row["answers"] else ""
        holding = [i for i in ranked if answer and answer in passages[i]]
        if holding:
            out.append(
                {"question": row["question"], "context": passages[holding[0]], "answer": answer}
            )
        other = next(i for i in ranked if not answer or answer not in passages[i])
        out.append({"question": row["question"], "context": passages[other], "answer": ""})
    return out


def features(tokenizer, examples: list[dict]):
    """Tokenised examples with start/end token positions (0, 0 = no answer or cut off)."""
    from assistant.tools.qa.reader import encode

    batch = encode(tokenizer, [e["question"] for e in examples], [e["context"] for e in examples])
    starts, ends = [], []
    for row, e in enumerate(examples):
        s = t = 0
        if e["answer"]:
            a = e["context"].index(e["answer"])
            b = a + len(e["answer"])
            seq = batch.sequence_ids(row)
            inside = [
                k
                for k, (x, y) in enumerate(batch["offset_mapping"][row].tolist())
                if seq[k] == 1 and y > a and x < b
            ]
            if inside:  # (an answer cut off by the length limit stays "no answer")
                s, t = inside[0], inside[-1]
        starts.append(s)
        ends.append(t)
    return batch, starts, ends


def calibrate(reader, tokenizer, split: str = "train") -> tuple[float, dict]:
    """The no-answer threshold with the best mean F1 on a split's hand-written questions asked of
    whole documents, and the EM/F1 it gives."""
    from assistant.tools.qa import data as qa_data
    from assistant.tools.qa.passages import retrieve, split_passages
    from assistant.tools.qa.reader import answer

    docs = qa_data.documents()
    spans = []
    for row in qa_data.questions(split):
        passages = split_passages(docs[row["doc"]])
        nearest = [i for i, _ in retrieve(row["question"], passages, k=3)]
        spans.append((answer(reader, tokenizer, row["question"], passages, nearest), row))

    def scores(threshold: float) -> dict:
        preds = [(s.text if s.margin > threshold else "", r["answers"]) for s, r in spans]
        return {
            "exact_match": sum(exact_match(p, a) for p, a in preds) / len(preds),
            "f1": sum(f1(p, a) for p, a in preds) / len(preds),
        }

    candidates = sorted({round(s.margin, 3) for s, _ in spans} | {0.0})
    best = max(candidates, key=lambda t: (scores(t)["f1"], -abs(t)))
    return best, scores(best)


def train(config: QATrainConfig, progress: bool = True, log=print) -> Path:
    import torch
    from tqdm import tqdm

    from assistant.tools.qa import data as qa_data
    from assistant.tools.qa import reader as reader_module

    random.seed(config.seed)
    training.start(config)
    out_dir = trained.output_dir(config.output_dir, "qa", "encoder")
    reader, tokenizer = reader_module.base_reader()
    examples = qa_data.templated(config.templated, config.seed)
    if config.hand_repeat:
        examples += hand_examples("train") * config.hand_repeat
    rng = random.Random(config.seed)
    trainable = set(reader_module.trainable_names(reader, config.layers))
    head, body = [], []
    for name, param in reader.named_parameters():
        param.requires_grad = name in trainable
        if name in trainable:
            (head if name.startswith("qa.") else body).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": config.lr}, {"params": head, "lr": config.lr * 10}]
    )
    steps_per_epoch = -(-len(examples) // config.batch_size)
    total = config.max_steps or config.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * max(0.0, 1 - s / total)
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    clock, step, losses = training.Stopwatch(cpu=True, budget=config.max_cpu_minutes), 0, []
    reader.train()
    bar = tqdm(total=total, desc="qa reader", disable=not progress)
    while step < total:
        rng.shuffle(examples)
        for i in range(0, len(examples), config.batch_size):
            batch, starts, ends = features(tokenizer, examples[i : i + config.batch_size])
            batch.pop("offset_mapping")
            s_logits, e_logits = reader(**batch)
            loss = (
                loss_fn(s_logits, torch.tensor(starts)) + loss_fn(e_logits, torch.tensor(ends))
            ) / 2
            training.optimizer_step(loss, optimizer, body + head, scheduler)
            losses.append(loss.item())
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
            if step >= total or clock.over():
                total = step
                break
    bar.close()
    reader.eval()
    threshold, train_scores = 0.0, {"exact_match": float("nan"), "f1": float("nan")}
    if config.calibrate:
        threshold, train_scores = calibrate(reader, tokenizer, "train")
    minutes = clock.minutes()
    log(
        f"{step} steps, {minutes:.1f} CPU min; no-answer threshold {threshold:.2f}; hand-written "
        f"train EM {train_scores['exact_match']:.3f} F1 {train_scores['f1']:.3f}"
    )
    window = max(1, len(losses) // 10)
    curve = [
        round(sum(losses[k : k + window]) / len(losses[k : k + window]), 4)
        for k in range(0, len(losses), window)
    ]
    meta = {
        "threshold": threshold,
        "steps": step,
        "examples": len(examples),
        "cpu_minutes": round(minutes, 2),
        "train_loss": curve,
        "train_scores": {k: round(v, 4) for k, v in train_scores.items()},
        "train": training.settings(config),
    }
    reader_module.save(reader, config.layers, out_dir, meta)
    return training.finished(out_dir, reader_module.load)


if __name__ == "__main__":
    training.script(parse, train)
