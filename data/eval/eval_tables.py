"""The instruction prompts and tool requests of Parley's held-out battery (see make_eval.py).

Written for Parley (CC0). Tool requests use phrasings and contents that appear nowhere in
`data/sft/` (tests/test_eval_sets.py checks the prompts).
"""

from __future__ import annotations

import itertools
import random

TOPICS = ["the ocean", "a rainy day", "coffee", "bicycles", "the moon", "a city park",
          "learning to cook", "old trees", "winter mornings", "dogs", "public libraries",
          "trains", "the desert", "music", "friendship"]  # fmt: skip
TOPICS_2 = ["mountains", "birds", "the night sky", "gardens", "bread", "computers",
            "summer holidays", "walking", "snow", "tea", "books", "the wind", "markets",
            "rivers", "lighthouses"]  # fmt: skip
ONE_WORD = ["Name a colour of the rainbow.", "Name a fruit that is red.",
            "Name an animal that lives in the sea.", "Name a musical instrument.",
            "Name a planet.", "Name a vegetable that is orange.", "Name a country in Europe.",
            "Name a sport played with a ball.", "Name a month with 31 days.", "Name a flower.",
            "Name a metal.", "Name a kind of tree.", "Name a day of the weekend.",
            "Name a bird that cannot fly.", "Name a hot drink."]  # fmt: skip
YES_NO = ["Is the sun a star?", "Can fish breathe air like we do?", "Is ice colder than steam?",
          "Do spiders have eight legs?", "Is Paris in Germany?", "Is a whale a fish?",
          "Does the Earth go around the Sun?", "Is ten bigger than twenty?",
          "Can penguins fly?", "Is water wet?", "Do trees grow from seeds?",
          "Is the Pacific an ocean?", "Is a tomato blue?", "Do cats like to sleep a lot?",
          "Is December in summer in Brazil?"]  # fmt: skip
ACTIVITIES = ["saving money", "sleeping well", "studying for an exam", "staying healthy",
              "travelling light", "keeping a plant alive", "writing a polite email",
              "starting to run", "cooking rice", "tidying a room", "staying warm in winter",
              "making new friends", "reading more books", "drinking more water",
              "getting up early"]  # fmt: skip
INCLUDE = ["blue", "morning", "quiet", "always", "small", "together", "bright", "slowly",
           "window", "happy", "green", "journey", "simple", "yesterday", "gentle"]  # fmt: skip
EXCLUDE = [("the ocean", "water"), ("a rainy day", "rain"), ("coffee", "drink"),
           ("bicycles", "wheels"), ("the moon", "night"), ("snow", "cold"), ("bread", "flour"),
           ("dogs", "bark"), ("trains", "travel"), ("the desert", "sand"), ("music", "sound"),
           ("mountains", "high"), ("birds", "fly"), ("the night sky", "stars"),
           ("tea", "hot")]  # fmt: skip
START = ["Well", "Today", "Honestly", "Sure", "Imagine", "Once", "Yes", "First", "Here",
         "Listen", "Okay", "Remember", "Actually", "Look", "Every"]  # fmt: skip
END = ["Is there anything else?", "That is all.", "Have a nice day!", "Thank you.",
       "The end."]  # fmt: skip
JSON_KEYS = [("a European city", "city"), ("a colour", "colour"), ("your name", "name"),
             ("a number between 1 and 10", "number"), ("a fruit", "fruit"),
             ("an animal", "animal"), ("a day of the week", "day"), ("a country", "country"),
             ("a book title", "title"), ("a first name", "first_name"), ("a sport", "sport"),
             ("a season", "season"), ("a planet", "planet"),
             ("a musical instrument", "instrument"), ("a drink", "drink")]  # fmt: skip
THINGS = ["fruits", "colours", "animals", "countries", "vegetables", "sports",
          "musical instruments", "kitchen tools", "flowers", "jobs", "cities", "drinks",
          "farm animals", "school subjects", "pieces of furniture"]  # fmt: skip


def instructions() -> dict[str, list[tuple[str, dict]]]:
    """kind -> [(prompt, checker parameters)], 15 prompts per kind."""
    rng = random.Random(11)
    n = lambda lo, hi: rng.randint(lo, hi)  # noqa: E731
    words = [n(8, 25) for _ in TOPICS]
    one = [" Answer with one word only.", " Reply with a single word.", " One word, please."]
    yes = [" Answer only yes or no.", " Reply with just yes or no.", " Yes or no only."]
    bullets = [n(2, 5) for _ in ACTIVITIES]
    sentences = [n(2, 4) for _ in TOPICS_2]
    items = [n(3, 5) for _ in THINGS]
    return {
        "max_words": [
            (f"Describe {t} in at most {k} words.", {"n": k})
            for t, k in zip(TOPICS, words, strict=True)
        ],
        "one_word": [(q + one[i % 3], {}) for i, q in enumerate(ONE_WORD)],
        "yes_no": [(q + yes[i % 3], {}) for i, q in enumerate(YES_NO)],
        "lowercase": [
            (f"Write two sentences about {t} using only lowercase letters, no capitals.", {})
            for t in TOPICS_2
        ],
        "bullets": [
            (
                f"Give exactly {k} tips for {a} as a bulleted list, one '- ' bullet per line.",
                {"n": k},
            )
            for a, k in zip(ACTIVITIES, bullets, strict=True)
        ],
        "include": [
            (f'Write one sentence about {t} that uses the word "{w}".', {"word": w})
            for t, w in zip(TOPICS, INCLUDE, strict=True)
        ],
        "exclude": [
            (f'Describe {t} in one or two sentences without using the word "{w}".', {"word": w})
            for t, w in EXCLUDE
        ],
        "start_with": [
            (f'Start your answer with the word "{w}". Tell me something about {t}.', {"word": w})
            for t, w in zip(TOPICS_2, START, strict=True)
        ],
        "end_with": [
            (
                f'Say something nice about {t}. End your answer with the exact phrase "{p}"',
                {"phrase": p},
            )
            for t, p in zip(TOPICS, itertools.cycle(END), strict=False)
        ],
        "sentences": [
            (f"Write exactly {k} sentences about {t}.", {"n": k})
            for t, k in zip(TOPICS_2, sentences, strict=True)
        ],
        "json": [
            (f'Answer with a JSON object only: put {what} under the key "{k}".', {"key": k})
            for what, k in JSON_KEYS
        ],
        "comma_list": [
            (f"List {k} {t}, separated by commas, and write nothing else.", {"n": k})
            for t, k in zip(THINGS, items, strict=True)
        ],
    }


EN = ["the train leaves at noon", "I would like a cup of green tea", "my sister is a teacher",
      "close the window, please", "we need more bread", "the garden is beautiful in spring",
      "I am learning to swim", "turn left at the church", "the shop opens at ten",
      "I miss my grandmother"]  # fmt: skip
PT = ["onde está a estação", "eu preciso de ajuda", "o livro é muito bom", "hoje está calor",
      "vamos jogar futebol", "a minha mãe faz bolos", "o carro é vermelho",
      "gosto muito de chocolate"]  # fmt: skip
REVIEWS = ["The room was tiny and smelled of smoke.",
           "Fantastic camera and the battery never dies.",
           "The waiter was rude and the soup was cold.",
           "I love how light and comfy these sneakers are.",
           "Delivery took three weeks and the box was empty.",
           "The teacher explained everything so clearly!",
           "Cheap plastic, it broke on the first day.",
           "Such a cosy little bookshop, I will be back."]  # fmt: skip
PARAGRAPHS = [
    "The town opened a new swimming pool next to the park. It has a shallow area for children "
    "and lanes for adults, and it is free for residents on weekday mornings.",
    "Scientists found that people who eat dinner earlier tend to sleep better. The study "
    "followed two thousand adults for a year and measured their sleep at home.",
    "The bakery on Main Street is closing after forty years. The owners are retiring, and they "
    "hope a young baker will take over the shop and keep the old recipes.",
    "Our football club won the regional final on Saturday. The only goal came in the last "
    "minute, and hundreds of fans celebrated in the streets until late at night.",
    "A new law will ban single-use plastic bags from next year. Shops must offer paper or "
    "reusable bags instead, and customers will pay a small fee for each one.",
    "The volcano erupted twice this week, sending ash high into the sky. Flights were "
    "cancelled, but nobody was hurt and the nearby villages were not evacuated.",
]
OBJECTS = ["yellow sneaker", "brown ankle boot", "checked shirt", "floral dress",
           "black trousers", "knitted pullover", "canvas bag", "grey coat"]  # fmt: skip

TO_PT = ['Could you translate "{t}" into Portuguese for me?',
         "Please give me the Portuguese translation of: {t}",
         'How would someone in Portugal say "{t}"?']  # fmt: skip
TO_EN = ["Please translate this from Portuguese: {t}",
         'I got a message saying "{t}". Can you put it in English?']  # fmt: skip
SENTIMENT = ["Is the following review positive or negative? {t}",
             "How does this customer feel? {t}",
             "Run a sentiment check on: {t}"]  # fmt: skip
SUMMARIZE = [
    "Can you summarise this text? {t}",
    "Shorten this into one sentence: {t}",
    "Give me the main point of this news: {t}",
]
IMAGINE = ["Please generate a picture of a {x}.", "Paint me {n} pictures of a {x}."]

# Files a person attaches: a model's `transcribe` call names none, a `caption` call the name as
# the person typed it.
RECORDINGS = ["lesson.wav", "doctor-visit.mp3", "standup.flac", "reminder.wav"]
TRANSCRIBE = ["Please tell me what is spoken in {f}.",
              "Could you turn the recording {f} into written words?",
              "What does the person in @{f} say?",
              "I need the text of this audio: @{f}"]  # fmt: skip
IMAGES = ["garden-party.jpg", "my-bike.png", "beach_2019.jpeg", "grandpa.png"]
CAPTION = ["What does the picture {f} show?",
           "Can you describe this image for me? @{f}",
           "Tell me in a few words what is in @{f}.",
           "Write a caption for the photo {f}."]  # fmt: skip
# (document, question): `qa` copies both from the message
DOCUMENTS = [
    ("The public library is open from nine to six on weekdays. On Saturdays it closes at one, "
     "and it stays closed on Sundays and public holidays.",
     "When does the library close on Saturdays?"),
    ("Greenfield Farm was bought by the Novak family in 1975. They grow apples and pears, and "
     "their cider won a national prize last autumn.", "What do the Novaks grow?"),
    ("The school trip leaves at seven from the main gate. Pupils must bring a packed lunch, a "
     "raincoat and ten euros for the boat ride.", "How much money should pupils bring?"),
    ("Mount Calder is the highest peak in the region at 2,300 metres. The first recorded climb "
     "was made by a shepherd named Ivo Marsh in 1851.", "Who made the first recorded climb?"),
]  # fmt: skip
ASK = ["{d} Based on this text, {ql}",
       "Read this: {d} Question: {q}",
       "{q} Answer from this note: {d}",
       "Using only the passage that follows, {ql} {d}"]  # fmt: skip


def tool_requests() -> list[tuple[str, int, list[tuple[str, dict]]]]:
    """(tool, how many to keep, [(request, arguments with "tool")]) per kind of request."""
    rng = random.Random(13)
    imagine = []
    for template in IMAGINE:
        for x in OBJECTS:
            k = rng.randint(2, 4)
            args = {"prompt": f"a {x}", **({"n": k} if "{n}" in template else {})}
            imagine.append((template.format(x=x, n=k), {"tool": "imagine", **args}))
    return [
        (
            "translate",
            16,
            [
                (p.format(t=t), {"tool": "translate", "text": t, "to": "pt"})
                for p in TO_PT
                for t in EN
            ],
        ),
        (
            "translate",
            12,
            [
                (p.format(t=t), {"tool": "translate", "text": t, "to": "en"})
                for p in TO_EN
                for t in PT
            ],
        ),
        (
            "sentiment",
            16,
            [(p.format(t=t), {"tool": "sentiment", "text": t}) for p in SENTIMENT for t in REVIEWS],
        ),
        (
            "summarize",
            16,
            [
                (p.format(t=t), {"tool": "summarize", "text": t})
                for p in SUMMARIZE
                for t in PARAGRAPHS
            ],
        ),
        ("imagine", 16, imagine),
        (
            "transcribe",
            16,
            [(p.format(f=f), {"tool": "transcribe"}) for p in TRANSCRIBE for f in RECORDINGS],
        ),
        (
            "caption",
            16,
            [(p.format(f=f), {"tool": "caption", "image": f}) for p in CAPTION for f in IMAGES],
        ),
        (
            "qa",
            16,
            [
                (
                    p.format(d=d, q=q, ql=q[0].lower() + q[1:]),
                    {"tool": "qa", "question": q, "document": d},
                )
                for p in ASK
                for d, q in DOCUMENTS
            ],
        ),
    ]


# Plain questions that mention a language, a picture, a mood or a summary but want no tool.
NO_TOOL = [
    "How many languages are spoken in Switzerland?",
    "Is Portuguese hard to learn for English speakers?",
    "Why do adults find learning a new language difficult?",
    "What is the most widely spoken language in the world?",
    "Where does the English language come from?",
    "Is English or Portuguese the older language?",
    "What should I pack for a trip to Portugal?",
    "Who painted the Mona Lisa?",
    "Which artist painted The Starry Night?",
    "What makes a good photograph?",
    "How do I hang a picture on a wall?",
    "What is the difference between a painting and a drawing?",
    "How do I draw a straight line without a ruler?",
    "How do cameras capture images?",
    "What do children learn from picture books?",
    "Why do I feel tired in the afternoon?",
    "What can I do when I'm in a bad mood?",
    "Is it normal to feel nervous before an exam?",
    "What does a positive attitude mean?",
    "What is a negative number?",
    "Describe the mood of a rainy Sunday in one sentence.",
    "What happy songs do people sing at birthdays?",
    "What is the difference between a summary and a review?",
    "How long should a book summary be?",
    "How do I summarise my day in a diary?",
    "Why do film critics disagree so often?",
    "What is sentiment analysis used for?",
    "What does the word gist mean?",
    "What does a translator do all day?",
    "How many words does an average English speaker know?",
    "How do I say no politely to a friend?",
    "What does it mean when a dog wags its tail?",
    "Can you sum two and three?",
    "Draw a conclusion: all cats are animals and Tom is a cat. What is Tom?",
    "Why are flamingos pink?",
    "What is a good title for a story about a lost dog?",
]
