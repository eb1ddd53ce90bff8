"""Short writing tasks about everyday subjects, answered in plain text under the battery's kinds
of constraint (the third SFT round). A 135M model that has learned the tool-call format tends to
answer "Say something nice about ...", "Write two sentences about ...", "Describe ... in at most N
words" with a `sentiment`, `summarize` or `imagine` call: these teach that writing is answered
by writing. Written for Parley (CC0, see README.md). `make_seed.py` leaves out any subject named
in an eval prompt, so the eval's topics stay unseen.

Each subject in `subjects.jsonl`: its name, a word none of its first two sentences uses, and four
true sentences, the first one warm.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _table(name: str) -> list[dict]:
    """The rows of the JSONL table `name` beside this file."""
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()]


SUBJECTS = [(row["subject"], row["avoid"], row["sentences"]) for row in _table("subjects.jsonl")]
# (thing, key, value) for "give a ... under the key" (`json_things.jsonl`): not the eval's list
JSON_THINGS = [(row["thing"], row["key"], row["value"]) for row in _table("json_things.jsonl")]
ENDS = ["Thank you.", "That is all.", "Have a nice day!", "The end.", "Is there anything else?"]
STARTS = ["Okay", "Sure", "Well", "Yes", "Indeed"]


def tasks(excluded: str) -> list[tuple[str, str]]:
    """Each subject not named in `excluded` (the eval prompts, lowercased) under each constraint,
    answered to it; JSON answers for the things in JSON_THINGS."""
    out = []
    for i, (name, avoid, lines) in enumerate(SUBJECTS):
        if name.lower() in excluded:
            continue
        n, words = 2 + i % 3, lines[0].rstrip(".").split()
        word = max(words[1:], key=len)
        start, end = STARTS[i % len(STARTS)], ENDS[i % len(ENDS)]
        out += [
            (
                f'Say something kind about {name}, and finish with the exact phrase "{end}"',
                f"{lines[0]} {end}",
            ),
            (
                f"Please write {n} sentences about {name}, no more and no fewer.",
                " ".join(lines[:n]),
            ),
            (f"Tell me about {name} in exactly {n} sentences.", " ".join(lines[:n])),
            (
                f"In lowercase letters only, write two sentences about {name}.",
                " ".join(lines[:2]).lower(),
            ),
            (f"Describe {name} in no more than {len(lines[1].split()) + 3} words.", lines[1]),
            (
                f'Tell me about {name} in a sentence or two, but do not use the word "{avoid}".',
                " ".join(lines[:2]),
            ),
            (f'Write a sentence about {name} that includes the word "{word}".', lines[0]),
            (
                f'Begin your reply with the word "{start}". What can you tell me about {name}?',
                f"{start}, {lines[1][0].lower()}{lines[1][1:]}",
            ),
            (f"Say something nice about {name}.", lines[0]),
            (f"What do you know about {name}?", " ".join(lines[1:4])),
        ]
    for thing, key, value in JSON_THINGS:
        out.append(
            (
                f'Reply only with a JSON object: give a {thing} under the key "{key}".',
                json.dumps({key: value}),
            )
        )
    return out
