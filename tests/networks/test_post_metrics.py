"""The normalised per-post engagement figures every provider returns (issue 15, Publishing report)."""

import pytest

from networks.providers.base import Capability, PostMetrics, Provider
from networks.providers.x import XProvider


def test_interactions_add_what_the_network_reported():
    metrics = PostMetrics(post_id="1", likes=3, comments=2, shares=1, saves=None, views=40)
    assert metrics.interactions == 6


def test_interactions_are_unknown_not_zero_when_nothing_is_reported():
    # A network that reports only views must not show "0 interactions" in the report.
    assert PostMetrics(post_id="1", views=10).interactions is None


def test_a_provider_without_the_capability_refuses_plainly():
    assert not Provider.supports(Capability.POST_METRICS)
    with pytest.raises(NotImplementedError, match="cannot read post metrics"):
        Provider.post_metrics(XProvider.__new__(XProvider), post_ids=["1"])


# --- X: public_metrics read through GET /2/tweets?ids=, against the fake over real HTTP ----------------

from tests.networks.test_x import build_world, make_provider  # noqa: E402


@pytest.fixture
def x_world():
    from networks.fakes.x import XFake

    with XFake() as fake:
        yield build_world(fake)


@pytest.fixture
def x_http():
    from core.http import make_client

    with make_client(timeout=5) as client:
        yield client


def test_x_reads_public_metrics_of_our_tweets(x_world, x_http):
    fake = x_world.fake
    first = fake.add_tweet(x_world.us, "Launch day")
    second = fake.add_tweet(x_world.us, "Second post")
    fake.set_metrics(first, like_count=5, reply_count=2, retweet_count=3, quote_count=1, bookmark_count=4)
    fake.set_metrics(first, impression_count=120)

    metrics = {m.post_id: m for m in make_provider(x_world, x_http).post_metrics(post_ids=[first, second])}

    assert metrics[first] == PostMetrics(
        post_id=first, views=120, likes=5, comments=2, shares=4, saves=4, reach=None, clicks=None
    )
    assert metrics[second].interactions == 0  # reported, and nobody engaged: zero, not unknown
    assert XProvider.supports(Capability.POST_METRICS)


def test_x_leaves_out_a_deleted_tweet_instead_of_counting_zero(x_world, x_http):
    fake = x_world.fake
    kept = fake.add_tweet(x_world.us, "Still here")

    metrics = make_provider(x_world, x_http).post_metrics(post_ids=[kept, "999999999"])

    assert [m.post_id for m in metrics] == [kept]


def test_x_asks_one_hundred_ids_at_a_time(x_world, x_http):
    fake = x_world.fake
    ids = [fake.add_tweet(x_world.us, f"post {n}") for n in range(101)]

    assert len(make_provider(x_world, x_http).post_metrics(post_ids=ids)) == 101
    lookups = [r for r in fake.requests if r.path == "/2/tweets" and r.method == "GET"]
    assert [len(r.arg("ids").split(",")) for r in lookups] == [100, 1]
