"""Tool requests for Parley's seed SFT set: contents and phrasings, each a (training, held-out)
pair of disjoint lists, read by `make_seed.py` (which crosses phrasings with contents). Written for
Parley (CC0, see README.md). The held-out halves make `tool_heldout.jsonl`; no held-out phrasing
or content occurs in the training set.
"""

# fmt: off
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

# --- more training contents and phrasings (the second SFT round: more variety, so a request in
# new words still gets the right call, and the text is copied into the call exactly) ---
EN = (EN[0] + [
    "the train leaves at six",
    "I would like a glass of water",
    "we are lost",
    "how do I get to the airport",
    "this is my first time in Brazil",
    "the shop is closed on Sundays",
    "I am allergic to nuts",
    "could you take a photo of us",
    "my suitcase is too heavy",
    "the view from here is beautiful",
    "I will be there in ten minutes",
    "where is the nearest pharmacy",
    "my daughter is learning to read",
    "the room has no hot water",
    "we need two tickets for tonight",
    "I have a meeting at noon",
    "thank you for dinner",
    "the dog is sleeping",
], EN[1])
PT = (PT[0] + [
    "eu adoro o verão",
    "a conta, por favor",
    "onde é a farmácia",
    "o comboio está atrasado",
    "tenho uma reunião amanhã",
    "a minha irmã mora no Rio",
    "está muito frio hoje",
    "quero um café com leite",
    "boa noite a todos",
    "o filme foi muito engraçado",
    "não falo português muito bem",
    "o museu abre às dez",
], PT[1])
REVIEWS = (REVIEWS[0] + [
    "The hotel bed was so soft, I slept like a baby.",
    "Nobody at the front desk spoke to us for twenty minutes.",
    "These boots kept my feet dry all winter.",
    "The pasta was bland and overpriced.",
    "Super friendly driver and a spotless car.",
    "The printer jams every other page.",
    "A wonderful book, I could not put it down.",
    "The gym was crowded and half the machines were broken.",
    "My order came a day early, thank you!",
    "The tour guide was late and seemed bored.",
    "Crisp sound and the battery lasts forever.",
    "The paint started peeling after a month.",
], REVIEWS[1])
PARAGRAPHS = (PARAGRAPHS[0] + [
    "The zoo welcomed two baby pandas this spring. Keepers say both are healthy and already "
    "climbing. Visitors will be able to see them from July.",
    "A new cycle path now links the university with the old harbour. It is five kilometres "
    "long, lit at night, and separated from the cars by a low wall.",
    "Prices at the supermarket rose again this month, mostly for fruit and dairy. Shoppers "
    "say they now buy more frozen vegetables to save money.",
    "The town's oldest cinema will show classic films every Thursday this winter. Tickets "
    "cost three euros, and students get in for free.",
    "Drinking enough water helps the body control its temperature and keeps the skin healthy. "
    "Most adults need about two litres a day, more in hot weather.",
    "The hospital opened a new children's wing with forty beds and a playroom. Parents can "
    "now stay overnight next to their child.",
    "Engineers tested a robot that can sort recycling twice as fast as people. The city hopes "
    "to use it in all three of its recycling centres by next year.",
    "Our neighbourhood festival raised two thousand euros for the local school. The money "
    "will pay for new books and a trip to the science museum.",
    "Heavy rain flooded several streets in the town centre on Tuesday. Shops closed early, "
    "and the fire brigade pumped water out of basements until midnight.",
    "The airline will add direct flights between Lisbon and Toronto in May. There will be "
    "three flights a week, and prices start at three hundred euros.",
], PARAGRAPHS[1])
OBJECTS = (OBJECTS[0] + [
    "brown sandal", "grey pullover", "pink dress", "red sneaker", "navy coat", "white sneaker",
    "silk shirt", "black boot", "green t-shirt", "tan handbag", "plaid shirt", "yellow dress",
], OBJECTS[1])

TO_PT = (TO_PT[0] + [
    'Could you translate "{t}" to Portuguese?',
    "Please translate this into Portuguese: {t}",
    'How would you say "{t}" in Portuguese?',
    "Give me the Portuguese for: {t}",
    'I want to say "{t}" to a Brazilian friend. How do I say it in Portuguese?',
    "English to Portuguese: {t}",
], TO_PT[1])
TO_EN = (TO_EN[0] + [
    "Please translate this Portuguese sentence: {t}",
    'What is "{t}" in English?',
    'Someone told me "{t}". What does it mean in English?',
    "Put this into English, please: {t}",
    "Translate from Portuguese to English: {t}",
    'A sign says "{t}". Can you translate it?',
], TO_EN[1])
SENTIMENT = (SENTIMENT[0] + [
    "How does the writer feel here? {t}",
    "Tell me if this review is good or bad: {t}",
    "Analyze the sentiment: {t}",
    "Was this customer happy? {t}",
    "Sentiment check, please: {t}",
    "Is this feedback positive or negative? {t}",
], SENTIMENT[1])
SUMMARIZE = (SUMMARIZE[0] + [
    "Summarise this for me: {t}",
    "Can you summarize the following text? {t}",
    "Give me a one-sentence summary of this: {t}",
    "What is the main idea of this paragraph? {t}",
    "Make this shorter: {t}",
    "Please condense this news item: {t}",
    "{t}\n\nSummarize the text above.",
], SUMMARIZE[1])
IMAGINE = (IMAGINE[0] + [
    "Please create an image of a {x}.",
    "I want a picture of a {x}",
    "Paint a {x}",
    "Generate {n} images of a {x}",
    "Draw {n} pictures of a {x}",
    "Make me {n} drawings of a {x}.",
    "Create {n} pictures of a {x}, please.",
    "I need {n} images of a {x}.",
], IMAGINE[1])

# --- recordings, images and documents named or given in the message (training only; the
# held-out ones are hand-written in tools_*_heldout.jsonl) ---
RECORDINGS = ["meeting.wav", "note-to-self.mp3", "podcast_ep3.mp3", "call.m4a", "lecture.flac",
              "interview2.wav", "voice_note.ogg", "class-recording.mp3"]
TRANSCRIBE = [
    "Transcribe @{f}",
    "What is said in {f}?",
    "Write out the words in the recording @{f}.",
    "Can you transcribe {f} for me?",
    "Turn this audio into text: @{f}",
    "What does the speaker say in @{f}?",
    "Please make a transcript of {f}.",
]
PICTURES = ["beach.jpg", "dog-park.png", "kitchen_2020.jpeg", "sunset.png", "my-car.jpg",
            "wedding.jpg", "IMG_0042.jpg", "family.png", "old-house.jpeg"]
CAPTION = [
    "Describe {f}",
    "Describe the photo @{f}",
    "What can you see in @{f}?",
    "Give me a caption for {f}.",
    "What's in the image {f}?",
    "Caption this image: @{f}",
    "Look at @{f} and tell me what it shows.",
    "Can you tell me what {f} shows?",
]
DOCUMENTS = [  # (text, question)
    ("The Riverside Library was built in 1908 with money from a local shipowner. It holds "
     "forty thousand books and lends bicycles to members in summer.",
     "What does the library lend in summer?"),
    ("Our office moves to the fourth floor on Monday. Please pack your desk by Friday and "
     "label every box with your name.", "When must desks be packed?"),
    ("The marathon starts at eight in the morning at the city hall. Runners must collect "
     "their numbers the day before at the sports centre.",
     "Where do runners collect their numbers?"),
    ("Sofia Reyes opened the flower shop in 2011 after ten years as a nurse. The shop now "
     "delivers to three hospitals in the city.", "What did Sofia Reyes do before the shop?"),
    ("The blue bus runs every fifteen minutes from the station to the beach. On Sundays it "
     "runs only once an hour.", "How often does the bus run on Sundays?"),
    ("The recipe needs two cups of flour, one egg and a spoon of honey. Bake it for twenty "
     "minutes in a hot oven.", "How long should it bake?"),
    ("The castle on the hill was finished in 1350. It was a prison for a hundred years and "
     "became a museum in 1921.", "When did the castle become a museum?"),
    ("Tickets for the school play cost four euros for adults. Children under six get in for "
     "free, and all money goes to the drama club.", "Who gets in for free?"),
]
QA = [
    "Here is a text: {d} {q}",
    "{d}\n\nQuestion: {q}",
    "{q} Use this passage: {d}",
    "Read the following and answer the question. {d} Question: {q}",
    "Answer from the text below. {q}\n{d}",
    "{d} Based on the text, {lq}",
]
