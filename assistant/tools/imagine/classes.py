"""Words to classes: "a sneaker" -> Sneaker, "ankle boots" -> Ankle boot, "jeans" -> Trouser.

    >>> match("a pair of sneakers", FASHION_CLASSES)
    7
    >>> match("an ankle boot", FASHION_CLASSES)
    9

A class matches when all the words of its name, or of one of its synonyms, appear in the prompt
(plural -s and "t-shirt"/"tshirt" spellings folded); the longest match wins, so "ankle boot" beats
"boot" and "t-shirt" beats "shirt". No match, or two different classes, is a `UsageError` that
lists the classes.
"""

from __future__ import annotations

import re

from assistant.errors import UsageError

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip

SYNONYMS = {
    "T-shirt/top": ["tshirt", "tee", "top", "tank top", "t shirt"],
    "Trouser": ["trouser", "pants", "jeans", "slacks"],
    "Pullover": ["pullover", "sweater", "jumper", "hoodie", "sweatshirt"],
    "Dress": ["dress", "gown", "frock"],
    "Coat": ["coat", "jacket", "parka", "overcoat"],
    "Sandal": ["sandal", "flip flop", "flipflop", "slipper"],
    "Shirt": ["shirt", "blouse", "button down"],
    "Sneaker": ["sneaker", "trainer", "running shoe", "shoe", "tennis shoe"],
    "Bag": ["bag", "handbag", "purse", "backpack", "tote"],
    "Ankle boot": ["ankle boot", "boot", "bootie"],
}
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _words(text: str) -> list[str]:
    text = text.lower().replace("t-shirt", "tshirt").replace("t shirt", "tshirt")
    words = re.findall(r"[a-z0-9]+", text)
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def aliases(classes: list[str]) -> list[list[str]]:
    """Every name each class answers to (its own name first)."""
    out = []
    for i, name in enumerate(classes):
        names = [name.lower(), *SYNONYMS.get(name, [])]
        if classes == [str(d) for d in range(10)]:
            names.append(DIGIT_WORDS[i])
        out.append(names)
    return out


def match(prompt: str, classes: list[str]) -> int:
    """The index of the class the prompt names."""
    words = _words(prompt)
    text = f" {' '.join(words)} "
    best: dict[int, int] = {}
    for index, names in enumerate(aliases(classes)):
        for name in names:
            key = " ".join(_words(name))
            if key and f" {key} " in text:
                best[index] = max(best.get(index, 0), len(key))
    if not best:
        raise UsageError(f"no class in {prompt.strip()!r}; I can draw: {describe(classes)}")
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    top = [i for i, length in ranked if length == ranked[0][1]]
    # a longer name contained in the prompt ("ankle boot") also contains the shorter ("boot")
    covered = [i for i in best if i not in top and any(_contains(classes, t, i) for t in top)]
    others = [i for i in best if i not in top and i not in covered]
    if len(top) > 1 or others:
        named = ", ".join(classes[i] for i in sorted(set(top) | set(others)))
        raise UsageError(f"{prompt.strip()!r} names several classes ({named}); ask for one")
    return top[0]


def _contains(classes: list[str], long: int, short: int) -> bool:
    longs = [" ".join(_words(n)) for n in aliases(classes)[long]]
    shorts = [" ".join(_words(n)) for n in aliases(classes)[short]]
    return any(f" {s} " in f" {lo} " for lo in longs for s in shorts)


def describe(classes: list[str]) -> str:
    return ", ".join(classes)
