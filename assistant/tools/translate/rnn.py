"""The `rnn` translate backend: a GRU encoder-decoder with attention (Luong et al. 2015, "general"
score, input feeding), English -> Portuguese, over a joint BPE vocabulary.

`parley train translate` (`train.py`) trains it by sequence-level distillation from the
bergamot backend. The trained model ships in the repo under `weights/` (fp16 safetensors + the
tokenizer JSON + a small config), so a fresh install translates with no training; a model trained
later under `$PARLEY_HOME/tools/translate/rnn/` takes precedence. This module imports torch: the
tool imports it only when the rnn backend runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from assistant.tools import fp16
from assistant.tools.tokens import BOS, EOS, PAD, pad

PAIRS = (("en", "pt"),)
ARCHITECTURE = "RNN (bi-GRU encoder, GRU decoder, attention)"
SHIPPED_DIR = Path(__file__).with_name("weights")


@dataclass
class RNNConfig:
    vocab_size: int = 6000
    embed_dim: int = 192
    hidden_dim: int = 256
    dropout: float = 0.1


class Seq2Seq(nn.Module):
    def __init__(self, config: RNNConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD)
        self.encoder = nn.GRU(c.embed_dim, c.hidden_dim, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * c.hidden_dim, c.hidden_dim)
        self.keys = nn.Linear(2 * c.hidden_dim, c.hidden_dim, bias=False)
        self.cell = nn.GRUCell(c.embed_dim + c.hidden_dim, c.hidden_dim)
        self.combine = nn.Linear(3 * c.hidden_dim, c.hidden_dim)
        self.project = nn.Linear(c.hidden_dim, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder states (B, S, 2H), attention keys (B, S, H), initial decoder state (B, H)."""
        lengths = (src != PAD).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.dropout(self.embed(src)), lengths, batch_first=True, enforce_sorted=False
        )
        out, last = self.encoder(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        state = torch.tanh(self.bridge(torch.cat([last[0], last[1]], dim=-1)))
        return out, self.keys(out), state

    def step(
        self,
        token: torch.Tensor,
        state: torch.Tensor,
        feed: torch.Tensor,
        memory: torch.Tensor,
        keys: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step: logits (B, V), new state, attentional vector, attention weights."""
        state = self.cell(torch.cat([self.dropout(self.embed(token)), feed], dim=-1), state)
        scores = torch.bmm(keys, state.unsqueeze(2)).squeeze(2).masked_fill(~mask, -1e9)
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
        feed = torch.tanh(self.combine(torch.cat([state, context], dim=-1)))
        logits = self.project(self.dropout(feed)) @ self.embed.weight.t()  # tied output layer
        return logits, state, feed, weights

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for target inputs `tgt_in` (starting with BOS)."""
        memory, keys, state = self.encode(src)
        mask = src != PAD
        feed = memory.new_zeros(src.size(0), self.config.hidden_dim)
        outputs = []
        for t in range(tgt_in.size(1)):
            logits, state, feed, _ = self.step(tgt_in[:, t], state, feed, memory, keys, mask)
            outputs.append(logits)
        return torch.stack(outputs, dim=1)

    @torch.inference_mode()
    def greedy(self, src: torch.Tensor, max_len: int) -> tuple[list[list[int]], list[float]]:
        """Greedy decode: token ids per row (without BOS/EOS) and mean token probability."""
        memory, keys, state = self.encode(src)
        mask = src != PAD
        batch = src.size(0)
        feed = memory.new_zeros(batch, self.config.hidden_dim)
        token = torch.full((batch,), BOS, dtype=torch.long)
        out: list[list[int]] = [[] for _ in range(batch)]
        probs: list[list[float]] = [[] for _ in range(batch)]
        done = torch.zeros(batch, dtype=torch.bool)
        for _ in range(max_len):
            logits, state, feed, _ = self.step(token, state, feed, memory, keys, mask)
            p, token = torch.softmax(logits.float(), dim=-1).max(dim=-1)
            for i in range(batch):
                if not done[i]:
                    probs[i].append(float(p[i]))
                    if int(token[i]) != EOS:
                        out[i].append(int(token[i]))
            done |= token == EOS
            if bool(done.all()):
                break
        return out, [sum(p) / len(p) if p else 0.0 for p in probs]


def save(model: Seq2Seq, tokenizer, directory: Path, meta: dict) -> None:
    """fp16 safetensors (half the size; fp32 at load) + tokenizer + config/meta."""
    fp16.save_model(model, directory, meta)
    tokenizer.save(str(directory / "tokenizer.json"))


@functools.cache
def load(directory: Path) -> tuple[Seq2Seq, object]:
    from tokenizers import Tokenizer

    model, _ = fp16.load_model(Seq2Seq, RNNConfig, directory)
    return model, Tokenizer.from_file(str(directory / "tokenizer.json"))


def encode_batch(tokenizer, texts: list[str], max_len: int = 96) -> torch.Tensor:
    return pad([tokenizer.encode(t).ids[: max_len - 1] + [EOS] for t in texts])


def translate_many(sentences: list[str], directory: Path) -> tuple[list[str], float]:
    """English sentences -> Portuguese, and the mean per-token probability (a confidence)."""
    model, tokenizer = load(directory)
    texts: list[str] = []
    confidences: list[float] = []
    for i in range(0, len(sentences), 32):
        batch = sentences[i : i + 32]
        src = encode_batch(tokenizer, batch)
        ids, conf = model.greedy(src, max_len=int(src.size(1) * 2 + 10))
        texts += [tokenizer.decode(row).strip() for row in ids]
        confidences += conf
    return texts, sum(confidences) / max(len(confidences), 1)
