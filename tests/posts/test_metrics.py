"""Per-post engagement stored as daily snapshots (issue 15, Publishing report)."""

from __future__ import annotations

import datetime as dt

import pytest

from networks.models import Channel
from networks.providers.base import PostMetrics
from posts.models import Post, PostMetricsSnapshot, PostTarget
from posts.services.metrics import record_metrics

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
