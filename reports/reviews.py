"""Reads behind the Reviews report (issue 18): the average rating over time, the distribution of stars, the
response rate and the median response time of the reviews received in the range, filtered like every
report (period, channel, network, label, assignee). Three queries whatever the data.

What is counted:
- a review: a review thread (Conversation.Kind.REVIEW) whose creation fact (the review's own time on the
  network) falls in the range; its stars are the thread's current ones (an edited review counts as its
  author last rated it); a review without sane stars counts as a review, not in the average;
- answered: reviews with a first-response fact (the first reply a person sent through CM Hub, at any time
  after the review), and the response time is that fact's (first reply sent minus review written; business
  hours only when the filter says so). Answers written on the network itself are not ours to time.
The inbox lists reviews by their current stars: each row of the distribution opens it on them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Workspace
from inbox.models import Conversation
from reports.framework import ReportFilter, period_buckets, period_key, period_trunc
from reports.models import ReportingEvent
from reports.selectors import PercentileCont, _in_sql, _value_field, facts_in, percentile

K = ReportingEvent.Kind
STARS = (1, 2, 3, 4, 5)
#: Customers' reviews, not the approvals of posts (which French calls otherwise).
REVIEWS = pgettext_lazy("customer reviews", "Reviews")

COLUMNS = {
    "series": [("period", _("Period")), ("reviews", REVIEWS), ("average", _("Average rating"))],
    "distribution": [("stars", _("Stars")), ("reviews", REVIEWS), ("share", _("Share (%)"))],
    "figures": [("figure", _("Figure")), ("value", _("Value"))],
}


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewPoint:
    """The reviews of one period (or of the whole range)."""

    period: dt.date | None  # None for the whole range
    reviews: int = 0
    average: float | None = None  # of the reviews with stars; None when none had any

    def cells(self) -> dict[str, object]:
        return {"period": self.period, "reviews": self.reviews, "average": self.average}


@dataclasses.dataclass(frozen=True, slots=True)
class StarsRow:
    stars: int
    reviews: int
    share: float | None  # percent of the reviews with stars

    def cells(self) -> dict[str, object]:
        return {"stars": self.stars, "reviews": self.reviews, "share": self.share}


@dataclasses.dataclass(frozen=True)
class ReviewsReport:
    series: list[ReviewPoint]
    total: ReviewPoint
    distribution: list[StarsRow]
    answered: int
    median_response_seconds: float | None

    @property
    def response_rate(self) -> float | None:
        """Reviews answered, in percent of the reviews received."""
        return 100 * self.answered / self.total.reviews if self.total.reviews else None


def reviews_in(workspace: Workspace, f: ReportFilter) -> QuerySet[ReportingEvent]:
    """The creation facts of the review threads received in the range (index reports_event_ws_kind_at)."""
    return facts_in(workspace, f).filter(
        kind=K.CONVERSATION_CREATED, conversation__kind=Conversation.Kind.REVIEW
    )


def reviews_report(workspace: Workspace, f: ReportFilter) -> ReviewsReport:
    reviews = reviews_in(workspace, f)
    by_period = {
        period_key(row["period"], f): row
        for row in reviews.annotate(period=period_trunc("at", f))
        .values("period")
        .annotate(reviews=Count("pk"), average=Avg("conversation__rating"))
    }
    series = [
        ReviewPoint(day, by_period[day]["reviews"], _stars_average(by_period[day]["average"]))
        if day in by_period
        else ReviewPoint(day)
        for day in period_buckets(f)
    ]
    counts = dict(
        reviews.values("conversation__rating")
        .annotate(n=Count("pk"))
        .values_list("conversation__rating", "n")
    )
    rated = sum(counts.get(stars, 0) for stars in STARS)
    weighted = sum(stars * counts.get(stars, 0) for stars in STARS)
    total = ReviewPoint(None, sum(counts.values()), _stars_average(weighted / rated if rated else None))
    distribution = [
        StarsRow(stars, counts.get(stars, 0), 100 * counts.get(stars, 0) / rated if rated else None)
        for stars in STARS
    ]
    answered, median = _first_responses(reviews, f)
    return ReviewsReport(series, total, distribution, answered, median)


def _stars_average(value: float | None) -> float | None:
    """An average of stars as people read it, to one decimal rounded half up (3.15 is 3.2), the same on
    the card, in the tables and in the CSV: a float's 3.15 is 3.1499..., which each place rounded its own
    way."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _first_responses(reviews: QuerySet[ReportingEvent], f: ReportFilter) -> tuple[int, float | None]:
    """How many of the reviews were answered, and the median time to the first answer (one query)."""
    field = _value_field(f)
    facts = ReportingEvent.objects.filter(
        kind=K.FIRST_RESPONSE, conversation_id__in=reviews.values("conversation_id")
    )
    if _in_sql():
        row = facts.aggregate(
            answered=Count("conversation_id", distinct=True), median=PercentileCont(field, 0.5)
        )
        return row["answered"], row["median"]
    rows = list(facts.values_list("conversation_id", field))
    values = [value for _conversation, value in rows if value is not None]
    return len({conversation for conversation, _value in rows}), percentile(values, 0.5)
