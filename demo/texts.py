"""The words of the demo: what the public writes to a Paris bakery, in French and English, on social networks.

Plain data for `demo_content`, which fills the placeholders per language ({product}, {the_product},
{a_product}, {place}, {day}, {order}, {n}, {mention}, {first}). The mix is deliberately untidy (slang,
elisions, emoji-only, spam, rambling messages): that is what a community manager's inbox looks like, and
what triage must cope with.
"""

from __future__ import annotations

# --- Inbound, top-level: (kind, language) -> base texts ---------------------------------------------------

# Questions by topic, so that answers in a thread (another customer's, or the brand's) fit the question.
QUESTIONS = {
    "hours": {
        "fr": (
            "Bonjour, à quelle heure ouvrez-vous ?",
            "vous êtes ouverts dimanche ?",
            "Vous êtes ouverts {day} ?",
            "à quelle heure ouvrez-vous {day} ?",
            "Bonsoir, c'est à quelle heure la dernière fournée de baguettes ?",
            "À quelle heure vous fermez ce soir ? j'sors du boulot à 19h",
            "Vous êtes ouverts le lundi ? Je trouve pas l'heure d'ouverture sur Google",
        ),
        "en": (
            "What time do you open on Sunday?",
            "Are you open {day}?",
            "What time do you close today?",
            "What are your opening hours on bank holidays?",
        ),
    },
    "delivery": {
        "fr": (
            "Bonjour ! Vous livrez à {place} ?",
            "Est-ce que vous faites la livraison {day} matin ?",
            "Ça coûte combien la livraison pour {place} ?",
            "Jusqu'à quelle heure on peut passer récupérer une commande ?",
        ),
        "en": ("Hi! Do you deliver to {place}?", "Do you ship outside Paris?"),
    },
    "allergens": {
        "fr": (
            "Vous faites {the_product} en version sans gluten ?",
            "Il y a des fruits à coque dans {the_product} ? Ma fille est allergique 🙏",
            "Vous avez des options vegan ?",
        ),
        "en": (
            "Is the {product} gluten free?",
            "Does the {product} contain nuts? Asking for my son, he has a severe allergy",
            "Do you have vegan options?",
        ),
    },
    "prices": {
        "fr": ("C'est combien {the_product} ?",),
        "en": ("How much is the {product}?",),
    },
    "refunds": {
        "fr": ("Bonjour, comment je peux me faire rembourser ? Ma commande {order} n'est jamais arrivée",),
        "en": ("How do I get a refund for order {order}? It never arrived",),
    },
    "orders": {
        "fr": (
            "On peut commander un gâteau d'anniversaire pour {n} personnes ? C'est quel délai ?",
            "Vous faites des prix pour les commandes d'entreprise ?",
            "J'peux réserver une galette pour samedi ?",
        ),
        "en": (
            "Can I pre-order a birthday cake for {n} people? How much notice do you need?",
            "Any chance you do catering for offices?",
        ),
    },
    "other": {
        "fr": (
            "Y'a une boutique près de {place} ?",
            "Vous recrutez ? Je cherche un apprentissage en boulangerie",
            "Vous prenez la carte en dessous de 5 € ?",
            "Pour {the_product}, c'est du beurre AOP ?",
            "C'est fait maison {the_product} ou c'est du surgelé ?",
        ),
        "en": ("Is there an English menu in the shop?", "Do you take card payments?"),
    },
}

COMPLAINTS = {
    "fr": (
        "Commande {order} livrée avec 2h de retard, et les croissants étaient froids. Pas top.",
        "Toujours pas reçu ma commande de ce matin... quelqu'un peut me répondre ?",
        "On m'a donné {a_product} à la place de ce que j'avais commandé 😡",
        "La vendeuse de {place} a été franchement désagréable ce matin.",
        "3 € {the_product} maintenant ?? Vous abusez",
        "Commande incomplète : il manquait la moitié des viennoiseries.",
        "Livreur arrivé 45 min en retard, et pas un mot d'excuse.",
        "Il y avait du brûlé sous {the_product}, déçue 😕",
        "J'ai appelé trois fois, personne ne décroche.",
        "Erreur sur ma commande, j'avais demandé sans noix !! Mon fils est allergique, c'est grave.",
        "Le personnel de la boutique de {place} est vraiment pas aimable. Dommage, les produits sont bons.",
    ),
    "en": (
        "My order {order} arrived an hour late and the coffee was cold.",
        "Wrong order again. I asked for the {product} and got something else entirely.",
        "The guy at the counter in {place} was really rude to my mum this morning.",
        "Still waiting for my refund, it's been two weeks.",
        "Delivery never showed up. Not impressed.",
        "Found a hair in my {product}. Gross.",
        "Your website charged me twice for the same order!",
        "Half my order was missing and nobody answers the phone.",
    ),
}

PRAISE = {
    "fr": (
        "Franchement {the_product} d'ici, c'est ce qu'il y a de mieux à Paris 🥐",
        "Merci pour l'accueil ce matin, toujours au top !",
        "{the_product}, une tuerie 😍",
        "Livraison rapide et tout était parfait, merci !",
        "Je passe tous les matins, jamais déçu 👌",
        "Bravo à toute l'équipe de {place} ❤️",
        "Le gâteau d'anniversaire a fait l'unanimité, merci !!",
        "Enfin une vraie baguette tradition dans le quartier",
        "Super équipe, super pain, rien à redire.",
        "Mes enfants réclament {the_product} tous les week-ends 😄",
        "Merci d'avoir pensé à une option sans gluten, ça fait plaisir !",
        "Les vendeuses de {place} sont adorables ☺️",
    ),
    "en": (
        "Best {product} I've had outside of France. Actually, in France too.",
        "Thank you for the lovely service this morning!",
        "The {product} is unreal 😍",
        "Delivery was quick and everything was perfect, cheers!",
        "Came for the croissants, stayed for the staff. Lovely team in {place}.",
        "My birthday cake was stunning, thank you so much!",
        "Honestly the best bakery in the neighbourhood.",
        "We visit every time we're in Paris. Never disappoints.",
        "So happy you have gluten-free options now!",
        "That {product} was worth the queue.",
    ),
}

SLANG = {
    "fr": (
        "trop bon 😭",
        "c'est ouf {the_product}",
        "{the_product} de ouf, j'en rêve la nuit",
        "jpp il est trop bon ce flan",
        "grave validé 👌",
        "frérot {the_product}... incroyable",
        "ptdr j'en ai pris 3 d'un coup",
        "c'est chaud, y'avait une queue de malade ce matin",
        "wsh vous ouvrez quand à {place} ?",
        "trop bon trop bon trop bon",
        "j'suis fan, j'avoue",
        "t'as goûté {the_product} ? c'est une dinguerie",
    ),
    "en": (
        "no cap best {product} in Paris",
        "lowkey obsessed with this place",
        "ngl the {product} slaps",
        "this is bussin fr",
        "omg need this rn 🤤",
        "yesss finally 🙌",
    ),
}

SPAM = {
    "fr": (
        "Gagne 500€/jour depuis chez toi 💸 lien dans ma bio",
        "Tu veux + de followers ? Écris-moi en MP 📩",
        "🎁 Concours : clique ici pour gagner un iPhone 👉 bit.ly/cadeau-gratuit",
        "Investis dans le bitcoin avec mon coach, +300% garanti 🚀 contacte-moi",
    ),
    "en": (
        "DM me for followers 💯",
        "Earn $$$ from home with crypto 🚀🚀 check my bio",
        "🔥 Hot deals 👉 www.cheap-followers-now.biz 🔥",
        "Buy 10k followers for $5 👉 link in bio",
        "I made $4,000 this week trading BTC with @crypto_mentor_jay, message him!",
        "Promote your page here 👉 dm @promo.fast",
        "Nice post! Check my profile for a surprise 😘",
        "FREE FOLLOWERS FREE FOLLOWERS FREE FOLLOWERS 🔥🔥🔥",
    ),
}

# Long, multi-sentence messages, by what they are about.
LONG = {
    "complaint": {
        "fr": (
            "Bonjour, je vous écris parce que j'ai commandé hier soir pour une livraison à 8h ce matin. À "
            "9h15 toujours rien, et impossible de joindre quelqu'un au téléphone. J'avais des invités et "
            "j'ai dû aller acheter des viennoiseries ailleurs. Je voudrais être remboursée, s'il vous "
            "plaît. Commande {order}.",
            "Je suis cliente depuis l'ouverture et j'adore vos produits, mais depuis quelques semaines la "
            "qualité a baissé. Les croissants sont moins feuilletés, la baguette est parfois pas assez "
            "cuite. Je sais que c'est dur en ce moment avec le prix du beurre, mais je préfère payer un peu "
            "plus cher et retrouver le goût d'avant.",
            "Bonjour. J'ai été prélevée deux fois pour la même commande ({order}). J'ai envoyé un mail au "
            "service client il y a une semaine, sans réponse. Pouvez-vous regarder ? Merci d'avance.",
        ),
        "en": (
            "Hi there, I placed an order yesterday for delivery at 8am today. It's now 9:30, nothing has "
            "arrived and nobody is picking up the phone. We had guests over and I had to go out and buy "
            "pastries somewhere else. I'd like a full refund please. Order {order}.",
            "I've been coming here every Saturday for two years. The croissants used to be incredible, but "
            "lately they've been a bit flat and greasy. Not sure if something changed in the kitchen? Still "
            "love the place, just wanted to flag it.",
        ),
    },
    "praise": {
        "fr": (
            "Petit message pour dire merci à l'équipe de {place}. Ma mère est passée samedi, elle avait "
            "oublié son porte-monnaie et la vendeuse lui a quand même donné sa baguette en lui disant de "
            "repasser payer plus tard. Ça paraît rien mais ça l'a beaucoup touchée. Continuez comme ça !",
            "Hier soir j'ai testé la galette frangipane : franchement la meilleure que j'ai mangée depuis "
            "des années. Pâte bien feuilletée, pas trop sucrée, et la fève est trop mignonne. Par contre, "
            "28 € pour 6 parts, ça pique un peu...",
        ),
        "en": (
            "Just wanted to say thank you to the team at {place}. We were visiting from Manchester with two "
            "kids, one of them has a nut allergy, and the staff took the time to go through every single "
            "pastry with us. Made our trip so much easier. We'll be back!",
            "Ordered a birthday cake for my daughter, picked it up at {place}. It was gorgeous and tasted "
            "even better. The lady at the counter even added candles for free. Thank you for making her "
            "day!",
        ),
    },
    "orders": {
        "fr": (
            "Question un peu longue, désolée : on organise le baptême de notre fils {day}, une quarantaine "
            "de personnes. Est-ce que vous faites des pièces montées ? Et des mini-viennoiseries pour le "
            "matin ? Il y a une personne allergique aux fruits à coque, c'est possible d'avoir des produits "
            "sans ?",
        ),
    },
    "allergens": {
        "en": (
            "Quick question before I order: I'm coeliac, so even traces of gluten are a problem. Are your "
            "gluten-free products made in a separate area? And do you label allergens on the delivery "
            "boxes? Thanks in advance.",
        ),
    },
}

EMOJI_ONLY = ("🥐🥐🥐", "😍😍", "🔥🔥🔥", "❤️", "👏👏👏", "🤤🥖", "😋", "🙌🥐", "💯", "🥖❤️🇫🇷")

# --- A customer answering another one in a thread, by (topic of the first message, language) -------------

REPLIES = {
    ("hours", "fr"): (
        "{mention} ils ouvrent à 7h même le dimanche, j'y étais ce matin",
        "{mention} le dimanche c'est jusqu'à 13h je crois",
    ),
    ("hours", "en"): (
        "{mention} they open at 7 on Sundays, I was there this morning",
        "{mention} pretty sure it's 7am to 8pm on weekdays",
    ),
    ("delivery", "fr"): (
        "{mention} oui ils livrent, j'ai commandé la semaine dernière, nickel",
        "{mention} ils livrent jusqu'à {place} en tout cas",
    ),
    ("delivery", "en"): ("{mention} yes they deliver, ordered last week and it was fine",),
    ("allergens", "fr"): (
        "{mention} demande en boutique, ils ont la liste des allergènes",
        "{mention} y'a un rayon sans gluten à {place} 👍",
    ),
    ("allergens", "en"): ("{mention} ask at the counter, they have the full allergen list",),
    ("prices", "fr"): ("{mention} 1,30 € le croissant la dernière fois",),
    ("prices", "en"): ("{mention} it was €1.30 for a croissant last time I went",),
    ("refunds", "fr"): ("{mention} écris-leur en privé, ils m'ont remboursée en 2 jours",),
    ("refunds", "en"): ("{mention} DM them, they refunded me within two days",),
    ("orders", "fr"): ("{mention} il faut compter 48h pour les gâteaux",),
    ("orders", "en"): ("{mention} they need 48 hours' notice for cakes",),
    ("complaint", "fr"): (
        "{mention} pareil pour moi la semaine dernière, ils m'ont remboursée rapidement par MP",
        "{mention} ah mince, moi j'ai jamais eu de souci",
        "{mention} écris-leur en privé, ils répondent vite",
    ),
    ("complaint", "en"): (
        "{mention} same happened to me, they refunded me via DM",
        "{mention} weird, never had an issue myself",
        "{mention} message them privately, they usually answer fast",
    ),
    ("question", "fr"): ("{mention} bonne question, je me demandais aussi 🤔",),
    ("question", "en"): ("{mention} good question, wondering the same",),
    ("praise", "fr"): (
        "{mention} carrément, le meilleur du quartier",
        "{mention} trop d'accord !! 😍",
        "{mention} t'as testé le flan ? c'est ouf aussi",
        "{mention} on y va samedi ?",
    ),
    ("praise", "en"): (
        "{mention} totally agree!!",
        "{mention} you have to try the almond croissant too",
        "{mention} saturday brunch there?",
    ),
}

# --- The brand's side: its posts, and (in seeded history only) its answers ---------------------------------

BRAND_POSTS = (
    "Nouvelle fournée de croissants au beurre AOP ce matin 🥐 On vous attend dès 7h !",
    "La galette des rois est de retour ! Frangipane, pomme ou praliné : laquelle est votre préférée ?",
    "Notre boutique de Montreuil ouvre ses portes samedi 🎉 Café offert toute la matinée.",
    "Cette semaine : tarte aux fraises de Plougastel 🍓",
    "Rappel : fermeture exceptionnelle lundi pour inventaire.",
    "Nouveau : une gamme sans gluten, préparée dans un atelier séparé.",
    "Fresh sourdough out of the oven every morning at 7 🍞",
    "Our almond croissant is back by popular demand 🥐",
    "Flan pâtissier à la vanille de Madagascar 🍮 / Vanilla custard tart, baked fresh every day.",
    "Commandez vos gâteaux d'anniversaire en ligne, 48 h à l'avance 🎂",
)

LINKEDIN_POSTS = (
    "Nous recrutons des apprentis boulangers pour la rentrée 👩‍🍳 Rejoignez une équipe passionnée.",
    "Demo Bakery s'engage : 100 % de nos farines viennent de moulins français.",
    "We are proud to welcome 12 new apprentices this year, trained in our Bastille workshop.",
    "Retour sur notre participation au Salon de la Boulangerie : merci à tous pour vos visites !",
    "Plateaux petit-déjeuner pour les entreprises : livraison dans tout Paris dès 7h30.",
)

BRAND_REPLIES = {
    ("hours", "fr"): ("Bonjour {first} ! Nous ouvrons tous les jours à 7h, le dimanche jusqu'à 13h 🥐",),
    ("hours", "en"): ("Hi {first}! We open every day at 7am, until 1pm on Sundays 🥐",),
    ("delivery", "fr"): (
        "Bonjour {first}, nous livrons Paris et la petite couronne du mardi au dimanche 🚲",
    ),
    ("delivery", "en"): ("Hi {first}, we deliver across Paris and the inner suburbs, Tuesday to Sunday 🚲",),
    ("allergens", "fr"): (
        "Bonjour {first}, oui ! La liste des allergènes est disponible en boutique et sur notre site.",
    ),
    ("allergens", "en"): (
        "Hi {first}, yes! The full allergen list is available in store and on our website.",
    ),
    ("complaint", "fr"): (
        "Bonjour {first}, nous sommes vraiment désolés. Pouvez-vous nous écrire en privé avec votre numéro "
        "de commande ?",
        "Bonjour {first}, merci de nous l'avoir signalé. Nous revenons vers vous en message privé.",
    ),
    ("complaint", "en"): (
        "Hi {first}, we're really sorry about this. Could you send us your order number privately?",
        "Hi {first}, thank you for letting us know. We'll get back to you privately.",
    ),
    ("question", "fr"): ("Bonjour {first}, nous vous répondons en message privé 🙂",),
    ("question", "en"): ("Hi {first}, we've sent you a private message 🙂",),
    ("praise", "fr"): (
        "Merci {first} ! Toute l'équipe est ravie 😊",
        "Merci beaucoup {first}, à très vite !",
    ),
    ("praise", "en"): (
        "Thank you {first}! The whole team is delighted 😊",
        "Thanks so much {first}, see you soon!",
    ),
}

# --- Vocabulary for the placeholders ----------------------------------------------------------------------

# French needs the article (and its gender, and its elision) with the noun: (definite, indefinite).
PRODUCTS_FR = (
    ("le croissant", "un croissant"),
    ("le pain au chocolat", "un pain au chocolat"),
    ("la baguette tradition", "une baguette tradition"),
    ("le flan pâtissier", "un flan pâtissier"),
    ("l'éclair au café", "un éclair au café"),
    ("le kouign-amann", "un kouign-amann"),
    ("la tarte aux fraises", "une tarte aux fraises"),
    ("le chausson aux pommes", "un chausson aux pommes"),
    ("la brioche", "une brioche"),
    ("l'opéra", "un opéra"),
)
PRODUCTS_EN = (
    "croissant", "almond croissant", "pain au chocolat", "sourdough loaf", "lemon tart", "custard tart",
    "cinnamon roll", "baguette",
)  # fmt: skip
DAYS = {
    "fr": ("dimanche", "lundi", "le 1er mai", "le 15 août", "samedi", "le 25 décembre"),
    "en": ("on Sunday", "on Monday", "on Easter Monday", "on Christmas Eve", "this Saturday"),
}
PLACES = ("Montreuil", "Vincennes", "Bastille", "Boulogne", "Levallois", "Saint-Mandé", "Pantin")

FIRST_NAMES = {
    "fr": (
        "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Jade",
        "Lucas", "Hugo", "Théo", "Nathan", "Mathis", "Antoine", "Julien", "Karim", "Mehdi", "Yasmine",
        "Sofiane", "Amandine", "Thomas", "Nicolas", "Élodie", "Margaux", "Baptiste", "Clément", "Aurélie",
        "Fatou",
    ),
    "en": (
        "Emily", "Olivia", "Sophie", "Grace", "Hannah", "Megan", "Jack", "Oliver", "Harry", "James",
        "Ethan", "Liam", "Noah", "Ryan", "Daniel", "Chloe", "Jessica", "Amelia", "Ben", "Sam",
    ),
}  # fmt: skip
LAST_NAMES = {
    "fr": (
        "Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
        "Laurent", "Lefebvre", "Michel", "Garcia", "Bensaïd", "Nguyen", "Fontaine", "Chevalier", "Roux",
        "Girard", "Diallo", "Mercier",
    ),
    "en": (
        "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Johnson", "Walker", "Wright", "Robinson",
        "Thompson", "Hughes", "Clarke", "Patel", "O'Brien", "Murphy",
    ),
}  # fmt: skip
HANDLE_SUFFIXES = ("", "", "_", "92", "75", "_paris", "eats", "_foodie", "bakes", "93", "_lyon", "x")

# --- Bluesky: what people write over a post of the brand's they quote ------------------------------------

BLUESKY_QUOTES = {
    "fr": (
        "À tester absolument 👇",
        "Qui vient avec moi samedi ?",
        "Enfin ! On l'attendait depuis des semaines",
        "Je valide, la meilleure du quartier",
        "Quelqu'un a goûté ? Ça a l'air incroyable",
    ),
    "en": (
        "Must try 👇",
        "Who's coming with me on Saturday?",
        "Finally! Been waiting for this one",
        "Best bakery in the neighbourhood, no contest",
        "Has anyone tried it yet? Looks amazing",
    ),
}
