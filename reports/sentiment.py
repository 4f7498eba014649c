"""Reads behind the Sentiment and intent report (issue 15): the share of positive, neutral and negative
messages over time and in total, net sentiment, top intents, spam caught, and what became of the
assistant's suggestions and auto-replies. Pure reads over a ReportFilter, five queries whatever the data.

What is counted:
- sentiment, spam: inbound messages received in the range that the assistant triaged (MessageTriage), by
  the engine's bands (`assistant.engine.sentiment_label`: neutral within NEUTRAL_BAND of zero). A message
  whose spam score reaches the inbox's spam badge (`inbox.selectors.SPAM_BADGE`) counts as spam caught and
  not in the sentiment shares: a spammer's enthusiasm is not the public's mood.
- intents: triaged messages per intent, and conversations per intent as the inbox filters them (the intent
  of the conversation's latest triaged inbound message, last message in the range, any status), each with
  the inbox query that lists exactly those conversations.
- suggestions: offered in the range, by what the person did with them (Suggestion.fate).
- auto-replies: sent directly in the range; handed back (the customer answered one, `hand_back`) in the
  range.
The inbox filters by intent only: sentiment, spam and the assistant's figures have no drill-down query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Count, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User, Workspace
from assistant.engine import NEUTRAL_BAND
from assistant.models import AutoReply, MessageTriage, Suggestion
from inbox.forms import ALL, FilterForm
from inbox.models import Intent
from inbox.selectors import SPAM_BADGE, _latest_triage_intent, conversations_filtered
from reports.framework import ReportFilter, period_buckets, period_key, period_trunc

# The engine's bands (sentiment_label), as SQL: negative at or below -NEUTRAL_BAND, positive at or above.
SPAM = Q(spam_score__gte=SPAM_BADGE)
BANDS = {
    "positive": Q(sentiment__gte=NEUTRAL_BAND) & ~SPAM,
    "neutral": Q(sentiment__gt=-NEUTRAL_BAND, sentiment__lt=NEUTRAL_BAND) & ~SPAM,
    "negative": Q(sentiment__lte=-NEUTRAL_BAND) & ~SPAM,
}
COUNTS = (*BANDS, "spam")
LABELS = {
    "positive": _("Positive"),
    "neutral": _("Neutral"),
    "negative": _("Negative"),
    "net": _("Net sentiment"),
    "spam": _("Spam caught"),
    "offered": _("Suggestions offered"),
    "sent_as_is": _("Sent as is"),
    "edited": _("Edited before sending"),
    "ignored": _("Ignored"),
    "pending": _("Not decided yet"),
    "auto_sent": _("Auto-replies sent"),
    "handed_back": _("Handed back to a person"),
}


#: Each table's columns, in order: the key of `cells()` and the heading (the page's table and the CSV).
COLUMNS = {
    "series": [
        ("period", _("Period")),
        ("positive", LABELS["positive"]),
        ("neutral", LABELS["neutral"]),
        ("negative", LABELS["negative"]),
        ("positive_share", _("Positive share (%)")),
        ("negative_share", _("Negative share (%)")),
        ("net", _("Net sentiment (points)")),
        ("spam", LABELS["spam"]),
    ],
    "intents": [("intent", _("Intent")), ("messages", _("Messages")), ("conversations", _("Conversations"))],
    "figures": [("figure", _("Figure")), ("value", _("Value"))],
}


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


@dataclasses.dataclass(frozen=True, slots=True)
class SentimentPoint:
    """Triaged messages of one period (or of the whole range), by band."""

    period: dt.date | None  # None for the whole range
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    spam: int = 0

    @property
    def rated(self) -> int:  # the messages the shares are of (spam left out)
        return self.positive + self.neutral + self.negative

    @property
    def positive_share(self) -> float | None:  # percent; None when nothing was rated
        return _share(self.positive, self.rated)

    @property
    def neutral_share(self) -> float | None:
        return _share(self.neutral, self.rated)

    @property
    def negative_share(self) -> float | None:
        return _share(self.negative, self.rated)

    @property
    def net(self) -> float | None:
        """Positive share minus negative share, in points (-100 to 100)."""
        if not self.rated:
            return None
        return _share(self.positive - self.negative, self.rated)

    def cells(self) -> dict[str, object]:
        return {name: getattr(self, name) for name, _heading in COLUMNS["series"]}


@dataclasses.dataclass(frozen=True, slots=True)
class IntentRow:
    intent: str
    messages: int  # triaged messages with this intent received in the range
    conversations: int  # conversations the inbox lists for `drill`
    drill: dict[str, str]  # the inbox's GET parameters for exactly those conversations

    @property
    def label(self) -> str:
        return str(Intent(self.intent).label) if self.intent in Intent.values else self.intent

    def cells(self) -> dict[str, object]:
        return {"intent": self.label, "messages": self.messages, "conversations": self.conversations}


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    key: str
    value: int
    drill: dict[str, str] | None = None  # None: the inbox cannot list exactly these

    @property
    def label(self) -> str:
        return str(LABELS[self.key])

    def cells(self) -> dict[str, object]:
        return {"figure": self.label, "value": self.value}


@dataclasses.dataclass(frozen=True)
class SentimentReport:
    series: list[SentimentPoint]
    total: SentimentPoint
    intents: list[IntentRow]
    suggestions: list[Figure]  # offered, then sent as is, edited, ignored, not decided yet
    auto_replies: list[Figure]  # sent, handed back

    @property
    def spam(self) -> Figure:
        return Figure("spam", self.total.spam)


def _triages(workspace: Workspace, f: ReportFilter) -> QuerySet[MessageTriage]:
    qs = MessageTriage.objects.filter(
        message__workspace=workspace, message__created_at__gte=f.start, message__created_at__lt=f.end
    )
    return _scoped(qs, f, "message__")


def _scoped(qs: QuerySet, f: ReportFilter, to_message: str) -> QuerySet:
    """`qs` (rows reaching a message through `to_message`) narrowed by the filter's channel, network,
    label and assignee."""
    if f.channel:
        qs = qs.filter(**{f"{to_message}channel_id": f.channel})
    if f.network:
        qs = qs.filter(**{f"{to_message}channel__network": f.network})
    if f.label:
        qs = qs.filter(**{f"{to_message}conversation__labels": f.label})
    if f.assignee:
        qs = qs.filter(**{f"{to_message}conversation__assignee_id": f.assignee})
    return qs


def sentiment_series(workspace: Workspace, f: ReportFilter) -> list[SentimentPoint]:
    """One point per period of the range (zeros where nothing was received). One query."""
    rows = (
        _triages(workspace, f)
        .annotate(period=period_trunc("message__created_at", f))
        .values("period")
        .annotate(**{band: Count("pk", filter=q) for band, q in BANDS.items()}, spam=Count("pk", filter=SPAM))
        .values_list("period", *COUNTS)
        .order_by()
    )
    counted = {period_key(period, f): dict(zip(COUNTS, n, strict=True)) for period, *n in rows}
    return [SentimentPoint(period, **counted.get(period, {})) for period in period_buckets(f)]


def inbox_query(f: ReportFilter, **extra: str) -> dict[str, str]:
    """The inbox's GET parameters for the conversations of the filter's range (by last message, any
    status), channel, network, label and assignee, plus `extra` (an intent)."""
    query = {
        "status": ALL,
        "date_from": f.start.date().isoformat(),
        "date_to": (f.end - dt.timedelta(days=1)).date().isoformat(),
    }
    if f.channel:
        query["channel"] = str(f.channel)
    if f.network:
        query["network"] = f.network
    if f.label:
        query["label"] = str(f.label)
    if f.assignee:
        query["assignee"] = str(f.assignee)
    return query | extra


def _as_inbox_reads(query: dict[str, str]):
    """The inbox's own reading of a query: what its list would show for it."""
    params = QueryDict(mutable=True)
    params.update(query)
    return FilterForm(params).filters()


def top_intents(workspace: Workspace, f: ReportFilter, *, user: User) -> list[IntentRow]:
    """Intents by messages received, most first, with the conversations the inbox lists for each (in the
    zone `user` reads dates in, as the inbox does). Two queries."""
    messages = dict(_triages(workspace, f).values_list("intent").annotate(n=Count("pk")).order_by())
    base = inbox_query(f)
    conversations = dict(
        conversations_filtered(workspace=workspace, user=user, filters=_as_inbox_reads(base))
        .annotate(latest_intent=Subquery(_latest_triage_intent()))
        .filter(latest_intent__isnull=False)
        .values_list("latest_intent")
        .annotate(n=Count("pk"))
        .order_by()
    )
    intents = sorted(set(messages) | set(conversations), key=lambda i: (-messages.get(i, 0), i))
    return [
        IntentRow(
            intent=intent,
            messages=messages.get(intent, 0),
            conversations=conversations.get(intent, 0),
            drill=base | {"intent": intent},
        )
        for intent in intents
    ]


def suggestion_figures(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> list[Figure]:
    """Suggestions offered in the range, and what became of them; with `user_id`, only those that person
    decided on (an agent's own figures: an undecided suggestion names nobody). One query."""
    offered = _scoped(
        Suggestion.objects.filter(
            message__workspace=workspace, created_at__gte=f.start, created_at__lt=f.end
        ),
        f,
        "message__",
    )
    if user_id is not None:
        offered = offered.filter(decided_by_id=user_id)
    fates = dict(offered.values_list("fate").annotate(n=Count("pk")).order_by())
    Fate = Suggestion.Fate
    return [
        Figure("offered", sum(fates.values())),
        Figure("sent_as_is", fates.get(Fate.SENT_AS_IS, 0)),
        Figure("edited", fates.get(Fate.EDITED, 0)),
        Figure("ignored", fates.get(Fate.IGNORED, 0)),
        Figure("pending", fates.get(Fate.PENDING, 0)),
    ]


def auto_reply_figures(workspace: Workspace, f: ReportFilter) -> list[Figure]:
    """Auto-replies sent directly in the range, and hand-backs in the range. One query."""
    sent_in = Q(created_at__gte=f.start, created_at__lt=f.end)
    handed_in = Q(handed_back_at__gte=f.start, handed_back_at__lt=f.end)
    rows = _scoped(
        AutoReply.objects.filter(workspace=workspace, mode=AutoReply.Mode.SENT).filter(sent_in | handed_in),
        f,
        "message__",
    ).aggregate(sent=Count("pk", filter=sent_in), handed_back=Count("pk", filter=handed_in))
    return [Figure("auto_sent", rows["sent"]), Figure("handed_back", rows["handed_back"])]


def sentiment_report(workspace: Workspace, f: ReportFilter, *, user: User) -> SentimentReport:
    """Everything the Sentiment and intent report shows, in five queries."""
    series = sentiment_series(workspace, f)
    total = SentimentPoint(
        None,
        **{name: sum(getattr(p, name) for p in series) for name in COUNTS},
    )
    return SentimentReport(
        series=series,
        total=total,
        intents=top_intents(workspace, f, user=user),
        suggestions=suggestion_figures(workspace, f),
        auto_replies=auto_reply_figures(workspace, f),
    )
