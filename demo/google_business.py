"""The demo's Google Business Profile: Demo Bakery's two shops on the Google Business fake (port 8109),
reviews of every rating in French and English (some stars without words, one already answered in Google's
own dashboard), new reviews now and then, and one reviewer changing their mind after a while.

Kept apart from `demo.feeds` (its own random stream, from the same seed and people), so adding it changes
nothing in the other networks' demo history. The channel (the first shop) is seeded with published tokens
the fake is told to accept (`DEMO_GOOGLE_TOKENS`); "Connect Google Business Profile" goes through the
fake's Google consent page and offers both shops.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time

from demo.content import DemoContent
from networks.fakes.google_business import SCOPE, GoogleBusinessFake

DEMO_GOOGLE_BUSINESS_PORT = 8109
DEMO_GOOGLE_CLIENT_ID = "cmhub-demo.apps.googleusercontent.com"
DEMO_GOOGLE_CLIENT_SECRET = "demo-google-client-secret"  # noqa: S105 - published on purpose: demo only
DEMO_GOOGLE_EMAIL = "alice.admin@demo.test"
DEMO_GBP_ACCOUNT_ID = "104000000000000000001"
DEMO_GBP_LOCATIONS = {
    "4100000000000000001": "Demo Bakery - Croix-Rousse",
    "4100000000000000002": "Demo Bakery - Part-Dieu",
}
DEMO_GBP_LOCATION = f"accounts/{DEMO_GBP_ACCOUNT_ID}/locations/4100000000000000001"
DEMO_GBP_TITLE = DEMO_GBP_LOCATIONS["4100000000000000001"]
#: Valid on the demo fake only. The access token lasts an hour for CM Hub (it renews it with the refresh
#: token, as with Google), and for ever for the fake, so a restarted database still polls.
DEMO_GOOGLE_TOKENS = {
    "access": "ya29.demo-bakery-google-access-token",
    "refresh": "1//demo-bakery-google-refresh-token",
}
DEMO_GOOGLE_TOKEN_LIFETIME = dt.timedelta(hours=1)
#: Ticks (about 20 s each) before the demo's unhappy reviewer edits their review: long enough to answer it.
EDIT_AFTER_TICKS = 30
NEW_REVIEW_CHANCE = 0.3
WORDLESS_SHARE = 0.25
STAR_WEIGHTS = {5: 35, 4: 25, 3: 12, 2: 10, 1: 18}

# What people write with each rating, in each language ({product} is one of the bakery's).
REVIEWS: dict[int, dict[str, tuple[str, ...]]] = {
    5: {
        "fr": (
            "Les meilleurs croissants du quartier, et toujours un sourire.",
            "Baguette tradition parfaite, croustillante comme il faut. On revient chaque semaine.",
            "Accueil adorable, le flan est une tuerie 😍",
        ),
        "en": (
            "Best croissants in Lyon, hands down. Friendly staff too.",
            "Lovely little bakery, the sourdough is outstanding.",
        ),
    },
    4: {
        "fr": (
            "Très bon pain, un peu d'attente le dimanche matin.",
            "Bonnes viennoiseries, prix un peu élevés mais ça vaut le coup.",
        ),
        "en": ("Great pastries, a bit of a queue on weekends.", "Good bread, card payment only above 5 €."),
    },
    3: {
        "fr": (
            "Correct sans plus. Le pain au chocolat était un peu sec.",
            "Bien, mais plus de choix l'après-midi svp.",
        ),
        "en": ("Decent, nothing special. Ran out of baguettes by 6 pm.",),
    },
    2: {
        "fr": ("Longue attente et la vendeuse n'avait pas l'air ravie de nous voir.",),
        "en": ("Pricey for what it is, and the coffee was lukewarm.",),
    },
    1: {
        "fr": (
            "Commande de gâteau d'anniversaire oubliée. Personne pour s'excuser. Inadmissible.",
            "Pain rassis vendu comme du jour, je ne reviendrai pas.",
        ),
        "en": (
            "Found a hair in my quiche and they just shrugged. Never again.",
            "Ordered a cake for a birthday, it was not ready. Ruined the day.",
        ),
    },
}
# The seeded history: (days ago, stars, language, words or None for stars alone).
HISTORY: tuple[tuple[float, int, str, int | None], ...] = (
    (6.5, 5, "fr", 0),
    (5.8, 1, "fr", 0),  # answered in Google's dashboard (below)
    (5.1, 4, "en", 0),
    (4.2, 3, "fr", 1),
    (3.6, 5, "en", None),
    (2.9, 2, "fr", 0),  # the reviewer who changes their mind (EDIT_AFTER_TICKS)
    (2.0, 4, "fr", None),
    (1.1, 1, "en", 0),
    (0.4, 5, "fr", 2),
)
DASHBOARD_ANSWERED = 1
EDITED = 5
DASHBOARD_REPLY = (
    "Bonjour, nous sommes sincèrement désolés pour ce gâteau oublié. Passez nous voir ou appelez la "
    "boutique : nous voulons nous rattraper."
)
EDITED_WORDS = {
    "fr": "Je suis revenue et l'équipe s'est excusée, service bien plus agréable. Je remonte ma note !",
    "en": "Came back and the team apologised, much friendlier this time. Raising my rating!",
}


class GoogleBusinessFeed:
    """Writes the demo's Google reviews on `fake`."""

    def __init__(self, fake: GoogleBusinessFake, *, seed: int, session: str) -> None:
        self.fake = fake
        self.seed = seed
        self.session = session
        self.content = DemoContent(seed, stream="google_business/history")
        self.ticks = 0
        self.to_edit: tuple[str, str] | None = None  # (review name, language)

    def seed_accounts(self) -> None:
        fake = self.fake
        fake.add_account(DEMO_GBP_ACCOUNT_ID, "Demo Bakery")
        for location_id, title in DEMO_GBP_LOCATIONS.items():
            fake.add_location(DEMO_GBP_ACCOUNT_ID, location_id, title)
        far = time.time() + 100 * 365 * 24 * 3600
        with fake.lock:
            grant = {"scopes": (SCOPE,), "subject": DEMO_GOOGLE_EMAIL}
            fake.google_access_tokens[DEMO_GOOGLE_TOKENS["access"]] = {**grant, "expires": far}
            fake.google_refresh_tokens[DEMO_GOOGLE_TOKENS["refresh"]] = grant

    def seed_history(self, *, now: dt.datetime) -> None:
        c = self.content
        for number, (days, stars, language, words) in enumerate(HISTORY):
            author = c.person(language)
            at = now - dt.timedelta(days=days, minutes=c.rng.randrange(60))
            name = self.fake.add_review(
                DEMO_GBP_LOCATION,
                stars=stars,
                comment=""
                if words is None
                else REVIEWS[stars][language][words % len(REVIEWS[stars][language])],
                reviewer=author.name,
                photo="",  # no picture to fetch from Google: the demo runs offline
                at=at.isoformat(),
                review_id=history_id(self.seed, number),
            )
            if number == DASHBOARD_ANSWERED:
                self.fake.dashboard_reply(name, DASHBOARD_REPLY)
            if number == EDITED:
                self.to_edit = (name, language)
        self.content = DemoContent(self.seed, stream=f"google_business/live/{self.session}")

    def tick(self, now: dt.datetime) -> int:
        """Sometimes a new review; once, after a while, the unhappy reviewer's edit (not counted: an edit
        is no new message)."""
        self.ticks += 1
        if self.to_edit and self.ticks >= EDIT_AFTER_TICKS:
            name, language = self.to_edit
            self.fake.edit_review(name, comment=EDITED_WORDS[language], stars=4)
            self.to_edit = None
        c = self.content
        # The first tick always brings one: someone watching the demo sees a review arrive within a minute.
        if self.ticks > 1 and c.rng.random() >= NEW_REVIEW_CHANCE:
            return 0
        stars = c.rng.choices(list(STAR_WEIGHTS), weights=list(STAR_WEIGHTS.values()))[0]
        language = c.language()
        author = c.person(language)
        words = "" if c.rng.random() < WORDLESS_SHARE else c.rng.choice(REVIEWS[stars][language])
        self.fake.add_review(
            DEMO_GBP_LOCATION,
            stars=stars,
            comment=words,
            reviewer=author.name,
            photo="",
            at=now.isoformat(),
        )
        return 1


def history_id(seed: int, number: int) -> str:
    """A seeded review's id: the same on every run, so a restarted demo stores its history once."""
    digest = hashlib.sha256(f"demo-google-review/{seed}/{number}".encode()).digest()
    return "AbFvOq" + base64.urlsafe_b64encode(digest).decode().rstrip("=").replace("-", "x").replace(
        "_", "y"
    )
