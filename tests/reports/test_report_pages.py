"""The Inbox and Team report pages, through the views, on hand-built timelines: figures, drill-downs that
list exactly the counted conversations, CSV, roles, outsiders and bounded queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from accounts.models import Membership
from inbox.models import InboxPolicy
from networks.models import Channel
from posts.models import PostEvent, Review
from reports.services import facts_rebuild
from tests.factories import MembershipFactory
from tests.reports.timelines import thread

pytestmark = pytest.mark.django_db

# Wednesday 2026-11-25, 12:00 in Paris: "the last 7 days" are Thursday 19th to Wednesday 25th.
NOW = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
SATURDAY_16_PARIS = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)
MONDAY_10_PARIS = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hours(workspace):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    InboxPolicy.objects.update_or_create(
        workspace=workspace,
        defaults={
            "business_hours": {str(d): ["09:00", "18:00"] for d in range(5)},
            "first_response_minutes": 120,
        },
    )
    return workspace


@pytest.fixture
def timeline(hours, channels, manager, agent):
    """Four conversations in the last 7 days and one in the 7 before, facts rebuilt."""
    x, fb = channels
    h = dt.timedelta(hours=1)
    weekend = thread(
        x,
        ("in", SATURDAY_16_PARIS, None),
        ("out", SATURDAY_16_PARIS + 60 * dt.timedelta(seconds=1), None),
        ("out", MONDAY_10_PARIS, agent),
    )  # auto-reply at once, agent Monday 10:00: 1 business hour
    quick = thread(
        fb,
        ("in", MONDAY_10_PARIS, None),
        ("out", MONDAY_10_PARIS + 0.5 * h, agent),
        ("in", MONDAY_10_PARIS + 2 * h, None),
        ("out", MONDAY_10_PARIS + 3 * h, manager),
        ("resolve", MONDAY_10_PARIS + 4 * h, manager),
    )
    slow = thread(
        x, ("in", MONDAY_10_PARIS + 0.25 * h, None), ("out", MONDAY_10_PARIS + 5.25 * h, manager)
    )  # 5 h: missed
    silent = thread(fb, ("in", NOW - 2 * h, None))
    before = thread(
        x, ("in", MONDAY_10_PARIS - 7 * 24 * h, None), ("out", MONDAY_10_PARIS - 7 * 24 * h + h, agent)
    )
    return facts_rebuild(workspace=hours) and {
        "weekend": weekend,
        "quick": quick,
        "slow": slow,
        "silent": silent,
        "before": before,
    }


def _url(workspace, name="reports_inbox", query="range=7d"):
    return f"{reverse(name, args=[workspace.slug])}?{query}"


def _drill_ids(client, href: str) -> set[int]:
    """Follow a drill-down link to the inbox and read which conversations its list shows."""
    response = client.get(href.replace("&amp;", "&"))
    assert response.status_code == 302
    target = response["Location"]
    assert urlsplit(target).path.endswith("/inbox/")
    page = client.get(target)
    assert page.status_code == 200
    return {int(pk) for pk in re.findall(r'id="conv-(\d+)"', page.content.decode())}


def _href(content: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*href="([^"]+)"', content) or re.search(
        rf'href="([^"]+)"[^>]*id="{element_id}"', content
    )
    assert match, element_id
    return match.group(1)


def test_reports_redirects_to_the_inbox_report_keeping_the_filter(workspace, manager_client):
    response = manager_client.get(f"{reverse('reports', args=[workspace.slug])}?range=90d")
    assert response.status_code == 302
    assert response["Location"] == _url(workspace, query="range=90d")


def test_inbox_report_figures_on_a_hand_built_timeline(timeline, workspace, manager_client):
    response = manager_client.get(_url(workspace, query="range=7d&compare=on"))
    assert response.status_code == 200
    report = response.context["report"]
    now = report["current"]
    assert now.counts == {"created": 4, "received": 5, "sent": 5}  # the auto-reply is a message sent
    first = now.durations["first_response"]
    # Wall clock: weekend 42 h (the auto-reply does not stop the clock), quick 30 min, slow 5 h.
    assert first.count == 3
    assert first.median == 5 * 3600
    assert now.buckets == [1, 0, 1, 0, 1]
    assert (now.sla_met, now.sla_missed) == (2, 1)  # the target (2 h) counts business hours: weekend met
    assert now.durations["reply"].count == 4  # weekend, quick x2, slow
    assert now.durations["resolution"].count == 1
    assert now.durations["resolution"].median == 4 * 3600
    assert report["previous"].counts["created"] == 1
    heat = {(c.weekday, c.hour): c.count for row in report["heatmap"] for c in row if c.count}
    assert heat == {(6, 16): 1, (1, 10): 2, (1, 12): 1, (3, 10): 1}  # Paris hours


def test_business_hours_across_a_weekend_through_the_page(timeline, workspace, manager_client):
    report = manager_client.get(_url(workspace, query="range=7d&business_hours=on")).context["report"]
    first = report["current"].durations["first_response"]
    # Business hours: weekend 1 h (Monday 09:00-10:00), quick 30 min, slow 5 h.
    assert (first.count, first.median) == (3, 3600)
    assert report["current"].buckets == [1, 1, 1, 0, 0]


def test_drill_down_lists_exactly_the_counted_conversations(timeline, workspace, manager_client):
    content = manager_client.get(_url(workspace)).content.decode()
    t = timeline
    created = re.search(r'id="figure-created".*?href="([^"]+)"', content, re.S).group(1)
    assert _drill_ids(manager_client, created) == {
        t["weekend"].pk,
        t["quick"].pk,
        t["slow"].pk,
        t["silent"].pk,
    }
    assert _drill_ids(manager_client, _href(content, "sla-missed")) == {t["slow"].pk}
    assert _drill_ids(manager_client, _href(content, "bucket-0")) == {t["quick"].pk}  # under an hour
    assert _drill_ids(manager_client, _href(content, "heat-1-10")) == {t["quick"].pk, t["slow"].pk}
    previous = re.search(r'id="figure-created".*?period=previous', content, re.S)
    assert previous is None  # compare is off: no previous period shown


def test_drill_down_to_nothing_lists_nothing(timeline, workspace, manager_client):
    href = _url(workspace, "reports_drill", "range=7d&metric=bucket&bucket=3")
    assert _drill_ids(manager_client, href) == set()


def test_previous_period_drill_down(timeline, workspace, manager_client):
    content = manager_client.get(_url(workspace, query="range=7d&compare=on")).content.decode()
    previous = re.search(r'id="figure-created".*?href="([^"]+period=previous)"', content, re.S).group(1)
    assert _drill_ids(manager_client, previous) == {timeline["before"].pk}


def test_series_groups_by_day_in_the_workspace_zone(timeline, workspace, manager_client):
    report = manager_client.get(_url(workspace, query="range=7d&grouping=day")).context["report"]
    days = {row["day"]: row["created"] for row in report["series"]}
    assert len(days) == 7
    assert days[dt.date(2026, 11, 21)] == 1 and days[dt.date(2026, 11, 23)] == 2
    weekly = manager_client.get(_url(workspace, query="range=7d&grouping=week")).context["report"]["series"]
    assert [(row["day"], row["created"]) for row in weekly] == [
        (dt.date(2026, 11, 16), 1),
        (dt.date(2026, 11, 23), 3),
    ]


def test_bad_filter_shows_the_error_not_a_500(workspace, manager_client):
    response = manager_client.get(_url(workspace, query="range=custom&start=2026-11-10&end=2026-11-01"))
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert manager_client.get(_url(workspace, query="range=forever&channel=x")).status_code == 400
    drill = manager_client.get(_url(workspace, "reports_drill", "range=custom"))
    assert drill.status_code == 302


def test_inbox_csv_holds_what_the_page_shows(timeline, workspace, manager_client):
    response = manager_client.get(_url(workspace, query="range=7d&format=csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    as_dict = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert as_dict[("Volume", "Conversations created")] == "4"
    assert as_dict[("First response distribution", "0-1 h")] == "1"
    assert as_dict[("Messages received by hour of the week", "Monday 10:00")] == "2"


def test_team_report_per_agent(timeline, workspace, manager_client, manager, agent):
    from posts import services as post_services

    post = post_services.post_create(
        author=agent.memberships.get(), text="Hi", channels=list(workspace.channels.all())
    )
    PostEvent.objects.create(
        post=post, actor=agent, action="submitted", created_at=NOW - dt.timedelta(hours=3)
    )
    Review.objects.create(post=post, reviewer=manager, decision=Review.Decision.APPROVE, created_at=NOW)
    response = manager_client.get(_url(workspace, "reports_team"))
    rows = {row.user.pk: row for row in response.context["rows"]}
    assert rows[agent.pk].replies == 2  # weekend, quick's first
    assert rows[manager.pk].replies == 2  # quick's second, slow
    assert rows[manager.pk].resolved == 1
    assert rows[agent.pk].first_response_median == (30 * 60 + 42 * 3600) / 2
    assert rows[manager.pk].sla_missed == 1
    assert rows[manager.pk].approvals_given == 1
    assert rows[agent.pk].approvals_requested == 1
    content = response.content.decode()
    resolved = re.search(
        rf'id="agent-{manager.pk}".*?class="agent-resolved" href="([^"]+)"', content, re.S
    ).group(1)
    assert _drill_ids(manager_client, resolved) == {timeline["quick"].pk}


def test_an_agent_sees_only_their_own_figures(timeline, workspace, agent_client, agent):
    response = agent_client.get(_url(workspace))
    assert response.status_code == 200
    report = response.context["report"]
    assert report["heatmap"] is None
    assert report["current"].counts["sent"] == 2
    assert report["current"].durations["first_response"].count == 2
    content = response.content.decode()
    assert 'id="figure-created"' not in content
    team = agent_client.get(_url(workspace, "reports_team")).context["rows"]
    assert [row.user.pk for row in team] == [agent.pk]
    # Their drill-downs stay theirs: the manager's slow reply is not among their first responses.
    href = _url(workspace, "reports_drill", "range=7d&metric=first_response")
    assert _drill_ids(agent_client, href) == {timeline["weekend"].pk, timeline["quick"].pk}


def test_the_nav_links_to_reports(workspace, manager_client, agent_client):
    home = reverse("workspace_home", args=[workspace.slug])
    reports = reverse("reports", args=[workspace.slug])
    assert f'href="{reports}"' in manager_client.get(home).content.decode()
    assert f'href="{reports}"' in agent_client.get(home).content.decode()


@pytest.mark.parametrize("name", ["reports", "reports_inbox", "reports_team", "reports_drill"])
def test_an_outsider_gets_404(workspace, outsider_client, name):
    assert outsider_client.get(_url(workspace, name)).status_code == 404


def _more_history(workspace, channels, people, n):
    for i in range(n):
        thread(
            channels[i % 2],
            ("in", MONDAY_10_PARIS + dt.timedelta(minutes=i), None),
            ("out", MONDAY_10_PARIS + dt.timedelta(minutes=i + 30), people[i % len(people)]),
        )
    facts_rebuild(workspace=workspace)


def test_query_counts_do_not_grow_with_history_or_team(
    timeline, workspace, channels, manager_client, django_assert_num_queries
):
    # Guards against a query per bin, per heatmap cell or per agent (the N+1s these pages would invite).
    # Ten for the page around the report (session, person, membership, the filter's menus, the navigation);
    # Inbox: the period's and the previous period's summaries, the series, the heatmap; Team: members, the
    # facts by person, approvals given and requested (replies, posts). SQLite reads the timed values for
    # the medians in one more query per summary (it has no percentile_cont).
    sqlite = connection.vendor != "postgresql"
    inbox_queries = 10 + 4 + (2 if sqlite else 0)
    team_queries = 10 + 6 + (1 if sqlite else 0)
    manager_client.get(_url(workspace))  # the first visit remembers the workspace (one UPDATE)
    for _round in range(2):
        with django_assert_num_queries(inbox_queries):
            manager_client.get(_url(workspace, query="range=7d&compare=on"))
        with django_assert_num_queries(team_queries):
            manager_client.get(_url(workspace, "reports_team"))
        people = [MembershipFactory(workspace=workspace, role=Membership.Role.AGENT).user for _ in range(3)]
        _more_history(workspace, channels, people, 12)


def test_the_reports_are_in_french_for_french_readers(timeline, workspace, manager, manager_client):
    manager.language = "fr"
    manager.save(update_fields=["language"])
    inbox = manager_client.get(_url(workspace)).content.decode()
    assert "Délais de réponse" in inbox and "Messages reçus par heure de la semaine" in inbox
    assert "Lundi" in inbox and "2 tenus" in inbox
    team = manager_client.get(_url(workspace, "reports_team")).content.decode()
    assert "Validations données" in team and "Équipe" in team


def test_the_inbox_conversations_filter_is_scoped_and_says_so(
    timeline, workspace, other_workspace, manager_client
):
    inbox = reverse("inbox", args=[workspace.slug])
    foreign = thread(
        Channel.objects.create(workspace=other_workspace, network="x", external_id="9", name="Other X"),
        ("in", NOW - dt.timedelta(hours=1), None),
    )
    ids = f"{timeline['slow'].pk},{foreign.pk}"
    page = manager_client.get(f"{inbox}?status=all&conversations={ids}").content.decode()
    assert set(map(int, re.findall(r'id="conv-(\d+)"', page))) == {timeline["slow"].pk}  # never another's
    assert 'id="drill-notice"' in page
    bad = manager_client.get(f"{inbox}?status=all&conversations=1;DROP").content.decode()
    assert "Conversations" in bad and "not understood" in bad  # ignored, and said so
