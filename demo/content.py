"""Deterministic, realistic inbound engagement for the demo bakery: who writes, and what.

`DemoContent(seed)` draws everything from its own `random.Random`, so one seed always gives the same
people and the same messages (tests and reproducible demos). About 60% of worded messages are French and
40% English; the kinds run from questions, complaints and praise to slang, spam, emoji-only and long
multi-sentence messages, plus customers answering each other in threads. Plain Python, no Django.

    content = DemoContent(seed=7)
    first = content.comment()                        # someone writes under a post, or mentions the brand
    answer = content.reply(first, mention="handle")  # someone else answers them in the thread
    dm = content.direct_message()
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from demo import texts as t

FRENCH_SHARE = 0.6
POOL_SIZE = 60  # regulars: the same people come back, as they do on a brand's page
SPAM_REPEAT = 0.4  # bots paste the same text everywhere: how often a spam is the previous one again


class Kind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    SLANG = "slang"
    SPAM = "spam"
    EMOJI = "emoji"
    LONG = "long"
    REPLY = "reply"


# Relative weights of top-level messages and of direct messages (nobody DMs an emoji to ask nothing).
COMMENT_WEIGHTS = {
    Kind.QUESTION: 30,
    Kind.COMPLAINT: 13,
    Kind.PRAISE: 22,
    Kind.SLANG: 10,
    Kind.SPAM: 9,
    Kind.EMOJI: 7,
    Kind.LONG: 9,
}
DM_WEIGHTS = {Kind.QUESTION: 50, Kind.COMPLAINT: 25, Kind.PRAISE: 8, Kind.LONG: 14, Kind.SPAM: 3}

# Kinds whose texts are grouped by topic (so that answers fit), and kinds with one topic for all texts.
_BY_TOPIC: dict[Kind, dict[str, dict[str, tuple[str, ...]]]] = {Kind.QUESTION: t.QUESTIONS, Kind.LONG: t.LONG}
_PLAIN: dict[Kind, tuple[str, dict[str, tuple[str, ...]]]] = {
    Kind.COMPLAINT: ("complaint", t.COMPLAINTS),
    Kind.PRAISE: ("praise", t.PRAISE),
    Kind.SLANG: ("praise", t.SLANG),
}


def base_texts() -> set[str]:
    """Every distinct template the public's messages are drawn from (before placeholders are filled)."""
    groups = [
        g for table in _BY_TOPIC.values() for by_language in table.values() for g in by_language.values()
    ]
    groups += [g for _topic, by_language in _PLAIN.values() for g in by_language.values()]
    groups += [*t.SPAM.values(), t.EMOJI_ONLY, *t.REPLIES.values()]
    return {text for group in groups for text in group}


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    handle: str  # usable on every network: lower-case ASCII letters, digits and "_", at most 15 characters
    language: str  # "fr" or "en": what they write in most of the time
    number: int  # stable and unique in the pool; networks derive their account ids from it

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Engagement:
    text: str
    kind: Kind
    language: str  # "fr", "en", or "" when there are no words (emoji only)
    author: Person
    # What it is about: a question's subject ("hours", "delivery", "allergens"...), "complaint", "praise",
    # "spam"; for a reply, the topic of the message it answers.
    topic: str = ""


class DemoContent:
    def __init__(self, seed: int = 0, *, stream: str = "") -> None:
        """`seed` fixes the people; `stream` varies the messages they write (the same regulars can write
        new things in each demo session). Same seed and stream: same output."""
        self.people = _people(random.Random(seed))
        self.rng = random.Random(f"{seed}/{stream}")
        self._last_spam = ""

    # --- Who -------------------------------------------------------------------------------------------

    def person(self, language: str | None = None) -> Person:
        candidates = [p for p in self.people if language in (None, p.language)]
        return self.rng.choice(candidates)

    def other_person(self, than: Person) -> Person:
        return self.rng.choice([p for p in self.people if p != than])

    def language(self) -> str:
        return "fr" if self.rng.random() < FRENCH_SHARE else "en"

    # --- What the public writes ------------------------------------------------------------------------

    def comment(self, author: Person | None = None) -> Engagement:
        """A top-level message in public: a comment under a post, a mention, a post on a page."""
        return self._message(COMMENT_WEIGHTS, author)

    def direct_message(self, author: Person | None = None) -> Engagement:
        return self._message(DM_WEIGHTS, author)

    def reply(self, parent: Engagement, *, mention: str = "name") -> Engagement:
        """Another customer answering `parent` in its thread. `mention` is how they address its author:
        "name" (Facebook, LinkedIn: the first name) or "handle" (Instagram, X: @handle)."""
        # Threads mostly stay in the language they started in.
        language = parent.language if parent.language and self.rng.random() < 0.85 else self.language()
        author = self.other_person(parent.author)
        address = f"@{parent.author.handle}" if mention == "handle" else parent.author.first_name
        key = _answer_key(t.REPLIES, parent, language)
        text = self._fill(self.rng.choice(t.REPLIES[(key, language)]), language, mention=address)
        return Engagement(text, Kind.REPLY, language, author, topic=parent.topic)

    # --- What the brand writes -------------------------------------------------------------------------

    def brand_reply(self, parent: Engagement) -> str:
        """The brand answering `parent` in its language (seeded history only: live answers are the
        product's job)."""
        language = parent.language or "fr"
        key = _answer_key(t.BRAND_REPLIES, parent, language)
        template = self.rng.choice(t.BRAND_REPLIES[(key, language)])
        return self._fill(template, language, first=parent.author.first_name)

    def brand_posts(self, count: int, *, network: str = "") -> list[str]:
        pool = list(t.LINKEDIN_POSTS if network == "linkedin" else t.BRAND_POSTS)
        self.rng.shuffle(pool)
        return pool[:count]

    # --- When (the seeded history of the feeds kept apart from demo.feeds: Bluesky, Threads) ------------

    def history_posts(self, *, now: dt.datetime, days: int, network: str) -> list[tuple[str, dt.datetime]]:
        """Three brand posts over the last `days` (the oldest near the start), each with its time."""
        ages = [dt.timedelta(hours=days * 24 * share) for share in (0.9, 0.5, 0.2)]
        return [
            (text, now - age - dt.timedelta(minutes=self.rng.randrange(60)))
            for age, text in zip(ages, self.brand_posts(len(ages), network=network), strict=True)
        ]

    def history_moments(self, *, start: dt.datetime, now: dt.datetime, count: int) -> list[dt.datetime]:
        """`count` times between `start` and two minutes ago, in order."""
        span = (now - dt.timedelta(minutes=2) - start).total_seconds()
        return sorted(start + dt.timedelta(seconds=int(span * self.rng.random())) for _ in range(count))

    def post_before[P](self, posts: list[tuple[P, dt.datetime]], at: dt.datetime) -> P | None:
        """One of `posts` published before `at`, the recent ones likelier; None before the first."""
        earlier = [post for post, created in posts if created < at]
        if not earlier:
            return None
        return self.rng.choices(earlier, weights=range(1, len(earlier) + 1))[0]

    # --- Internals -------------------------------------------------------------------------------------

    def _message(self, weights: dict[Kind, int], author: Person | None) -> Engagement:
        kind = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        if kind == Kind.EMOJI:
            return Engagement(self.rng.choice(t.EMOJI_ONLY), kind, "", author or self.person(), "praise")
        if kind == Kind.SPAM:
            return self._spam()
        # People mostly write in their own language; bilingual Paris means not always.
        author = author or self.person()
        language = author.language if self.rng.random() < 0.85 else self.language()
        if kind in _BY_TOPIC:
            table = _BY_TOPIC[kind]
            topic = self.rng.choice(sorted(k for k, by_language in table.items() if language in by_language))
            texts = table[topic][language]
        else:
            topic, by_language = _PLAIN[kind]
            texts = by_language[language]
        return Engagement(self._fill(self.rng.choice(texts), language), kind, language, author, topic)

    def _spam(self) -> Engagement:
        # Spam comes from throwaway accounts, not from the regulars, and is mostly English.
        language = "fr" if self.rng.random() < 0.3 else "en"
        if self._last_spam and self.rng.random() < SPAM_REPEAT:
            text = self._last_spam
        else:
            text = self.rng.choice(t.SPAM[language])
        self._last_spam = text
        handle = self.rng.choice(("promo", "crypto", "followers", "gains", "deals")) + str(
            self.rng.randrange(1000, 99999)
        )
        # Numbers above the regulars' range: a bot never shares an account id with a regular.
        bot = Person("Promo", "Bot", handle[:15], language, 1_000_000_000 + self.rng.randrange(99_999_999))
        return Engagement(text, Kind.SPAM, "en" if text in t.SPAM["en"] else "fr", bot, "spam")

    def _fill(self, template: str, language: str, **given: str) -> str:
        if language == "fr":
            the_product, a_product = self.rng.choice(t.PRODUCTS_FR)
            product = a_product.split(" ", 1)[1]
        else:
            product = self.rng.choice(t.PRODUCTS_EN)
            the_product, a_product = f"the {product}", f"{'an' if product[0] in 'aeiou' else 'a'} {product}"
        values = {
            "product": product,
            "the_product": the_product,
            "a_product": a_product,
            "day": self.rng.choice(t.DAYS[language]),
            "place": self.rng.choice(t.PLACES),
            "order": f"#{self.rng.randrange(10_000, 99_999)}",
            "n": str(self.rng.choice((8, 10, 12, 15, 20, 30))),
            **given,
        }
        return template.format(**values)


def _answer_key(table: dict[tuple[str, str], tuple[str, ...]], parent: Engagement, language: str) -> str:
    """Which group of answers in `table` fits `parent`: its own topic when the table has one, else a
    generic answer to a question, else agreement."""
    if (parent.topic, language) in table:
        return parent.topic
    return "question" if parent.kind in (Kind.QUESTION, Kind.LONG) else "praise"


def _people(rng: random.Random) -> tuple[Person, ...]:
    people: list[Person] = []
    handles: set[str] = set()
    numbers = rng.sample(range(100_000_000, 1_000_000_000), POOL_SIZE)
    for number in numbers:
        language = "fr" if rng.random() < FRENCH_SHARE else "en"
        first, last = rng.choice(t.FIRST_NAMES[language]), rng.choice(t.LAST_NAMES[language])
        handle = _handle(rng, first, last)
        while handle in handles:
            handle = f"{handle[:12]}{rng.randrange(10, 99)}"
        handles.add(handle)
        people.append(Person(first, last, handle, language, number))
    return tuple(people)


def _handle(rng: random.Random, first: str, last: str) -> str:
    """`camille_mrtn`, `hugo.p`-like handles, folded to what every network accepts."""
    first, last = _ascii(first), _ascii(last)
    shape = rng.randrange(4)
    if shape == 0:
        base = f"{first}_{last}"
    elif shape == 1:
        base = f"{first}{last[0]}"
    elif shape == 2:
        base = f"{first}_{last[:4]}"
    else:
        base = f"{last}{first[0]}"
    suffixed = base + rng.choice(t.HANDLE_SUFFIXES)
    return (suffixed if len(suffixed) <= 15 else base[:15]).rstrip("_") or "someone"


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())
