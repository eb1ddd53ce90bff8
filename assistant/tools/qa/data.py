"""Question/answer pairs for `parley train qa` and `bench/qa.py`.

- **hand-written** (`data/qa/`, CC0, written for Parley): eight short documents, four for training
  and four held out, with questions whose answers are spans of the document, and questions the
  document cannot answer (`"answers": []`). `train.jsonl` asks about the training documents,
  `test.jsonl` about the held-out ones: no test document or question is ever trained on.
- **templated**: passages of three to six invented facts ("Ilse Varga was born in Dunmore in
  1874.") with questions on one of them, or on a fact the passage does not hold (no answer).
  Several facts of one kind share a passage, so the answer is found by matching the question's
  words, not by the kind of span. Made fresh from a seed; no external data.

An example is a dict: {"question", "context", "answer"} where "answer" is a span of "context"
(its first occurrence) or "" for no answer.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "qa"

_FIRST = """Ilse Anna Tomas Marta Jonas Petra Luis Greta Omar Nadia Felix Irene Hugo Lena Pavel Rosa
Emil Clara Tariq Ines Viktor Alma Bruno Sofia Kasper Maya Dario Eva"""
_LAST = """Varga Holm Moreau Silva Novak Berg Lindahl Costa Weber Kaplan Duarte Ferris Okafor Rossi
Brandt Haller Ivers Quint Salo Yilmaz Marsh Okoro Pike Renner"""
FIRST, LAST = _FIRST.split(), _LAST.split()
TOWNS = ["Dunmore", "Valbrook", "Kestrel Bay", "Ostrava", "Millhaven", "Arden", "Porto Leve",
         "Santa Ines", "Greywater", "Halden", "Tarn", "Ferrow", "Lissel", "Norreby", "Caldera",
         "Pinehurst", "Eastmoor", "Vellan"]  # fmt: skip
BUILDINGS = ["town hall", "old bridge", "clock tower", "museum", "lighthouse", "theatre",
             "market hall", "cathedral", "railway station", "library"]  # fmt: skip
JOBS = ["baker", "carpenter", "nurse", "pilot", "teacher", "engineer", "fisherman", "painter",
        "doctor", "gardener", "journalist", "watchmaker"]  # fmt: skip
MATERIALS = ["red brick", "grey granite", "oak", "white marble", "steel and glass", "sandstone"]
ANIMALS = ["marsh owl", "river otter", "mountain goat", "sand lizard", "grey heron", "field mouse"]
FOODS = ["beetles", "fish and frogs", "grass and herbs", "seeds and berries", "small rodents"]
COLOURS = ["green", "deep blue", "yellow", "purple", "orange", "silver"]
MONTHS = ["January", "March", "May", "June", "August", "October", "December"]
COUNTRIES = ["Portugal", "Norway", "Canada", "Kenya", "Chile", "Japan", "Italy", "Poland"]
TITLES = ["The Silent Harbour", "Winter Orchard", "A House of Salt", "The Ninth Lantern",
          "Paper Rivers", "The Glass Road"]  # fmt: skip
DEVICES = ["water clock", "folding ladder", "rain gauge", "seed drill", "signal lamp"]
PURPOSES = ["measure the rain on the hills", "help farmers plant in straight rows",
            "warn ships of the rocks", "keep time during the night"]  # fmt: skip
REASONS = [
    "their goalkeeper saved two penalties",
    "the other team missed the last train",
    "they trained every morning in the snow",
    "their captain scored in the final minute",
]
TEAMS = ["Harbour Rovers", "Valley United", "North Star", "Old Mill Athletic"]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _fact(rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """One invented fact: its sentence, and (question, answer) pairs it answers."""
    p, town, year = _person(rng), rng.choice(TOWNS), str(rng.randint(1600, 2023))
    num = str(rng.randint(2, 900))
    kind = rng.randrange(14)
    if kind == 0:
        return f"{p} was born in {town} in {year}.", [
            (f"Where was {p} born?", town),
            (f"When was {p} born?", year),
            (f"In which year was {p} born?", year),
        ]
    if kind == 1:
        b, p2 = rng.choice(BUILDINGS), _person(rng)
        return f"The {b} of {town} was built in {year} by {p2}.", [
            (f"When was the {b} of {town} built?", year),
            (f"Who built the {b} of {town}?", p2),
        ]
    if kind == 2:
        c = f"{rng.choice(LAST)} & {rng.choice(LAST)}"
        return f"The firm {c} was founded in {year} by {p}.", [
            (f"Who founded {c}?", p),
            (f"When was {c} founded?", year),
        ]
    if kind == 3:
        river = rng.choice(LAST)
        return f"The {river} River is {num} kilometres long.", [
            (f"How long is the {river} River?", f"{num} kilometres")
        ]
    if kind == 4:
        job = rng.choice(JOBS)
        return f"{p} works as a {job} in {town}.", [
            (f"What is {p}'s job?", job),
            (f"What does {p} do for a living?", job),
            (f"Where does {p} work?", town),
        ]
    if kind == 5:
        month, fest = rng.choice(MONTHS), rng.choice(LAST)
        return f"The {fest} festival takes place every {month} in {town}.", [
            (f"When does the {fest} festival take place?", f"every {month}"),
            (f"Where is the {fest} festival held?", town),
        ]
    if kind == 6:
        animal, food = rng.choice(ANIMALS), rng.choice(FOODS)
        return f"Near {town}, the {animal} eats mainly {food}.", [
            (f"What does the {animal} eat near {town}?", food)
        ]
    if kind == 7:
        colour = rng.choice(COLOURS)
        return f"{p}'s favourite colour is {colour}.", [
            (f"What is {p}'s favourite colour?", colour)
        ]
    if kind == 8:
        b = rng.choice(BUILDINGS)
        return f"A ticket to the {b} in {town} costs {num} euros.", [
            (f"How much does a ticket to the {b} in {town} cost?", f"{num} euros"),
            (f"What is the price of a ticket to the {b} in {town}?", f"{num} euros"),
        ]
    if kind == 9:
        b, material = rng.choice(BUILDINGS), rng.choice(MATERIALS)
        return f"The {b} of {town} is made of {material}.", [
            (f"What is the {b} of {town} made of?", material)
        ]
    if kind == 10:
        big = f"{rng.randint(2, 950)},{rng.randint(0, 999):03d}"
        return f"{town} has a population of about {big} people.", [
            (f"How many people live in {town}?", f"about {big} people"),
            (f"What is the population of {town}?", f"about {big} people"),
        ]
    if kind == 11:
        title = rng.choice(TITLES)
        return f"{p} wrote the novel {title} in {year}.", [
            (f"Who wrote {title}?", p),
            (f"When did {p} write {title}?", year),
        ]
    if kind == 12:
        team, reason = rng.choice(TEAMS), rng.choice(REASONS)
        return f"The {team} won the cup in {year} because {reason}.", [
            (f"Why did the {team} win the cup in {year}?", reason),
            (f"When did the {team} win the cup?", year),
        ]
    device, purpose = rng.choice(DEVICES), rng.choice(PURPOSES)
    return f"{p} invented the {device} in {year} to {purpose}.", [
        (f"Who invented the {device}?", p),
        (f"Why did {p} invent the {device}?", purpose),
        (f"When was the {device} invented?", year),
    ]


def templated(count: int, seed: int, no_answer: float = 0.25) -> list[dict]:
    """`count` examples over invented passages; about `no_answer` of them cannot be answered."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        facts = [_fact(rng) for _ in range(rng.randint(3, 6))]
        context = " ".join(sentence for sentence, _ in facts)
        if rng.random() < no_answer:
            sentence, questions = _fact(rng)  # a fact the passage does not state
            question, answer = rng.choice(questions)
            if answer in context or sentence.split()[0] in context:
                continue
            out.append({"question": question, "context": context, "answer": ""})
        else:
            question, answer = rng.choice(rng.choice(facts)[1])
            if context.count(answer) != 1 and not answer.isdigit():
                continue  # an answer written twice (two facts share a town) is ambiguous
            out.append({"question": question, "context": context, "answer": answer})
    return out


def documents() -> dict[str, str]:
    """The hand-written documents: name -> text."""
    return {
        p.stem: p.read_text(encoding="utf-8") for p in sorted((DATA_DIR / "docs").glob("*.txt"))
    }


def questions(split: str) -> list[dict]:
    """The hand-written questions of `split` ("train" or "test"): {"doc", "question", "answers"}."""
    path = DATA_DIR / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
