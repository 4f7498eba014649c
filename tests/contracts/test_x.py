"""X contract fixtures, replayed against XProvider and against XFake (issue 13, item 6)."""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Iterator

import httpx
import pytest

from networks.fakes.x import XFake
from networks.providers.base import Account, Credentials, ItemKind, Network, RateLimited, ReplyTarget
from networks.providers.x import TWEET_FIELDS, XProvider
from tests.contracts.replay import ReplayServer, load, shape_differences

US = "2244994945"


def client(base_url: str, http: httpx.Client, *, poll_messages: bool = False) -> XProvider:
    # The mention cases do not record dm_events; the DM cases ask for them.
    account = Account(Network.X, US, base_url, Credentials("token"), handle="demobakery")
    return XProvider(account, http=http, poll_messages=poll_messages)


def test_long_posts_arrive_whole_and_entities_are_unescaped_once(http: httpx.Client) -> None:
    fixture = load("x", "mentions_long_posts_and_entities")
    recorded = fixture["exchanges"][0]["response"]["body"]["data"]
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).poll(cursor={})
        _method, _path, query, _body = network.requests[0]

    assert "note_tweet" in query["tweet.fields"][0].split(",")
    texts = {item.external_id: item.text for item in result.items}
    assert texts[recorded[0]["id"]] == html.unescape(recorded[0]["note_tweet"]["text"])
    assert texts[recorded[0]["id"]].endswith("please <help>.")
    assert texts[recorded[1]["id"]] == "@demobakery Bread & butter > everything"


def test_a_spent_24_hour_cap_sleeps_until_its_own_reset(http: httpx.Client) -> None:
    fixture = load("x", "tweet_24_hour_cap_spent")
    now = int(time.time())
    headers = fixture["exchanges"][0]["response"]["headers"]
    for name, value in headers.items():
        headers[name] = value.format(in_15_minutes=now + 900, in_20_hours=now + 20 * 3600)
    target = ReplyTarget("1460323737035677699", ItemKind.MENTION, post_external_id="1460323737035677699")
    with ReplayServer(fixture["exchanges"]) as network:
        provider = client(network.base_url, http)
        with pytest.raises(RateLimited) as caught:
            provider.reply(target=target, text="Thank you!")

    expected = dt.datetime.fromtimestamp(now + 20 * 3600, dt.UTC)
    assert abs((caught.value.reset_at - expected).total_seconds()) < 2
    assert provider.rate_limit is not None and provider.rate_limit.remaining == 0
    assert abs((provider.rate_limit.reset_at - expected).total_seconds()) < 2


# --- against the fake -------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[XFake]:
    with XFake() as server:
        yield server


def test_the_fake_serves_long_posts_and_entities_as_x_does(http: httpx.Client, fake: XFake) -> None:
    recorded = load("x", "mentions_long_posts_and_entities")["exchanges"][0]["response"]["body"]
    us = fake.add_user("demobakery", "Demo Bakery")
    ada = fake.add_user("ada_eats", "Ada")
    token = fake.issue_token(us)["access_token"]
    whole = html.unescape(recorded["data"][0]["note_tweet"]["text"])
    fake.add_mention(us, ada, whole)
    fake.add_mention(us, ada, "@demobakery Bread & butter > everything")

    answer = http.get(
        f"{fake.base_url}/2/users/{us}/mentions",
        params={"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": "username,name"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    long_post = next(t for t in answer["data"] if "note_tweet" in t)
    assert shape_differences(recorded["data"][0], long_post) == []
    assert long_post["note_tweet"]["text"] == recorded["data"][0]["note_tweet"]["text"]  # escaped, whole
    assert long_post["text"].endswith("…") and len(long_post["text"]) < len(whole)
    short = next(t for t in answer["data"] if "note_tweet" not in t)
    assert short["text"] == recorded["data"][1]["text"]
    assert shape_differences({k: v for k, v in recorded.items() if k != "data"}, answer) == []


def test_the_fake_announces_a_spent_24_hour_cap_with_its_headers(http: httpx.Client, fake: XFake) -> None:
    recorded = load("x", "tweet_24_hour_cap_spent")["exchanges"][0]["response"]
    us = fake.add_user("demobakery")
    token = fake.issue_token(us)["access_token"]
    fake.rate_limited("/2/tweets", daily_reset_in=20 * 3600)

    answer = http.post(
        f"{fake.base_url}/2/tweets", json={"text": "hi"}, headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == recorded["status"]
    user_caps = {name for name in recorded["headers"] if name.startswith(("x-rate-limit", "x-user-limit"))}
    assert user_caps <= set(answer.headers)
    assert answer.headers["x-user-limit-24hour-remaining"] == "0"
    assert shape_differences(recorded["body"], answer.json()) == []


# --- edits (issue 13, item 9) ------------------------------------------------------------------------------

ORIGINAL, EDITED = "1460323737035677700", "1460323737035677711"


def test_an_edited_post_names_the_version_it_replaces(http: httpx.Client) -> None:
    fixture = load("x", "mention_edited")
    with ReplayServer(fixture["exchanges"]) as network:
        first = client(network.base_url, http).poll(cursor={})
        second = client(network.base_url, http).poll(cursor=first.cursor)

    (original,) = first.items
    assert (original.external_id, original.replaces_external_ids, original.edited_at) == (ORIGINAL, (), None)
    (edited,) = second.items
    assert edited.external_id == EDITED and edited.text == "@demobakery Do you open at 7 on Sundays?"
    assert edited.replaces_external_ids == (ORIGINAL,)
    assert edited.edited_at == dt.datetime(2026, 11, 30, 9, 18, tzinfo=dt.UTC)


def test_the_fake_gives_an_edit_a_new_id_and_the_whole_history(http: httpx.Client, fake: XFake) -> None:
    recorded = load("x", "mention_edited")["exchanges"][1]["response"]["body"]
    us = fake.add_user("demobakery", "Demo Bakery")
    ada = fake.add_user("ada_eats", "Ada")
    token = fake.issue_token(us)["access_token"]
    first = fake.add_mention(us, ada, "@demobakery Do you open at 7?")
    second = fake.edit_tweet(first, "@demobakery Do you open at 7 on Sundays?")

    answer = http.get(
        f"{fake.base_url}/2/users/{us}/mentions",
        params={"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": "username,name"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    newest = next(t for t in answer["data"] if t["id"] == second)
    assert newest["edit_history_tweet_ids"] == [first, second]
    assert shape_differences({k: v for k, v in recorded.items() if k != "data"}, answer) == []
    assert (
        shape_differences({k: v for k, v in recorded["data"][0].items() if k != "edit_controls"}, newest)
        == []
    )


# --- deletions: delivered mentions looked up again by id ---------------------------------------------------

FOUND, DELETED, PRIVATE = "1460323737035677698", "1460323737035677699", "1460323737035677700"


def _watching(checked_at: dt.datetime) -> dict:
    written = (checked_at - dt.timedelta(hours=1)).isoformat()
    return {
        "since_id": FOUND,
        "watch": {
            "ids": dict.fromkeys((FOUND, DELETED, PRIVATE), written),
            "checked_at": checked_at.isoformat(),
        },
    }


def test_a_deleted_mention_is_named_gone_and_a_private_one_is_not(http: httpx.Client) -> None:
    fixture = load("x", "tweets_lookup_deleted")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).poll(cursor=_watching(an_hour_ago))
        lookups = [query for method, path, query, _ in network.requests if path == "/2/tweets"]

    assert result.gone == (DELETED,)
    assert lookups == [{"ids": [f"{FOUND},{DELETED},{PRIVATE}"]}]
    assert set(result.cursor["watch"]["ids"]) == {FOUND, PRIVATE}  # a deletion is announced once


def test_mentions_are_looked_up_again_at_most_once_an_hour(http: httpx.Client) -> None:
    fixture = load("x", "tweets_lookup_deleted")
    with ReplayServer(fixture["exchanges"]) as network:
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
        result = client(network.base_url, http).poll(cursor=_watching(recent))
        paths = [path for _method, path, *_ in network.requests]

    assert result.gone == () and "/2/tweets" not in paths
    assert len(result.cursor["watch"]["ids"]) == 3


def test_the_fake_answers_a_lookup_of_deleted_posts_as_x_does(http: httpx.Client, fake: XFake) -> None:
    recorded = load("x", "tweets_lookup_deleted")["exchanges"][1]["response"]["body"]
    brand, fan = fake.add_user("demobakery"), fake.add_user("lea")
    token = fake.issue_token(brand)["access_token"]
    kept, deleted = fake.add_mention(brand, fan), fake.add_mention(brand, fan)
    fake.delete_tweet(deleted)
    answer = http.get(
        f"{fake.base_url}/2/tweets",
        params={"ids": f"{kept},{deleted}"},
        headers={"Authorization": f"Bearer {token}"},
    )

    body = answer.json()
    assert answer.status_code == 200 and [t["id"] for t in body["data"]] == [kept]
    assert shape_differences(recorded["errors"][0], body["errors"][0]) == []
    assert (body["errors"][0]["resource_id"], body["errors"][0]["parameter"]) == (deleted, "ids")
