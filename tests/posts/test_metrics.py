"""Per-post engagement stored as daily snapshots (issue 15, Publishing report)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone as tz

from networks.fakes.base import Fault, Response
from networks.models import Channel
from networks.providers.base import PostMetrics
from posts.models import Post, PostMetricsSnapshot, PostTarget
from posts.services.metrics import REFRESH_DAYS, record_metrics, refresh_recent_metrics

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def target(workspace, agent):
    post = Post.objects.create(workspace=workspace, author=agent, text="Hello")
    channel = Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="X", api_base_url="http://127.0.0.1:9"
    )
    return PostTarget.objects.create(
        post=post, channel=channel, status=PostTarget.Status.PUBLISHED, external_id="111", published_at=NOON
    )


def test_a_second_read_the_same_day_replaces_the_first_and_the_next_day_adds_a_row(target):
    record_metrics([target], [PostMetrics(post_id="111", likes=1, views=10)], now=NOON)
    later = NOON + dt.timedelta(hours=3)
    record_metrics([target], [PostMetrics(post_id="111", likes=4, views=30)], now=later)
    record_metrics([target], [PostMetrics(post_id="111", likes=9)], now=NOON + dt.timedelta(days=1))

    rows = list(target.metrics.order_by("day").values_list("likes", "views"))
    assert rows == [(4, 30), (9, None)]  # views not reported on day two: unknown, not zero


def test_figures_for_posts_we_do_not_know_are_ignored(target):
    assert record_metrics([target], [PostMetrics(post_id="other", likes=5)], now=NOON) == 0
    assert not PostMetricsSnapshot.objects.exists()


# --- the refresh, against the X fake over real HTTP -----------------------------------------------------


def published_on(fake, agent, text: str, *, at: dt.datetime) -> PostTarget:
    tweet_id = fake.add_tweet(fake.brand, text)
    post = Post.objects.create(workspace=fake.channel.workspace, author=agent, text=text)
    return PostTarget.objects.create(
        post=post,
        channel=fake.channel,
        status=PostTarget.Status.PUBLISHED,
        external_id=tweet_id,
        published_at=at,
    )


def test_the_refresh_reads_recent_posts_and_leaves_old_ones(x_account, agent):
    now = tz.now()
    recent = published_on(x_account, agent, "Fresh", at=now - dt.timedelta(days=2))
    old = published_on(x_account, agent, "Old", at=now - dt.timedelta(days=REFRESH_DAYS + 1))
    x_account.set_metrics(recent.external_id, like_count=7, impression_count=90)

    assert refresh_recent_metrics(now=now) == 1

    (row,) = recent.metrics.all()
    assert (row.likes, row.views, row.fetched_at) == (7, 90, now)
    assert not old.metrics.exists()


def test_a_rate_limited_channel_is_skipped_and_keeps_what_it_had(x_account, agent):
    now = tz.now()
    target = published_on(x_account, agent, "Fresh", at=now - dt.timedelta(days=1))
    record_metrics(
        [target], [PostMetrics(post_id=target.external_id, likes=3)], now=now - dt.timedelta(days=1)
    )
    limited = Response(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429})
    x_account.inject(Fault(path_pattern=r"^/2/tweets$", response=limited, times=5))

    assert refresh_recent_metrics(now=now) == 0
    assert list(target.metrics.values_list("likes", flat=True)) == [3]
