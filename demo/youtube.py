"""The demo's YouTube: Demo Bakery's channel on the YouTube fake (port 8107) with three videos, a few days of
French and English comments (some held for review, one likely spam), then new comments now and then.

Kept apart from `demo.feeds` (its own random stream, seeded from the same seed and people), so adding it
changes nothing in the other networks' demo history. The channel is seeded with published tokens the fake
accepts (`DEMO_YOUTUBE_TOKENS`, the refresh token renews them), and "Connect YouTube" works against the
fake's Google sign-in with the demo app.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from demo.content import DemoContent, Engagement, Kind, Person
from networks.fakes.youtube import SCOPE, YouTubeFake

DEMO_YOUTUBE_PORT = 8107
DEMO_YOUTUBE_CHANNEL_ID = "UCdemoBakeryDemoBakery01"
DEMO_YOUTUBE_HANDLE = "demobakery"
DEMO_YOUTUBE_CLIENT_ID = "demo-youtube.apps.googleusercontent.com"
DEMO_YOUTUBE_CLIENT_SECRET = "demo-youtube-secret"  # noqa: S105 - published on purpose: demo fakes only
DEMO_GOOGLE_ACCOUNT = "demo.bakery@example.com"
DEMO_YOUTUBE_TOKENS = {
    "access": "ya29.demo-bakery-youtube-access-token",
    "refresh": "1//demo-bakery-youtube-refresh-token",
}
VIDEOS = (
    ("dQbakery001", "Nos croissants, pas à pas"),
    ("dQbakery002", "Sourdough at dawn"),
    ("dQbakery003", "La galette des rois 2026"),
)
HISTORY = 10
TICK_SIZES, TICK_WEIGHTS = (0, 1), (70, 30)
HELD_SHARE = 0.15
REMEMBERED = 30


class YouTubeFeed:
    """Writes the demo's YouTube comments on `fake`."""

    def __init__(self, fake: YouTubeFake, *, brand_name: str, seed: int, session: str) -> None:
        self.fake = fake
        self.brand_name = brand_name
        self.seed = seed
        self.session = session
        self.content = DemoContent(seed, stream="youtube/history")
        self.threads: list[tuple[str, str, Engagement]] = []  # (video, comment id, what it says)

    def seed_accounts(self) -> None:
        fake = self.fake
        fake.add_channel(DEMO_YOUTUBE_CHANNEL_ID, self.brand_name, handle=DEMO_YOUTUBE_HANDLE)
        for video_id, title in VIDEOS:
            fake.add_video(video_id, DEMO_YOUTUBE_CHANNEL_ID, title)
        fake.issue_token(
            DEMO_GOOGLE_ACCOUNT, access=DEMO_YOUTUBE_TOKENS["access"], refresh=DEMO_YOUTUBE_TOKENS["refresh"]
        )

    def seed_history(self, *, now: dt.datetime, days: int) -> None:
        c = self.content
        start = now - dt.timedelta(days=days)
        span = (now - dt.timedelta(minutes=2) - start).total_seconds()
        moments = sorted(start + dt.timedelta(seconds=int(span * c.rng.random())) for _ in range(HISTORY))
        for number, at in enumerate(moments):
            # One of the held ones, for the inbox's Approve button; one likely spam, for its Reject.
            status = {2: "heldForReview", 6: "heldForReview", 8: "likelySpam"}.get(number, "published")
            self._write(at, status=status, spam=status == "likelySpam")
        self.content = DemoContent(self.seed, stream=f"youtube/live/{self.session}")
        # Seeded history keeps the same ids on every run; live comments take ids above the clock.
        self.fake.continue_ids_above(int(now.timestamp()))

    def tick(self, now: dt.datetime) -> int:
        c = self.content
        size = c.rng.choices(TICK_SIZES, weights=TICK_WEIGHTS)[0]
        written = 0
        for _ in range(size):
            held = c.rng.random() < HELD_SHARE
            written += self._write(now, status="heldForReview" if held else "published")
        return written

    def _write(self, at: dt.datetime, *, status: str, spam: bool = False) -> int:
        c, fake = self.content, self.fake
        when = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.threads and not spam and c.rng.random() < 0.3:
            video, parent, opener = c.rng.choice(self.threads)
            reply = c.reply(opener, mention="name")
            fake.add_comment(
                video,
                person_channel(reply.author),
                reply.text,
                author_name=f"@{reply.author.handle}",
                parent=parent,
                status=status,
                published_at=when,
            )
            return 1
        video = c.rng.choice(VIDEOS)[0]
        opener = _spam(c) if spam else c.comment()
        cid = fake.add_comment(
            video,
            person_channel(opener.author),
            opener.text,
            author_name=f"@{opener.author.handle}",
            status=status,
            published_at=when,
        )
        if opener.kind != Kind.SPAM and status == "published":
            self.threads.append((video, cid, opener))
            del self.threads[:-REMEMBERED]
        return 1


def _spam(content: DemoContent) -> Engagement:
    """Spam in the demo's own words (what YouTube's filter would call likely spam)."""
    for _ in range(200):
        found = content.comment()
        if found.kind == Kind.SPAM:
            return found
    return Engagement(
        "Free subscribers!!! http://spam.example/yt", Kind.SPAM, "en", content.person("en"), "spam"
    )


def person_channel(person: Person) -> str:
    """A YouTube channel id (UC and 22 characters), stable for the person."""
    digest = hashlib.sha256(f"demo-person-{person.number}".encode()).hexdigest()
    return "UC" + digest[:22]


__all__ = ["SCOPE", "YouTubeFeed"]
