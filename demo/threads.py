"""The demo's Threads: Demo Bakery's profile on the Threads fake (port 8108), a few days of history, then
replies to its posts, answers to those replies and mentions now and then, in French and English.

Kept apart from `demo.feeds` (its own random streams, from the same seed and people), so adding it changes
nothing in the other networks' demo history. The channel is seeded with a published long-lived token the
fake accepts; "Reconnect" goes through the fake's consent page with the demo app below. With a webhook
address, every reply and mention is also pushed, signed as Meta signs Threads webhooks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
import unicodedata

from demo.content import DemoContent, Engagement, Kind, Person
from networks.fakes.threads import ThreadsFake
from networks.fakes.threads_state import ALL_SCOPES, counted_length

DEMO_THREADS_PORT = 8108
DEMO_THREADS_USER_ID = "17841400000000001"
DEMO_THREADS_USERNAME = "demobakery"
DEMO_THREADS_CLIENT_ID = "demo-threads-app-id"
DEMO_THREADS_CLIENT_SECRET = "demo-threads-app-secret"  # noqa: S105 - published on purpose: demo only
DEMO_THREADS_TOKEN = "THAADemoBakeryThreadsLongLivedToken"  # noqa: S105 - published on purpose: demo only
DEMO_THREADS_SCOPES = ALL_SCOPES
#: Seeded ids start here on every run (the history comes back with the same ids); live ones above a floor
#: that grows with the clock.
_LIVE_IDS = 2 * 10**17
HISTORY = 12
MAX_CHARS = 500
KINDS, KIND_WEIGHTS = ("reply", "thread", "mention"), (55, 25, 20)
TICK_SIZES, TICK_WEIGHTS = (0, 1, 2), (50, 40, 10)
BRAND_ANSWERS = 0.3
REMEMBERED = 40


class ThreadsFeed:
    """Writes the demo's Threads engagement on `fake`."""

    def __init__(self, fake: ThreadsFake, *, brand_name: str, seed: int, session: str) -> None:
        self.fake = fake
        self.brand_name = brand_name
        self.seed = seed
        self.session = session
        self.content = DemoContent(seed, stream="threads/history")
        self.people: dict[int, str] = {}  # person number -> Threads user id
        self.posts: list[tuple[str, dt.datetime]] = []
        self.threads: list[tuple[str, Engagement]] = []
        self._history_until: dt.datetime | None = None

    def seed_accounts(self) -> None:
        fake = self.fake
        fake.world._ids = itertools.count(int(DEMO_THREADS_USER_ID))
        brand = fake.add_user(DEMO_THREADS_USERNAME, self.brand_name)
        assert brand == DEMO_THREADS_USER_ID
        fake.sign_in(brand)  # who "clicks Allow" on the consent page
        fake.issue_token(brand, value=DEMO_THREADS_TOKEN, lifetime=dt.timedelta(days=365))
        for person in self.content.people:
            self.people[person.number] = fake.add_user(username(person), person.name)

    def seed_history(self, *, now: dt.datetime, days: int) -> None:
        c = self.content
        self._history_until = now - dt.timedelta(minutes=1)
        try:
            for text, at in c.history_posts(now=now, days=days, network="threads"):
                self.posts.append((self.fake.add_post(DEMO_THREADS_USER_ID, fit(text), at=at), at))
            start = self.posts[0][1] + dt.timedelta(minutes=10)
            moments = c.history_moments(start=start, now=now, count=HISTORY)
            for kind, at in zip(KINDS * (HISTORY // len(KINDS) + 1), moments, strict=False):
                self._write(kind, at)
        finally:
            self._history_until = None
        self.fake.world._ids = itertools.count(_LIVE_IDS + time.time_ns() // 100)
        self.content = DemoContent(self.seed, stream=f"threads/live/{self.session}")

    def tick(self, now: dt.datetime) -> int:
        c = self.content
        size = c.rng.choices(TICK_SIZES, weights=TICK_WEIGHTS)[0]
        return sum(self._write(c.rng.choices(KINDS, weights=KIND_WEIGHTS)[0], now) for _ in range(size))

    def _write(self, kind: str, at: dt.datetime) -> int:
        c, fake = self.content, self.fake
        if kind == "thread" and self.threads:
            parent, opener = c.rng.choice(self.threads)
            reply = c.reply(opener, mention="name")
            fake.add_reply(parent, self._user(reply.author), fit(reply.text), at=at)
            return 1
        opener = c.comment()
        post = c.post_before(self.posts, at)
        if kind == "reply" and post is not None:
            written = fake.add_reply(post, self._user(opener.author), fit(opener.text), at=at)
            if opener.kind != Kind.SPAM:
                # People answer one another under the brand's posts (a reply elsewhere is not the brand's).
                self.threads.append((written, opener))
                del self.threads[:-REMEMBERED]
        else:
            words = fit(f"@{DEMO_THREADS_USERNAME} {opener.text}")
            written = fake.add_post(self._user(opener.author), words, at=at)
        if self._history_until is not None and opener.kind != Kind.SPAM and c.rng.random() < BRAND_ANSWERS:
            answered = min(at + dt.timedelta(minutes=c.rng.randrange(5, 180)), self._history_until)
            fake.add_reply(written, DEMO_THREADS_USER_ID, fit(c.brand_reply(opener)), at=answered)
        return 1

    def _user(self, person: Person) -> str:
        found = self.people.get(person.number)
        if found is None:  # a spam bot, made up on the spot
            found = self.people[person.number] = self.fake.add_user(username(person), person.name)
        return found


def username(person: Person) -> str:
    """An Instagram-style username (Threads profiles are Instagram accounts): letters, digits, _ and ."""
    name = unicodedata.normalize("NFKD", person.handle.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9._]", "", name)[:30] or f"ami{person.number}"


def fit(text: str) -> str:
    """`text` within Threads' 500 (an emoji counted as its bytes), cut at a word."""
    if counted_length(text) <= MAX_CHARS:
        return text
    words = text.split(" ")
    while words and counted_length(" ".join(words)) > MAX_CHARS - 1:
        words.pop()
    return " ".join(words) + "…"
