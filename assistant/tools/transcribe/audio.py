"""Reading a recording for `transcribe`: any WAV, FLAC or MP3 (whatever FFmpeg reads) as 16 kHz
mono float32 samples, refused with one line when it is not audio, empty, silent or too long.

Decoding goes through PyAV (`av`, which faster-whisper brings); the length is read from the
container's header before anything is decoded, so a 2-hour file is refused at once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.errors import UsageError

RATE = 16_000
MAX_MINUTES = 60.0
# peak below this (about -60 dBFS) counts as silence
SILENCE_PEAK = 1e-3
INSTALL_AV = "reading audio needs PyAV: pip install faster-whisper==1.2.1 (it brings `av`)"


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def load(path: str | Path, max_minutes: float = MAX_MINUTES) -> np.ndarray:
    """The recording at `path` as 16 kHz mono float32 in [-1, 1]."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give one recording (WAV, FLAC or MP3)")
    if size == 0:
        raise UsageError(f"{path} is empty (0 bytes); give a recording (WAV, FLAC or MP3)")
    try:
        import av
    except ImportError:
        raise UsageError(INSTALL_AV) from None
    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError, OSError):
        raise UsageError(
            f"{path} is not audio Parley can read; give a WAV, FLAC or MP3 file"
        ) from None
    with container:
        if not container.streams.audio:
            raise UsageError(f"{path} has no audio track; give a WAV, FLAC or MP3 file")
        seconds = (container.duration or 0) / 1_000_000
        if seconds > max_minutes * 60:
            raise UsageError(
                f"{path.name} is {_clock(seconds)} long; the limit is {_clock(max_minutes * 60)}"
                f" — split it (sox {path.name} part.wav trim 0 {int(max_minutes * 60)}) or raise"
                " --max-minutes"
            )
        samples = _decode(container, path, max_minutes)
    if samples.size == 0:
        raise UsageError(f"{path.name} holds no audio (0 seconds)")
    if float(np.abs(samples).max()) < SILENCE_PEAK:
        raise UsageError(
            f"{path.name} is silent ({samples.size / RATE:.1f} s with no sound above -60 dBFS)"
        )
    return samples


def _decode(container, path: Path, max_minutes: float) -> np.ndarray:
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    pieces: list[np.ndarray] = []
    total, limit = 0, int(max_minutes * 60 * RATE)
    try:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                pieces.append(out.to_ndarray().reshape(-1))
                total += pieces[-1].size
            if total > limit:  # a header that under-states the length
                raise UsageError(
                    f"{path.name} is longer than the limit of {_clock(max_minutes * 60)}; split it"
                    " or raise --max-minutes"
                )
        for out in resampler.resample(None):
            pieces.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as e:
        if not pieces:
            raise UsageError(f"{path} is not audio Parley can read: {e}") from None
        # a truncated file: keep what decoded
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(pieces).astype(np.float32) / 32768.0).clip(-1.0, 1.0)


def speech_chunks(samples: np.ndarray, seconds: float = 20.0) -> list[np.ndarray]:
    """Pieces of at most `seconds`, each cut at the quietest 100 ms of its last quarter, so a cut
    rarely falls inside a word."""
    step, window = int(seconds * RATE), RATE // 10
    out, start = [], 0
    while len(samples) - start > step:
        lo, hi = start + step * 3 // 4, start + step
        frames = samples[lo:hi][: (hi - lo) // window * window].reshape(-1, window)
        cut = lo + int(np.argmin((frames**2).mean(axis=1))) * window + window // 2
        out.append(samples[start:cut])
        start = cut
    out.append(samples[start:])
    return out
