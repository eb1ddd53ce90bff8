"""The `rnn` transcribe backend: a bidirectional GRU over log-mel frames, trained with CTC to emit
characters (a-z, apostrophe, space), decoded greedily.

    features: 64 log-mel bins, 25 ms windows every 10 ms, per-utterance mean/variance normalised,
              3 frames stacked (one step = 30 ms)
    model:    Linear(192 -> H) + ReLU, 2-layer bi-GRU(H = 192), Linear(2H -> 29); CTC blank = 0

`parley train transcribe` (`train.py`) trains it on espeak-ng speech. The trained model
ships under `weights/` (fp16 safetensors + config.json, README.md says how it was made); a model
trained later under `$PARLEY_HOME/tools/transcribe/rnn/` takes precedence. This module imports
torch: the tool imports it only when the rnn backend runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from assistant.tools import fp16

SHIPPED_DIR = Path(__file__).with_name("weights")
ALPHABET = " abcdefghijklmnopqrstuvwxyz'"  # index + 1; 0 is the CTC blank
RATE, N_FFT, HOP, WIN, N_MELS, STACK = 16_000, 512, 160, 400, 64, 3


@dataclass
class CTCConfig:
    n_mels: int = N_MELS
    stack: int = STACK
    hidden_dim: int = 192
    layers: int = 2
    dropout: float = 0.1


def encode_text(text: str) -> list[int]:
    """Normalised text -> label ids (characters outside the alphabet are dropped)."""
    return [ALPHABET.index(c) + 1 for c in text if c in ALPHABET]


def decode_ids(ids: list[int]) -> str:
    return "".join(ALPHABET[i - 1] for i in ids if 0 < i <= len(ALPHABET))


@functools.cache
def _mel_filters() -> torch.Tensor:
    """(N_FFT // 2 + 1, N_MELS) triangular filters on the HTK mel scale, 20 Hz to 7.6 kHz."""

    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    bins = np.linspace(0, RATE / 2, N_FFT // 2 + 1)
    edges = hz(np.linspace(mel(20.0), mel(7600.0), N_MELS + 2))
    rising = (bins[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])[None, :]
    falling = (edges[None, 2:] - bins[:, None]) / (edges[2:] - edges[1:-1])[None, :]
    return torch.from_numpy(np.maximum(0.0, np.minimum(rising, falling))).float()


def features(samples: np.ndarray | torch.Tensor, stack: int = STACK) -> torch.Tensor:
    """(T // stack, N_MELS * stack) normalised log-mel frames of 16 kHz mono samples."""
    wave = torch.as_tensor(samples, dtype=torch.float32)
    if wave.numel() < WIN:
        wave = torch.nn.functional.pad(wave, (0, WIN - wave.numel()))
    spec = torch.stft(wave, N_FFT, HOP, WIN, torch.hann_window(WIN), return_complex=True)
    logmel = torch.log(spec.abs().pow(2).t() @ _mel_filters() + 1e-6)
    logmel = (logmel - logmel.mean(0)) / (logmel.std(0) + 1e-5)
    steps = logmel.size(0) // stack
    if steps == 0:
        logmel, steps = torch.nn.functional.pad(logmel, (0, 0, 0, stack - logmel.size(0))), 1
    return logmel[: steps * stack].reshape(steps, stack * logmel.size(1))


class CTCRecognizer(nn.Module):
    def __init__(self, config: CTCConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.input = nn.Sequential(nn.Linear(c.n_mels * c.stack, c.hidden_dim), nn.ReLU())
        dropout = c.dropout if c.layers > 1 else 0.0  # GRU drops out between layers only
        self.rnn = nn.GRU(
            c.hidden_dim,
            c.hidden_dim,
            num_layers=c.layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout,
        )
        self.dropout = nn.Dropout(c.dropout)
        self.output = nn.Linear(2 * c.hidden_dim, len(ALPHABET) + 1)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (B, T, 29) for padded frames (B, T, F) of the given lengths."""
        x = self.dropout(self.input(frames))
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return self.output(self.dropout(out)).log_softmax(-1)

    @torch.inference_mode()
    def transcribe(self, samples: np.ndarray) -> tuple[str, float]:
        """Greedy CTC decoding of one piece of audio: text and the mean probability of the
        non-blank characters it kept (a confidence)."""
        frames = features(samples, self.config.stack).unsqueeze(0)
        logp = self(frames, torch.tensor([frames.size(1)]))[0]
        best, ids = logp.max(-1)
        kept, probs, previous = [], [], 0
        for i, p in zip(ids.tolist(), best.exp().tolist(), strict=True):
            if i != previous and i != 0:
                kept.append(i)
                probs.append(p)
            previous = i
        text = " ".join(decode_ids(kept).split())
        return text, (sum(probs) / len(probs) if probs else 0.0)


def save(model: CTCRecognizer, directory: Path, meta: dict) -> None:
    """fp16 safetensors (half the size; fp32 at load) + config/meta."""
    fp16.save_model(model, directory, meta)


@functools.cache
def load(directory: Path) -> CTCRecognizer:
    model, _ = fp16.load_model(CTCRecognizer, CTCConfig, directory)
    return model
