"""Builds Parley's seed SFT set and the held-out tool requests from the lists below and in
`plain.py` (questions that want a plain answer).

    python data/sft/make_seed.py      # rewrites seed.jsonl and tool_heldout.jsonl (deterministic)

Everything here was written for Parley (CC0, see README.md). Tool requests in the held-out set use
phrasings (templates) and contents (texts, objects) that never occur in the training set. Plain
answers outnumber tool calls, so the model learns when *not* to call a tool; a training question
that is (nearly) a prompt of the held-out eval sets in `data/eval/` is left out.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import plain  # noqa: E402

from assistant.chat_context import chat_context  # noqa: E402
from assistant.toolcall import render  # noqa: E402

# --- contents: (training, held-out), disjoint ---
EN = (
    [
        "good night",
        "thank you very much",
        "where is the train station",
        "I love this city",
        "see you tomorrow",
        "how much does this cost",
        "the weather is nice today",
        "my name is Ana",
        "I am hungry",
        "can you help me",
        "happy birthday",
        "the book is on the table",
        "I don't understand",
        "good morning, everyone",
        "we are going to the beach",
        "this coffee is very good",
        "I need a doctor",
        "what time is it",
        "the museum opens at nine",
        "I like to read at night",
        "please speak slowly",
        "my brother lives in Porto",
        "the meeting was cancelled",
        "I lost my keys",
        "do you have a table for two",
        "it is raining again",
        "the children are playing outside",
        "I will call you later",
    ],
    [
        "sweet dreams",
        "the bus is late",
        "I forgot my umbrella",
        "congratulations on the new job",
        "the soup is too hot",
        "my phone battery is dead",
        "let's have dinner together",
        "where can I buy a ticket",
    ],
)
PT = (
    [
        "bom dia",
        "obrigado pela ajuda",
        "onde fica a praia",
        "eu gosto de música",
        "até logo",
        "a comida estava ótima",
        "estou cansado",
        "qual é o seu nome",
        "o hotel é perto daqui",
        "feliz natal",
        "preciso de um táxi",
        "a loja está fechada",
        "vamos ao cinema hoje",
        "o gato dorme no sofá",
    ],
    [
        "boa viagem",
        "o jantar está pronto",
        "eu moro em São Paulo",
        "a água está fria",
        "amanhã vai fazer sol",
        "perdi o meu passaporte",
    ],
)
REVIEWS = (
    [
        "The battery lasts all day and the screen is gorgeous.",
        "Terrible service, we waited an hour and the food was cold.",
        "Honestly the best pizza I have had in years!",
        "The package arrived broken and support never answered.",
        "It works, nothing special.",
        "I would not recommend this hotel to anyone.",
        "Lovely staff, clean rooms, great breakfast.",
        "The movie was boring and far too long.",
        "Fast shipping and exactly as described.",
        "What a waste of money.",
        "My kids adore this game.",
        "The app crashes every time I open it.",
        "Great value for the price.",
        "The concert was amazing, what a night!",
        "The chair is uncomfortable after ten minutes.",
        "Absolutely delighted with my purchase.",
        "The instructions were confusing and parts were missing.",
        "Decent coffee, friendly barista.",
        "Worst flight of my life.",
        "This blender is powerful and easy to clean.",
    ],
    [
        "The headphones hurt my ears and the sound is muddy.",
        "Our guide was funny and knew everything about the city.",
        "The update made my laptop painfully slow.",
        "Best birthday cake we ever ordered.",
        "The shoes fell apart after a week.",
        "A charming little café with wonderful pastries.",
    ],
)
PARAGRAPHS = (
    [
        "The city council voted on Monday to build a new bridge over the river. The project will "
        "cost twelve million euros and should be finished in three years. Supporters say it will "
        "cut traffic in the old town.",
        "Bees are important for farming because they pollinate many crops. In recent years their "
        "numbers have fallen because of pesticides, disease and loss of habitat. Scientists ask "
        "farmers to plant more wild flowers.",
        "Our team finished the first version of the app last week. Users liked the simple design "
        "but asked for a dark mode and faster search. We plan to add both before the summer.",
        "The museum reopened after two years of repairs. Visitors can now see the restored "
        "paintings in brighter rooms, and entry is free on Sundays.",
        "Regular exercise improves sleep, mood and memory. Even a short daily walk helps. Doctors "
        "recommend at least 150 minutes of moderate activity each week.",
        "The company reported higher sales in the third quarter thanks to strong demand in Asia. "
        "Profits, however, fell because of rising shipping costs.",
        "A storm hit the coast last night, bringing strong winds and heavy rain. Several roads "
        "were closed and thousands of homes lost power. Crews are working to repair the lines.",
        "The library will extend its opening hours during exam season. Students can study until "
        "midnight, and the café on the ground floor will stay open as well.",
        "Tomatoes grow best in warm, sunny places with regular watering. Gardeners should support "
        "the plants with sticks and remove yellow leaves to prevent disease.",
        "The new train line connects the airport with the city centre in twenty minutes. Tickets "
        "cost five euros and trains run every ten minutes from early morning.",
    ],
    [
        "The school will start classes an hour later from next month. Teachers hope students will "
        "sleep more and pay better attention in the morning.",
        "Local farmers opened a weekly market in the main square. They sell vegetables, cheese and "
        "bread, and most of the food comes from within twenty kilometres.",
        "The software update fixes several security problems and improves battery life. Users are "
        "asked to install it as soon as possible.",
        "Heavy snow closed the mountain pass for two days. Drivers were told to use the longer "
        "coastal road until the snow ploughs finish their work.",
    ],
)
OBJECTS = (
    [
        "sneaker",
        "red dress",
        "winter coat",
        "leather bag",
        "ankle boot",
        "striped t-shirt",
        "pair of trousers",
        "wool pullover",
        "summer sandal",
        "white shirt",
        "black handbag",
        "running shoe",
        "long coat",
        "blue dress",
    ],
    ["green pullover", "hiking boot", "beach sandal", "denim shirt", "small purse"],
)

# --- phrasings: (training, held-out), disjoint ---
TO_PT = (
    [
        'How do I say "{t}" in Portuguese?',
        "Translate to Portuguese: {t}",
        'What\'s "{t}" in Portuguese?',
        "Can you put this into Portuguese? {t}",
        'Portuguese for "{t}", please.',
        "translate into portuguese: {t}",
    ],
    [
        'I need "{t}" rendered in Brazilian Portuguese.',
        'Help me write "{t}" to my friend in Lisbon, in her language.',
    ],
)
TO_EN = (
    [
        "Translate to English: {t}",
        'What does "{t}" mean in English?',
        "Can you translate this Portuguese into English? {t}",
        '"{t}" in English?',
    ],
    ["English version of this, please: {t}", 'My colleague wrote "{t}". What does that say?'],
)
SENTIMENT = (
    [
        "Is this review positive: {t}",
        "What's the sentiment of this? {t}",
        "Does this sound happy or angry? {t}",
        "Classify the tone of this review: {t}",
        "positive or negative? {t}",
    ],
    ["Would you call this comment negative? {t}", "Check the mood of this tweet: {t}"],
)
SUMMARIZE = (
    [
        "Sum up this paragraph: {t}",
        "Summarize: {t}",
        "Give me the short version: {t}",
        "TL;DR please: {t}",
    ],
    ["Boil this down for me: {t}", "What's the gist of the following? {t}"],
)
IMAGINE = (
    [
        "Draw me a {x}",
        "Make a picture of a {x}.",
        "Generate an image of a {x}",
        "Can you draw a {x}?",
        "Show me {n} pictures of a {x}",
    ],
    ["I'd love to see an illustration of a {x}.", "Could you sketch {n} images of a {x}?"],
)

GENERAL = [
    (
        "Who are you?",
        "I'm Parley, an assistant that runs on your own computer. I can chat, "
        "translate between English and Portuguese, judge the sentiment of a text, summarize, and "
        "draw small pictures of clothes and shoes.",
    ),
    ("What's your name?", "My name is Parley."),
    (
        "What can you do?",
        "I can answer questions, translate English and Portuguese, tell whether "
        "a text sounds positive or negative, summarize a paragraph, and draw pictures of clothing.",
    ),
    (
        "Are you connected to the internet?",
        "No. I run entirely on your computer, so your conversations stay with you.",
    ),
    ("Who made you?", "I'm Parley, built on the open SmolLM2 model and fine-tuned by my users."),
    ("Hi!", "Hello! How can I help?"),
    ("Thanks, that helped.", "Glad to help!"),
    ("Good morning", "Good morning! What can I do for you?"),
    ("What is the capital of Brazil?", "Brasília."),
    ("What is 12 times 3?", "36."),
    ("What is 15 plus 27?", "42."),
    ("What color do you get by mixing blue and yellow?", "Green."),
    ("What gas do plants absorb from the air?", "Carbon dioxide."),
    ("Who wrote Romeo and Juliet?", "William Shakespeare."),
    (
        "How do I boil an egg?",
        "Put the egg in boiling water for about 7 minutes for a firm yolk, "
        "then cool it in cold water.",
    ),
    (
        "Give me a tip for sleeping better.",
        "Keep a regular bedtime and avoid screens for the last hour before sleep.",
    ),
    (
        "How can I focus while studying?",
        "Work in 25-minute blocks with short breaks, and put your phone in another room.",
    ),
    ("Suggest a name for a grey cat.", "How about Pebble?"),
    (
        "Tell me a short joke.",
        "Why did the scarecrow win an award? He was outstanding in his field.",
    ),
    ("What does CPU stand for?", "Central processing unit."),
    (
        "Is a tomato a fruit?",
        "Yes, botanically it is a fruit, though it's cooked like a vegetable.",
    ),
    (
        "Write a one-line greeting for a birthday card.",
        "Happy birthday! Wishing you a year full of good surprises.",
    ),
    (
        "What's a healthy breakfast?",
        "Oatmeal with fruit and a handful of nuts is quick and filling.",
    ),
    (
        "How do I make my password stronger?",
        "Use a long passphrase of four or more random words, and never reuse it on another site.",
    ),
    ("Name three primary colors.", "Red, blue and yellow."),
    ("How far is the Moon from Earth?", "About 384,000 kilometres on average."),
    ("What language is spoken in Brazil?", "Portuguese."),
    ("What's the square root of 81?", "9."),
    ("Which is heavier, a kilo of feathers or a kilo of iron?", "Neither: both weigh one kilo."),
    (
        "Can you help me plan my day?",
        "Sure. Tell me your fixed appointments and the tasks you "
        "want to finish, and I'll suggest an order.",
    ),
]


TOOL_CAP = {"translate": 80, "sentiment": 60, "summarize": 40, "imagine": 56}
EVAL_DIR = HERE.parent / "eval"
EVAL_KEYS = ("prompt", "question", "request", "input", "instruction", "text")


def conversation(*turns: tuple[str, str | tuple[str, dict]]) -> dict:
    """(user, assistant) turns as one SFT record in the chat context; an assistant turn that is a
    (tool, arguments) pair is that tool call."""
    messages = []
    for user, answer in turns:
        content = render(*answer) if isinstance(answer, tuple) else answer
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": content}]
    return {"messages": chat_context(messages)}


def tool_requests(split: int, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(request, tool, arguments) for split 0 (training) or 1 (held-out)."""
    out = []
    for template in TO_PT[split]:
        for t in EN[split]:
            out.append((template.format(t=t), "translate", {"text": t, "to": "pt"}))
    for template in TO_EN[split]:
        for t in PT[split]:
            out.append((template.format(t=t), "translate", {"text": t, "to": "en"}))
    for template in SENTIMENT[split]:
        for t in REVIEWS[split]:
            out.append((template.format(t=t), "sentiment", {"text": t}))
    for template in SUMMARIZE[split]:
        for t in PARAGRAPHS[split]:
            out.append((template.format(t=t), "summarize", {"text": t}))
    for template in IMAGINE[split]:
        for x in OBJECTS[split]:
            if "{n}" in template:
                n = rng.randint(2, 4)
                args = {"prompt": f"a {x}", "n": n}
                out.append((template.format(x=x, n=n), "imagine", args))
            else:
                out.append((template.format(x=x), "imagine", {"prompt": f"a {x}"}))
    return out


def arithmetic(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Questions whose answers are right by construction."""
    out = []
    for i in range(n):
        a, b = rng.randint(11, 99), rng.randint(2, 19)
        kind = i % 4
        if kind == 0:
            out.append((f"Add {a} and {b}.", f"{a} + {b} = {a + b}."))
        elif kind == 1:
            out.append((f"Compute {a} times {b}.", f"{a} × {b} = {a * b}."))
        elif kind == 2:
            out.append((f"Subtract {b} from {a}.", f"{a} − {b} = {a - b}."))
        else:
            out.append(
                (f"What do you get when you divide {a * b} by {b}?", f"{a * b} ÷ {b} = {a}.")
            )
    return out


def formatted(i: int, question: str, short: str, sentence: str) -> tuple[str, str]:
    """Fact `i` asked with one verifiable constraint (IFEval-style), answered to it."""
    one_word = len(short.split()) == 1
    forms = [
        (f"Answer in one word: {question}" if one_word
         else f"Answer in as few words as possible: {question}", f"{short}."),
        (f"{question} Reply in lowercase letters only.", sentence.lower()),
        (f"{question} Answer in capital letters.", sentence.upper()),
        (f'{question} Give the answer as a JSON object with the key "answer".',
         json.dumps({"answer": short}, ensure_ascii=False)),
        (f'{question} Start your reply with "Answer:".', f"Answer: {short}."),
        (f'{question} End your reply with "Anything else?"', f"{sentence} Anything else?"),
        (f"{question} Use one sentence.", sentence),
        (f"{question} Wrap your whole answer in double quotes.", f'"{sentence}"'),
    ]  # fmt: skip
    return forms[i % len(forms)]


def plain_conversations(rng: random.Random) -> list[dict]:
    """Every conversation that wants no tool call (see README.md for the kinds)."""
    pairs = [(q, sentence) for q, _, sentence in plain.FACTS]
    pairs += [formatted(i, *fact) for i, fact in enumerate(plain.FACTS)]
    for i, (q, yes_no, reason) in enumerate(plain.YES_NO):
        pairs.append((q, f"{yes_no}. {reason}"))
        ask = f"Answer yes or no: {q}" if i % 2 else f"{q} Reply with only yes or no."
        pairs.append((ask, f"{yes_no}."))
    for i, (name, items) in enumerate(plain.LISTS):
        n = 2 + i % 4
        pairs.append((f"List exactly {n} {name} as bullet points.",
                      "\n".join(f"- {x}" for x in items[:n])))  # fmt: skip
        m = 2 + (i + 2) % 4
        pairs.append((f"Name {plain.NUMBERS[m]} {name}, separated by commas.",
                      ", ".join(items[:m])))  # fmt: skip
    pairs += plain.WRITTEN + plain.PORTUGUESE + GENERAL + arithmetic(rng, 40)
    pairs += plain.COUNTER * 2  # the questions most easily mistaken for tool requests, twice
    records = [conversation(pair) for pair in pairs]
    return records + [conversation(*turns) for turns in plain.FOLLOW_UPS]


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# English and Portuguese words that say nothing of a question's subject
FUNCTION_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "called", "call", "do", "does", "for",
    "from", "how", "i", "in", "is", "it", "many", "much", "me", "my", "of", "on", "or", "tell",
    "the", "there", "to", "was", "what", "when", "where", "which", "who", "why", "you", "your",
    "qual", "é", "o", "os", "da", "das", "dos", "de", "que", "em", "no", "na", "um", "uma",
    "quantos", "quantas", "quanto", "como", "se",
})  # fmt: skip


def _content(text: str) -> set[str]:
    return set(_normal(text).split()) - FUNCTION_WORDS


@dataclass
class EvalPrompt:
    text: str  # normalised
    content: set[str]
    answers: list[str]  # normalised accepted answers (knowledge questions only)


def eval_prompts(root: Path = EVAL_DIR) -> list[EvalPrompt]:
    """Every prompt of the held-out eval sets (JSONL files under data/eval/)."""
    found = []
    for path in sorted(root.rglob("*.jsonl")) if root.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            answers = [_normal(a) for a in row.get("answers") or [] if isinstance(a, str)]
            for key in EVAL_KEYS:
                if isinstance(row.get(key), str) and _normal(row[key]):
                    text = _normal(row[key])
                    found.append(EvalPrompt(text, _content(text), answers))
    return found


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near(question: str, answer: str, prompts: list[EvalPrompt]) -> bool:
    """Is `question` an eval prompt, or does it hold one, or ask the same fact as an eval question
    (half the subject words in common, and `answer` gives that question's accepted answer)?"""
    q, said = _normal(question), f" {_normal(answer)} "
    content = _content(q)
    for p in prompts:
        if q == p.text or (len(p.text) >= 12 and p.text in q):
            return True
        if _jaccard(content, p.content) >= 0.5 and any(f" {a} " in said for a in p.answers):
            return True
    return False


def turns(record: dict) -> list[tuple[str, str]]:
    """(user message, the assistant's reply) pairs of a conversation."""
    m = record["messages"]
    return [(u["content"], a["content"]) for u, a in zip(m, m[1:], strict=False)
            if u["role"] == "user" and a["role"] == "assistant"]  # fmt: skip


DEMONSTRATIONS = ("tools_audio.jsonl", "tools_caption.jsonl", "tools_qa.jsonl")
HELDOUT_DEMONSTRATIONS = (
    "tools_audio_heldout.jsonl",
    "tools_caption_heldout.jsonl",
    "tools_qa_heldout.jsonl",
)  # rows of tool_heldout.jsonl for `parley eval tools`, phrased unlike the ones above


def file_demonstrations() -> list[dict]:
    """The hand-written rows of DEMONSTRATIONS: requests about a recording, an image or a text
    answered with a `transcribe`, `caption` or `qa` call, and questions about them answered in
    words. A `transcribe` call names no file and a `caption` call only the name the person wrote
    (a model's call opens no file); a `qa` call copies the question and the text from the
    message."""
    lines = [
        line
        for name in DEMONSTRATIONS
        for line in (HERE / name).read_text(encoding="utf-8").splitlines()
    ]
    rows = [json.loads(line) for line in lines]
    return [conversation((r["user"], r["assistant"])) for r in rows]


def main() -> None:
    rng = random.Random(0)
    train = tool_requests(0, rng)
    rng.shuffle(train)
    per_tool: dict[str, int] = {}
    records = []
    for request, tool, arguments in train:  # cap each tool so no one tool dominates
        per_tool[tool] = per_tool.get(tool, 0) + 1
        if per_tool[tool] <= TOOL_CAP[tool]:
            records.append(conversation((request, (tool, arguments))))
    tool_calls = len(records)
    records += plain_conversations(rng)
    records += file_demonstrations()
    prompts = eval_prompts()
    kept = [r for r in records if not any(near(q, a, prompts) for q, a in turns(r))]
    rng.shuffle(kept)
    with (HERE / "seed.jsonl").open("w", encoding="utf-8") as f:
        for r in kept:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    heldout = tool_requests(1, random.Random(1))
    random.Random(2).shuffle(heldout)
    with (HERE / "tool_heldout.jsonl").open("w", encoding="utf-8") as f:
        for request, tool, arguments in heldout[:60]:
            row = {"request": request, "tool": tool, "arguments": arguments}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for name in HELDOUT_DEMONSTRATIONS:
            f.write((HERE / name).read_text(encoding="utf-8"))
    files = [(HERE / name).read_text().splitlines() for name in HELDOUT_DEMONSTRATIONS]
    audio, image, text = (len(lines) for lines in files)
    plain_kept = sum("<tool_call>" not in r["messages"][-1]["content"] for r in kept)
    print(f"seed.jsonl: {len(kept)} conversations ({len(kept) - plain_kept} end in a tool call, "
          f"{plain_kept} in a plain answer; {len(records) - len(kept)} left out as near an eval "
          f"prompt; {tool_calls} tool calls before that); "
          f"tool_heldout.jsonl: {min(60, len(heldout))} + {audio} recording, {image} image and "
          f"{text} document requests")  # fmt: skip


if __name__ == "__main__":
    main()
