import datetime as dt

import pytest
from django.http import QueryDict

from reports.framework import report_filter_parse
from reports.models import ReportingEvent
from reports.selectors import first_response_summary, percentile
from tests.factories import WorkspaceFactory, x_mention_conversation

pytestmark = pytest.mark.django_db


def test_percentile_matches_percentile_cont() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == 46
    assert percentile([], 0.5) is None


def test_first_response_summary_buckets_and_sla() -> None:
    workspace = WorkspaceFactory()
    conversation = x_mention_conversation(workspace)
    now = dt.datetime.now(dt.UTC)
    for seconds, met in [(600, True), (2 * 3600, False), (30 * 3600, False)]:
        ReportingEvent.objects.create(
            workspace=workspace,
            conversation=conversation,
            channel=conversation.channel,
            network="x",
            kind="first_response",
            at=now,
            value_seconds=seconds,
            business_value_seconds=seconds,
            sla_met=met,
        )
    f, _form = report_filter_parse(QueryDict("range=7d"), timezone_name="UTC", today=now.date())
    assert f is not None
    summary = first_response_summary(workspace, f)
    assert summary["buckets"] == [1, 1, 0, 0, 1]
    assert summary["durations"].median == 7200
    assert round(summary["within_sla_percent"]) == 33
    assert first_response_summary(WorkspaceFactory(), f)["durations"].count == 0
