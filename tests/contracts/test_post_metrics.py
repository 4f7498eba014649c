"""Per-post engagement contract fixtures, replayed against the providers and against the fakes (issue 15)."""

from __future__ import annotations

import httpx

from networks.fakes.x import XFake
from networks.providers.base import Account, Credentials, Network, PostMetrics
from networks.providers.x import XProvider
from tests.contracts.replay import ReplayServer, load, shape_differences

US = "2244994945"
KEPT, DELETED = "1228393702244134912", "1228393702244134999"


def test_x_public_metrics_become_post_metrics(http: httpx.Client) -> None:
    fixture = load("x", "tweets_public_metrics")
    with ReplayServer(fixture["exchanges"]) as network:
        account = Account(Network.X, US, network.base_url, Credentials("token"), handle="demobakery")
        metrics = XProvider(account, http=http).post_metrics(post_ids=[KEPT, DELETED])

    # Shares are retweets plus quotes; the deleted post is left out, not reported as zero.
    assert metrics == [PostMetrics(post_id=KEPT, views=48210, likes=1044, comments=23, shares=168, saves=31)]


def test_the_fake_answers_a_batch_lookup_as_x_does(http: httpx.Client) -> None:
    recorded = load("x", "tweets_public_metrics")["exchanges"][0]["response"]["body"]
    with XFake() as fake:
        us = fake.add_user("demobakery", "Demo Bakery")
        token = fake.issue_token(us)["access_token"]
        kept = fake.add_tweet(us, "What did the developer write in their Valentine's card?")
        fake.set_metrics(kept, like_count=1044, impression_count=48210)
        answer = http.get(
            f"{fake.base_url}/2/tweets",
            params={"ids": f"{kept},999999", "tweet.fields": "public_metrics"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()

    assert shape_differences(recorded, answer) == []
    assert answer["data"][0]["public_metrics"]["like_count"] == 1044
    assert answer["errors"][0]["resource_id"] == "999999"
