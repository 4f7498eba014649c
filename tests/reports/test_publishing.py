"""The Publishing report's figures on hand-built data (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Workspace
from networks.models import Channel
from networks.providers.base import PostMetrics
from posts.models import Post, PostTarget
from posts.services.metrics import record_metrics
from reports.publishing import ON_TIME_TOLERANCE, per_network

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
DAY = (NOON - dt.timedelta(hours=12), NOON + dt.timedelta(hours=12))


def x_channel(workspace) -> Channel:
    return Channel.objects.create(workspace=workspace, network="x", external_id="x", name="X")


def published(ch, agent, external_id, *, scheduled, at) -> PostTarget:
    post = Post.objects.create(workspace=ch.workspace, author=agent, text="Hi", scheduled_at=scheduled)
    status = PostTarget.Status.PUBLISHED
    return PostTarget.objects.create(
        post=post, channel=ch, status=status, external_id=external_id, published_at=at
    )


def test_on_time_late_and_engagement_per_network(workspace, agent, channels):
    x, fb = channels
    on_time = published(x, agent, "1", scheduled=NOON, at=NOON + ON_TIME_TOLERANCE)
    published(x, agent, "2", scheduled=NOON, at=NOON + ON_TIME_TOLERANCE + dt.timedelta(seconds=1))
    published(x, agent, "3", scheduled=None, at=NOON)  # published now: neither on time nor late
    published(fb, agent, "4", scheduled=NOON, at=NOON - dt.timedelta(days=2))  # outside the range
    record_metrics([on_time], [PostMetrics(post_id="1", likes=2, views=10)], now=NOON - dt.timedelta(days=1))
    record_metrics([on_time], [PostMetrics(post_id="1", likes=5, views=40)], now=NOON)  # latest wins

    (row,) = per_network(workspace, *DAY)

    assert (row.network, row.published, row.on_time, row.late) == ("x", 3, 1, 1)
    assert (row.likes, row.views, row.comments) == (5, 40, 0)


def test_another_workspaces_posts_are_not_counted(workspace, agent):
    other = Workspace.objects.create(name="Other", slug="other")
    published(x_channel(other), agent, "9", scheduled=None, at=NOON)

    assert per_network(workspace, *DAY) == []
    assert [r.published for r in per_network(other, *DAY)] == [1]
