"""The checkers of `parley eval chat`: plain functions of an answer's text, each with doctests.

- `knows(answer, accepted)`: an accepted answer occurs in the answer as whole words, after
  `normalize` (case, accents, punctuation, hyphens and thousands separators do not matter).
- `INSTRUCTIONS[kind](answer, **params)`: the constraint of an instruction prompt holds.
- `language(text)`: 'en', 'pt', 'es', 'fr', 'it', 'de' by stopword counts, or None (too little
  text to tell).
- `degenerate(text)`: a loop (some 4-word sequence said three times or more) — with empty
  answers and answers cut at the token limit, the degeneration axis.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable


def normalize(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, numbers without separators.

    >>> normalize("Bogotá, 1,000 km -- Fifty-Four!")
    'bogota 1000 km fifty four'
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)
    text = re.sub(r"[^\w.]|_", " ", text)
    text = re.sub(r"\.(?!\d)", " ", text)  # a full stop, not a decimal point
    return " ".join(text.split())


def knows(answer: str, accepted: list[str]) -> bool:
    """An accepted answer (all parts of an `a&b` answer) occurs in `answer` as whole words.

    >>> knows("The capital of Spain is Madrid.", ["Madrid"])
    True
    >>> knows("10 minus 4 is 2", ["6", "six"]), knows("It is fifty-four.", ["54", "fifty-four"])
    (False, True)
    >>> knows("Solid and liquid.", ["solid&liquid&gas"])
    False
    """
    said = f" {normalize(answer)} "
    for option in accepted:
        parts = [normalize(p) for p in option.split("&")]
        if all(p and f" {p} " in said for p in parts):
            return True
    return False


# --- instruction checkers: (answer, **params) -> bool ---


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text)


def _bare(text: str) -> str:
    """The answer without surrounding space, quotes, markdown emphasis or final punctuation."""
    return text.strip().strip("\"'“”*_` ").rstrip(".!?").strip("\"'“”*_` ")


def max_words(text: str, n: int) -> bool:
    """Between 1 and `n` words.

    >>> max_words("The sea is wide and blue.", 6), max_words("", 6), max_words("a b c", 2)
    (True, False, False)
    """
    return 1 <= len(_words(text)) <= n


def one_word(text: str) -> bool:
    """A single word (quotes and a final full stop are fine).

    >>> one_word(" Saturn. "), one_word("Mars or Venus")
    (True, False)
    """
    return len(_words(_bare(text))) == 1


def yes_no(text: str) -> bool:
    """Just yes or no.

    >>> yes_no("Yes."), yes_no("No"), yes_no("Yes, it is a star.")
    (True, True, False)
    """
    return _bare(text).casefold() in ("yes", "no")


def lowercase(text: str) -> bool:
    """Some letters, none of them capitals.

    >>> lowercase("the sea is calm."), lowercase("The sea is calm."), lowercase("")
    (True, False, False)
    """
    return any(c.isalpha() for c in text) and text == text.lower()


def bullets(text: str, n: int) -> bool:
    """Exactly `n` lines start with a bullet (-, * or •), and nothing else starts a list.

    >>> bullets("Tips:\\n- sleep\\n- eat well", 2), bullets("- one\\n- two\\n- three", 2)
    (True, False)
    >>> bullets("1. sleep\\n2. eat", 2)
    False
    """
    lines = [line.strip() for line in text.splitlines()]
    marked = [line for line in lines if re.match(r"[-*•]\s+\S", line)]
    numbered = [line for line in lines if re.match(r"\d+[.)]\s", line)]
    return len(marked) == n and not numbered


def include(text: str, word: str) -> bool:
    """The word occurs as a whole word, in any case.

    >>> include("A bright morning.", "morning"), include("Mornings are cold.", "morning")
    (True, False)
    """
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


def exclude(text: str, word: str) -> bool:
    """A non-empty answer without the word.

    >>> exclude("Waves roll in.", "water"), exclude("Blue Water.", "water"), exclude(" ", "x")
    (True, False, False)
    """
    return bool(text.strip()) and not include(text, word)


def start_with(text: str, word: str) -> bool:
    """The first word is `word`.

    >>> start_with("Well, trains are fast.", "Well"), start_with("Trains. Well.", "Well")
    (True, False)
    """
    words = _words(text.strip().lstrip("\"'“*_ "))
    return bool(words) and words[0].casefold() == word.casefold()


def end_with(text: str, phrase: str) -> bool:
    """The answer ends with the phrase (final punctuation and quotes aside).

    >>> end_with("Tea is lovely. That is all.", "That is all."), end_with("That is all!?", "x")
    (True, False)
    """
    return _bare(text).casefold().endswith(_bare(phrase).casefold()) and bool(_bare(phrase))


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if _words(s)]


def sentences(text: str, n: int) -> bool:
    """Exactly `n` sentences.

    >>> sentences("Birds sing. They fly south! Do they?", 3), sentences("One. Two.", 3)
    (True, False)
    """
    return len(_sentences(text)) == n


def json_key(text: str, key: str) -> bool:
    """The answer is a JSON object (a code fence around it is fine) that has `key`.

    >>> json_key('```json\\n{"city": "Oslo"}\\n```', "city"), json_key('{"town": 1}', "city")
    (True, False)
    >>> json_key('Sure! {"city": "Oslo"}', "city")
    False
    """
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and key in value


def comma_list(text: str, n: int) -> bool:
    """One line of exactly `n` short comma-separated items (a final 'and' is fine).

    >>> comma_list("apples, pears, plums.", 3), comma_list("apples, pears and plums", 3)
    (True, True)
    >>> comma_list("Here are three: apples, pears, plums", 3), comma_list("a, b", 3)
    (False, False)
    """
    body = _bare(text)
    if "\n" in body or ":" in body:
        return False
    items = [i.strip() for i in re.split(r",|\band\b", body) if i.strip()]
    return len(items) == n and all(1 <= len(_words(i)) <= 4 for i in items)


INSTRUCTIONS: dict[str, Callable[..., bool]] = {
    "max_words": max_words,
    "one_word": one_word,
    "yes_no": yes_no,
    "lowercase": lowercase,
    "bullets": bullets,
    "include": include,
    "exclude": exclude,
    "start_with": start_with,
    "end_with": end_with,
    "sentences": sentences,
    "json": json_key,
    "comma_list": comma_list,
}


def follows(text: str, check: dict) -> bool:
    """The instruction's check (`{"kind": ..., **params}`) on the answer.

    >>> follows("Yes.", {"kind": "yes_no"}), follows("a, b", {"kind": "comma_list", "n": 2})
    (True, True)
    """
    params = {k: v for k, v in check.items() if k != "kind"}
    return INSTRUCTIONS[check["kind"]](text, **params)


# --- language and degeneration ---

STOPWORDS = {
    "en": "the a is are was and of to in it that this with for you your not be have what how do",
    "pt": "o a e os as é são um uma não com em de do da dos das para que se mas ao na no está qual",
    "es": "el y los las es son un una no con en de del por para que pero al está muy",
    "fr": "le la les est sont un une pas avec dans de du des pour que et il elle ce",
    "it": "il lo gli è sono un una non con nel del della per che ma ed",
    "de": "der die das ist sind ein eine nicht mit und zu den dem ich sie es",
}
_STOP = {lang: set(words.split()) for lang, words in STOPWORDS.items()}


# three or more single letters in a list ("a, e, i, o and u"): letters named, not words
_LETTER_LIST = re.compile(
    r"\b[a-zA-Z]\b(?:\s*(?:,|\band\b|\bor\b|\be\b|\bou\b)\s*\b[a-zA-Z]\b){2,}"
)


def language(text: str) -> str | None:
    """The language with most stopwords in `text` (listed single letters aside); None with fewer
    than two stopwords.

    >>> language("The capital of France is Paris."), language("A capital da França é Paris.")
    ('en', 'pt')
    >>> language("L'Alma, la France, est la capital de la France."), language("Paris.")
    ('fr', None)
    >>> language("The five vowels of the alphabet are a, e, i, o and u.")
    'en'
    >>> language("O Brasil fica na América do Sul e a capital é Brasília.")
    'pt'
    """
    text = _LETTER_LIST.sub(" ", text)  # "a, e, i, o and u" are listed letters, not words
    words = [w.casefold().split("'")[-1] for w in re.findall(r"[\w']+", text)]
    counts = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    best = max(counts.values())
    if best < 2:
        return None
    winners = [lang for lang, c in counts.items() if c == best]
    return winners[0] if len(winners) == 1 else "/".join(winners)


def in_language(text: str, lang: str) -> bool | None:
    """Whether the answer is in `lang`; None when it cannot be told (too short).

    >>> in_language("Madrid.", "pt"), in_language("É Madrid, a capital da Espanha.", "pt")
    (None, True)
    """
    found = language(text)
    return None if found is None else lang in found.split("/")


def loops(text: str, n: int = 4, times: int = 3) -> bool:
    """Some sequence of `n` words occurs `times` times or more.

    >>> loops("I like it. " * 2), loops("the cat sat on the mat and the cat sat on the mat " * 2)
    (False, True)
    """
    words = [w.casefold() for w in _words(text)]
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return bool(grams) and max(grams.values()) >= times
