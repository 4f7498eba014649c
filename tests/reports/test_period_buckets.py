"""Time buckets of the report series (reports.framework.period_buckets / period_trunc): days, weeks and
months in the workspace's zone, with every period of the range listed even when nothing happened in it."""

import datetime as dt
import zoneinfo

import pytest
from django.db.models import Count
from django.http import QueryDict

from inbox.models import Message
from reports.framework import period_buckets, period_key, period_trunc, report_filter_parse
from tests.factories import WorkspaceFactory, x_mention_conversation

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def parse(query: str, today: dt.date = dt.date(2026, 3, 30)):
    f, form = report_filter_parse(QueryDict(query), timezone_name="Europe/Paris", today=today)
    assert f is not None, form.errors
    return f


def test_days_cover_the_range_inclusive() -> None:
    buckets = period_buckets(parse("range=7d"))
    assert buckets == [dt.date(2026, 3, 24) + dt.timedelta(days=n) for n in range(7)]


def test_weeks_start_on_monday_including_the_week_the_range_begins_in() -> None:
    # Wednesday 4 March to Sunday 22 March: three weeks, the first starting Monday 2 March.
    f = parse("range=custom&start=2026-03-04&end=2026-03-22&grouping=week")
    assert period_buckets(f) == [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)]


def test_months_cross_a_year_end() -> None:
    f = parse("range=custom&start=2025-11-15&end=2026-02-01&grouping=month")
    assert period_buckets(f) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


@pytest.mark.django_db
def test_the_database_groups_by_the_workspace_zones_midnight() -> None:
    conversation = x_mention_conversation(WorkspaceFactory())
    f = parse("range=custom&start=2026-03-28&end=2026-03-30")
    # 23:30 UTC on the 28th is 00:30 on the 29th in Paris (CET); 22:30 UTC on the 29th is 00:30 on the
    # 30th (CEST, after the DST change of the 29th).
    for at in (
        dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC),
    ):
        Message.objects.create(
            workspace=conversation.workspace,
            conversation=conversation,
            channel=conversation.channel,
            created_at=at,
        )
    rows = (
        Message.objects.filter(conversation=conversation, created_at__gte=f.start, created_at__lt=f.end)
        .annotate(period=period_trunc("created_at", f))
        .values("period")
        .annotate(n=Count("pk"))
    )
    counted = {period_key(r["period"], f): r["n"] for r in rows}
    assert counted == {dt.date(2026, 3, 29): 1, dt.date(2026, 3, 30): 1}
    assert set(counted) <= set(period_buckets(f))
