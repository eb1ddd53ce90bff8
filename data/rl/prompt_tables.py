"""The tables `make_prompts.py` builds Parley's RL training prompts from.

Written for Parley (CC0). Topics, facts, texts and phrasings differ from the held-out battery's
(`data/eval/eval_tables.py`); `make_prompts.py` also drops any prompt that contains an eval prompt.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (question, accepted answers), written by hand (`facts.jsonl`); numbers are also accepted in words.
FACTS = [
    (row["question"], row["answers"])
    for row in map(json.loads, (HERE / "facts.jsonl").read_text(encoding="utf-8").splitlines())
]
TOPICS = [
    "volcanoes",
    "a farmers market",
    "penguins",
    "a long train ride",
    "the first day of school",
    "a thunderstorm",
    "chess",
    "honey bees",
    "a lighthouse keeper",
    "autumn leaves",
    "sailing",
    "a bakery at dawn",
    "the city at night",
    "camping",
    "a quiet village",
    "robots",
    "the seaside in winter",
    "board games",
    "an old clock",
    "a busy airport",
    "kites",
    "fresh strawberries",
    "a mountain lake",
    "a museum visit",
    "street musicians",
]
CATEGORIES = [
    "insects",
    "birds",
    "tools in a garden",
    "European capitals",
    "breakfast foods",
    "things in a bathroom",
    "winter clothes",
    "card games",
    "desserts",
    "rivers",
    "shapes",
    "metals",
    "hobbies",
    "trees",
    "vehicles",
]
WORDS = [
    "silver",
    "careful",
    "harbour",
    "tiny",
    "whisper",
    "ancient",
    "evening",
    "warm",
    "forest",
    "laugh",
    "clever",
    "distant",
    "golden",
    "busy",
    "soft",
]
STARTS = ["Indeed", "Picture", "Truly", "Firstly", "So", "Oh", "Sometimes", "Clearly"]
ENDS = ["Thanks for asking.", "Hope this helps.", "Enjoy!", "See you soon.", "Take care."]
ONE_WORD = [
    "Name a vegetable that grows underground.",
    "Name a bird that can swim.",
    "Name a shape with four equal sides.",
    "Name a summer fruit.",
    "Name a farm animal.",
    "Name a board game.",
    "Name an ocean.",
    "Name a sweet food.",
    "Name a winter sport.",
    "Name a gemstone.",
    "Name a type of boat.",
    "Name a cold country.",
    "Name a body part.",
    "Name a language spoken in Europe.",
    "Name a desert animal.",
]
YES_NO = [
    "Is the Moon bigger than the Earth?",
    "Do bees make honey?",
    "Is Lisbon in Spain?",
    "Is seven an odd number?",
    "Can a car fly?",
    "Does ice float on water?",
    "Is a spider an insect?",
    "Do plants need light?",
    "Is the Atlantic a lake?",
    "Is January the first month of the year?",
    "Can dogs see some colours?",
    "Is a square a kind of rectangle?",
    "Is gold a metal?",
    "Do owls sleep at night?",
    "Is twelve a multiple of five?",
]
JSON_ASKS = [
    ("a river", "river"),
    ("a mountain", "mountain"),
    ("a vegetable", "vegetable"),
    ("a bird", "bird"),
    ("a month", "month"),
    ("a tool", "tool"),
    ("a hobby", "hobby"),
    ("a flower", "flower"),
    ("an ocean", "ocean"),
    ("a shape", "shape"),
]

EXPLAIN_TOPICS = [
    "rainbows form",
    "bread rises",
    "the sky is blue",
    "we have seasons",
    "cats purr",
    "ice floats",
    "the tides come and go",
    "leaves are green",
    "we yawn",
    "onions make people cry",
    "boats float",
    "bicycles stay upright",
    "the Moon has phases",
    "thunder follows lightning",
    "metal feels cold",
    "we get hiccups",
    "soap cleans",
    "birds migrate",
    "stars twinkle",
    "deserts are cold at night",
]
EXPLAIN = [
    "Explain why {t}.",
    "In simple words, why do you think {t}?",
    "Can you tell a child why {t}?",
]
ADVICE_TOPICS = [
    "keeping a houseplant alive on a dark windowsill",
    "learning to juggle",
    "packing for a weekend by the sea",
    "making a budget for the month",
    "preparing for a job interview",
    "falling asleep faster",
    "calming down before a speech",
    "keeping a tidy desk",
    "learning to swim as an adult",
    "choosing a first guitar",
    "taking better notes in class",
    "cooking for friends on a small budget",
    "getting back into running",
    "writing a thank-you letter",
    "organising a small birthday party",
    "sharing chores with flatmates",
    "reducing screen time in the evening",
    "looking after a new kitten",
    "remembering people's names",
    "keeping a diary every day",
]
ADVICE = [
    "What advice would you give about {t}?",
    "Any tips on {t}?",
    "I need help with {t}. Where should I start?",
]
EXPLAIN_PT = [
    "Explica porque é que o pão cresce.",
    "Porque é que o céu é azul?",
    "Como posso dormir melhor?",
    "Dá-me uma dica para poupar dinheiro.",
    "Porque é que as folhas caem no outono?",
    "Como se faz um bom café?",
    "Porque é que precisamos de beber água?",
    "Como posso aprender a nadar?",
    "Dá-me um conselho para estudar melhor.",
    "Porque é que os gatos dormem tanto?",
]

# Tool requests: texts and objects that are not in the held-out battery.
TO_PT_TEXTS = [
    "the museum is closed on Mondays",
    "my bag is under the table",
    "please call me tomorrow",
    "the soup needs more salt",
    "we are late again",
    "the children are playing outside",
    "I forgot my umbrella",
    "the bus is full today",
    "this cake is delicious",
    "where can I buy stamps",
]
TO_EN_TEXTS = [
    "a praia está cheia hoje",
    "o comboio chega às três",
    "a sopa está fria",
    "o meu irmão mora em Lisboa",
    "preciso de um táxi",
    "a loja fecha cedo",
    "o gato dorme no sofá",
    "quero um copo de água",
]
TO_PT = [
    "Translate into Portuguese: {t}",
    'What is "{t}" in Portuguese?',
    'Put "{t}" into Portuguese, please.',
]
TO_EN = ["What does this mean in English: {t}", 'Translate "{t}" to English.']
REVIEW_TEXTS = [
    "The hotel bed was soft and the staff were lovely.",
    "The headphones stopped working after two days.",
    "Great pizza, fast delivery, would order again.",
    "The film was long and boring.",
    "My new phone case fits perfectly.",
    "The train was dirty and forty minutes late.",
    "What a friendly little cafe, the cakes are amazing.",
    "The shoes hurt my feet from the first hour.",
]
SENTIMENT = [
    "What is the sentiment of this review? {t}",
    "Positive or negative: {t}",
    "Classify the tone of this comment: {t}",
]
NEWS = [
    "The city council voted to plant five hundred trees along the river next spring. The trees "
    "will give shade on the walking path and help birds nest in the centre of town.",
    "A local school raised money for a new library by selling cakes every Friday for a year. "
    "The library opened this week with three thousand books and a reading corner.",
    "Heavy snow closed the mountain road for two days. Farmers brought food to the village on "
    "tractors, and the road reopened on Thursday after the ploughs cleared it.",
    "The museum will stay open late on Fridays this summer. Tickets after six o'clock cost half "
    "the normal price, and there will be live music in the garden.",
    "Researchers found that short walks after meals help keep blood sugar steady. The effect "
    "was clear even for walks of only ten minutes.",
]
SUMMARIZE = [
    "Summarize this: {t}",
    "Give me a short summary of this article: {t}",
    "What is the gist of this? {t}",
]
PICTURES = [
    "red umbrella",
    "sleeping fox",
    "blue teapot",
    "wooden chair",
    "striped scarf",
    "paper boat",
    "leather backpack",
    "straw hat",
]
IMAGINE = ["Draw a {x} for me.", "Make an image of a {x}.", "Create {n} pictures of a {x}."]
# --- files named in the message: `transcribe` (no arguments: the person attached the file),
# `caption` (the file's name) and `qa` (the question and the text, copied); names and texts of
# their own, none of the eval battery's or the SFT seed's ---
RECORDINGS = ["standup.wav", "voicemail_03.m4a", "book-club.mp3", "radio-clip.ogg", "memo.flac"]
TRANSCRIBE = [
    "Please write down what is said in @{f}.",
    "Could you type out the recording {f}?",
    "Give me a transcript of @{f}",
    "What are the words spoken in {f}?",
]
PHOTOS = ["harbour.jpg", "snowman.png", "birthday-cake.jpeg", "IMG_1188.jpg", "market_day.png"]
CAPTION = [
    "What is shown in the picture @{f}?",
    "Please describe the image {f}.",
    "Write one line about what @{f} shows.",
    "Tell me what you see in {f}.",
]
DOCUMENTS = [  # (text, question)
    (
        "The bakery on Elm Street opens at six and closes at two. On Sundays it sells only bread "
        "and stays open until noon.",
        "When does the bakery close on Sundays?",
    ),
    (
        "Mara adopted a grey cat called Pepper in March. Pepper sleeps on the bookshelf and is "
        "afraid of the vacuum cleaner.",
        "What is Pepper afraid of?",
    ),
    (
        "The swimming pool will be closed for repairs from 3 to 17 June. Members can use the pool "
        "in Northgate for free during that time.",
        "Where can members swim during the repairs?",
    ),
    (
        "Tomas planted tomatoes, beans and sunflowers in his garden. The sunflowers grew taller "
        "than the fence by August.",
        "What grew taller than the fence?",
    ),
    (
        "The night train to Vienna leaves at 21:40 from platform 4. Passengers with bicycles must "
        "book a place in the last carriage.",
        "Which platform does the night train leave from?",
    ),
    (
        "Our choir meets every Wednesday in the church hall. New singers are welcome, and no "
        "audition is needed.",
        "When does the choir meet?",
    ),
]
QA = [
    "Answer using this text only. {d} {q}",
    "{q} The text: {d}",
    "Here is a note: {d} Question: {q}",
]
NEAR_MISS = [
    "What is a transcript of a court case?",
    "How do I add captions to my holiday photos?",
    "Why do films have subtitles for the deaf?",
    "What makes a good question for a quiz?",
    "How do I record my voice on a phone?",
    "What is the best way to read a long document?",
    "How do I translate my thoughts into words?",
    "What language do people speak in Chile?",
    "Is Portuguese related to Latin?",
    "How long does it take to learn English?",
    "Why do some words have no translation?",
    "What is the best way to practise Portuguese?",
    "Who drew the first cartoons?",
    "How do I take a good photo of the Moon?",
    "Why do old photos look yellow?",
    "What is an image in poetry?",
    "How do artists choose colours for a painting?",
    "What are picture frames made of?",
    "Why do I feel sad when it rains?",
    "What does a positive test result mean?",
    "Is negative feedback useful?",
    "How can I stay in a good mood at work?",
    "What is the tone of a formal letter?",
    "How do I write a summary for school?",
    "What should a summary of a meeting include?",
    "Can you sum up what a verb is?",
    "How do translators learn new words?",
    "What is the mood of a lullaby?",
    "Why do people draw on cave walls?",
    "What is an English breakfast?",
    "How many people speak Portuguese?",
    "What is a sketch in comedy?",
    "What is the difference between a mood and an emotion?",
    "How do I summarise a chapter quickly?",
    "Is it rude to ask someone to translate?",
    "What makes a picture book good for toddlers?",
]

# Two-turn follow-ups: (first question, first answer, follow-up, accepted answers or None).
FOLLOWUPS = [
    (
        "What is the capital of Norway?",
        "The capital of Norway is Oslo.",
        "And of Sweden?",
        ["Stockholm"],
    ),
    (
        "How many legs does a spider have?",
        "A spider has eight legs.",
        "And an insect?",
        ["6", "six"],
    ),
    (
        "Which planet is closest to the Sun?",
        "Mercury is the closest planet to the Sun.",
        "And which is the largest?",
        ["Jupiter"],
    ),
    ("What is 6 times 7?", "6 times 7 is 42.", "And if I add 8 to that?", ["50", "fifty"]),
    (
        "What language do they speak in Brazil?",
        "People in Brazil speak Portuguese.",
        "And in Argentina?",
        ["Spanish"],
    ),
    (
        "Who wrote Hamlet?",
        "William Shakespeare wrote Hamlet.",
        "Did he also write Macbeth?",
        ["yes"],
    ),
    ("What is a baby cat called?", "A baby cat is called a kitten.", "And a baby dog?", ["puppy"]),
    (
        "What is the opposite of tall?",
        "The opposite of tall is short.",
        "And the opposite of heavy?",
        ["light"],
    ),
    (
        "How many days are in a week?",
        "There are seven days in a week.",
        "And how many in two weeks?",
        ["14", "fourteen"],
    ),
    (
        "What colour are bananas when ripe?",
        "Ripe bananas are yellow.",
        "And when they are not ripe yet?",
        ["green"],
    ),
]
# Follow-ups to a known-answer question whose answer must stay the same: (text, extra check).
FOLLOWUP_SAME = [
    ("Are you sure?", None),
    ("Please say that again in one sentence.", {"kind": "sentences", "n": 1}),
    ("Repeat just the answer, in one word or two.", {"kind": "max_words", "n": 2}),
]
