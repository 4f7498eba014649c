"""LinkedIn mention contract fixture, replayed against LinkedInProvider and the LinkedIn fake (issue 13)."""

from __future__ import annotations

import datetime as dt

import httpx

from networks.fakes.linkedin import LinkedInFake
from networks.providers.base import Account, Credentials, ItemKind, Network
from networks.providers.linkedin import LINKEDIN_VERSION, LinkedInProvider
from tests.contracts.replay import ReplayServer, fill, load, shape_differences

ORG = "urn:li:organization:2414183"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def test_a_post_mentioning_the_organization_becomes_a_mention(http: httpx.Client) -> None:
    fixture = load("linkedin", "share_mention")
    recent_ms = int((NOW - dt.timedelta(hours=3)).timestamp() * 1000)
    exchanges = fill(fixture["exchanges"], recent_ms=recent_ms)  # type: ignore[arg-type]
    with ReplayServer(exchanges) as network:
        account = Account(Network.LINKEDIN, ORG, network.base_url, Credentials("t"))
        result = LinkedInProvider(account, http=http, clock=lambda: NOW).poll(cursor={})
        finder = next(q for _m, path, q, _b in network.requests if path.endswith("Notifications"))

    assert [(i.kind, i.external_id) for i in result.items] == [
        (ItemKind.MENTION, "urn:li:share:6844785523593134999")
    ]
    item = result.items[0]
    assert item.author.external_id == "urn:li:person:C7uJDP8xyz"
    assert item.permalink == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134999"
    assert finder["organizationalEntity"] == [ORG] and finder["timeRange"][0].startswith("(start:")
    assert result.cursor["mentions"] == {"since_ms": recent_ms, "ids": ["urn:li:share:6844785523593134999"]}


def test_the_fake_answers_the_finder_and_the_post_read_with_the_documented_shapes(http: httpx.Client) -> None:
    recorded = fill(load("linkedin", "share_mention")["exchanges"], recent_ms=0)  # type: ignore[arg-type]
    with LinkedInFake() as fake:
        admin = fake.add_member("Ana Admin", "ana")
        org = fake.add_organization("Acme Bakery", admins=[admin])
        post = fake.add_mention_post(org, fake.add_member("Bob", "bob"), "Hello @Acme")
        token = fake.issue_token(admin)["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": LINKEDIN_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        listed = http.get(
            f"{fake.base_url}/rest/organizationalEntityNotifications",
            params={"q": "criteria", "organizationalEntity": org, "actions": "List(SHARE_MENTION)"},
            headers=headers,
        ).json()
        read = http.get(f"{fake.base_url}/rest/posts/{post.replace(':', '%3A')}", headers=headers).json()

    assert shape_differences(recorded[1]["response"]["body"], listed) == []
    assert shape_differences(recorded[2]["response"]["body"], read) == []
