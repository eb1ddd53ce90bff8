"""Train the `rnn` speech recogniser (bi-GRU + CTC over characters) on synthetic espeak-ng speech.

    parley train transcribe                    # corpus, model -> $PARLEY_HOME/tools/transcribe/rnn
    parley train transcribe --utterances 200 --max-cpu-minutes 1 --output-dir /tmp/asr  # smoke run
    python -m assistant.tools.transcribe.train --help

1. Corpus: English sentences from the chitchat-dataset wheel (MIT; 3 to 12 words, letters only),
   spoken by espeak-ng (Debian) with a random English accent (7 of them) and voice variant (21),
   speed (120-220 words a minute) and pitch (20-80), resampled to 16 kHz by sox with a random gain
   and band limit. The WAVs and a manifest are written as they are made, so an interrupted build
   resumes. The sentences of `data/transcribe/heldout.tsv` (the held-out synthetic split, with
   their voices) never enter it.
2. Training: white or brown noise at 5-30 dB SNR added to half of the utterances on the fly;
   length-bucketed batches; CTC loss; Adam with a rate that decays linearly over --max-cpu-minutes.
   Every `--save-every` steps and at the end the model is saved (fp16 safetensors) with its
   validation loss, and `resume.safetensors` (fp32) lets a stopped run go on from there; every
   step's loss goes to `train_log.jsonl`.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant import paths
from assistant.errors import UsageError
from assistant.tools import trained, training

PROG = "python -m assistant.tools.transcribe.train"

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "transcribe"
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029"]  # fmt: skip
VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "klatt4", "adam", "john", "linda", "max"]  # fmt: skip
INSTALL = "speech synthesis needs espeak-ng and sox: apt-get install espeak-ng sox"


@dataclass
class TranscribeConfig:
    output_dir: str | None = training.output_dir_field("transcribe", "rnn")
    corpus_dir: str | None = field(
        default=None, metadata={"help": "synthetic corpus (WAVs + manifest), built if short"}
    )
    utterances: int = field(default=10000, metadata={"help": "corpus size (spoken sentences)"})
    hidden_dim: int = field(default=192, metadata={"help": "GRU hidden size"})
    layers: int = field(default=2, metadata={"help": "bi-GRU layers"})
    epochs: int = field(default=30, metadata={"help": "passes over the corpus (at most)"})
    batch_size: int = field(default=24, metadata={"help": "utterances per step"})
    lr: float = field(default=1.5e-3, metadata={"help": "Adam learning rate (decays linearly)"})
    max_cpu_minutes: float = training.budget_field(22.0, cpu=True, hint="; the rate decays over it")
    max_steps: int = field(default=0, metadata={"help": "stop after this many steps (0: none)"})
    save_every: int = field(default=300, metadata={"help": "save every N steps"})
    noise: float = field(default=0.5, metadata={"help": "share of utterances given noise"})
    seed: int = training.seed_field("corpus sampling, noise")
    threads: int = training.threads_field(1)


parse = training.parser(TranscribeConfig, __doc__, PROG)


def heldout_rows() -> list[dict]:
    """The held-out synthetic split: sentence and the voice, speed and pitch it is spoken with."""
    rows = []
    for line in (DATA_DIR / "heldout.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            voice, speed, pitch, text = line.split("\t")
            rows.append({"voice": voice, "speed": int(speed), "pitch": int(pitch), "text": text})
    return rows


def sentence_pool(seed: int) -> list[str]:
    """Normalised chitchat-dataset sentences of 3-12 words, letters only, seeded order."""
    import chitchat_dataset

    from assistant.tools.text import split_sentences
    from assistant.tools.transcribe.wer import normalise

    seen, pool = set(), []
    for conversation in chitchat_dataset.Dataset().values():
        for turn in conversation["messages"]:
            for utterance in turn:
                for s in split_sentences(utterance["text"]):
                    if re.search(r"[^A-Za-z ,.'?!-]", s):
                        continue
                    text = normalise(s, keep_apostrophes=True)
                    if 3 <= len(text.split()) <= 12 and text not in seen:
                        seen.add(text)
                        pool.append(text)
    random.Random(seed).shuffle(pool)
    return pool


def random_voice(rng: random.Random) -> dict:
    variant = rng.choice(VARIANTS)
    return {
        "voice": rng.choice(ACCENTS) + (f"+{variant}" if variant else ""),
        "speed": rng.randint(120, 220),
        "pitch": rng.randint(20, 80),
    }


def synthesise(text: str, voice: str, speed: int, pitch: int, out: Path, sox_effects=()) -> None:
    """`text` spoken by espeak-ng, written by sox as a 16 kHz mono 16-bit WAV."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        raise UsageError(INSTALL)
    speech = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(
        [
            "sox",
            "-q",
            "-t",
            "wav",
            "-",
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            str(out),
            *sox_effects,
        ],
        input=speech,
        capture_output=True,
        check=True,
    )


def channel_effects(rng: random.Random) -> list[str]:
    """A random gain and band limit for sox: rooms and microphones differ."""
    effects = ["gain", f"{rng.uniform(-12, 0):.1f}"]
    if rng.random() < 0.5:
        effects += ["sinc", f"{rng.randint(80, 300)}-{rng.randint(3400, 7600)}"]
    return effects


def build_corpus(directory: Path, size: int, seed: int, progress: bool = True) -> list[dict]:
    """`size` synthetic utterances under `directory` (WAVs + manifest.jsonl; resumes)."""
    from tqdm import tqdm

    manifest = directory / "manifest.jsonl"
    rows = read_manifest(manifest)
    if len(rows) >= size:
        return rows[:size]
    directory.mkdir(parents=True, exist_ok=True)
    banned = {r["text"] for r in heldout_rows()}
    sentences = [s for s in sentence_pool(seed) if s not in banned]
    rng = random.Random(seed + len(rows))
    with manifest.open("a", encoding="utf-8") as f:
        for i in tqdm(
            range(len(rows), size), desc="speaking corpus (espeak-ng)", disable=not progress
        ):
            row = {"id": f"{i:06d}", "text": sentences[i % len(sentences)], **random_voice(rng)}
            synthesise(
                row["text"],
                row["voice"],
                row["speed"],
                row["pitch"],
                directory / f"{row['id']}.wav",
                channel_effects(rng),
            )
            f.write(json.dumps(row) + "\n")
            f.flush()
            rows.append(row)
    return rows


def read_manifest(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by an interrupted run
            break
    return rows


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0


def add_noise(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White or brown (integrated, high-passed) noise at 5-30 dB SNR."""
    noise = rng.standard_normal(samples.size)
    if rng.random() < 0.5:
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(400) / 400, mode="same")
    snr_db = rng.uniform(5, 30)
    power = float((samples**2).mean()) + 1e-10
    noise *= math.sqrt(power / (float((noise**2).mean()) + 1e-10) / 10 ** (snr_db / 10))
    return samples + noise


def train(config: TranscribeConfig, progress: bool = True, log=print) -> Path:
    import torch
    from safetensors.torch import load_file, save_file
    from tqdm import tqdm

    from assistant.tools.transcribe import rnn

    training.start(config)
    out_dir = trained.output_dir(config.output_dir, "transcribe", "rnn")
    corpus = Path(config.corpus_dir) if config.corpus_dir else paths.home() / "corpora" / "speech"
    rows = build_corpus(corpus, config.utterances, config.seed, progress)
    lengths = [(corpus / f"{r['id']}.wav").stat().st_size for r in rows]
    n_val = max(2, min(200, len(rows) // 40))
    val, train = list(range(n_val)), list(range(n_val, len(rows)))

    model = rnn.CTCRecognizer(rnn.CTCConfig(hidden_dim=config.hidden_dim, layers=config.layers))
    state_file, step, before, earlier = out_dir / "resume.safetensors", 0, 0.0, []
    if state_file.exists():
        model.load_state_dict(load_file(str(state_file)))
        meta = json.loads((out_dir / "config.json").read_text())
        step, before, earlier = meta["steps"], meta["cpu_minutes"], meta["history"]
        log(f"resuming from step {step} ({before:.1f} CPU-minutes in)")
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    noise_rng = np.random.default_rng(config.seed + step)

    def loss_of(indices: list[int], noisy: bool) -> torch.Tensor:
        feats, labels = [], []
        for k in indices:
            samples = read_wav(corpus / f"{rows[k]['id']}.wav")
            if noisy and noise_rng.random() < config.noise:
                samples = add_noise(samples, noise_rng)
            feats.append(rnn.features(samples.astype(np.float32), model.config.stack))
            labels.append(torch.tensor(rnn.encode_text(rows[k]["text"])))
        frames = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
        frame_lengths = torch.tensor([f.size(0) for f in feats])
        logp = model(frames, frame_lengths).transpose(0, 1)  # (T, B, C) for CTCLoss
        return ctc(logp, torch.cat(labels), frame_lengths, torch.tensor([len(t) for t in labels]))

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            losses = [float(loss_of(val[i : i + 32], False)) for i in range(0, len(val), 32)]
        model.train()
        return sum(losses) / len(losses)

    def checkpoint() -> None:
        current = val_loss()
        history.append({"step": step, "val_loss": round(current, 4)})
        log(f"step {step}: validation loss {current:.3f}")
        meta = {
            "utterances": len(rows),
            "steps": step,
            "cpu_minutes": round(clock.minutes(), 2),
            "history": earlier + [h for h in history if "val_loss" in h],
            "train": training.settings(config, skip=("output_dir", "corpus_dir")),
        }
        rnn.save(model, out_dir, meta)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(state_file))

    # CPU time, not wall time: on a shared machine the budget means the same work
    clock = training.Stopwatch(cpu=True, before=before)  # earlier runs' minutes included
    history, rng = [], random.Random(config.seed + step)
    train_lengths = [lengths[k] for k in train]
    model.train()
    stop = False
    try:
        for epoch in range(config.epochs):
            bar = tqdm(
                training.length_buckets(
                    range(len(train)), train_lengths.__getitem__, config.batch_size, rng
                ),
                desc=f"epoch {epoch + 1}",
                disable=not progress,
            )
            for batch in bar:
                loss = loss_of([train[i] for i in batch], True)
                elapsed = clock.minutes() / config.max_cpu_minutes
                for group in optimizer.param_groups:
                    group["lr"] = config.lr * max(0.05, 1.0 - elapsed)
                training.optimizer_step(loss, optimizer, model.parameters(), clip=5.0)
                step += 1
                bar.set_postfix(loss=f"{loss.item():.3f}")
                history.append({"step": step, "loss": round(loss.item(), 4)})
                stop = elapsed >= 1.0 or bool(config.max_steps and step >= config.max_steps)
                if step % config.save_every == 0 or stop:
                    checkpoint()
                if stop:
                    break
            if stop:
                break
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (see `cli`) keeps what was learnt
        log(f"interrupted at step {step}")
        checkpoint()
    log(f"trained {step} steps in {clock.minutes():.1f} CPU-minutes")
    with (out_dir / "train_log.jsonl").open("a", encoding="utf-8") as f:
        f.writelines(json.dumps(h) + "\n" for h in history)
    return training.finished(out_dir, rnn.load)


if __name__ == "__main__":
    training.script(parse, train)
