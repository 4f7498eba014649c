"""Where the demo's public writes, network by network: comments under the brand's posts, customers
answering each other in threads, X mentions and DMs, Instagram comments, DMs and tags, Messenger DMs,
LinkedIn comments and posts mentioning the page, Mastodon mentions (some behind a content warning), replies
in threads and direct messages, from people on the demo instance and on another server.

`Feeds` writes through the fakes' seeding methods, each item at a given time: `seed_history` walks the
last days in time order (and lets the brand answer some messages, as it did before the product was
connected); `tick` adds a small batch now. What is written comes from a `DemoContent`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from demo.content import DemoContent, Engagement, Kind, Person
from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import graph_time
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.mastodon import MastodonFake
from networks.fakes.x import XFake
from networks.fakes.x_text import weighted_length as x_weighted_length

NETWORKS = ("facebook", "instagram", "x", "linkedin", "mastodon")
#: Networks that draw from their own content (their own random sequence): adding one leaves what the others
#: write, for a given seed, as it was.
OWN_CONTENT = ("mastodon",)
# How many items of each network's history, spread over the last days.
HISTORY = {"facebook": 22, "instagram": 16, "x": 14, "linkedin": 10, "mastodon": 12}
# Items per network and tick: mostly none or one, sometimes a small burst.
TICK_SIZES, TICK_WEIGHTS = (0, 1, 2, 3), (45, 35, 15, 5)
BRAND_ANSWERS = 0.3  # share of seeded top-level messages the brand had answered
REMEMBERED_THREADS = 40  # recent top-level messages that customers may answer
X_MAX = 280
MASTODON_MAX = 500
# A content warning on some complaints, in the writer's language, as people on Mastodon put them.
CONTENT_WARNINGS = {"fr": "avis négatif", "en": "negative review"}


@dataclass(frozen=True, slots=True)
class DemoBrand:
    name: str
    facebook_page_id: str
    instagram_user_id: str
    instagram_username: str
    x_user_id: str
    x_username: str
    linkedin_org_urn: str
    mastodon_account_id: str = ""
    mastodon_username: str = ""


@dataclass(frozen=True, slots=True)
class _Thread:
    root: str  # the top-level item's id: comment id, tweet id or comment URN
    post: str  # the post it sits under (X: the tweet itself)
    opener: Engagement


class Feeds:
    def __init__(
        self,
        brand: DemoBrand,
        graph: GraphFake,
        x: XFake,
        linkedin: LinkedInFake,
        mastodon: MastodonFake | None = None,
    ) -> None:
        self.brand = brand
        self.graph, self.x, self.linkedin = graph, x, linkedin
        self.mastodon = mastodon
        self.mastodon_remote_domain = "fedi.example"
        self._mastodon_users: set[str] = set()
        self._mastodon_dm_people: list[Person] = []
        self.content = DemoContent()
        self.own_content: dict[str, DemoContent] = {n: DemoContent(stream=n) for n in OWN_CONTENT}
        self.posts: dict[str, list[tuple[str, dt.datetime]]] = {n: [] for n in NETWORKS}
        self.threads: dict[str, list[_Thread]] = {n: [] for n in NETWORKS}
        self.dm_people: list[Person] = []
        self._x_users: set[str] = set()
        self._history_until: dt.datetime | None = None  # set while seeding history
        self._dm_serial = 0

    # --- Entry points ----------------------------------------------------------------------------------

    def seed_history(
        self,
        content: DemoContent,
        *,
        now: dt.datetime,
        days: int,
        own_content: dict[str, DemoContent] | None = None,
    ) -> None:
        self.content = content
        self.own_content.update(own_content or {})
        self._history_until = now - dt.timedelta(minutes=1)
        try:
            shared = [n for n in self._networks() if n not in OWN_CONTENT]
            start = self._seed_posts(now, days, shared) + dt.timedelta(minutes=10)
            # One of each kind a chance draw might leave out, so every demo inbox shows them all.
            self._visitor_post(now - dt.timedelta(hours=5))
            self._instagram_tag(now - dt.timedelta(hours=4))
            self._instagram_dm(now - dt.timedelta(hours=3))
            self._x_dm(now - dt.timedelta(hours=3))
            self._linkedin_mention(now - dt.timedelta(hours=2))
            for network in shared:
                self._seed_network(network, start, now)
            for network in (n for n in self._networks() if n in OWN_CONTENT):
                with self._drawing_for(network):
                    own_start = self._seed_posts(now, days, [network]) + dt.timedelta(minutes=10)
                    self._mastodon_dm(now - dt.timedelta(hours=3))
                    self._seed_network(network, min(start, own_start), now)
        finally:
            self._history_until = None

    def _seed_network(self, network: str, start: dt.datetime, now: dt.datetime) -> None:
        span = (now - dt.timedelta(minutes=2) - start).total_seconds()
        moments = sorted(
            start + dt.timedelta(seconds=int(span * self.content.rng.random()))
            for _ in range(HISTORY[network])
        )
        for at in moments:
            self._write(network, at)

    @contextlib.contextmanager
    def _drawing_for(self, network: str) -> Iterator[None]:
        """While `network` writes, every draw comes from its own content (OWN_CONTENT)."""
        if network not in OWN_CONTENT:
            yield
            return
        shared, self.content = self.content, self.own_content[network]
        try:
            yield
        finally:
            self.content = shared

    def _networks(self) -> tuple[str, ...]:
        return NETWORKS if self.mastodon is not None else tuple(n for n in NETWORKS if n != "mastodon")

    def tick(self, now: dt.datetime) -> dict[str, int]:
        counts = {}
        for network in self._networks():
            with self._drawing_for(network):
                size = self.content.rng.choices(TICK_SIZES, weights=TICK_WEIGHTS)[0]
                counts[network] = sum(self._write(network, now) for _ in range(size))
        return counts

    def _write(self, network: str, at: dt.datetime) -> int:
        writers = {
            "facebook": self._facebook,
            "instagram": self._instagram,
            "x": self._x,
            "linkedin": self._linkedin,
            "mastodon": self._mastodon,
        }
        return writers[network](at)

    # --- Brand posts -----------------------------------------------------------------------------------

    def _seed_posts(self, now: dt.datetime, days: int, networks: list[str]) -> dt.datetime:
        """Four posts per network over the last `days`, oldest first; returns the oldest post's time."""
        c, brand = self.content, self.brand
        ages = [dt.timedelta(hours=days * 24 * share) for share in (0.95, 0.6, 0.3, 0.08)]
        oldest = now
        for network in networks:
            for age, text in zip(ages, c.brand_posts(len(ages), network=network), strict=True):
                created = now - age - dt.timedelta(minutes=c.rng.randrange(60))
                oldest = min(oldest, created)
                if network == "facebook":
                    with self.graph.lock:
                        post_id = self.graph.add_post(brand.facebook_page_id, text, created_time=created).id
                elif network == "instagram":
                    with self.graph.lock:
                        post_id = self.graph.add_media(brand.instagram_user_id, text, created_time=created).id
                elif network == "x":
                    post_id = self.x.add_tweet(brand.x_user_id, text, created_at=_x_time(created))
                elif network == "mastodon" and self.mastodon is not None:
                    post_id = self.mastodon.create_status(
                        brand.mastodon_account_id, _clip(text, MASTODON_MAX), created_at=created
                    )
                else:
                    post_id = self.linkedin.add_post(brand.linkedin_org_urn, text, created_ms=_ms(created))
                self.posts[network].append((post_id, created))
        return oldest

    def _post_for(self, network: str, at: dt.datetime) -> str | None:
        """A post published before `at`, recent ones more often (that is where people comment)."""
        posts = [post for post, created in self.posts[network] if created < at]
        if not posts:
            return None
        return self.content.rng.choices(posts, weights=range(1, len(posts) + 1))[0]

    # --- One item per call, per network ----------------------------------------------------------------

    def _facebook(self, at: dt.datetime) -> int:
        c, page_id = self.content, self.brand.facebook_page_id
        roll = c.rng.random()
        if roll < 0.25:
            return self._messenger(at)
        if roll < 0.28:
            return self._visitor_post(at)
        if roll < 0.32 and self._history_until is None and self.threads["facebook"]:
            # Someone rewrites their comment: the poll's re-read shows it edited, the old words kept.
            thread = c.rng.choice(self.threads["facebook"])
            with self.graph.lock:
                self.graph.edit_comment(thread.root, c.comment().text, at)
            return 0
        if roll < 0.45 and self.threads["facebook"]:
            thread = c.rng.choice(self.threads["facebook"])
            reply = c.reply(thread.opener, mention="name")
            with self.graph.lock:
                self.graph.add_comment(
                    thread.post, reply.text, at, author=_facebook_author(reply.author), parent_id=thread.root
                )
            return 1
        post = self._post_for("facebook", at)
        if post is None:
            return 0
        opener = c.comment()
        with self.graph.lock:
            comment = self.graph.add_comment(post, opener.text, at, author=_facebook_author(opener.author))
            answered_at = self._brand_answers(opener, at)
            if answered_at:
                page = {"id": page_id, "name": self.brand.name}
                self.graph.add_comment(post, c.brand_reply(opener), answered_at, page, parent_id=comment.id)
        self._remember("facebook", _Thread(comment.id, post, opener))
        return 1

    def _visitor_post(self, at: dt.datetime) -> int:
        """Someone writes on the Page itself (Facebook visitor posts): a thread of its own."""
        opener = self.content.comment()
        with self.graph.lock:
            self.graph.add_visitor_post(
                self.brand.facebook_page_id, opener.text, at, author=_facebook_author(opener.author)
            )
        return 1

    def _messenger(self, at: dt.datetime) -> int:
        c = self.content
        returning = bool(self.dm_people) and c.rng.random() < 0.4
        person = c.rng.choice(self.dm_people) if returning else c.person()
        message = c.direct_message(person)
        user = {"id": _facebook_id(message.author), "name": message.author.name}
        raw = None
        if self._history_until:
            # The fake draws message ids at random; history must be the same messages on every run.
            self._dm_serial += 1
            page = {"id": self.brand.facebook_page_id, "name": self.brand.name}
            raw = {
                "id": f"m_demo{self._dm_serial:06d}",
                "message": message.text,
                "created_time": graph_time(at),
                "from": user,
                "to": {"data": [page]},
            }
        with self.graph.lock:
            self.graph.add_conversation_message(
                self.brand.facebook_page_id, user, message.text, created_time=at, raw=raw
            )
        if message.author not in self.dm_people and message.kind != Kind.SPAM:
            self.dm_people.append(message.author)
        return 1

    def _instagram(self, at: dt.datetime) -> int:
        c, brand = self.content, self.brand
        roll = c.rng.random()
        if roll < 0.2:
            return self._instagram_dm(at)
        if roll < 0.3:
            return self._instagram_tag(at)
        if c.rng.random() < 0.3 and self.threads["instagram"]:
            thread = c.rng.choice(self.threads["instagram"])
            reply = c.reply(thread.opener, mention="handle")
            with self.graph.lock:
                self.graph.add_ig_comment(
                    thread.post,
                    reply.text,
                    at,
                    username=reply.author.handle,
                    from_id=_instagram_id(reply.author),
                    parent_id=thread.root,
                )
            return 1
        media = self._post_for("instagram", at)
        if media is None:
            return 0
        opener = c.comment()
        with self.graph.lock:
            comment = self.graph.add_ig_comment(
                media, opener.text, at, username=opener.author.handle, from_id=_instagram_id(opener.author)
            )
            answered_at = self._brand_answers(opener, at)
            if answered_at:
                self.graph.add_ig_comment(
                    media,
                    f"@{opener.author.handle} {c.brand_reply(opener)}",
                    answered_at,
                    username=brand.instagram_username,
                    from_id=brand.instagram_user_id,
                    parent_id=comment.id,
                )
        self._remember("instagram", _Thread(comment.id, media, opener))
        return 1

    def _instagram_dm(self, at: dt.datetime) -> int:
        person = self._dm_person()
        message = self.content.direct_message(person)
        user = {"id": _instagram_id(message.author), "username": message.author.handle}
        with self.graph.lock:
            self.graph.add_ig_message(self.brand.instagram_user_id, user, message.text, created_time=at)
        self._keep_dm_person(message)
        return 1

    def _linkedin_mention(self, at: dt.datetime) -> int:
        """A member's own post naming the page: LinkedIn notifies the page (SHARE_MENTION)."""
        opener = self.content.comment()
        text = f"{opener.text} @{self.brand.name}"
        self.linkedin.add_mention_post(
            self.brand.linkedin_org_urn, _linkedin_urn(opener.author), text, created_ms=_ms(at)
        )
        return 1

    def _instagram_tag(self, at: dt.datetime) -> int:
        """Someone's own photo that tags the brand (and names it in the caption)."""
        opener = self.content.comment()
        caption = f"{opener.text} @{self.brand.instagram_username}"
        with self.graph.lock:
            self.graph.add_ig_tag(
                self.brand.instagram_user_id, caption, username=opener.author.handle, created_time=at
            )
        return 1

    def _x_dm(self, at: dt.datetime) -> int:
        person = self._dm_person()
        message = self.content.direct_message(person)
        sender = self._x_user(message.author)
        self.x.add_dm(sender, self.brand.x_user_id, message.text, created_at=_x_time(at))
        self._keep_dm_person(message)
        return 1

    def _dm_person(self) -> Person:
        c = self.content
        return c.rng.choice(self.dm_people) if self.dm_people and c.rng.random() < 0.4 else c.person()

    def _keep_dm_person(self, message: Engagement) -> None:
        if message.author not in self.dm_people and message.kind != Kind.SPAM:
            self.dm_people.append(message.author)

    def _x(self, at: dt.datetime) -> int:
        c, brand = self.content, self.brand
        roll = c.rng.random()
        if roll < 0.15:
            return self._x_dm(at)
        if roll > 0.96 and self._history_until is None and self.threads["x"]:
            # Someone edits their post: X publishes a new version naming the one it replaces.
            thread = c.rng.choice(self.threads["x"])
            text = _clip(f"@{brand.x_username} {c.comment().text}", X_MAX)
            self.x.edit_tweet(thread.root, text, created_at=_x_time(at))
            return 1  # the edit is a new post on X (its id names the one it replaces)
        if roll < 0.3 and self.threads["x"]:
            # A customer answering another one: X puts both handles in front of the reply.
            thread = c.rng.choice(self.threads["x"])
            reply = c.reply(thread.opener, mention="handle")
            text = _clip(f"@{brand.x_username} {reply.text}", X_MAX)
            self.x.add_mention(
                brand.x_user_id,
                self._x_user(reply.author),
                text,
                in_reply_to=thread.root,
                created_at=_x_time(at),
            )
            return 1
        opener = c.comment()
        in_reply_to = self._post_for("x", at) if roll < 0.5 else None  # answering one of the brand's tweets
        if in_reply_to or c.rng.random() < 0.7:
            text = f"@{brand.x_username} {opener.text}"
        else:
            text = f"{opener.text} @{brand.x_username}"
        tweet = self.x.add_mention(
            brand.x_user_id,
            self._x_user(opener.author),
            _clip(text, X_MAX),
            in_reply_to=in_reply_to or "",
            created_at=_x_time(at),
        )
        answered_at = self._brand_answers(opener, at)
        if answered_at:
            answer = _clip(f"@{opener.author.handle} {c.brand_reply(opener)}", X_MAX)
            self.x.add_tweet(brand.x_user_id, answer, in_reply_to=tweet, created_at=_x_time(answered_at))
        self._remember("x", _Thread(tweet, tweet, opener))
        return 1

    def _linkedin(self, at: dt.datetime) -> int:
        c, org = self.content, self.brand.linkedin_org_urn
        roll = c.rng.random()
        if roll > 0.96 and self._history_until is None and self.threads["linkedin"]:
            # Someone rewrites their comment: the next poll shows it edited (lastModified moved).
            thread = c.rng.choice(self.threads["linkedin"])
            self.linkedin.edit_comment(thread.root, c.comment().text, modified_ms=_ms(at))
            return 0
        if roll < 0.15:
            return self._linkedin_mention(at)
        if roll < 0.3 and self.threads["linkedin"]:
            thread = c.rng.choice(self.threads["linkedin"])
            reply = c.reply(thread.opener, mention="name")
            actor = _linkedin_urn(reply.author)
            self.linkedin.add_comment(thread.post, actor, reply.text, parent=thread.root, created_ms=_ms(at))
            return 1
        post = self._post_for("linkedin", at)
        if post is None:
            return 0
        opener = c.comment()
        urn = self.linkedin.add_comment(post, _linkedin_urn(opener.author), opener.text, created_ms=_ms(at))
        answered_at = self._brand_answers(opener, at)
        if answered_at:
            self.linkedin.add_comment(
                post, org, c.brand_reply(opener), parent=urn, created_ms=_ms(answered_at)
            )
        self._remember("linkedin", _Thread(urn, post, opener))
        return 1

    def _mastodon(self, at: dt.datetime) -> int:
        fake, c, brand = self.mastodon, self.content, self.brand
        assert fake is not None
        roll = c.rng.random()
        if roll < 0.15:
            return self._mastodon_dm(at)
        if roll > 0.96 and self._history_until is None and self.threads["mastodon"]:
            # Someone edits their post: Mastodon keeps the id and notifies with an `update`.
            thread = c.rng.choice(self.threads["mastodon"])
            fake.edit_status(
                thread.root, _clip(f"@{brand.mastodon_username} {c.comment().text}", MASTODON_MAX)
            )
            return 0
        if roll < 0.3 and self.threads["mastodon"]:
            # A follower answering another in the thread: Mastodon addresses both.
            thread = c.rng.choice(self.threads["mastodon"])
            reply = c.reply(thread.opener, mention="handle")
            fake.add_mention(
                brand.mastodon_account_id,
                self._mastodon_user(reply.author),
                _clip(reply.text, MASTODON_MAX - 40),
                in_reply_to=thread.root,
                created_at=at.isoformat(),
            )
            return 1
        opener = c.comment()
        in_reply_to = self._post_for("mastodon", at) if roll < 0.5 else None
        warning = ""
        if opener.topic == "complaint" and c.rng.random() < 0.5:
            warning = CONTENT_WARNINGS.get(opener.language, CONTENT_WARNINGS["en"])
        status = fake.add_mention(
            brand.mastodon_account_id,
            self._mastodon_user(opener.author),
            _clip(opener.text, MASTODON_MAX - 40),
            in_reply_to=in_reply_to or "",
            spoiler_text=warning,
            created_at=at.isoformat(),
        )
        answered_at = self._brand_answers(opener, at)
        if answered_at:
            handle = fake.accounts[self._mastodon_user(opener.author)]["acct"]
            fake.create_status(
                brand.mastodon_account_id,
                _clip(f"@{handle} {c.brand_reply(opener)}", MASTODON_MAX),
                in_reply_to=status,
                created_at=answered_at,
            )
        self._remember("mastodon", _Thread(status, in_reply_to or status, opener))
        return 1

    def _mastodon_dm(self, at: dt.datetime) -> int:
        fake = self.mastodon
        assert fake is not None
        # Its own regulars: sharing the others' list would change what they draw.
        c, regulars = self.content, self._mastodon_dm_people
        person = c.rng.choice(regulars) if regulars and c.rng.random() < 0.4 else c.person()
        message = c.direct_message(person)
        fake.add_dm(
            self.brand.mastodon_account_id,
            self._mastodon_user(message.author),
            _clip(message.text, MASTODON_MAX - 40),
            created_at=at.isoformat(),
        )
        if message.author not in regulars and message.kind != Kind.SPAM:
            regulars.append(message.author)
        return 1

    # --- Helpers ---------------------------------------------------------------------------------------

    def _brand_answers(self, opener: Engagement, at: dt.datetime) -> dt.datetime | None:
        """When the brand answered `opener`, for some seeded messages; never live (that is the product's
        job) and never spam."""
        if self._history_until is None or opener.kind == Kind.SPAM:
            return None
        if self.content.rng.random() >= BRAND_ANSWERS:
            return None
        return min(at + dt.timedelta(minutes=self.content.rng.randrange(5, 180)), self._history_until)

    def _remember(self, network: str, thread: _Thread) -> None:
        if thread.opener.kind == Kind.SPAM:
            return  # nobody answers spam in a thread
        threads = self.threads[network]
        threads.append(thread)
        del threads[:-REMEMBERED_THREADS]

    def _mastodon_user(self, person: Person) -> str:
        """The person's account: half of the demo's people live on the demo instance, half elsewhere
        (their handle then reads @user@server, as remote accounts do)."""
        assert self.mastodon is not None
        account_id = str(100_000_000_000_000_000 + person.number)
        if account_id not in self._mastodon_users:
            domain = self.mastodon_remote_domain if person.number % 2 else ""
            self.mastodon.add_account(person.handle, person.name, domain=domain, account_id=account_id)
            self._mastodon_users.add(account_id)
        return account_id

    def _x_user(self, person: Person) -> str:
        user_id = _x_id(person)
        if user_id not in self._x_users:
            self.x.add_user(person.handle, person.name, user_id=user_id)
            self._x_users.add(user_id)
        return user_id


# Account ids on each network, derived from the person's stable number, in each network's own shape.
def _facebook_id(person: Person) -> str:
    return str(6_100_000_000_000_000 + person.number)


def _facebook_author(person: Person) -> dict[str, str]:
    return {"id": _facebook_id(person), "name": person.name}


def _instagram_id(person: Person) -> str:
    return str(17_841_000_000_000_000 + person.number)


def _x_id(person: Person) -> str:
    return str(1_300_000_000_000_000_000 + person.number)


def _linkedin_urn(person: Person) -> str:
    return f"urn:li:person:ACoAA{person.number:X}"


def _x_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _clip(text: str, limit: int) -> str:
    """`text` cut to whole sentences (else words) so X accepts it: long messages get shortened, as people
    do when they move a complaint to X."""
    if x_weighted_length(text) <= limit:
        return text
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        candidate = f"{kept} {sentence}".strip()
        if x_weighted_length(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    words = text.split(" ")
    while words and x_weighted_length(" ".join(words) + "…") > limit:
        words.pop()
    return " ".join(words) + "…"
