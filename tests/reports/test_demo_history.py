import pytest
from django.core.management import call_command

from accounts.models import Membership
from inbox.models import Conversation
from networks.models import Channel
from reports.models import ReportingEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _seed(membership: Membership) -> None:
    """A workspace with one channel, filled with the demo's 90 days."""
    Channel.objects.create(
        workspace=membership.workspace,
        network="x",
        external_id="1",
        name="Acme X",
        api_base_url="http://127.0.0.1:9",
    )
    call_command("seed_demo_history")


def test_demo_history_seeds_90_days_once_and_backfills_facts() -> None:
    membership = MembershipFactory(role=Membership.Role.AGENT)
    _seed(membership)
    count = Conversation.objects.count()
    assert count > 90
    call_command("seed_demo_history")
    assert Conversation.objects.count() == count
    assert ReportingEvent.objects.filter(kind="first_response").count() == count
    assert ReportingEvent.objects.filter(kind="conversation_created").count() == count


def test_a_manager_sees_the_demo_history_in_the_reports(client) -> None:
    membership = MembershipFactory(role=Membership.Role.MANAGER)
    _seed(membership)
    client.force_login(membership.user)
    slug = membership.workspace.slug
    response = client.get(f"/w/{slug}/reports/inbox/?range=90d&grouping=week&compare=on")
    assert response.status_code == 200
    now = response.context["report"]["current"]
    assert now.counts["created"] > 0 and now.counts["received"] >= now.counts["created"]
    assert now.durations["first_response"].median is not None
    assert (
        sum(cell.count for row in response.context["report"]["heatmap"] for cell in row)
        == now.counts["received"]
    )
    assert client.get(f"/w/{slug}/reports/team/?range=90d").status_code == 200
    sentiment = client.get(f"/w/{slug}/reports/sentiment/?range=90d&grouping=week")
    assert sentiment.status_code == 200
    mood = sentiment.context["report"].total
    assert mood.positive and mood.neutral and mood.negative and mood.spam  # every band has messages
    assert mood.rated + mood.spam == now.counts["received"]  # every inbound message triaged
    assert {row.intent for row in sentiment.context["report"].intents} >= {"question", "praise", "complaint"}
    assert client.get(f"/w/{slug}/reports/publishing/?range=90d").status_code == 200
