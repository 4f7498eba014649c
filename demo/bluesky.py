"""The demo's Bluesky: Demo Bakery's account on the Bluesky fake (XRPC, port 8105) and its Jetstream
(port 8106), a few days of history, then replies, mentions, quotes and a direct message now and then.

Kept apart from `demo.feeds` (its own random streams, seeded from the same seed and people), so adding it
changes nothing in the other networks' demo history. The channel is seeded with published tokens the fake
is told to accept (`DEMO_BLUESKY_TOKENS`), and "Connect Bluesky" works against the fake with the demo
handle and `DEMO_BLUESKY_APP_PASSWORD`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import regex

from demo import texts as t
from demo.content import DemoContent, Engagement, Kind, Person
from networks.fakes.bluesky import BlueskyFake

DEMO_BLUESKY_PORT = 8105
DEMO_JETSTREAM_PORT = 8106
DEMO_BLUESKY_DID = "did:plc:demobakerydemobakerydemo"
DEMO_BLUESKY_HANDLE = "demobakery.bsky.social"
DEMO_BLUESKY_APP_PASSWORD = "demo-bsky-app-pass"  # noqa: S105 - published on purpose: demo fakes only
#: Valid on the demo fake only; the access JWT's `exp` is far away, so the demo never has to renew it.
_FAR = 4_102_444_800  # 2100-01-01


def _demo_jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(claims)}.demo-signature"


DEMO_BLUESKY_TOKENS = {
    "access": _demo_jwt({"scope": "com.atproto.appPassPrivileged", "sub": DEMO_BLUESKY_DID, "exp": _FAR}),
    "refresh": _demo_jwt(
        {"scope": "com.atproto.refresh", "sub": DEMO_BLUESKY_DID, "jti": "demo", "exp": _FAR}
    ),
}
HISTORY = 12  # items over the seeded days
MAX_GRAPHEMES = 300
REMEMBERED = 40
# What one item is, by share: a reply under a brand post, a customer answering a reply, a mention, a
# quote of a brand post, a direct message.
KINDS, KIND_WEIGHTS = ("reply", "thread", "mention", "quote", "dm"), (45, 15, 22, 10, 8)
TICK_SIZES, TICK_WEIGHTS = (0, 1, 2), (50, 40, 10)
BRAND_ANSWERS = 0.3


class BlueskyFeed:
    """Writes the demo's Bluesky engagement on `fake` (its Jetstream, when attached, sees every post)."""

    def __init__(self, fake: BlueskyFake, *, brand_name: str, seed: int, session: str) -> None:
        self.fake = fake
        self.brand_name = brand_name
        self.seed = seed
        self.session = session
        self.content = DemoContent(seed, stream="bluesky/history")
        self.posts: list[tuple[str, dt.datetime]] = []  # the brand's post uris, oldest first
        self.threads: list[tuple[str, Engagement]] = []  # (uri, what it says) people may answer
        self._history_until: dt.datetime | None = None
        self._history_keys = 0

    # --- Entry points ----------------------------------------------------------------------------------

    def seed_accounts(self) -> None:
        self.fake.add_account(
            DEMO_BLUESKY_DID,
            DEMO_BLUESKY_HANDLE,
            display_name=self.brand_name,
            password=DEMO_BLUESKY_APP_PASSWORD,
            dms=True,
        )
        self.fake.issue_session(
            DEMO_BLUESKY_DID,
            access=DEMO_BLUESKY_TOKENS["access"],
            refresh=DEMO_BLUESKY_TOKENS["refresh"],
            lifetime=_FAR - int(dt.datetime.now(dt.UTC).timestamp()),
        )
        for person in self.content.people:
            self.fake.add_account(person_did(person), person_handle(person), display_name=person.name)

    def seed_history(self, *, now: dt.datetime, days: int) -> None:
        """The brand's posts over the last `days`, then engagement in time order (one of each kind)."""
        c = self.content
        self._history_until = now - dt.timedelta(minutes=1)
        try:
            for text, at in c.history_posts(now=now, days=days, network="bluesky"):
                post = self.fake.add_post(
                    DEMO_BLUESKY_DID, fit(text), at=at.isoformat(), langs=["fr"], rkey=self._key()
                )
                self.posts.append((post["uri"], at))
            start = self.posts[0][1] + dt.timedelta(minutes=10)
            moments = c.history_moments(start=start, now=now, count=HISTORY)
            for kind, at in zip(KINDS * (HISTORY // len(KINDS) + 1), moments, strict=False):
                self._write(kind, at)
        finally:
            self._history_until = None
        self.content = DemoContent(self.seed, stream=f"bluesky/live/{self.session}")

    def tick(self, now: dt.datetime) -> int:
        c = self.content
        size = c.rng.choices(TICK_SIZES, weights=TICK_WEIGHTS)[0]
        return sum(self._write(c.rng.choices(KINDS, weights=KIND_WEIGHTS)[0], now) for _ in range(size))

    # --- One item ----------------------------------------------------------------------------------------

    def _write(self, kind: str, at: dt.datetime) -> int:
        c, fake = self.content, self.fake
        when, key = at.isoformat(), self._key()
        if kind == "dm":
            message = c.direct_message()
            fake.add_dm(
                person_did(message.author), DEMO_BLUESKY_DID, fit(message.text), at=when, message_id=key
            )
            return 1
        if kind == "thread" and self.threads:
            uri, opener = c.rng.choice(self.threads)
            reply = c.reply(opener, mention="name")
            author = person_did(reply.author)
            fake.add_reply(author, uri, fit(reply.text), at=when, langs=_langs(reply), rkey=key)
            return 1
        post = c.post_before(self.posts, at)
        opener = c.comment()
        author, words = person_did(opener.author), fit(opener.text)
        if kind == "quote" and post is not None:
            language = opener.author.language
            quote = c.rng.choice(t.BLUESKY_QUOTES[language])
            fake.add_quote(author, post, quote, langs=[language], at=when, rkey=key)
            return 1
        if kind == "reply" and post is not None:
            written = fake.add_reply(author, post, words, at=when, langs=_langs(opener), rkey=key)
        else:
            written = fake.add_mention(
                author, DEMO_BLUESKY_DID, words, at=when, langs=_langs(opener), rkey=key
            )
        if opener.kind != Kind.SPAM:
            self.threads.append((written["uri"], opener))
            del self.threads[:-REMEMBERED]
        answered = self._brand_answers(opener, at)
        if answered:
            answer = fit(c.brand_reply(opener))
            fake.add_reply(
                DEMO_BLUESKY_DID, written["uri"], answer, at=answered.isoformat(), rkey=self._key()
            )
        return 1

    def _key(self) -> str:
        """Seeded history: the same record keys on every run (a restarted demo stores it once); live:
        "" (the fake draws one from the clock, above every seeded key)."""
        if self._history_until is None:
            return ""
        self._history_keys += 1
        return history_key(self.seed, self._history_keys)

    def _brand_answers(self, opener: Engagement, at: dt.datetime) -> dt.datetime | None:
        """Some seeded messages the brand had answered; never live ones (the product's job), never spam."""
        if self._history_until is None or opener.kind == Kind.SPAM:
            return None
        if self.content.rng.random() >= BRAND_ANSWERS:
            return None
        return min(at + dt.timedelta(minutes=self.content.rng.randrange(5, 180)), self._history_until)


def history_key(seed: int, number: int) -> str:
    """A TID (https://atproto.com/specs/tid) in 2024, fixed by the seed and the item's number."""
    micros = (1_704_067_200 + seed) * 1_000_000 + number
    value = micros << 10
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def person_did(person: Person) -> str:
    """A did:plc of 24 base32 characters, stable for the person."""
    digest = hashlib.sha256(f"demo-person-{person.number}".encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def person_handle(person: Person) -> str:
    return f"{person.handle.replace('_', '-').strip('-')}.bsky.social"


def fit(text: str) -> str:
    """`text` within a post's 300 graphemes, cut at a word (people shorten long messages)."""
    if len(regex.findall(r"\X", text)) <= MAX_GRAPHEMES:
        return text
    words = text.split(" ")
    while words and len(regex.findall(r"\X", " ".join(words))) > MAX_GRAPHEMES - 1:
        words.pop()
    return " ".join(words) + "…"


def _langs(message: Engagement) -> list[str] | None:
    return [message.language] if message.language else None
