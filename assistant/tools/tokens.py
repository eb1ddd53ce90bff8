"""The special tokens that open the vocabularies of Parley's small encoder-decoders (caption's word
list, translate's BPE), and the padding of token-id rows into one batch. torch is imported by
`pad` alone."""

from __future__ import annotations

from typing import Any

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIAL = ["<pad>", "<unk>", "<s>", "</s>"]  # their strings, in id order


def pad(rows: list[list[int]]) -> Any:
    """Token-id `rows` right-padded with PAD to the longest: a (rows, width) long tensor."""
    import torch

    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.long)
