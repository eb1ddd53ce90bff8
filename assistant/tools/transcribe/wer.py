"""Word error rate, and the text normalisation both sides get before it is counted.

Whisper writes "Mr. Dashwood", "10 of clubs", "ill-disposed" and "I'm"; the references write
"mister dashwood", "ten of clubs", "ill disposed" and (chat-style synthetic sentences) "im". Both
sides are lower-cased, numbers become words, hyphens become spaces and punctuation, apostrophes
included, goes, so the rate counts words heard wrong, not spelling.

    >>> normalise("Mr. Dashwood had 10 clubs -- ill-disposed! I'm sure")
    'mister dashwood had ten clubs ill disposed im sure'
    >>> wer(["the cat sat"], ["the cat sat down"])
    0.25
"""

from __future__ import annotations

import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "&": "and"}


def number_words(n: int) -> str:
    """0 <= n < 10**9 in words: 2934 -> 'two thousand nine hundred thirty four'."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = "" if n % 100 == 0 else " " + number_words(n % 100)
        return _ONES[n // 100] + " hundred" + rest
    for size, word in ((10**6, "million"), (1000, "thousand")):
        if n >= size:
            rest = "" if n % size == 0 else " " + number_words(n % size)
            return number_words(n // size) + " " + word + rest
    raise ValueError(n)


def _number(match: re.Match) -> str:
    digits = match.group(0).replace(",", "")
    return f" {number_words(int(digits))} " if len(digits) < 10 else " ".join(digits)


def normalise(text: str, keep_apostrophes: bool = False) -> str:
    """Lower case, abbreviations and numbers spelled out, letters and spaces only (and apostrophes
    inside words if asked: the rnn's training text keeps them)."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"\d[\d,]*", _number, text)
    words = []
    for word in re.sub(r"[^a-z'&]+", " ", text).split():
        word = _ABBREVIATIONS.get(word, word).strip("'")
        word = word if keep_apostrophes else word.replace("'", "")
        if word:
            words.append(word)
    return " ".join(words)


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two token lists."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def wer(hypotheses: list[str], references: list[str]) -> float:
    """Corpus word error rate: word edits over reference words, after `normalise` on both sides."""
    errors = words = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        ref_words = normalise(ref).split()
        errors += edit_distance(normalise(hyp).split(), ref_words)
        words += len(ref_words)
    return errors / max(words, 1)


def cer(hypotheses: list[str], references: list[str]) -> float:
    """Corpus character error rate over normalised text (spaces count as characters)."""
    errors = chars = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        ref_chars = list(normalise(ref))
        errors += edit_distance(list(normalise(hyp)), ref_chars)
        chars += len(ref_chars)
    return errors / max(chars, 1)
