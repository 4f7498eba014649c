"""What Threads sends is untrusted: malformed posts, replies and mentions are skipped and counted, never a
crashed poll, and the rest of the batch still arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.http import make_client
from networks.fakes.base import Fault, Response
from networks.fakes.threads import ThreadsFake
from networks.providers.base import Account, Credentials, Network, Transient
from networks.providers.threads import ThreadsProvider

GOOD_TIME = "2026-12-01T10:00:00+0000"


@pytest.fixture
def fake() -> Iterator[ThreadsFake]:
    with ThreadsFake() as running:
        running.brand = running.add_user("demobakery")
        running.token = running.issue_token(running.brand)
        yield running


def provider(fake: ThreadsFake, http) -> ThreadsProvider:
    account = Account(
        Network.THREADS, fake.brand, fake.base_url, Credentials(fake.token), handle="demobakery"
    )
    return ThreadsProvider(account, http=http)


def _reply(reply_id: object, **fields: object) -> dict[str, object]:
    return {
        "id": reply_id,
        "text": "ok",
        "username": "ada",
        "timestamp": GOOD_TIME,
        "replied_to": {"id": "900"},
        "root_post": {"id": "900"},
        **fields,
    }


HOSTILE_REPLIES = [
    _reply(None),
    _reply(12345),  # a number, not an id string
    _reply("1" * 500),  # absurdly long id
    _reply("a\x00b"),
    _reply("701", timestamp="9999-12-31T23:59:59+0000"),  # the year 9999
    _reply("702", timestamp="yesterday"),
    _reply("703", timestamp=None),
    _reply("704", text=["not", "text"]),
    _reply("705", username="ada\ud800"),  # a lone surrogate
    _reply("706", username="x" * 5000),
    _reply("707", replied_to="900"),  # not an object
    _reply("708", replied_to={"id": {"nested": 1}}),
    "a string where an object belongs",
    None,
]


def test_hostile_replies_are_skipped_and_the_good_ones_kept(fake):
    post = fake.add_post(fake.brand, "Hello", ago=3600)
    fake.add_reply(post, fake.add_user("ada"), "real one")  # has_replies: the conversation is read
    good = _reply("800", text="Bonjour \ud83e\udd50", replied_to={"id": post}, root_post={"id": post})
    good["text"] = "Bonjour 🥐"
    body = {"data": [*HOSTILE_REPLIES, good]}
    fake.inject(Fault(rf"/{post}/conversation$", response=Response(200, body)))
    with make_client(timeout=5) as http:
        result = provider(fake, http).poll(cursor={})
    assert [item.external_id for item in result.items] == ["800"]
    assert result.skipped == len(HOSTILE_REPLIES)
    assert result.listings == ()  # a listing with unreadable entries proves no deletion


def test_hostile_posts_and_mentions_are_skipped(fake):
    posts = {
        "data": [
            {"id": None},
            {"id": "901", "timestamp": "nope"},
            7,
            {"id": "902", "timestamp": GOOD_TIME, "text": {}},
        ]
    }
    mentions = {
        "data": [
            {
                "id": "950",
                "timestamp": "2026-12-02T10:00:00+0000",
                "text": "@demobakery hi",
                "username": "lea",
            },
            {"id": "951", "timestamp": "0000-01-01T00:00:00+0000"},
            {"id": ["952"]},
        ]
    }
    fake.inject(Fault(rf"/{fake.brand}/threads$", response=Response(200, posts)))
    fake.inject(Fault(rf"/{fake.brand}/mentions$", response=Response(200, mentions)))
    with make_client(timeout=5) as http:
        result = provider(fake, http).poll(cursor={})
    assert [item.external_id for item in result.items] == ["950"]
    assert result.skipped == 6


@pytest.mark.parametrize(
    "body",
    [{"data": "not a list"}, ["not", "an", "object"], {"no": "data"}],
)
def test_an_unreadable_listing_fails_the_poll_as_transient(fake, body):
    fake.inject(Fault(rf"/{fake.brand}/mentions$", response=Response(200, body)))
    with make_client(timeout=5) as http, pytest.raises(Transient):
        provider(fake, http).poll(cursor={})


def test_a_damaged_cursor_starts_over_instead_of_failing(fake):
    post = fake.add_post(fake.brand, "Hello", ago=3600)
    fake.add_reply(post, fake.add_user("ada"), "real one")
    damaged = {"v": 1, "posts": {post: {"t": "not a time", "pending": "??"}}, "mentions": [], "sweep": 3}
    with make_client(timeout=5) as http:
        result = provider(fake, http).poll(cursor=damaged)
    assert len(result.items) == 1
