"""The Reviews report (issue 18), through the view, on hand-built review threads: the average rating over
time and in total, the distribution of stars (each row opening the inbox on those reviews), the response
rate and the median response time, filtered by period and channel, the CSV holding what the tables show,
agents and outsiders, bounded queries, and the charts' data island (no inline script)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inbox.models import Conversation, Message
from reports.services import conversations_facts_refresh
from tests.reports.test_sentiment_publishing_pages import _assert_csv_equals_tables, _csv, _tables

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)  # a Wednesday
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
_ids = itertools.count(5000)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def review(channel, stars, *, at=MONDAY, answered_after=None, by=None, text="Un avis."):
    """A review thread written at `at` with `stars`, answered by `by` after `answered_after` if given."""
    conversation = Conversation.objects.create(
        workspace=channel.workspace,
        channel=channel,
        kind=Conversation.Kind.REVIEW,
        root_external_id=f"rev-{next(_ids)}",
        created_at=at,
        last_message_at=at,
        rating=stars,
    )
    Message.objects.create(
        workspace=channel.workspace, conversation=conversation, channel=channel, external_id=f"m{next(_ids)}",
        kind="review", text=text, created_at=at, rating=stars,
    )  # fmt: skip
    if answered_after is not None:
        Message.objects.create(
            workspace=channel.workspace, conversation=conversation, channel=channel,
            external_id=f"m{next(_ids)}", direction=Message.Direction.OUT, author_user=by, kind="reply",
            send_status=Message.SendStatus.SENT, text="Merci", created_at=at + answered_after,
            sent_at=at + answered_after,
        )  # fmt: skip
    conversations_facts_refresh(conversation_ids=[conversation.pk])
    return conversation


@pytest.fixture
def reviews(channels, manager):
    """This week on the Facebook channel: 1, 2, 5, 5 stars (two answered, in 2 h and 6 h); one 4-star
    review on X; one 1-star review a month ago; a comment thread (not a review)."""
    x, fb = channels
    made = [
        review(fb, 1, answered_after=2 * HOUR, by=manager),
        review(fb, 2, at=MONDAY + HOUR),
        review(fb, 5, at=MONDAY + 24 * HOUR, answered_after=6 * HOUR, by=manager),
        review(fb, 5, at=MONDAY + 25 * HOUR),
        review(x, 4, at=MONDAY),
        review(fb, 1, at=MONDAY - 30 * 24 * HOUR),
    ]
    comment = Conversation.objects.create(
        workspace=fb.workspace, channel=fb, kind=Conversation.Kind.COMMENT, root_external_id="c1",
        created_at=MONDAY, last_message_at=MONDAY,
    )  # fmt: skip
    Message.objects.create(
        workspace=fb.workspace,
        conversation=comment,
        channel=fb,
        external_id="c1",
        text="Hi",
        created_at=MONDAY,
    )
    conversations_facts_refresh(conversation_ids=[comment.pk])
    return made


def url(workspace, query="range=7d"):
    return f"{reverse('reports_reviews', args=[workspace.slug])}?{query}"


def test_the_figures_of_the_week(reviews, workspace, manager_client):
    response = manager_client.get(url(workspace))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total.reviews == 5 and report.total.average == pytest.approx((1 + 2 + 5 + 5 + 4) / 5)
    assert [row.reviews for row in report.distribution] == [1, 1, 0, 1, 2]
    assert report.answered == 2 and report.response_rate == pytest.approx(40.0)
    assert report.median_response_seconds == pytest.approx(4 * 3600)  # of 2 h and 6 h
    html = response.content.decode()
    assert "3.4 / 5" in html and "40 %" in html and "4 h" in html


def test_the_average_rating_over_time_by_day_and_by_week(reviews, workspace, manager_client):
    by_day = manager_client.get(url(workspace)).context["report"].series
    monday = {p.period: p for p in by_day}[MONDAY.date()]
    assert monday.reviews == 3 and monday.average == 2.3  # (1 + 2 + 4) / 3, to one decimal
    assert {p.period: p for p in by_day}[dt.date(2026, 11, 24)].average == 5
    assert all(p.reviews == 0 and p.average is None for p in by_day if p.period < MONDAY.date())
    by_week = manager_client.get(url(workspace, "range=90d&grouping=week")).context["report"].series
    week = {p.period: p for p in by_week}[MONDAY.date()]
    assert week.reviews == 5
    month_ago = {p.period: p for p in by_week}[dt.date(2026, 10, 19)]
    assert month_ago.reviews == 1 and month_ago.average == 1


def test_filtered_by_channel(reviews, workspace, channels, manager_client):
    x, _fb = channels
    report = manager_client.get(url(workspace, f"range=7d&channel={x.pk}")).context["report"]
    assert report.total.reviews == 1 and report.total.average == 4 and report.answered == 0
    assert report.response_rate == 0 and report.median_response_seconds is None


def test_an_edited_review_counts_with_its_current_stars(reviews, workspace, manager_client):
    two = reviews[1]
    Conversation.objects.filter(pk=two.pk).update(rating=4)
    report = manager_client.get(url(workspace)).context["report"]
    assert [row.reviews for row in report.distribution] == [1, 0, 0, 2, 2]


def test_each_row_by_stars_opens_the_inbox_on_those_reviews(reviews, workspace, channels, manager_client):
    x, _fb = channels
    page = manager_client.get(url(workspace, f"range=7d&channel={x.pk}"))
    links = _tables(page).hrefs["reviews-stars"]
    four = [href for row in links for href in row if "rating=4" in href]
    assert four == [f"/w/acme/inbox/?channel={x.pk}&kind=review&rating=4&status=all"]
    listed = manager_client.get(four[0].replace("&amp;", "&")).content.decode()
    assert re.findall(r'<li id="conv-(\d+)"', listed) == [str(reviews[4].pk)]


def test_nothing_in_the_period_says_so(workspace, manager_client, channels):
    response = manager_client.get(url(workspace))
    report = response.context["report"]
    assert report.total.reviews == 0 and report.total.average is None and report.response_rate is None
    assert response.status_code == 200 and "–" in response.content.decode()


def test_the_csv_holds_what_the_tables_show(reviews, workspace, manager_client):
    _assert_csv_equals_tables(manager_client, url(workspace))
    rows = _csv(manager_client.get(url(workspace, "range=7d&format=csv")))
    assert ["Answers", "Response rate (%)", "40.0"] in rows


def test_the_charts_read_a_data_island_and_the_page_has_no_inline_script(reviews, workspace, manager_client):
    html = manager_client.get(url(workspace)).content.decode()
    island = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(island.group(1))
    assert data["series"]["lines"][0]["label"] == "Average rating"
    assert data["buckets"]["bars"][0]["values"] == [1, 1, 0, 1, 2]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert scripts == []
    assert 'data-chart="series"' in html and 'data-chart="buckets"' in html


def test_agents_see_no_ones_figures_here(reviews, workspace, agent_client):
    response = agent_client.get(url(workspace))
    assert response.status_code == 200 and response.context.get("report") is None
    assert "Reviews name no one in the team" in response.content.decode()


def test_an_outsider_gets_404(reviews, workspace, outsider_client):
    assert outsider_client.get(url(workspace)).status_code == 404
    assert outsider_client.get(url(workspace, "range=7d&format=csv")).status_code == 404


@pytest.mark.parametrize(
    "query", ["range=forever", "range=custom&start=2026-11-20", "channel=abc", "grouping=year"]
)
def test_a_bad_filter_is_a_400_saying_why(workspace, manager_client, query):
    response = manager_client.get(url(workspace, query))
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_the_query_count_does_not_grow_with_the_reviews(channels, workspace, manager, manager_client):
    """Guards against a query per review, per period or per star (three for the report itself)."""
    x, fb = channels
    manager_client.get(url(workspace))

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(url(workspace)).status_code == 200
        return len(queries)

    review(fb, 3, answered_after=HOUR, by=manager)
    few = cost()
    for n in range(12):
        review(
            x if n % 2 else fb,
            1 + n % 5,
            at=MONDAY + n * HOUR,
            answered_after=HOUR if n % 3 else None,
            by=manager,
        )
    assert cost() == few


def test_the_conversations_export_holds_each_reviews_stars(reviews, workspace, manager_client):
    response = manager_client.get(
        reverse("reports_conversations_csv", args=[workspace.slug]), {"range": "7d"}
    )
    header, *rows = _csv(response)
    stars = {row[0]: row[header.index("rating")] for row in rows}
    assert stars[str(reviews[0].pk)] == "1" and stars[str(reviews[4].pk)] == "4"
    assert header[-1] == "link"
    comment = Conversation.objects.get(kind=Conversation.Kind.COMMENT)
    assert stars[str(comment.pk)] == ""


def test_an_average_of_stars_is_rounded_half_up_the_same_everywhere():
    """Found by a new user: 20 reviews averaging 3.15 read 3.2 on the card and 3.1 in the tables."""
    from reports.reviews import _stars_average

    assert _stars_average(63 / 20) == 3.2 and _stars_average(3.14) == 3.1 and _stars_average(None) is None
