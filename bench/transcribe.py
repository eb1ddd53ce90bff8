"""Speech recognition: word error rate and real-time factor of each `transcribe` backend.

    python bench/transcribe.py                     # every set, both backends (~2 minutes)
    python bench/transcribe.py --backends whisper --sets librivox
    python bench/transcribe.py --show bench/results/transcribe.json

Sets:
- librivox: 5 sentences of "Sense and Sensibility" read by a LibriVox volunteer (Debian
  `pocketsphinx-testdata`, `librivox/*.wav` + `transcription`), 24.7 s in all.
- cards: 5 short phrases naming playing cards ("ten of clubs"), read by a person
  (`cards/*.wav` + `cards.transcription`).
- synthetic: the 100 held-out sentences of data/transcribe/heldout.tsv, spoken by espeak-ng with
  the voice, speed and pitch written beside each (accents and variants as in training, sentences
  never trained on); `synthetic+noise` is the same audio with white noise at 15 dB SNR (seeded).
WER and CER are over the whole set after `assistant.tools.transcribe.wer.normalise` on both
sides (numbers spelled out, "Mr." as "mister", punctuation dropped). RTF is the tool's own
seconds (decoding the file included, model loading not: one warm-up call first) over the audio's
seconds, on one CPU thread; under 1 is faster than real time. `rtf` is wall-clock time, which a
busy machine inflates; `cpu_rtf` is the process's CPU time, which it does not.
A run with `--backends B` replaces only B's rows in an existing results file.
Results go to bench/results/transcribe.json and the headline figures to
assistant/tools/metrics.json (`parley tool list` shows them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.tools.base import METRICS_FILE  # noqa: E402
from assistant.tools.transcribe.wer import cer, wer  # noqa: E402

TESTDATA = Path("/usr/share/pocketsphinx/test/data")
SETS = ("librivox", "cards", "synthetic", "synthetic+noise")


def sphinx_set(folder: Path, transcription: Path) -> list[tuple[Path, str]]:
    """(wav, reference) pairs from a pocketsphinx `<s> words </s> (id)` transcription file."""
    rows = []
    for line in transcription.read_text().splitlines():
        match = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(([^)]+)\)\s*$", line)
        if match:
            rows.append((folder / f"{Path(match.group(2)).name}.wav", match.group(1).strip()))
    return rows


def synthetic_set(directory: Path, noise_db: float | None) -> list[tuple[Path, str]]:
    from assistant.tools.transcribe.train import heldout_rows, read_wav, synthesise

    rng = np.random.default_rng(0)
    rows = []
    for i, row in enumerate(heldout_rows()):
        path = directory / f"heldout-{i:03d}.wav"
        if not path.exists():
            synthesise(row["text"], row["voice"], row["speed"], row["pitch"], path)
        if noise_db is not None:
            samples = read_wav(path)
            noise = rng.standard_normal(samples.size)
            noise *= np.sqrt((samples**2).mean() / (noise**2).mean() / 10 ** (noise_db / 10))
            path = directory / f"heldout-{i:03d}-noise.wav"
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(16000)
                w.writeframes((np.clip(samples + noise, -1, 1) * 32767).astype("<i2").tobytes())
        rows.append((path, row["text"]))
    return rows


def load_set(name: str, scratch: Path) -> list[tuple[Path, str]]:
    if name == "librivox":
        return sphinx_set(TESTDATA / "librivox", TESTDATA / "librivox" / "transcription")
    if name == "cards":
        return sphinx_set(TESTDATA / "cards", TESTDATA / "cards" / "cards.transcription")
    return synthetic_set(scratch, 15.0 if name == "synthetic+noise" else None)


def bench(backend: str, rows: list[tuple[Path, str]]) -> dict:
    from assistant import tools

    tool = tools.get("transcribe")
    tool.run(backend=backend, file=str(rows[0][0]))  # warm-up: loads the model
    hypotheses, seconds, audio_seconds = [], 0.0, 0.0
    cpu = time.process_time()
    for path, _ in rows:
        result = tool.run(backend=backend, file=str(path))
        hypotheses.append(result.text)
        seconds += result.latency_s
        audio_seconds += result.data["seconds"]
    cpu = time.process_time() - cpu
    references = [ref for _, ref in rows]
    return {
        "wer": round(wer(hypotheses, references), 4),
        "cer": round(cer(hypotheses, references), 4),
        "rtf": round(seconds / audio_seconds, 4),
        "cpu_rtf": round(cpu / audio_seconds, 4),
        "audio_seconds": round(audio_seconds, 1),
        "heard": [
            {"reference": r, "heard": h} for r, h in zip(references, hypotheses, strict=True)
        ],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="whisper,rnn")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "transcribe.json"))
    parser.add_argument("--show", help="print the table of a past run and stop")
    args = parser.parse_args(argv)
    if args.show:
        print(table(json.loads(Path(args.show).read_text())))
        return {}
    import torch

    from assistant.tools.transcribe import whisper

    torch.set_num_threads(1)
    whisper.THREADS = 1
    out = Path(args.out)
    results: dict = json.loads(out.read_text()) if out.exists() else {"sets": {}, "backends": {}}
    results["load_average"] = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.sets.split(","):
            rows = load_set(name, Path(scratch))
            results["sets"][name] = len(rows)
            for backend in args.backends.split(","):
                row = bench(backend, rows)
                results["backends"].setdefault(backend, {})[name] = row
                print(f"{backend:<8} {name:<16} WER {row['wer']:.3f}  CPU RTF {row['cpu_rtf']:.3f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    write_metrics(results)
    print(table(results))
    return results


def write_metrics(results: dict) -> None:
    """Headline figures into assistant/tools/metrics.json; other tools' entries are kept."""
    try:
        metrics = json.loads(METRICS_FILE.read_text())
    except (OSError, ValueError):
        metrics = {}
    entry = metrics.setdefault("transcribe", {})
    for backend, sets in results["backends"].items():
        row = entry.setdefault(backend, {})
        for name, figures in sets.items():
            row[f"wer_{name.replace('+', '_')}"] = figures["wer"]
        row["cpu_rtf"] = round(
            sum(f["cpu_rtf"] * f["audio_seconds"] for f in sets.values())
            / sum(f["audio_seconds"] for f in sets.values()),
            4,
        )
    METRICS_FILE.write_text(json.dumps(metrics, indent=2) + "\n")


def table(results: dict) -> str:
    """WER (CER) per set and backend, then the RTF over all sets, as a Markdown table."""
    names = list(results["sets"])
    lines = ["| backend | " + " | ".join(f"{n} WER (CER)" for n in names) + " | RTF | CPU RTF |",
             "| --- |" + " ---: |" * (len(names) + 2)]  # fmt: skip
    for backend, sets in results["backends"].items():
        cells = [f"{sets[n]['wer']:.3f} ({sets[n]['cer']:.3f})" if n in sets else "" for n in names]
        total = sum(f["audio_seconds"] for f in sets.values())
        rtf = sum(f["rtf"] * f["audio_seconds"] for f in sets.values()) / total
        cpu_rtf = sum(f["cpu_rtf"] * f["audio_seconds"] for f in sets.values()) / total
        lines.append(f"| {backend} | " + " | ".join(cells) + f" | {rtf:.3f} | {cpu_rtf:.3f} |")
    sizes = ", ".join(f"{n}: {k} utterances" for n, k in results["sets"].items())
    load = results.get("load_average")
    return "\n".join(lines + [f"({sizes}; one CPU thread; load average {load})"])


if __name__ == "__main__":
    main()
