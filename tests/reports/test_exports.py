"""The conversation export: the rows the reports count, streamed in constant-cost chunks, formula-safe."""

import csv
import datetime as dt
import io

import pytest
from django.http import QueryDict

from accounts.audit_models import AuditAction, AuditEvent
from assistant.models import MessageTriage
from core.csv import csv_unprotect
from inbox.models import Conversation, Label, Message
from reports.exports import conversation_export_rows
from reports.framework import report_filter_parse
from reports.models import ReportingEvent
from reports.services import facts_rebuild
from tests.factories import x_channel, x_mentions

pytestmark = pytest.mark.django_db

URL = "/w/acme/reports/conversations.csv"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_rows_are_the_conversations_the_facts_count_as_created_in_the_period(workspace, manager_client):
    channel = x_channel(workspace)
    x_mentions(channel, [("Léa", NOW - dt.timedelta(days=2)), ("Bo", NOW - dt.timedelta(days=1))])
    old = x_mentions(channel, [("Old", NOW - dt.timedelta(days=60))])[-1]
    facts_rebuild(workspace=workspace)
    f, _form = report_filter_parse(QueryDict("range=7d"), timezone_name="UTC", today=NOW.date())
    assert f is not None
    created = ReportingEvent.objects.filter(
        workspace=workspace, kind="conversation_created", at__gte=f.start, at__lt=f.end
    )
    response = manager_client.get(URL, {"range": "7d"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = _rows(response)
    assert header[:5] == ["id", "channel", "network", "contact", "created"]
    assert sorted(int(r[0]) for r in rows) == sorted(created.values_list("conversation_id", flat=True))
    assert len(rows) == 2 and str(old.pk) not in {r[0] for r in rows}
    _header, *ninety = _rows(manager_client.get(URL, {"range": "90d"}))
    assert len(ninety) == 3


def test_a_row_holds_first_response_labels_triage_and_an_absolute_link(workspace, manager, manager_client):

    channel = x_channel(workspace)
    [conversation] = x_mentions(channel, [("Léa", NOW - dt.timedelta(hours=3))])
    inbound = conversation.messages.get()
    MessageTriage.objects.create(
        message=inbound,
        language="fr",
        sentiment=-0.6,
        intent="complaint",
        priority=1,
        spam_score=0,
        engine_version="t",
    )
    conversation.labels.add(
        Label.objects.create(workspace=workspace, name="vip"),
        Label.objects.create(workspace=workspace, name="billing"),
    )
    Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.OUT,
        author_user=manager,
        text="Hi",
        created_at=NOW - dt.timedelta(hours=2),
        send_status=Message.SendStatus.SENT,
    )
    facts_rebuild(workspace=workspace)
    header, row = _rows(manager_client.get(URL, {"range": "7d"}))
    cells = dict(zip(header, row, strict=True))
    assert cells["contact"] == "Léa" and cells["network"] == "x" and cells["channel"] == "Acme X"
    assert cells["first response (seconds)"] == "3600"
    assert dt.datetime.fromisoformat(cells["first response"]) == NOW - dt.timedelta(hours=2)
    assert cells["labels"] == "billing; vip"
    assert (cells["sentiment"], cells["intent"]) == ("negative", "complaint")
    assert cells["status"] == "Open" and cells["resolved"] == "" and cells["SLA met"] == ""
    assert cells["link"] == f"http://testserver/w/acme/inbox/{conversation.pk}/"


def test_a_formula_in_a_contact_name_exports_as_text_and_reads_back_the_same(workspace, manager_client):
    name = '=HYPERLINK("http://evil.example","click")'
    x_mentions(x_channel(workspace), [(name, NOW - dt.timedelta(hours=1))])
    facts_rebuild(workspace=workspace)
    header, row = _rows(manager_client.get(URL))
    cell = row[header.index("contact")]
    assert cell == "'" + name  # a spreadsheet shows text, never runs it
    assert csv_unprotect(cell) == name  # the documented rule gives back exactly what was stored


def test_the_download_is_audited_with_its_filters(workspace, manager, manager_client):
    response = manager_client.get(URL, {"range": "30d", "network": "x"})
    _rows(response)
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT_DOWNLOADED)
    assert event.actor == manager
    assert event.after == {"export": "reports.conversations", "filters": {"range": "30d", "network": "x"}}


def test_agents_are_refused_and_outsiders_see_nothing(agent_client, outsider_client, workspace):
    assert agent_client.get(URL).status_code == 403
    assert outsider_client.get(URL).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT_DOWNLOADED).exists()


def test_a_bad_filter_is_a_clear_400(manager_client):
    response = manager_client.get(URL, {"range": "custom", "start": "2026-02-01"})
    assert response.status_code == 400


def test_filters_narrow_the_rows(workspace, manager, manager_client):
    channel = x_channel(workspace)
    first, second = x_mentions(
        channel, [("A", NOW - dt.timedelta(hours=2)), ("B", NOW - dt.timedelta(hours=1))]
    )
    label = Label.objects.create(workspace=workspace, name="vip")
    first.labels.add(label)
    Conversation.objects.filter(pk=second.pk).update(assignee=manager)
    facts_rebuild(workspace=workspace)
    assert [r[0] for r in _rows(manager_client.get(URL, {"label": label.pk}))[1:]] == [str(first.pk)]
    assert [r[0] for r in _rows(manager_client.get(URL, {"assignee": manager.pk}))[1:]] == [str(second.pk)]
    assert _rows(manager_client.get(URL, {"network": "mastodon"}))[1:] == []
    assert len(_rows(manager_client.get(URL, {"channel": channel.pk}))) == 3


def _triaged_export_data(workspace, count: int) -> None:
    channel = x_channel(workspace)
    conversations = x_mentions(channel, [(f"P{i}", NOW - dt.timedelta(minutes=i + 1)) for i in range(count)])
    labels = [Label.objects.create(workspace=workspace, name=f"l{i}") for i in range(3)]
    for conversation in conversations:
        conversation.labels.add(*labels)
        MessageTriage.objects.create(
            message=conversation.messages.get(),
            language="en",
            sentiment=0.5,
            intent="question",
            priority=1,
            spam_score=0,
            engine_version="t",
        )
    facts_rebuild(workspace=workspace)


@pytest.mark.parametrize("count", [4, 8])
def test_each_chunk_costs_the_same_queries_whatever_it_holds(workspace, count, django_assert_num_queries):
    # Guards the N+1s of labels, triage, first responses and assignees: 4 queries per chunk of 2, and one
    # more that finds the set exhausted, however many labels and triages each conversation has. PostgreSQL
    # adds one per chunk: the statement that turns JIT off for it.
    from django.db import connection

    _triaged_export_data(workspace, count)
    f, _form = report_filter_parse(QueryDict(""), timezone_name="UTC", today=NOW.date())
    assert f is not None
    jit = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries((4 + jit) * (count // 2) + 1 + jit):
        rows = list(conversation_export_rows(workspace, f, link_prefix="/c/", chunk=2))
    assert len(rows) == count
    assert len({row[0] for row in rows}) == count  # keyset pages neither repeat nor skip a row


def test_the_report_pages_link_to_the_export_for_managers_only(manager_client, agent_client, workspace):
    page = manager_client.get("/w/acme/reports/inbox/?range=7d")
    assert 'id="report-export" href="/w/acme/reports/conversations.csv?range=7d"' in page.content.decode()
    assert 'id="report-export"' not in agent_client.get("/w/acme/reports/inbox/?range=7d").content.decode()
