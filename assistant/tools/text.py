"""Plain-text helpers the tools share: sentence splitting, a small language guess, and `TextTool`
(the base of the tools whose words are one text: translate, sentiment, summarize).

No NLTK data is needed (none is available offline): sentences split on end punctuation followed by
space and a capital/digit/quote, with common abbreviations kept whole.

    >>> split_sentences("Dr. Smith came. He sat down! Did he? Yes.")
    ['Dr. Smith came.', 'He sat down!', 'Did he?', 'Yes.']
    >>> guess_language("Bom dia, meu amigo. Como você está?")
    'pt'
"""

from __future__ import annotations

import re
from typing import Any

from assistant.errors import UsageError
from assistant.tools.base import (
    Output,
    Progress,
    Tool,
    check_text,
    read_file_argument,
)

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig",
    "sra", "srta", "dra", "p.ex",
}  # fmt: skip
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-ZÀ-ÖØ-Þ0-9¿¡])")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, in order; blank lines and line breaks in lists also split."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)", text):
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        for match in _BOUNDARY.finditer(block):
            candidate = block[start : match.start()].rstrip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            sentences.append(block[start : match.end()].strip())
            start = match.end()
        if block[start:].strip():
            sentences.append(block[start:].strip())
    return sentences


_EN = """the and is are was were you your i it this that of to in for with not have has be what how
my we they he she do does good morning night thanks please hello friend"""
_PT = """o a os as e é são era eram você seu sua eu isso este esta de do da dos das em no na para
com
não tem ser que como meu minha nós eles ela bom boa dia noite obrigado obrigada por favor olá amigo
está estou muito"""
_WORDS = {"en": frozenset(_EN.split()), "pt": frozenset(_PT.split())}


def guess_language(text: str) -> str | None:
    """'en', 'pt', or None when the text gives too little to tell (a few common words decide)."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()}
    scores["pt"] += 2 * len(re.findall(r"[ãõçáéíóúâêô]", text.lower()))
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] == 0 or ranked[0] == ranked[1]:
        return None
    return best


def chunks(sentences: list[str], max_chars: int) -> list[str]:
    """Consecutive sentences joined into pieces of at most `max_chars` (a longer sentence alone)."""
    out: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + 1 + len(sentence) > max_chars:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


ICONV_HINT = "convert it first, e.g. iconv -f latin1 -t utf-8 (or set a UTF-8 locale)"


def require_utf8(text: str, what: str) -> str:
    """`text`, if it is valid Unicode. Words from the shell that were not UTF-8 reach Python as
    lone surrogates (its surrogateescape); they are refused with one line naming the bad byte.

    >>> require_utf8("café", "the prompt")
    'café'
    >>> require_utf8(b"caf\\xe9".decode("utf-8", "surrogateescape"), "the prompt")
    Traceback (most recent call last):
    ...
    assistant.errors.UsageError: the prompt is not UTF-8 text (byte 0xe9 at position 3): \
convert it first, e.g. iconv -f latin1 -t utf-8 (or set a UTF-8 locale)
    """
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            code = ord(ch)
            bad = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise UsageError(f"{what} is not UTF-8 text ({bad} at position {i}): {ICONV_HINT}")
    return text


def decode_utf8(data: bytes, what: str) -> str:
    """Bytes (stdin, a file) as text; anything but UTF-8 is refused with one line.

    >>> decode_utf8("olá".encode(), "stdin")
    'olá'
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(
            f"{what} is not UTF-8 text (byte 0x{data[e.start]:02x} at position {e.start}): "
            f"{ICONV_HINT}"
        ) from None


class TextTool(Tool):
    """A tool whose words end in one text (`/sentiment I loved it`; `@FILE` for a file's text),
    declared as its `text` parameter (the command's words); `parse` joins and reads them.
    `execute` refuses an empty text or one over `max_chars`, then hands it to the tool's
    `answer`."""

    max_chars = 20_000

    def answer(self, backend: str, text: str, progress: Progress | None, **options: Any) -> Output:
        raise NotImplementedError

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        args["text"] = read_file_argument(" ".join(args.get("text") or []))
        return args

    def execute(
        self, backend: str, progress: Progress | None = None, text: str = "", **options: Any
    ) -> Output:
        text = check_text(str(text), limit=self.max_chars)
        return self.answer(backend, text, progress, **options)
