"""More plain answers for Parley's seed SFT set (the second round, after the eval battery showed
false tool calls on Portuguese questions and on formatting instructions): practical tips that
`make_seed.py` asks for under verifiable constraints, Portuguese questions answered in
Portuguese, and more questions that only sound like tool requests. Hand-written for Parley (CC0,
see README.md); every tip is one short sentence, so any N of them are N sentences.
"""

# fmt: off
# --- tips: (topic, five one-sentence tips) ---
TIPS = [
    ("saving money", ["Make a budget at the start of each month.", "Cook at home more often.",
     "Wait a day before any big purchase.", "Cancel subscriptions you do not use.",
     "Put a little aside on every payday."]),
    ("learning to cook", ["Start with simple recipes.", "Taste the food as you cook.",
     "Keep your knives sharp.", "Prepare every ingredient before you start.",
     "Cook the same dish a few times until it feels easy."]),
    ("keeping plants alive", ["Water them when the soil feels dry.",
     "Put them near a bright window.", "Use pots with holes in the bottom.",
     "Remove dead leaves.", "Feed them a little fertiliser in spring."]),
    ("running your first race", ["Train a little every week.", "Buy comfortable shoes early.",
     "Do not start too fast.", "Drink water before the start.", "Sleep well the night before."]),
    ("making friends in a new city", ["Join a club or a sports team.",
     "Say yes to invitations.", "Talk to your neighbours.", "Take a class that interests you.",
     "Be patient, because friendships take time."]),
    ("staying focused at work", ["Turn off notifications.", "Do the hardest task first.",
     "Take a short break every hour.", "Keep your desk tidy.", "Write a short list for the day."]),
    ("travelling light", ["Pack clothes that match each other.", "Roll your clothes instead "
     "of folding them.", "Bring only one pair of extra shoes.", "Use small bottles for liquids.",
     "Wear your heaviest jacket on the plane."]),
    ("drinking more water", ["Carry a bottle with you.", "Drink a glass with every meal.",
     "Add a slice of lemon for taste.", "Set a reminder on your phone.",
     "Eat fruit that holds a lot of water."]),
    ("speaking in public", ["Practise out loud several times.", "Know your first sentence by "
     "heart.", "Look at friendly faces in the room.", "Speak slowly and pause.",
     "Keep your slides simple."]),
    ("caring for a dog", ["Walk it every day.", "Give it fresh water.", "Take it to the vet "
     "once a year.", "Brush its coat often.", "Reward good behaviour with praise."]),
    ("keeping a phone battery healthy", ["Avoid letting it drop to zero.",
     "Keep the phone out of the hot sun.", "Lower the screen brightness.",
     "Close apps you do not use.", "Use a good charger."]),
    ("studying for an exam", ["Start a few weeks early.", "Test yourself with old questions.",
     "Study in short sessions.", "Explain the topic to a friend.", "Sleep well before the exam."]),
    ("cleaning a bathroom", ["Open the window first.", "Spray the shower and let it soak.",
     "Scrub the sink and the tap.", "Clean the mirror with a dry cloth.", "Mop the floor last."]),
    ("growing tomatoes", ["Plant them in a sunny spot.", "Water them deeply twice a week.",
     "Tie the stems to a stick.", "Pinch off the side shoots.", "Pick the fruit when it is red."]),
]

STARTS = ["Sure", "Well", "Honestly", "Yes", "First"]
ENDINGS = ["Good luck!", "I hope this helps.", "Enjoy!", "That's all.", "Take care!"]

# --- one-word answers: (question, the word) ---
ONE_WORD = [
    ("Which animal gives us wool? Answer with one word.", "Sheep"),
    ("What do bees make? One word only.", "Honey"),
    ("What colour is a ripe banana? Reply with a single word.", "Yellow"),
    ("Name the season after winter. One word, please.", "Spring"),
    ("Which metal is liquid at room temperature? One word.", "Mercury"),
    ("What is frozen water called? Answer in one word.", "Ice"),
    ("Name a fruit that is red. One word only.", "Strawberry"),
    ("Which organ pumps blood? Reply with one word.", "Heart"),
    ("What do you call a baby cat? One word, please.", "Kitten"),
    ("Name a musical instrument with keys. Answer with a single word.", "Piano"),
]

# --- Portuguese questions, answered in Portuguese ---
PORTUGUESE = [
    ("Qual é a capital da Argentina?", "A capital da Argentina é Buenos Aires."),
    ("Qual é a capital do Peru?", "A capital do Peru é Lima."),
    ("Qual é a capital da Alemanha?", "A capital da Alemanha é Berlim."),
    ("Quantos minutos tem uma hora?", "Uma hora tem sessenta minutos."),
    ("Quantos meses tem um ano?", "Um ano tem doze meses."),
    ("Quanto é nove mais seis?", "Nove mais seis é quinze."),
    ("Quanto é vinte menos sete?", "Vinte menos sete é treze."),
    ("Quanto é cinco vezes oito?", "Cinco vezes oito é quarenta."),
    ("De que cor é o céu num dia limpo?", "Num dia limpo, o céu é azul."),
    ("Qual é o maior oceano do mundo?", "O maior oceano do mundo é o Pacífico."),
    ("Que língua se fala no Brasil?", "No Brasil fala-se português."),
    ("Quem escreveu Os Lusíadas?", "Os Lusíadas foram escritos por Luís de Camões."),
    ("Qual é o animal mais alto do mundo?", "O animal mais alto do mundo é a girafa."),
    ("Quantas patas tem um cão?", "Um cão tem quatro patas."),
    ("Em que continente fica o Brasil?", "O Brasil fica na América do Sul."),
    ("O que as abelhas produzem?", "As abelhas produzem mel e cera."),
    ("Qual é o contrário de quente?", "O contrário de quente é frio."),
    ("Como se chama a água congelada?", "A água congelada chama-se gelo."),
    ("Qual é a estação mais quente do ano?", "A estação mais quente do ano é o verão."),
    ("Para que serve um termómetro?", "Um termómetro serve para medir a temperatura."),
    ("Como posso poupar dinheiro?",
     "Faça um orçamento mensal, cozinhe em casa e evite compras por impulso."),
    ("Me dá uma dica para aprender inglês.",
     "Ouça música e veja séries em inglês todos os dias, e fale sem medo de errar."),
    ("O que você sabe fazer?",
     "Posso responder perguntas, traduzir entre português e inglês, resumir textos e desenhar "
     "roupas."),
    ("Você funciona sem internet?",
     "Sim. Funciono inteiramente no seu computador, por isso as conversas ficam consigo."),
    ("Qual é a diferença entre um resumo e um texto completo?",
     "Um resumo conta só as ideias principais de um texto, em poucas palavras."),
    ("Como se diz obrigado em português de Portugal?",
     "Em Portugal diz-se obrigado, ou obrigada se quem fala for uma mulher."),
    ("Que idioma é falado em Moçambique?", "Em Moçambique, a língua oficial é o português."),
    ("Bom dia! Como você está?", "Bom dia! Estou bem, obrigado. Em que posso ajudar?"),
    ("Quantos lados tem um triângulo?", "Um triângulo tem três lados."),
    ("O que é uma fotografia?", "Uma fotografia é uma imagem registada por uma câmara."),
]

# --- questions that mention a language, a picture, a mood, a review or a summary, yet want no
# tool ---
COUNTER = [
    ("What does the word summarize mean?", "To summarize is to say the main points of "
     "something in a few words."),
    ("Is Portuguese similar to Spanish?", "Yes, they are close relatives: written Spanish is "
     "fairly easy to follow for Portuguese speakers, though pronunciation differs a lot."),
    ("How do I write a good product review?", "Say what you bought, what you liked and "
     "disliked, and who you would recommend it to."),
    ("Why do people feel sad in winter?", "Short days mean less sunlight, which can lower "
     "mood and energy for some people."),
    ("Who invented photography?", "Joseph Nicéphore Niépce made the first lasting photograph "
     "around 1826."),
    ("What makes a picture look good?", "Good light, a clear subject and a simple "
     "background."),
    ("How many words should an abstract have?", "Usually between 150 and 250 words."),
    ("Can dogs see colours?", "Yes, but fewer than we do: mostly blues and yellows."),
    ("How do I learn to draw faces?", "Start with simple proportions: the eyes sit halfway "
     "down the head. Then copy photos often."),
    ("What is the Portuguese word for Portugal's currency?", "Portugal uses the euro, called "
     "euro in Portuguese too."),
    ("Is it rude to leave a bad review?", "No, an honest and polite review helps other "
     "customers and the business."),
    ("Why is Brazil's language Portuguese and not Spanish?", "Because Portugal colonised "
     "Brazil, while Spain colonised most of the rest of South America."),
    ("How do I make someone happy on their birthday?", "Spend time with them, remember what "
     "they love, and write a few warm words."),
    ("What is a translator's job?", "A translator turns written texts from one language "
     "into another, keeping the meaning and the tone."),
    ("What file formats are used for images?", "Common ones are JPEG, PNG, GIF and WebP."),
    ("How do I record my voice on a phone?", "Open the voice recorder app, press the record "
     "button and press it again to stop."),
    ("Is it better to read a book or its summary?", "The book: a summary gives the plot but "
     "leaves out the style and the details."),
    ("What is the difference between a sketch and a painting?", "A sketch is a quick "
     "drawing, usually in pencil; a painting is finished work in paint."),
    ("I'm feeling a bit down today.", "I'm sorry to hear that. A short walk, some fresh air "
     "or a chat with a friend can help. Do you want to talk about it?"),
    ("Can you speak Portuguese?", "Sim! I can answer in Portuguese, and translate between "
     "Portuguese and English."),
    ("Why do we dream?", "Scientists are not sure; dreams may help the brain sort memories and "
     "feelings."),
    ("What is sentiment analysis?", "It is a way for computers to tell whether a text is "
     "positive, negative or neutral."),
    ("How long is a typical news article?", "Most are between 500 and 1,000 words."),
    ("Which is easier to learn, English or Portuguese?", "For most people English grammar is "
     "simpler, but Portuguese spelling is more regular."),
]

# --- word problems: (template, answer template), filled by make_seed.py with numbers whose
# answers Python computes (a, b; s = a + b, p = a * b) ---
WORD_PROBLEMS = [
    ("{name} has {a} marbles and buys {b} more. How many marbles does {name} have now?",
     "{a} + {b} = {s}. {name} has {s} marbles now."),
    ("A box holds {a} eggs. How many eggs are in {b} boxes?", "{a} × {b} = {p} eggs."),
    ("Tickets cost {a} euros each. What do {b} tickets cost?", "{b} × {a} = {p} euros."),
    ("{name} had {s} stickers and gave {b} away. How many stickers are left?",
     "{s} − {b} = {a} stickers are left."),
    ("{p} sweets are shared equally among {b} children. How many sweets does each child get?",
     "{p} ÷ {b} = {a} sweets each."),
    ("A bus has {a} passengers. At the next stop {b} more get on. How many are on the bus?",
     "{a} + {b} = {s} passengers."),
]
NAMES = ["Ana", "Tom", "Lucas", "Mia", "Rui", "Sara", "Ben", "Inês"]

# --- more Portuguese questions, answered in Portuguese ---
PORTUGUESE_MORE = [
    ("Qual é a capital da Noruega?", "A capital da Noruega é Oslo."),
    ("Qual é a capital do Chile?", "A capital do Chile é Santiago."),
    ("Qual é a capital da Grécia?", "A capital da Grécia é Atenas."),
    ("Quantas horas tem um dia?", "Um dia tem vinte e quatro horas."),
    ("Quanto é doze mais oito?", "Doze mais oito é vinte."),
    ("Quanto é trinta menos doze?", "Trinta menos doze é dezoito."),
    ("Quanto é quatro vezes nove?", "Quatro vezes nove é trinta e seis."),
    ("De que cor é uma cenoura?", "Uma cenoura é cor de laranja."),
    ("Qual é o maior planeta do sistema solar?", "O maior planeta do sistema solar é Júpiter."),
    ("Quem pintou a Noite Estrelada?", "A Noite Estrelada foi pintada por Vincent van Gogh."),
    ("Qual é o animal mais rápido em terra?", "O animal mais rápido em terra é a chita."),
    ("Quantas rodas tem uma bicicleta?", "Uma bicicleta tem duas rodas."),
    ("Em que país fica a cidade do Porto?", "A cidade do Porto fica em Portugal."),
    ("O que se usa para escrever no quadro?", "Para escrever no quadro usa-se giz ou marcador."),
    ("Qual é o contrário de alto?", "O contrário de alto é baixo."),
    ("Como se chama o filhote da vaca?", "O filhote da vaca chama-se bezerro."),
    ("Para que serve um guarda-chuva?", "Um guarda-chuva serve para nos proteger da chuva."),
    ("Qual é a moeda do Brasil?", "A moeda do Brasil é o real."),
    ("Quantos jogadores tem uma equipa de futebol em campo?",
     "Uma equipa de futebol tem onze jogadores em campo."),
    ("Onde vivem os pinguins?", "Os pinguins vivem sobretudo no hemisfério sul, como na "
     "Antártida."),
    ("O que comem as vacas?", "As vacas comem sobretudo erva e feno."),
    ("Qual é o metal mais usado para fazer fios elétricos?",
     "O metal mais usado para fios elétricos é o cobre."),
    ("Que instrumento tem teclas pretas e brancas?", "O piano tem teclas pretas e brancas."),
    ("Qual é o osso mais comprido do corpo humano?", "O osso mais comprido é o fémur."),
    ("Me explica o que é uma ilha.", "Uma ilha é uma porção de terra rodeada de água por "
     "todos os lados."),
    ("Pode me dar uma dica para cozinhar arroz?", "Lave o arroz, use duas medidas de água para "
     "uma de arroz e cozinhe em lume brando com a tampa."),
    ("Qual é a melhor época para visitar Lisboa?", "A primavera e o início do outono, quando "
     "o tempo é ameno e há menos turistas."),
    ("Quantos segundos tem um minuto?", "Um minuto tem sessenta segundos."),
]
