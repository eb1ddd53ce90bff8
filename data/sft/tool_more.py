"""The tool tables of the third SFT round: `tool_tables.py` plus more phrasings and contents for
what the second round's model still got wrong on the dev split (a recording routed with a made-up
`text`, a count of pictures dropped, a Portuguese message translated without `to`, file names
shortened). Training halves only grow; the held-out halves are `tool_tables.py`'s, unchanged.
Written for Parley (CC0, see README.md).
"""

from tool_tables import (
    CAPTION,
    DOCUMENTS,
    EN,
    IMAGINE,
    OBJECTS,
    PARAGRAPHS,
    PICTURES,
    PT,
    QA,
    RECORDINGS,
    REVIEWS,
    SENTIMENT,
    SUMMARIZE,
    TO_EN,
    TO_PT,
    TRANSCRIBE,
)

__all__ = [
    "CAPTION",
    "DOCUMENTS",
    "EN",
    "IMAGINE",
    "OBJECTS",
    "PARAGRAPHS",
    "PICTURES",
    "PT",
    "QA",
    "RECORDINGS",
    "REVIEWS",
    "SENTIMENT",
    "SUMMARIZE",
    "TO_EN",
    "TO_PT",
    "TRANSCRIBE",
]

TO_PT = (
    TO_PT[0]
    + [
        "I need the Portuguese translation of: {t}",
        "Write this in Portuguese for me: {t}",
        'My neighbour only speaks Portuguese. How do I tell her "{t}"?',
    ],
    TO_PT[1],
)
TO_EN = (
    TO_EN[0]
    + [
        "Translate this from Portuguese, please: {t}",
        'My friend texted me "{t}". What is that in English?',
        "Portuguese to English: {t}",
        'I received "{t}" from a client. Could you translate it into English?',
        "What does this Portuguese mean? {t}",
    ],
    TO_EN[1],
)
IMAGINE = (
    IMAGINE[0]
    + [
        "Paint {n} images of a {x}.",
        "Could you make {n} drawings of a {x}?",
        "{n} pictures of a {x}, please.",
        "I'd like {n} different pictures of a {x}.",
        "Please paint a {x}.",
        "Produce an image showing a {x}.",
    ],
    IMAGINE[1],
)
RECORDINGS = RECORDINGS + [
    "voicemail_03.m4a",
    "team-call.wav",
    "birthday-speech.mp3",
    "radio_clip.ogg",
    "lesson-5.flac",
    "standup_2024.wav",
]
TRANSCRIBE = TRANSCRIBE + [
    "What's being said in {f}?",
    "Type out the speech in @{f}.",
    "I'd like a written version of the recording {f}.",
    "Listen to {f} and write down the words.",
    "Can you convert the audio file {f} to text?",
    "What do they say in the recording @{f}?",
    "Give me the words spoken in {f}.",
]
PICTURES = PICTURES + [
    "holiday_2018.jpg",
    "cake-photo.png",
    "street_view-2.jpeg",
    "mountain_trip.png",
    "IMG_1187.jpeg",
    "new-sofa.jpg",
]
CAPTION = CAPTION + [
    "What is shown in the photo {f}?",
    "Write a short caption for @{f}.",
    "Tell me what the image {f} shows.",
    "Describe the picture {f} for me, please.",
]
DOCUMENTS = DOCUMENTS + [
    (
        "The community garden opens at seven every morning. Members water their own beds, and the "
        "shared tools are kept in the green shed by the gate.",
        "Where are the shared tools kept?",
    ),
    (
        "Maria Costa started the bakery in 1998 with one oven. Today it has four shops and sells "
        "bread to two schools in the town.",
        "How many shops does the bakery have today?",
    ),
    (
        "The night train leaves Vienna at ten and reaches Venice at eight the next morning. Each "
        "cabin has two beds and a small sink.",
        "When does the train reach Venice?",
    ),
    (
        "Our swimming club trains on Tuesdays and Thursdays. New members pay thirty euros a year "
        "and must bring a swimming cap.",
        "What must new members bring?",
    ),
]
QA = QA + [
    "Using only this text, {lq} {d}",
    "{d}\nAnswer from the note above: {q}",
]
