"""The Publishing report's figures on hand-built data (issue 15): per network on time / late and latest
engagement, the series by period, failures by cause, approval lead time, engagement per post."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.http import QueryDict

from accounts.models import Workspace
from networks.models import Channel
from networks.providers.base import PostMetrics
from posts import services
from posts.models import FailureCause, Post, PostEvent, PostTarget, PublishingPolicy
from posts.services.metrics import record_metrics
from reports.framework import ReportFilter, report_filter_parse
from reports.publishing import (
    ON_TIME_TOLERANCE,
    LeadTime,
    approval_lead_time,
    engagement_per_post,
    failures_by_cause,
    per_network,
    published_series,
    publishing_report,
)

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def report_filter(query: str = "range=custom&start=2026-12-01&end=2026-12-01") -> ReportFilter:
    f, form = report_filter_parse(QueryDict(query), timezone_name="UTC", today=NOON.date())
    assert f is not None, form.errors
    return f


DAY = report_filter()


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

    (row,) = per_network(workspace, DAY)

    assert (row.network, row.published, row.on_time, row.late) == ("x", 3, 1, 1)
    # Comments were never reported: None, not "nobody commented".
    assert (row.engagement.likes, row.engagement.views, row.engagement.comments) == (5, 40, None)


def test_another_workspaces_posts_are_not_counted(workspace, agent):
    other = Workspace.objects.create(name="Other", slug="other")
    published(x_channel(other), agent, "9", scheduled=None, at=NOON)

    assert per_network(workspace, DAY) == []
    assert [r.published for r in per_network(other, DAY)] == [1]


def test_the_channel_and_network_filters_apply(workspace, agent, channels):
    x, fb = channels
    published(x, agent, "1", scheduled=None, at=NOON)
    published(fb, agent, "2", scheduled=None, at=NOON)

    by_network = report_filter("range=custom&start=2026-12-01&end=2026-12-01&network=facebook")
    by_channel = report_filter(f"range=custom&start=2026-12-01&end=2026-12-01&channel={x.pk}")
    assert [r.network for r in per_network(workspace, by_network)] == ["facebook"]
    assert [r.network for r in per_network(workspace, by_channel)] == ["x"]


def test_the_series_lists_every_day_with_zeros(workspace, agent, channels):
    x, fb = channels
    published(x, agent, "1", scheduled=None, at=NOON)
    published(x, agent, "2", scheduled=None, at=NOON + dt.timedelta(days=2))
    published(fb, agent, "3", scheduled=None, at=NOON + dt.timedelta(days=2))
    f = report_filter("range=custom&start=2026-12-01&end=2026-12-03")

    series = published_series(workspace, f)

    assert [(r.period.day, r.published) for r in series] == [
        (1, {"facebook": 0, "x": 1}),
        (2, {"facebook": 0, "x": 0}),
        (3, {"facebook": 1, "x": 1}),
    ]
    weekly = published_series(
        workspace, report_filter("range=custom&start=2026-12-01&end=2026-12-03&grouping=week")
    )
    assert [(r.period, r.total) for r in weekly] == [(dt.date(2026, 11, 30), 3)]


def event(post, action, at, *, target=None, cause="") -> PostEvent:
    return PostEvent.objects.create(post=post, target=target, action=action, created_at=at, cause=cause)


def test_failures_by_cause_count_each_failure_in_the_range(workspace, agent, channels):
    x, fb = channels
    post = Post.objects.create(workspace=workspace, author=agent, text="Hi")
    on_x = PostTarget.objects.create(post=post, channel=x)
    on_fb = PostTarget.objects.create(post=post, channel=fb)
    event(post, "target_failed", NOON, target=on_x, cause=FailureCause.INVALID)
    event(
        post, "target_failed", NOON + dt.timedelta(hours=1), target=on_x, cause=FailureCause.INVALID
    )  # retried
    event(post, "target_missed", NOON, target=on_fb, cause=FailureCause.MISSED)
    event(post, "target_failed", NOON - dt.timedelta(days=1), target=on_fb, cause=FailureCause.PERMISSION)
    event(post, "target_published", NOON, target=on_fb)

    rows = failures_by_cause(workspace, DAY)

    assert [(r.cause, r.count) for r in rows] == [("invalid", 2), ("missed", 1)]
    assert rows[0].label == "Refused by the network"
    only_fb = report_filter("range=custom&start=2026-12-01&end=2026-12-01&network=facebook")
    assert [(r.cause, r.count) for r in failures_by_cause(workspace, only_fb)] == [("missed", 1)]


def test_approval_lead_time_counts_from_the_last_submission_to_the_last_needed_approval(
    workspace, agent, channels
):
    def post(needed: int = 1) -> Post:
        return Post.objects.create(workspace=workspace, author=agent, text="Hi", approvals_required=needed)

    hour = dt.timedelta(hours=1)
    quick = post()
    event(quick, "submitted", NOON - 2 * hour)
    event(quick, "approved", NOON)  # 2 h
    resubmitted = post()
    event(resubmitted, "submitted", NOON - 30 * hour)
    event(resubmitted, "changes_requested", NOON - 29 * hour)
    event(resubmitted, "submitted", NOON - 4 * hour)
    event(resubmitted, "approved", NOON)  # 4 h: the wait for the author's changes is not counted
    two_people = post(needed=2)
    event(two_people, "submitted", NOON - 10 * hour)
    event(two_people, "approved", NOON - 9 * hour)
    event(two_people, "approved", NOON + 2 * hour)  # 12 h: the second approval completes it
    waiting = post(needed=2)
    event(waiting, "submitted", NOON - hour)
    event(waiting, "approved", NOON)  # one of two: not approved yet
    earlier = post()
    event(earlier, "submitted", NOON - 50 * hour)
    event(earlier, "approved", NOON - 26 * hour)  # before the range

    lead = approval_lead_time(workspace, DAY)

    assert lead.approved == 3
    assert lead.median == 4 * hour


def test_approval_lead_time_from_the_real_review_flow(workspace, agent, manager, channels):
    author, reviewer = agent.memberships.get(), manager.memberships.get()
    PublishingPolicy.objects.create(workspace=workspace, approvals_required=1)
    with time_machine.travel(NOON - dt.timedelta(minutes=90), tick=False):
        draft = services.post_create(author=author, text="Fresh croissants at 8!", channels=channels)
        services.post_submit(post=draft, by=author)
    with time_machine.travel(NOON, tick=False):
        services.review_approve(post=draft, by=reviewer)

    assert approval_lead_time(workspace, DAY) == LeadTime(1, dt.timedelta(minutes=90))


def test_engagement_per_post_uses_the_latest_snapshot_and_keeps_unreported_figures_empty(
    workspace, agent, channels
):
    x, fb = channels
    read = published(x, agent, "1", scheduled=None, at=NOON)
    never_read = published(fb, agent, "2", scheduled=None, at=NOON + dt.timedelta(hours=1))
    record_metrics([read], [PostMetrics(post_id="1", likes=1, views=5)], now=NOON)
    record_metrics(
        [read], [PostMetrics(post_id="1", likes=3, comments=2, views=50)], now=NOON + dt.timedelta(days=1)
    )

    rows = engagement_per_post(workspace, DAY)

    assert [r.target_id for r in rows] == [never_read.pk, read.pk]  # newest first
    latest, nothing = rows[1].engagement, rows[0].engagement
    assert (latest.likes, latest.comments, latest.views, latest.shares, latest.interactions) == (
        3,
        2,
        50,
        None,
        5,
    )
    assert nothing.views is None and nothing.interactions is None
    assert len(engagement_per_post(workspace, DAY, limit=1)) == 1


def test_the_whole_report_takes_seven_queries_however_many_posts(
    workspace, agent, channels, django_assert_num_queries
):
    x, fb = channels
    for n in range(12):
        target = published(
            x if n % 2 else fb, agent, str(n), scheduled=NOON, at=NOON + dt.timedelta(minutes=n)
        )
        record_metrics([target], [PostMetrics(post_id=str(n), likes=n)], now=NOON)
        event(target.post, "submitted", NOON - dt.timedelta(hours=n + 1))
        event(target.post, "approved", NOON)
        event(target.post, "target_failed", NOON, target=target, cause=FailureCause.TRANSIENT)

    # One query each for: counts per network, engagement per network, the series, failures, approvals,
    # the posts and their snapshots. No query per post, target or snapshot.
    with django_assert_num_queries(7):
        report = publishing_report(workspace, DAY)

    assert report.published == 12 and report.failed == 12 and report.lead_time.approved == 12
    assert len(report.posts) == 12 and sum(r.engagement.likes or 0 for r in report.networks) == sum(range(12))


def test_every_table_row_has_a_cell_per_column_and_french_headings(workspace, agent, channels):
    from django.utils import translation

    from reports.publishing import COLUMNS

    x, _fb = channels
    target = published(x, agent, "1", scheduled=None, at=NOON)
    record_metrics([target], [PostMetrics(post_id="1", likes=1)], now=NOON)
    event(target.post, "target_failed", NOON, target=target, cause=FailureCause.MEDIA)
    report = publishing_report(workspace, DAY)
    tables = {
        "networks": report.networks,
        "series": report.series,
        "failures": report.failures,
        "posts": report.posts,
    }
    for name, rows in tables.items():
        keys = [key for key, _heading in COLUMNS[name]]
        assert rows and all(set(keys) <= set(row.cells()) for row in rows), name
    with translation.override("fr"):
        assert report.failures[0].cells()["cause"] == "Média inutilisable"
        assert [str(h) for _k, h in COLUMNS["failures"]] == ["Cause", "Échecs"]
