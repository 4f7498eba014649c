"""The Sentiment and intent report's figures on hand-built data (issue 15): bands as the engine labels
them, spam apart, series by period in the workspace's zone, intents with drill-down queries that make the
inbox list exactly the counted conversations, the assistant's figures, and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.http import QueryDict

from accounts.models import Workspace
from assistant.engine import NEUTRAL_BAND, sentiment_label
from assistant.models import AutoReply, MessageTriage, Suggestion
from inbox import selectors as inbox_selectors
from inbox.forms import FilterForm
from inbox.models import Conversation, Label, Message
from inbox.selectors import SPAM_BADGE
from networks.models import Channel
from reports.framework import ReportFilter, report_filter_parse
from reports.sentiment import (
    BANDS,
    auto_reply_figures,
    sentiment_report,
    sentiment_series,
    suggestion_figures,
    top_intents,
)

pytestmark = pytest.mark.django_db
PARIS = "Europe/Paris"
# Noon in Paris on 1 December 2026 (CET, UTC+1).
NOON = dt.datetime(2026, 12, 1, 11, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
_ids = itertools.count(1)


@pytest.fixture
def workspace(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(timezone=PARIS)
    workspace.refresh_from_db()
    return workspace


def report_filter(query: str = "range=custom&start=2026-12-01&end=2026-12-01") -> ReportFilter:
    f, form = report_filter_parse(QueryDict(query), timezone_name=PARIS, today=NOON.date())
    assert f is not None, form.errors
    return f


DAY = report_filter()


def conversation(channel: Channel, *, at: dt.datetime = NOON, **fields) -> Conversation:
    n = next(_ids)
    return Conversation.objects.create(
        workspace=channel.workspace,
        channel=channel,
        kind="mention",
        root_external_id=f"root-{n}",
        last_message_at=at,
        **fields,
    )


def inbound(
    conv: Conversation,
    *,
    at: dt.datetime = NOON,
    sentiment: float = 0.0,
    intent: str = "other",
    spam: float = 0.0,
) -> Message:
    message = Message.objects.create(
        workspace=conv.workspace,
        conversation=conv,
        channel=conv.channel,
        external_id=f"m-{next(_ids)}",
        created_at=at,
    )
    MessageTriage.objects.create(
        message=message,
        language="fr",
        sentiment=sentiment,
        intent=intent,
        priority=1,
        spam_score=spam,
        engine_version="test",
    )
    if at > conv.last_message_at:
        Conversation.objects.filter(pk=conv.pk).update(last_message_at=at)
    return message


def test_the_sql_bands_are_the_engines_labels(channels):
    """The report's SQL bands and sentiment_label agree on every score, the band's edges included."""
    scores = [-1.0, -NEUTRAL_BAND - 1e-9, -NEUTRAL_BAND, -NEUTRAL_BAND + 1e-9, 0.0]
    scores += [NEUTRAL_BAND - 1e-9, NEUTRAL_BAND, NEUTRAL_BAND + 1e-9, 1.0]
    conv = conversation(channels[0])
    expected = {inbound(conv, sentiment=s).pk: sentiment_label(s) for s in scores}

    for band, q in BANDS.items():
        got = set(MessageTriage.objects.filter(q).values_list("message_id", flat=True))
        assert got == {pk for pk, label in expected.items() if label == band}, band


def test_shares_net_sentiment_and_spam_in_total_and_per_day(channels, agent):
    conv = conversation(channels[0])
    for sentiment in (0.8, 0.5, 0.3, 0.0, -0.6):
        inbound(conv, sentiment=sentiment)
    inbound(conv, sentiment=0.9, spam=SPAM_BADGE)  # spam: caught, and not in the shares
    inbound(conv, sentiment=-0.9, spam=SPAM_BADGE - 0.01)  # just below the badge: a negative message
    # 23:30 UTC on 2 December is 00:30 on the 3rd in Paris: the third day.
    inbound(conv, at=dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC), sentiment=0.4)
    inbound(conv, at=NOON - dt.timedelta(days=2), sentiment=-1.0)  # before the range

    three_days = report_filter("range=custom&start=2026-12-01&end=2026-12-03")
    series = sentiment_series(channels[0].workspace, three_days)
    assert [(p.period.day, p.positive, p.neutral, p.negative, p.spam) for p in series] == [
        (1, 3, 1, 2, 1),
        (2, 0, 0, 0, 0),
        (3, 1, 0, 0, 0),
    ]
    day = series[0]
    assert day.rated == 6 and day.positive_share == 50 and day.negative_share == pytest.approx(100 / 3)
    assert day.net == pytest.approx(50 - 100 / 3)
    assert series[1].net is None and series[1].positive_share is None

    report = sentiment_report(channels[0].workspace, three_days, user=agent)
    assert (report.total.positive, report.total.neutral, report.total.negative) == (4, 1, 2)
    assert report.spam.value == 1 and report.spam.drill is None


def test_the_filters_apply_to_the_messages(channels, agent):
    x, fb = channels
    label = Label.objects.create(workspace=x.workspace, name="VIP")
    labelled = conversation(x, assignee=agent)
    labelled.labels.add(label)
    inbound(labelled, sentiment=0.5)
    inbound(conversation(x), sentiment=-0.5)
    inbound(conversation(fb), sentiment=0.0)

    def totals(query: str) -> tuple[int, int, int]:
        (p,) = sentiment_series(
            x.workspace, report_filter("range=custom&start=2026-12-01&end=2026-12-01&" + query)
        )
        return p.positive, p.neutral, p.negative

    assert totals("") == (1, 1, 1)
    assert totals("network=facebook") == (0, 1, 0)
    assert totals(f"channel={x.pk}") == (1, 0, 1)
    assert totals(f"label={label.pk}") == (1, 0, 0)
    assert totals(f"assignee={agent.pk}") == (1, 0, 0)


def listed_by_the_inbox(workspace, user, query: dict[str, str]) -> set[int]:
    """The conversations the inbox list shows for these GET parameters, read the way its view reads them."""
    params = QueryDict(mutable=True)
    params.update(query)
    filters = FilterForm(params).filters()
    return set(
        inbox_selectors.conversations_filtered(workspace=workspace, user=user, filters=filters).values_list(
            "pk", flat=True
        )
    )


def test_each_intents_drill_down_lists_exactly_the_conversations_counted(channels, agent):
    x, fb = channels
    workspace = x.workspace
    asking = [conversation(x), conversation(fb), conversation(x, status=Conversation.Status.RESOLVED)]
    for conv in asking:
        inbound(conv, intent="question")
    changed_mind = conversation(x)
    inbound(changed_mind, at=NOON - HOUR, intent="question")
    inbound(changed_mind, intent="complaint")  # the latest triaged message decides, as in the inbox
    late_evening = conversation(x, at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC))  # the 2nd in Paris
    inbound(late_evening, at=late_evening.last_message_at, intent="question")
    spam = conversation(x, status=Conversation.Status.SPAM)
    inbound(spam, intent="spam", spam=0.99)

    rows = {row.intent: row for row in top_intents(workspace, DAY, user=agent)}

    assert {i: (r.messages, r.conversations) for i, r in rows.items()} == {
        "question": (4, 3),
        "complaint": (1, 1),
        "spam": (1, 1),
    }
    assert rows["question"].label == "Question"
    for row in rows.values():
        listed = listed_by_the_inbox(workspace, agent, row.drill)
        assert len(listed) == row.conversations, row.intent
    assert listed_by_the_inbox(workspace, agent, rows["question"].drill) == {c.pk for c in asking}
    assert listed_by_the_inbox(workspace, agent, rows["complaint"].drill) == {changed_mind.pk}


def test_a_drill_down_keeps_the_reports_channel_label_and_assignee(channels, agent, agent_client):
    x, fb = channels
    workspace = x.workspace
    label = Label.objects.create(workspace=workspace, name="VIP")
    mine = conversation(x, assignee=agent)
    mine.labels.add(label)
    inbound(mine, intent="praise")
    inbound(conversation(x), intent="praise")  # not labelled, not assigned
    inbound(conversation(fb, assignee=agent), intent="praise")  # another channel
    f = report_filter(
        f"range=custom&start=2026-12-01&end=2026-12-01&channel={x.pk}&label={label.pk}&assignee={agent.pk}"
    )

    (row,) = top_intents(workspace, f, user=agent)

    assert (row.messages, row.conversations) == (1, 1)
    assert listed_by_the_inbox(workspace, agent, row.drill) == {mine.pk}
    # And the inbox page itself, opened with that query, lists that one conversation.
    page = agent_client.get(f"/w/{workspace.slug}/inbox/", row.drill)
    assert page.status_code == 200 and not page.context["filter_errors"]
    assert {c.pk for c in page.context["rows"]} == {mine.pk}


def suggestion(message: Message, fate: str, *, at: dt.datetime = NOON) -> Suggestion:
    return Suggestion.objects.create(
        message=message, kind="llm", text="Bonjour", rank=1, confidence=0.5, fate=fate, created_at=at
    )


def test_suggestions_offered_and_their_fates(channels):
    x, fb = channels
    message = inbound(conversation(x))
    F = Suggestion.Fate
    for fate in (F.SENT_AS_IS, F.SENT_AS_IS, F.EDITED, F.IGNORED, F.PENDING):
        suggestion(message, fate)
    suggestion(message, F.SENT_AS_IS, at=NOON - dt.timedelta(days=3))  # offered before the range
    suggestion(inbound(conversation(fb)), F.EDITED)

    assert [(fig.key, fig.value) for fig in suggestion_figures(x.workspace, DAY)] == [
        ("offered", 6),
        ("sent_as_is", 2),
        ("edited", 2),
        ("ignored", 1),
        ("pending", 1),
    ]
    only_x = report_filter(f"range=custom&start=2026-12-01&end=2026-12-01&channel={x.pk}")
    assert suggestion_figures(x.workspace, only_x)[0].value == 5
    assert suggestion_figures(x.workspace, DAY)[1].label == "Sent as is"


def test_auto_replies_sent_and_handed_back_in_the_range(channels):
    x, _fb = channels
    workspace = x.workspace

    def auto_reply(mode: str, *, at: dt.datetime = NOON, handed_back_at=None) -> AutoReply:
        return AutoReply.objects.create(
            workspace=workspace,
            message=inbound(conversation(x)),
            mode=mode,
            created_at=at,
            handed_back_at=handed_back_at,
        )

    M = AutoReply.Mode
    auto_reply(M.SENT)
    auto_reply(M.SENT, handed_back_at=NOON + HOUR)
    auto_reply(M.SENT, at=NOON - dt.timedelta(days=1), handed_back_at=NOON)  # sent the day before
    auto_reply(M.DRAFTED)
    auto_reply(M.SKIPPED)

    assert [(fig.key, fig.value) for fig in auto_reply_figures(workspace, DAY)] == [
        ("auto_sent", 2),
        ("handed_back", 2),
    ]


def test_the_whole_report_takes_five_queries_however_much_data(channels, agent, django_assert_num_queries):
    x, fb = channels
    for n in range(15):
        conv = conversation(x if n % 2 else fb)
        message = inbound(conv, sentiment=(n - 7) / 7, intent=["question", "praise", "complaint"][n % 3])
        suggestion(message, Suggestion.Fate.EDITED)
        AutoReply.objects.create(
            workspace=x.workspace, message=message, mode=AutoReply.Mode.SENT, created_at=NOON
        )

    # The series, messages per intent, conversations per intent, suggestions, auto-replies: one query each,
    # none per message, conversation, period or intent.
    with django_assert_num_queries(5):
        report = sentiment_report(x.workspace, report_filter("range=7d&grouping=day"), user=agent)

    assert report.total.rated == 15 and len(report.series) == 7
    assert sum(row.conversations for row in report.intents) == 15
    assert report.suggestions[0].value == 15 and report.auto_replies[0].value == 15


def test_another_workspaces_messages_are_not_counted(channels, other_workspace, outsider):
    theirs = Channel.objects.create(workspace=other_workspace, network="x", external_id="t", name="Theirs")
    inbound(conversation(theirs), sentiment=0.9, intent="praise")

    report = sentiment_report(channels[0].workspace, DAY, user=outsider)
    assert report.total.rated == 0 and report.intents == []
    assert sentiment_report(other_workspace, DAY, user=outsider).total.positive == 1


def test_every_table_row_has_a_cell_per_column_and_french_labels(channels, agent):
    from django.utils import translation

    from reports.sentiment import COLUMNS

    message = inbound(conversation(channels[0]), sentiment=0.5, intent="praise")
    suggestion(message, Suggestion.Fate.EDITED)
    report = sentiment_report(channels[0].workspace, DAY, user=agent)
    tables = {
        "series": report.series,
        "intents": report.intents,
        "figures": [*report.suggestions, *report.auto_replies, report.spam],
    }
    for name, rows in tables.items():
        keys = [key for key, _heading in COLUMNS[name]]
        assert rows and all(set(keys) == set(row.cells()) for row in rows), name
    with translation.override("fr"):
        assert report.intents[0].cells()["intent"] == "Compliment"
        assert report.spam.label == "Spam détecté"
        assert [f.label for f in report.auto_replies] == [
            "Réponses automatiques envoyées",
            "Rendues à une personne",
        ]
