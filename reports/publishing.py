"""Reads behind the Publishing report (issue 15): pure functions over the posts app's querysets, so the
report page, its CSV and its drill-down links all count the same rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum

from accounts.models import Workspace
from posts.models import PostMetricsSnapshot, PostTarget

#: A post counts as on time when it went out at most this long after the time it was scheduled for: the
#: beat dispatches every few seconds and a network can take a minute to answer.
ON_TIME_TOLERANCE = dt.timedelta(minutes=5)


def published_targets(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> QuerySet[PostTarget]:
    """Targets of the workspace published in [start, end)."""
    return PostTarget.objects.filter(
        post__workspace=workspace,
        status=PostTarget.Status.PUBLISHED,
        published_at__gte=start,
        published_at__lt=end,
    )


@dataclass(frozen=True, slots=True)
class NetworkRow:
    network: str
    published: int
    on_time: int
    late: int
    likes: int
    comments: int
    shares: int
    views: int


def per_network(
    workspace: Workspace, start: dt.datetime, end: dt.datetime, tolerance: dt.timedelta = ON_TIME_TOLERANCE
) -> list[NetworkRow]:
    """Published, on time / late (scheduled ones only) and latest engagement totals, per network."""
    latest = PostMetricsSnapshot.objects.filter(target=OuterRef("pk")).order_by("-day")
    delay = ExpressionWrapper(F("published_at") - F("post__scheduled_at"), output_field=DurationField())
    rows = (
        published_targets(workspace, start, end)
        .annotate(
            _delay=delay,
            _likes=Subquery(latest.values("likes")[:1]),
            _comments=Subquery(latest.values("comments")[:1]),
            _shares=Subquery(latest.values("shares")[:1]),
            _views=Subquery(latest.values("views")[:1]),
        )
        .values("channel__network")
        .annotate(
            published=Count("pk"),
            on_time=Count("pk", filter=Q(post__scheduled_at__isnull=False, _delay__lte=tolerance)),
            late=Count("pk", filter=Q(post__scheduled_at__isnull=False, _delay__gt=tolerance)),
            likes=Sum("_likes", default=0),
            comments=Sum("_comments", default=0),
            shares=Sum("_shares", default=0),
            views=Sum("_views", default=0),
        )
        .order_by("channel__network")
    )
    return [
        NetworkRow(
            network=r["channel__network"],
            published=r["published"],
            on_time=r["on_time"],
            late=r["late"],
            likes=r["likes"],
            comments=r["comments"],
            shares=r["shares"],
            views=r["views"],
        )
        for r in rows
    ]
