"""A lost connection is visible to the people answering, not only to admins: every member sees which
channel (network, name and handle: several may share a name) went quiet and who can repair it, and the
health page says what is wrong in plain words, the network's own message kept for admins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.models import Membership
from networks import services
from networks.models import Channel
from networks.providers import base as p
from tests.conftest import _client_for as client_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

RAW_190 = "Error validating access token: The session has been invalidated (code 190, subcode 460)"


@pytest.fixture
def admins(workspace):
    return [
        MembershipFactory(
            workspace=workspace, role=Membership.Role.ADMIN, user=UserFactory(display_name=name)
        ).user
        for name in ("Zélie Admin", "Bruno Owner")
    ]


@pytest.fixture
def three_acmes(workspace):
    """Three channels named alike, as a brand's accounts usually are."""
    return {
        network: Channel.objects.create(
            workspace=workspace,
            network=network,
            external_id=f"acme-{network}",
            name="Acme",
            handle=f"acme_{network}",
            api_base_url="http://127.0.0.1:9",
        )
        for network in ("facebook", "x", "linkedin")
    }


def fail(channel: Channel, error: Exception) -> None:
    services.channel_poll_failed(channel=channel, error=error, started_at=timezone.now())


def test_agents_and_managers_see_which_channel_lost_its_connection_and_who_can_fix_it(
    workspace, agent, manager, admins, three_acmes
):
    fail(three_acmes["x"], p.AuthExpired(network_message=RAW_190))
    for user in (agent, manager):
        page = client_for(user).get("/w/acme/inbox/").content.decode()
        assert "X · Acme (@acme_x) lost its connection" in page
        assert "until a workspace admin reconnects it" in page
        assert "Who can fix it: Bruno Owner, Zélie Admin." in page
        assert "@acme_facebook" not in page and "@acme_linkedin" not in page  # only the one that is lost
        assert RAW_190 not in page
    page = client_for(admins[0]).get("/w/acme/inbox/").content.decode()
    assert "X · Acme (@acme_x) lost its connection" in page and "until you reconnect it" in page


def test_the_banner_goes_once_the_channel_is_reconnected_and_never_crosses_workspaces(
    workspace, agent, admins, three_acmes, outsider
):
    fail(three_acmes["x"], p.AuthExpired(network_message=RAW_190))
    assert "lost its connection" not in client_for(outsider).get("/w/other/inbox/").content.decode()
    Channel.objects.filter(pk=three_acmes["x"].pk).update(status=Channel.Status.ACTIVE)
    assert "lost its connection" not in client_for(agent).get("/w/acme/inbox/").content.decode()


def test_agents_are_not_told_about_expiring_tokens_only_admins_can_renew(workspace, agent, admins):
    Channel.objects.create(
        workspace=workspace,
        network="linkedin",
        external_id="urn:li:organization:1",
        name="Acme SAS",
        api_base_url="https://api.linkedin.com",
        token_expires_at=timezone.now() + dt.timedelta(days=3),
    )
    assert "access expires in" not in client_for(agent).get("/w/acme/inbox/").content.decode()
    assert "access expires in" in client_for(admins[0]).get("/w/acme/inbox/").content.decode()


KINDS = [
    (p.AuthExpired(network_message=RAW_190), "no longer accepts this connection", True),
    (
        p.PermissionMissing(network_message="(#10) Requires pages_read_engagement permission"),
        "the connected account lacks a permission",
        True,
    ),
    (p.Transient(network_message="HTTP 503 upstream error"), "could not be reached for a moment", False),
    (
        p.RateLimited(network_message="(#4) Application request limit reached", reset_at=timezone.now()),
        "asked CM Hub to slow down",
        False,
    ),
    (KeyError("data"), "The last reading of this channel failed", False),
]


@pytest.mark.parametrize(("error", "plain", "admins_named"), KINDS, ids=[type(k[0]).__name__ for k in KINDS])
def test_the_health_page_says_what_is_wrong_in_plain_words(
    workspace, agent, admins, three_acmes, error, plain, admins_named
):
    fail(three_acmes["facebook"], error)
    raw = Channel.objects.get(pk=three_acmes["facebook"].pk).last_error
    page = client_for(agent).get("/w/acme/channels/").content.decode()
    assert plain in page
    assert raw not in page  # the network's words are for admins
    assert ("Only workspace admins can connect or reconnect" in page) is admins_named
    if admins_named:
        assert "<strong>Bruno Owner</strong>, <strong>Zélie Admin</strong>" in page
    page = client_for(admins[0]).get("/w/acme/channels/").content.decode()
    assert plain in page
    assert "<summary>What the network said</summary>" in page
    assert f"<code>{raw}</code>".replace("'", "&#x27;") in page


def test_a_healthy_channel_has_nothing_to_say(workspace, agent, admins, three_acmes):
    page = client_for(agent).get("/w/acme/channels/").content.decode()
    assert 'class="health-summary"' not in page and "Only workspace admins" not in page


def test_the_plain_words_are_translated(workspace, agent, admins, three_acmes):
    agent.language = "fr"
    agent.save(update_fields=["language"])
    fail(three_acmes["x"], p.AuthExpired(network_message=RAW_190))
    client = client_for(agent)
    # The middleware leaves the person's language active in the thread: put it back for the next tests.
    with translation.override(translation.get_language()):
        page = client.get("/w/acme/channels/").content.decode()
        assert "n’accepte plus cette connexion" in page
        page = client.get("/w/acme/inbox/").content.decode()
    assert "X · Acme (@acme_x) a perdu sa connexion" in page
    assert "Qui peut réparer : Bruno Owner, Zélie Admin." in page
