"""LinkedIn mentions of the organization: LinkedInProvider against the LinkedIn fake over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from core.http import make_client
from networks.fakes.linkedin import LinkedInFake
from networks.providers.base import Account, Credentials, ItemKind, Network, ReplyTarget
from networks.providers.linkedin import LinkedInProvider

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def server() -> Iterator[LinkedInFake]:
    with LinkedInFake() as fake:
        yield fake


@pytest.fixture
def fake(server: LinkedInFake) -> LinkedInFake:
    server.reset()
    server.start_clock_at(NOW - dt.timedelta(days=1))
    server.admin = server.add_member("Ana Admin", "ana")
    server.org = server.add_organization("Acme Bakery", admins=[server.admin])
    server.bob = server.add_member("Bob Public", "bob")
    return server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def provider(fake: LinkedInFake, http: httpx.Client, scopes=None) -> LinkedInProvider:
    token = fake.issue_token(fake.admin, scopes) if scopes else fake.issue_token(fake.admin)
    account = Account(Network.LINKEDIN, fake.org, fake.base_url, Credentials(token["access_token"]))
    return LinkedInProvider(account, http=http, clock=lambda: NOW)


def mentions(items):
    return [i for i in items if i.kind == ItemKind.MENTION]


def test_posts_mentioning_the_organization_arrive_once(fake, http):
    first = fake.add_mention_post(fake.org, fake.bob, "Great bread at @Acme Bakery")
    linkedin = provider(fake, http)

    result = linkedin.poll(cursor={})
    cursor = json.loads(json.dumps(result.cursor))
    second = fake.add_mention_post(fake.org, fake.bob, "Again @Acme Bakery")
    later = linkedin.poll(cursor=cursor)
    again = linkedin.poll(cursor=json.loads(json.dumps(later.cursor)))

    assert [(i.external_id, i.text) for i in mentions(result.items)] == [
        (first, "Great bread at @Acme Bakery")
    ]
    assert mentions(result.items)[0].author.external_id == fake.bob
    assert [i.external_id for i in mentions(later.items)] == [second]
    assert mentions(again.items) == []


def test_a_mention_in_the_same_millisecond_as_the_mark_is_not_lost(fake, http):
    first = fake.add_mention_post(fake.org, fake.bob, "One @Acme Bakery")
    linkedin = provider(fake, http)
    cursor = json.loads(json.dumps(linkedin.poll(cursor={}).cursor))
    same_ms = fake.posts[first]["lastModifiedAt"]
    twin = fake.add_mention_post(fake.org, fake.bob, "Two @Acme Bakery", created_ms=same_ms)

    later = linkedin.poll(cursor=cursor)

    assert [i.external_id for i in mentions(later.items)] == [twin]


def test_a_mention_is_answered_with_a_top_level_comment_and_read_back(fake, http):
    post = fake.add_mention_post(fake.org, fake.bob, "Thanks @Acme Bakery")
    linkedin = provider(fake, http)
    item = mentions(linkedin.poll(cursor={}).items)[0]
    target = ReplyTarget(
        item.external_id,
        ItemKind.MENTION,
        post_external_id=item.post_external_id,
        thread_root_external_id=item.thread_root_external_id,
    )

    sent = linkedin.reply(target=target, text="Thank you Bob!")

    comments = fake.comments_on(post)
    assert [(c["actor"], c["message"]["text"]) for c in comments] == [(fake.org, "Thank you Bob!")]
    assert "parentComment" not in comments[0]
    found = linkedin.find_reply(target=target, text="Thank you Bob!", since=NOW - dt.timedelta(days=2))
    assert found is not None and found.external_id == sent.external_id


def test_without_rw_organization_admin_comments_still_arrive_and_the_poll_says_what_is_missing(fake, http):
    own = fake.add_post(fake.org, "Our news")
    fake.add_comment(own, fake.bob, "Nice")
    fake.add_mention_post(fake.org, fake.bob, "Hi @Acme Bakery")
    linkedin = provider(fake, http, scopes=("r_organization_social", "w_organization_social"))

    result = linkedin.poll(cursor={})

    assert [i.text for i in result.items] == ["Nice"]
    assert "permissions" in result.permission_missing.lower()
