"""The `rnn` captioner: a small CNN encoder and a GRU decoder with additive attention over the
CNN's 8x8 feature grid ("Show, Attend and Tell", Xu et al. 2015), decoded by beam search.

`parley train caption` (`train.py`) trains it on rendered Noto emoji named by their Unicode
names and on Fashion-MNIST scenes with template captions. The trained model ships under `weights/`
(fp16 safetensors + a JSON config with the word list); one trained later under
`$PARLEY_HOME/tools/caption/rnn/` takes precedence. This module imports torch: the tool imports it
only when a caption is asked for.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from assistant.tools import fp16
from assistant.tools.tokens import BOS, EOS, PAD, UNK

SHIPPED_DIR = Path(__file__).with_name("weights")
SIZE = 64  # the encoder sees 64x64 RGB


@dataclass
class CaptionConfig:
    vocab_size: int = 1200
    channels: int = 128
    embed_dim: int = 128
    hidden_dim: int = 256
    dropout: float = 0.3


def tokenize(caption: str) -> list[str]:
    """Caption words, lower-cased; a comma is a word of its own.

    >>> tokenize("A sneaker, a bag and a T-shirt")
    ['a', 'sneaker', ',', 'a', 'bag', 'and', 'a', 't-shirt']
    """
    return re.findall(r"[a-z0-9][a-z0-9'-]*|,", caption.lower())


def detokenize(words: list[str]) -> str:
    return " ".join(words).replace(" ,", ",")


class Encoder(nn.Module):
    """(B, 3, 64, 64) -> (B, 64, C): one feature vector per cell of an 8x8 grid."""

    def __init__(self, channels: int) -> None:
        super().__init__()

        def block(cin: int, cout: int, pool: bool = True) -> list[nn.Module]:
            layers = [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
            return layers + [nn.MaxPool2d(2)] if pool else layers

        # one conv per scale keeps a training step cheap on a CPU: 64 -> 32 -> 16 -> 8
        self.net = nn.Sequential(
            *block(3, 32),
            *block(32, 64),
            *block(64, channels),
            *block(channels, channels, pool=False),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).flatten(2).transpose(1, 2)


class Captioner(nn.Module):
    def __init__(self, config: CaptionConfig) -> None:
        super().__init__()
        c = self.config = config
        self.encoder = Encoder(c.channels)
        self.init_state = nn.Linear(c.channels, c.hidden_dim)
        self.att_feat = nn.Linear(c.channels, c.hidden_dim)
        self.att_state = nn.Linear(c.hidden_dim, c.hidden_dim)
        self.att_score = nn.Linear(c.hidden_dim, 1)
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD)
        self.cell = nn.GRUCell(c.embed_dim + c.channels, c.hidden_dim)
        self.out = nn.Linear(c.hidden_dim + c.channels, c.vocab_size)
        self.dropout = nn.Dropout(c.dropout)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features (B, N, C), their attention keys (B, N, H), the first decoder state (B, H)."""
        feats = self.encoder(images)
        return feats, self.att_feat(feats), torch.tanh(self.init_state(feats.mean(1)))

    def step(self, token, state, feats, keys) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One word: logits (B, V), the new state, the attention weights (B, N)."""
        scores = self.att_score(torch.tanh(keys + self.att_state(state).unsqueeze(1))).squeeze(2)
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), feats).squeeze(1)
        state = self.cell(torch.cat([self.dropout(self.embed(token)), context], -1), state)
        logits = self.out(self.dropout(torch.cat([state, context], -1)))
        return logits, state, weights

    def forward(self, images: torch.Tensor, words_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for word inputs starting with BOS."""
        feats, keys, state = self.encode(images)
        outputs = []
        for t in range(words_in.size(1)):
            logits, state, _ = self.step(words_in[:, t], state, feats, keys)
            outputs.append(logits)
        return torch.stack(outputs, 1)

    @torch.inference_mode()
    def beam_search(
        self, image: torch.Tensor, beam: int = 3, max_len: int = 16
    ) -> tuple[list[int], float]:
        """The best word ids for one image (3, 64, 64) and their mean word probability.

        Hypotheses are ranked by log-probability per word (length-normalised), so a short
        caption does not win just for being short."""
        feats, keys, state = self.encode(image.unsqueeze(0))
        hyps: list[tuple[list[int], float, torch.Tensor]] = [([BOS], 0.0, state[0])]
        done: list[tuple[list[int], float]] = []
        for _ in range(max_len):
            tokens = torch.tensor([h[0][-1] for h in hyps])
            states = torch.stack([h[2] for h in hyps])
            n = len(hyps)
            logits, states, _ = self.step(
                tokens, states, feats.expand(n, -1, -1), keys.expand(n, -1, -1)
            )
            logp = torch.log_softmax(logits.float(), -1)
            logp[:, PAD] = logp[:, BOS] = logp[:, UNK] = -1e9
            candidates = []
            for i, (ids, score, _) in enumerate(hyps):
                top = torch.topk(logp[i], beam)
                for lp, w in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                    candidates.append((ids + [w], score + lp, states[i]))
            candidates.sort(key=lambda h: h[1] / (len(h[0]) - 1), reverse=True)
            hyps = []
            for ids, score, st in candidates:
                if ids[-1] == EOS:
                    done.append((ids, score))
                elif len(hyps) < beam:
                    hyps.append((ids, score, st))
            if not hyps:  # (stopping when `beam` captions are done would favour short ones)
                break
        if not done:
            done = [(ids, score) for ids, score, _ in hyps]
        ids, score = max(done, key=lambda h: h[1] / (len(h[0]) - 1))
        words = [i for i in ids[1:] if i != EOS]
        return words, float(torch.tensor(score / (len(ids) - 1)).exp())


def prepare(image: Any) -> torch.Tensor:
    """A PIL image -> (3, 64, 64) float in [-1, 1]: transparency over white, padded to a square
    with its own corner colour, then resized (the way the training images were made)."""
    import numpy as np
    from PIL import Image

    image = image.convert("RGBA")
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    image = Image.alpha_composite(flat, image).convert("RGB")
    w, h = image.size
    if w != h:
        side = max(w, h)
        square = Image.new("RGB", (side, side), image.getpixel((0, 0)))
        square.paste(image, ((side - w) // 2, (side - h) // 2))
        image = square
    image = image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def save(model: Captioner, words: list[str], directory: Path, meta: dict) -> None:
    """fp16 safetensors (fp32 at load) + the config and the word list."""
    record = {"words": words, **meta}
    fp16.save_model(model, directory, record, indent=1, skip="num_batches_tracked")


@functools.cache
def load(directory: Path) -> tuple[Captioner, list[str]]:
    # strict=False: BatchNorm's step counters are not saved
    model, meta = fp16.load_model(Captioner, CaptionConfig, directory, strict=False)
    return model, list(meta["words"])


def caption(image: Any, directory: Path, beam: int = 1) -> tuple[str, float]:
    """A PIL image's caption and its mean word probability."""
    model, words = load(directory)
    ids, confidence = model.beam_search(prepare(image), beam=beam)
    return detokenize([words[i] for i in ids]), confidence
