"""The Sentiment and intent and the Publishing report pages, through the views, on hand-built data:
figures, drill-downs, the agent's own figures, outsiders, bounded queries, bad filters, and CSVs that hold
exactly what the tables show."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Membership, Workspace
from assistant.models import AutoReply, Suggestion
from networks.providers.base import PostMetrics
from posts.models import FailureCause, Post, PostEvent, PostTarget
from posts.services.metrics import record_metrics
from tests.factories import MembershipFactory
from tests.reports.test_sentiment import conversation, inbound

pytestmark = pytest.mark.django_db

# Wednesday 2026-11-25, 12:00 in Paris: "the last 7 days" are Thursday 19th to Wednesday 25th.
NOW = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paris(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(timezone="Europe/Paris")
    workspace.refresh_from_db()
    return workspace


def _url(workspace, name, query="range=7d"):
    return f"{reverse(name, args=[workspace.slug])}?{query}"


class _Tables(HTMLParser):
    """Each <table id=...> of a page as rows of cell texts (headings first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.hrefs: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table], self.hrefs[self._table] = [], []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
            self.hrefs[self._table].append([])
        elif self._table and tag in ("th", "td"):
            self._cell = []
        elif self._table and tag == "a" and self._cell is not None:
            self.hrefs[self._table][-1].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._table and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(response) -> _Tables:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _assert_csv_equals_tables(client, url):
    page = client.get(url)
    rows = _csv(client.get(f"{url}&format=csv"))
    by_title: dict[str, list[list[str]]] = {}
    for title, *cells in rows:
        by_title.setdefault(title, []).append(cells)
    shown = [t for t in page.context["tables"] if t["rows"]]
    assert shown
    for t in shown:
        assert by_title[t["title"]] == _tables(page).tables[t["key"]], t["key"]


# --- Sentiment and intent ------------------------------------------------------------------------------


@pytest.fixture
def moods(paris, channels, manager, agent):
    """Last 7 days: two positive, one neutral, one negative, one spam; suggestions decided by each."""
    x, fb = channels
    convs = {
        "praise": conversation(x, at=MONDAY),
        "question": conversation(fb, at=MONDAY),
        "complaint": conversation(x, at=MONDAY),
    }
    inbound(convs["praise"], at=MONDAY, sentiment=0.8, intent="praise")
    inbound(convs["praise"], at=MONDAY + HOUR, sentiment=0.6, intent="praise")
    question = inbound(convs["question"], at=MONDAY, sentiment=0.0, intent="question")
    inbound(convs["complaint"], at=MONDAY + 2 * HOUR, sentiment=-0.9, intent="complaint")
    inbound(conversation(fb, at=MONDAY), at=MONDAY, sentiment=0.9, intent="other", spam=0.99)
    inbound(conversation(x, at=MONDAY - 10 * 24 * HOUR), at=MONDAY - 10 * 24 * HOUR, sentiment=-1)  # before
    F = Suggestion.Fate
    for fate, person in ((F.SENT_AS_IS, agent), (F.IGNORED, agent), (F.EDITED, manager), (F.PENDING, None)):
        Suggestion.objects.create(
            message=question, kind="faq", text="Hello", rank=1, confidence=0.9, fate=fate,
            decided_by=person, created_at=MONDAY,
        )  # fmt: skip
    AutoReply.objects.create(workspace=paris, message=question, mode=AutoReply.Mode.SENT, created_at=MONDAY)
    return convs


def test_sentiment_figures_through_the_page(moods, workspace, manager_client):
    response = manager_client.get(_url(workspace, "reports_sentiment"))
    assert response.status_code == 200
    total = response.context["report"].total
    assert (total.positive, total.neutral, total.negative, total.spam) == (2, 1, 1, 1)
    assert response.context["net"] == "+25"  # (2 - 1) / 4 rated, spam left out
    tables = _tables(response).tables
    series = tables["sentiment-series"]
    assert len(series) == 1 + 7 + 1  # headings, seven days, the whole period
    assert series[5][:4] == ["2026-11-23", "2", "1", "1"]  # Monday, Paris
    assert series[1][4] == "—"  # a day nobody wrote: no share, not 0 %
    assert series[-1][6] == "25.0"
    figures = dict(tuple(row) for row in tables["sentiment-figures"][1:])
    assert figures["Spam caught"] == "1"
    assert (figures["Suggestions offered"], figures["Sent as is"], figures["Edited before sending"]) == (
        "4",
        "1",
        "1",
    )
    assert (figures["Auto-replies sent"], figures["Handed back to a person"]) == ("1", "0")
    assert 'data-chart="series"' in response.content.decode()
    assert response.context["chart_data"]["series"]["lines"][0]["values"][4] == 50.0  # Monday: 2 of 4 rated


def test_each_intent_opens_the_inbox_on_exactly_its_conversations(moods, workspace, manager_client):
    parsed = _tables(manager_client.get(_url(workspace, "reports_sentiment")))
    rows, hrefs = parsed.tables["sentiment-intents"][1:], parsed.hrefs["sentiment-intents"][1:]
    assert [row[0] for row in rows][:1] == ["Praise"]  # most messages first
    for row, (href,) in zip(rows, hrefs, strict=True):
        page = manager_client.get(href.replace("&amp;", "&"))
        assert page.status_code == 200 and not page.context["filter_errors"]
        listed = {c.pk for c in page.context["rows"]}
        assert len(listed) == int(row[2])
        if row[0] == "Praise":
            assert listed == {moods["praise"].pk}


def test_an_agent_sees_only_the_suggestions_they_decided_on(moods, workspace, agent_client):
    response = agent_client.get(_url(workspace, "reports_sentiment"))
    assert response.status_code == 200
    assert response.context["report"] is None
    content = response.content.decode()
    assert 'id="figure-net"' not in content and "sentiment-intents" not in content
    assert "name no one in the team" in content and "the replies you sent" not in content
    figures = dict(tuple(row) for row in _tables(response).tables["sentiment-figures"][1:])
    assert figures == {"Sent as is": "1", "Edited before sending": "0", "Ignored": "1"}
    _assert_csv_equals_tables(agent_client, _url(workspace, "reports_sentiment"))


def test_the_sentiment_csv_holds_what_the_tables_show(moods, workspace, manager_client):
    _assert_csv_equals_tables(manager_client, _url(workspace, "reports_sentiment", "range=7d&grouping=week"))


# --- Publishing ----------------------------------------------------------------------------------------


def _published(channel, author, external_id, *, scheduled, at) -> PostTarget:
    post = Post.objects.create(
        workspace=channel.workspace, author=author, title=f"Post {external_id}", scheduled_at=scheduled
    )
    return PostTarget.objects.create(
        post=post, channel=channel, status=PostTarget.Status.PUBLISHED, external_id=external_id,
        published_at=at, permalink=f"https://x.example/{external_id}",
    )  # fmt: skip


@pytest.fixture
def posts(paris, channels, manager, agent):
    x, fb = channels
    read = _published(x, agent, "1", scheduled=MONDAY, at=MONDAY + 2 * dt.timedelta(minutes=1))
    late = _published(x, manager, "2", scheduled=MONDAY, at=MONDAY + HOUR)
    never_read = _published(fb, agent, "3", scheduled=None, at=MONDAY + 2 * HOUR)
    _published(fb, agent, "4", scheduled=None, at=MONDAY - 10 * 24 * HOUR)  # before the range
    record_metrics([read], [PostMetrics(post_id="1", likes=0, views=12)], now=MONDAY + HOUR)
    PostEvent.objects.create(
        post=late.post, target=late, action="target_failed", cause=FailureCause.TRANSIENT, created_at=MONDAY
    )
    PostEvent.objects.create(post=late.post, action="submitted", created_at=MONDAY - 3 * HOUR)
    PostEvent.objects.create(post=late.post, action="approved", created_at=MONDAY - HOUR)
    return {"read": read, "late": late, "never_read": never_read}


def test_publishing_figures_through_the_page(posts, workspace, manager_client):
    response = manager_client.get(_url(workspace, "reports_publishing"))
    assert response.status_code == 200
    assert (response.context["report"].published, response.context["on_time"], response.context["late"]) == (
        3,
        1,
        1,
    )
    assert response.context["lead_seconds"] == 2 * 3600
    tables = _tables(response).tables
    networks = {row[0]: row[1:4] for row in tables["publishing-networks"][1:]}
    assert networks == {"X": ["2", "1", "1"], "Facebook": ["1", "0", "0"]}
    assert tables["publishing-failures"][1:] == [[str(FailureCause.TRANSIENT.label), "1"]]
    headings = tables["publishing-posts"][0]
    views, likes, comments = headings.index("Views"), headings.index("Likes"), headings.index("Comments")
    by_post = {row[0]: row for row in tables["publishing-posts"][1:]}
    assert (by_post["Post 1"][views], by_post["Post 1"][likes], by_post["Post 1"][comments]) == (
        "12",
        "0",
        "—",
    )
    assert by_post["Post 3"][views] == "—" and by_post["Post 3"][likes] == "—"  # never read: no 0
    series = tables["publishing-series"]
    assert series[5][:2] == ["2026-11-23", "3"]


def test_each_post_row_opens_that_post(posts, workspace, manager_client):
    parsed = _tables(manager_client.get(_url(workspace, "reports_publishing")))
    for row, hrefs in zip(
        parsed.tables["publishing-posts"][1:], parsed.hrefs["publishing-posts"][1:], strict=True
    ):
        page = manager_client.get(hrefs[0])
        assert page.status_code == 200 and page.context["post"].title == row[0]
        assert hrefs[-1].startswith("https://x.example/")


def test_an_agent_sees_the_figures_of_their_own_posts(posts, workspace, agent_client):
    response = agent_client.get(_url(workspace, "reports_publishing"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.published == 2 and report.failed == 0 and report.lead_time.approved == 0
    assert {p.post for p in report.posts} == {"Post 1", "Post 3"}
    assert "the posts you wrote" in response.content.decode()
    _assert_csv_equals_tables(agent_client, _url(workspace, "reports_publishing"))


def test_the_publishing_csv_holds_what_the_tables_show(posts, workspace, manager_client):
    _assert_csv_equals_tables(manager_client, _url(workspace, "reports_publishing"))


# --- Both pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reports_sentiment", "reports_publishing"])
def test_an_outsider_gets_404(workspace, outsider_client, name):
    assert outsider_client.get(_url(workspace, name)).status_code == 404
    assert outsider_client.get(_url(workspace, name, "range=7d&format=csv")).status_code == 404


@pytest.mark.parametrize("name", ["reports_sentiment", "reports_publishing"])
def test_bad_filters_answer_400_with_the_error(workspace, manager_client, name):
    response = manager_client.get(_url(workspace, name, "range=custom&start=2026-11-10&end=2026-11-01"))
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert manager_client.get(_url(workspace, name, "range=forever&channel=x")).status_code == 400
    assert manager_client.get(_url(workspace, name, "range=forever&format=csv")).status_code == 400


def _more(workspace, channels, n):
    x, fb = channels
    for i in range(n):
        people = MembershipFactory(workspace=workspace, role=Membership.Role.AGENT).user
        conv = conversation(x if i % 2 else fb, at=MONDAY)
        message = inbound(conv, at=MONDAY, sentiment=(i % 3 - 1) * 0.9, intent=["praise", "question"][i % 2])
        Suggestion.objects.create(
            message=message, kind="faq", text="Hi", rank=1, confidence=0.5, fate=Suggestion.Fate.EDITED,
            decided_by=people, created_at=MONDAY,
        )  # fmt: skip
        target = _published(x if i % 2 else fb, people, f"more-{i}", scheduled=MONDAY, at=MONDAY + HOUR)
        record_metrics([target], [PostMetrics(post_id=f"more-{i}", likes=i)], now=MONDAY + HOUR)
        PostEvent.objects.create(post=target.post, target=target, action="target_missed", created_at=MONDAY)


def test_query_counts_do_not_grow_with_the_data(
    moods, posts, workspace, channels, manager_client, agent_client, django_assert_num_queries
):
    # Guards against a query per period, intent, post, snapshot or network (the N+1s a table per figure
    # invites). Ten for the page around the report (session, person, membership, the filter's menus, the
    # navigation), nine for an agent (no approvals wait for them); Sentiment: its five reads (an agent:
    # one, their suggestions); Publishing: its seven.
    manager_client.get(_url(workspace, "reports_sentiment"))  # the first visit remembers the workspace
    agent_client.get(_url(workspace, "reports_sentiment"))
    for _round in range(2):
        with django_assert_num_queries(10 + 5):
            manager_client.get(_url(workspace, "reports_sentiment"))
        with django_assert_num_queries(9 + 1):
            agent_client.get(_url(workspace, "reports_sentiment"))
        with django_assert_num_queries(10 + 7):
            manager_client.get(_url(workspace, "reports_publishing"))
        with django_assert_num_queries(9 + 7):
            agent_client.get(_url(workspace, "reports_publishing", "range=7d&grouping=week"))
        _more(workspace, channels, 6)


def test_the_new_tabs_are_in_french_for_french_readers(moods, posts, workspace, manager, manager_client):
    manager.language = "fr"
    manager.save(update_fields=["language"])
    sentiment = manager_client.get(_url(workspace, "reports_sentiment")).content.decode()
    assert "Sentiment et intention" in sentiment and "Sentiment au fil du temps" in sentiment
    publishing = manager_client.get(_url(workspace, "reports_publishing")).content.decode()
    assert "Engagement par publication" in publishing and "Délai médian de validation" in publishing
