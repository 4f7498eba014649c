"""Reads behind the Publishing report (issue 15): posts published per network and over time, on time or
late, failures by cause, approval lead time and engagement per post. Pure reads over a ReportFilter, each
a bounded number of queries, returning rows ready for the page, its table and its CSV.

Posts have neither labels nor assignees: the filter's channel and network apply, its label and assignee do
not. Engagement is the latest snapshot of each target (PostMetricsSnapshot, one row per day); a figure the
network does not report stays None, never 0 (`views` is what Meta counts since it retired the impression
metrics in 2026, and X's impression_count). Only providers declaring Capability.POST_METRICS are read (X
today): the other networks' posts show no figures rather than zeros."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from networks.providers.base import PostMetrics
from posts.models import FailureCause, PostEvent, PostMetricsSnapshot, PostTarget
from posts.services.metrics import FIGURES
from reports.framework import ReportFilter, period_buckets, period_key, period_trunc

#: A post counts as on time when it went out at most this long after the time it was scheduled for: the
#: beat dispatches every few seconds and a network can take a minute to answer.
ON_TIME_TOLERANCE = dt.timedelta(minutes=5)
#: Engagement rows on one page (the most recent posts first).
ENGAGEMENT_LIMIT = 100
FAILURE_ACTIONS = ("target_failed", "target_missed")
# A review cycle starts when the post is sent for review, or goes back to review after an edit.
CYCLE_STARTS = ("submitted", "back_to_review")


FIGURE_LABELS = {
    "views": _("Views"),
    "reach": _("Reach"),
    "likes": _("Likes"),
    "comments": _("Comments"),
    "shares": _("Shares"),
    "saves": _("Saves"),
    "clicks": _("Clicks"),
    "interactions": _("Interactions"),
}
_ENGAGEMENT = (*FIGURES, "interactions")
#: Each table's columns, in order: the key of `cells()` and the heading (the page's table and the CSV).
COLUMNS = {
    "networks": [
        ("network", _("Network")),
        ("published", _("Posts published")),
        ("on_time", _("On time")),
        ("late", _("Late")),
        *FIGURE_LABELS.items(),
    ],
    "series": [("period", _("Period")), ("total", _("Posts published"))],
    "failures": [("cause", _("Cause")), ("count", _("Failures"))],
    "posts": [
        ("post", _("Post")),
        ("network", _("Network")),
        ("channel", _("Channel")),
        ("published_at", _("Published at")),
        *FIGURE_LABELS.items(),
        ("permalink", _("Link")),
    ],
}


def _figures(metrics: PostMetrics) -> dict[str, int | None]:
    return {name: getattr(metrics, name) for name in _ENGAGEMENT}


def _targets(workspace: Workspace, f: ReportFilter, author_id: int | None = None) -> QuerySet[PostTarget]:
    qs = PostTarget.objects.filter(post__workspace=workspace)
    if author_id is not None:  # an agent's own posts
        qs = qs.filter(post__author_id=author_id)
    if f.channel:
        qs = qs.filter(channel_id=f.channel)
    if f.network:
        qs = qs.filter(channel__network=f.network)
    return qs


def published_targets(
    workspace: Workspace, f: ReportFilter, author_id: int | None = None
) -> QuerySet[PostTarget]:
    """Targets of the workspace published in the filter's range (on its channel or network; of
    `author_id`'s posts when given)."""
    return _targets(workspace, f, author_id).filter(
        status=PostTarget.Status.PUBLISHED, published_at__gte=f.start, published_at__lt=f.end
    )


def _latest_snapshots(targets: QuerySet[PostTarget]) -> QuerySet[PostMetricsSnapshot]:
    """The newest snapshot of each of `targets` (no later day exists for the same target)."""
    newer = PostMetricsSnapshot.objects.filter(target=OuterRef("target"), day__gt=OuterRef("day"))
    return PostMetricsSnapshot.objects.filter(target__in=targets.values("pk")).exclude(Exists(newer))


@dataclasses.dataclass(frozen=True, slots=True)
class NetworkRow:
    network: str
    published: int
    on_time: int  # of those that had a scheduled time
    late: int
    # Totals of the latest figures (post_id empty); a figure None: no post of these had it reported.
    engagement: PostMetrics

    def cells(self) -> dict[str, object]:
        return {
            "network": self.network,
            "published": self.published,
            "on_time": self.on_time,
            "late": self.late,
            **_figures(self.engagement),
        }


def per_network(
    workspace: Workspace,
    f: ReportFilter,
    tolerance: dt.timedelta = ON_TIME_TOLERANCE,
    *,
    author_id: int | None = None,
) -> list[NetworkRow]:
    """Published, on time / late (scheduled ones only: "publish now" is neither) and the latest engagement
    totals, per network. Two queries."""
    delay = ExpressionWrapper(F("published_at") - F("post__scheduled_at"), output_field=DurationField())
    counts = (
        published_targets(workspace, f, author_id)
        .annotate(_delay=delay)
        .values("channel__network")
        .annotate(
            published=Count("pk"),
            on_time=Count("pk", filter=Q(post__scheduled_at__isnull=False, _delay__lte=tolerance)),
            late=Count("pk", filter=Q(post__scheduled_at__isnull=False, _delay__gt=tolerance)),
        )
        .order_by("channel__network")
    )
    totals = (
        _latest_snapshots(published_targets(workspace, f, author_id))
        .values("target__channel__network")
        .annotate(**{name: Sum(name) for name in FIGURES})
        .values_list("target__channel__network", *FIGURES)
        .order_by()
    )
    engagement = {network: dict(zip(FIGURES, sums, strict=True)) for network, *sums in totals}
    return [
        NetworkRow(
            network=r["channel__network"],
            published=r["published"],
            on_time=r["on_time"],
            late=r["late"],
            engagement=PostMetrics(post_id="", **engagement.get(r["channel__network"], {})),
        )
        for r in counts
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodRow:
    period: dt.date  # the day, week (Monday) or month it starts on, in the workspace's zone
    published: dict[str, int]  # network -> posts published; every network of the series, 0 included

    @property
    def total(self) -> int:
        return sum(self.published.values())

    def cells(self) -> dict[str, object]:
        return {"period": self.period, "total": self.total, **self.published}


def published_series(
    workspace: Workspace, f: ReportFilter, *, author_id: int | None = None
) -> list[PeriodRow]:
    """Targets published per period and network, every period of the range listed. One query."""
    rows = (
        published_targets(workspace, f, author_id)
        .annotate(period=period_trunc("published_at", f))
        .values("period", "channel__network")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counted: dict[tuple[dt.date | None, str], int] = {}
    for r in rows:
        counted[(period_key(r["period"], f), r["channel__network"])] = r["n"]
    networks = sorted({network for _period, network in counted})
    return [
        PeriodRow(period, {network: counted.get((period, network), 0) for network in networks})
        for period in period_buckets(f)
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class CauseRow:
    cause: str  # a FailureCause code; "" for failures recorded before causes were
    count: int

    @property
    def label(self) -> str:
        return str(FailureCause(self.cause).label) if self.cause in FailureCause.values else "—"

    def cells(self) -> dict[str, object]:
        return {"cause": self.label, "count": self.count}


def failures_by_cause(
    workspace: Workspace, f: ReportFilter, *, author_id: int | None = None
) -> list[CauseRow]:
    """Targets that failed or were missed in the range, by cause, most frequent first. A target that failed
    twice (retried in between) counts twice: each is a failure someone had to deal with. One query."""
    events = PostEvent.objects.filter(
        action__in=FAILURE_ACTIONS, created_at__gte=f.start, created_at__lt=f.end, post__workspace=workspace
    )
    if author_id is not None:
        events = events.filter(post__author_id=author_id)
    if f.channel or f.network:
        events = events.filter(target__in=_targets(workspace, f).values("pk"))
    rows = events.values("cause").annotate(n=Count("pk")).order_by("-n", "cause")
    return [CauseRow(r["cause"], r["n"]) for r in rows]


@dataclasses.dataclass(frozen=True, slots=True)
class LeadTime:
    approved: int  # posts whose approval completed in the range
    median: dt.timedelta | None


def approval_lead_time(workspace: Workspace, f: ReportFilter, *, author_id: int | None = None) -> LeadTime:
    """From sent for review to approved, for the review cycles whose last needed approval (the policy may
    ask two people) fell in the range; the median. A cycle starts at each submission or return to review,
    so the wait for changes the author made is not counted. One query."""
    posts = PostEvent.objects.filter(
        action="approved", created_at__gte=f.start, created_at__lt=f.end, post__workspace=workspace
    )
    if author_id is not None:
        posts = posts.filter(post__author_id=author_id)
    if f.channel or f.network:
        posts = posts.filter(post__in=_targets(workspace, f).values("post_id"))
    cycle_start = (
        PostEvent.objects.filter(
            post_id=OuterRef("post_id"), action__in=CYCLE_STARTS, created_at__lte=OuterRef("created_at")
        )
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    approvals = (
        PostEvent.objects.filter(action="approved", created_at__lt=f.end, post__in=posts.values("post_id"))
        .annotate(cycle_start=Subquery(cycle_start))
        .values_list("post_id", "post__approvals_required", "cycle_start", "created_at")
        .order_by("post_id", "created_at", "pk")
    )
    cycles: dict[tuple[int, dt.datetime], list[dt.datetime]] = defaultdict(list)
    required: dict[int, int] = {}
    for post_id, needed, started, approved_at in approvals:
        if started is not None:
            cycles[(post_id, started)].append(approved_at)
            required[post_id] = needed
    leads = []
    for (post_id, started), times in cycles.items():
        needed = max(required[post_id], 1)
        if len(times) >= needed and f.start <= times[needed - 1] < f.end:
            leads.append((times[needed - 1] - started).total_seconds())
    return LeadTime(len(leads), dt.timedelta(seconds=statistics.median(leads)) if leads else None)


@dataclasses.dataclass(frozen=True, slots=True)
class PostEngagement:
    target_id: int
    post_id: int
    post: str  # the post's name (title, else the start of its text)
    network: str
    channel: str
    published_at: dt.datetime | None  # always set on a published target
    permalink: str
    # The latest figures (all None for a target never read); `.interactions` sums the reactions.
    engagement: PostMetrics

    def cells(self) -> dict[str, object]:
        return {
            "post": self.post,
            "network": self.network,
            "channel": self.channel,
            "published_at": self.published_at,
            **_figures(self.engagement),
            "permalink": self.permalink,
        }


def engagement_per_post(
    workspace: Workspace, f: ReportFilter, *, limit: int = ENGAGEMENT_LIMIT, author_id: int | None = None
) -> list[PostEngagement]:
    """Each target published in the range (newest first, at most `limit`) with its latest engagement;
    a target never read has every figure None. Two queries."""
    latest = PostMetricsSnapshot.objects.filter(target=OuterRef("pk")).order_by("-day").values("pk")[:1]
    targets = list(
        published_targets(workspace, f, author_id)
        .select_related("post", "channel")
        .annotate(snapshot_id=Subquery(latest))
        .order_by("-published_at", "-pk")[:limit]
    )
    snapshots = {
        s["pk"]: {name: s[name] for name in FIGURES}
        for s in PostMetricsSnapshot.objects.filter(
            pk__in=[t.snapshot_id for t in targets if t.snapshot_id]
        ).values("pk", *FIGURES)
    }
    rows = []
    for t in targets:
        figures = snapshots.get(t.snapshot_id, {})
        rows.append(
            PostEngagement(
                target_id=t.pk,
                post_id=t.post_id,
                post=str(t.post),
                network=t.channel.network,
                channel=t.channel.name,
                published_at=t.published_at,
                permalink=t.permalink,
                engagement=PostMetrics(post_id=t.external_id, **figures),
            )
        )
    return rows


@dataclasses.dataclass(frozen=True)
class PublishingReport:
    networks: list[NetworkRow]
    series: list[PeriodRow]
    failures: list[CauseRow]
    lead_time: LeadTime
    posts: list[PostEngagement]

    @property
    def published(self) -> int:
        return sum(row.published for row in self.networks)

    @property
    def failed(self) -> int:
        return sum(row.count for row in self.failures)


def publishing_report(
    workspace: Workspace, f: ReportFilter, *, author_id: int | None = None
) -> PublishingReport:
    """Everything the Publishing report shows, in seven queries whatever the data; with `author_id`, of
    that person's posts only (an agent's own figures: a post names its author)."""
    return PublishingReport(
        networks=per_network(workspace, f, author_id=author_id),
        series=published_series(workspace, f, author_id=author_id),
        failures=failures_by_cause(workspace, f, author_id=author_id),
        lead_time=approval_lead_time(workspace, f, author_id=author_id),
        posts=engagement_per_post(workspace, f, author_id=author_id),
    )
