"""Connecting and reconnecting channels in Chromium, through the fakes' consent pages on local ports.

What these guard: the Connect and Reconnect buttons are forms, and the CSP says `form-action 'self'`, which
Chromium applies to every redirect that follows a form submission. A connect view that answers its POST with
a redirect to the network is blocked there (a `securitypolicyviolation`, and nothing visible happens); the
fixture fails any test that meets one, and each journey must also reach the network's page and come back.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from networks import services, tasks
from networks.fakes.graph import GraphFake, expired_token_fault
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.x import XFake
from networks.models import Channel, PollRun
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory
from tests.networks.connecting import wire_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRAPH_APP_ID, GRAPH_SECRET = "1234567890", "graph-app-secret"


@pytest.fixture
def admin():
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    return MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user


@pytest.fixture
def x_fake():
    with XFake(client_id="cmhub-x-client") as fake:
        wire_app("x", fake, client_id=fake.client_id)
        yield fake


@pytest.fixture
def linkedin_fake():
    with LinkedInFake() as fake:
        wire_app("linkedin", fake, client_id=fake.client_id, client_secret=fake.client_secret)
        yield fake


@pytest.fixture
def graph_fake():
    with GraphFake() as fake:
        fake.add_app(GRAPH_APP_ID, GRAPH_SECRET)
        for network in ("facebook", "instagram"):
            wire_app(network, fake, client_id=GRAPH_APP_ID, client_secret=GRAPH_SECRET)
        yield fake


def _is_healthy(page, channel: Channel, *, active: str = "Active") -> None:
    """The worker's next poll succeeds, and the health page says so: active, polled, no error."""
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    page.goto("/w/acme/channels/")
    row = page.locator(f"#channel-{channel.pk}")
    expect(row.locator(".badge").first).to_have_text(active)
    expect(row.locator(".health-last-poll > time")).to_have_count(1)  # a time, no longer "never"
    expect(row.locator(".error-text")).to_have_count(0)


def test_connect_x_through_its_consent_page(page, admin, x_fake):
    brand = x_fake.add_user("demobakery", "Demo Bakery")
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect X").click()

    expect(page).to_have_url(re.compile(re.escape(f"{x_fake.base_url}/i/oauth2/authorize?")))
    expect(page.get_by_text("Signed in as @demobakery")).to_be_visible()
    page.get_by_role("button", name="Authorize app").click()

    expect(page.get_by_role("heading", name="Connect X accounts")).to_be_visible()
    expect(page.get_by_label("X Demo Bakery @demobakery")).to_be_checked()
    page.get_by_label("Import history of the last (days)").fill("7")
    page.get_by_role("button", name="Connect", exact=True).click()

    expect(page.locator("#messages")).to_contain_text("Connected: Demo Bakery")
    channel = Channel.objects.get(network="x", external_id=brand)
    expect(page.locator(f"#channel-{channel.pk} .badge")).to_have_text("Active")
    assert channel.backfill_days == 7 and channel.credentials["refresh_token"]
    _is_healthy(page, channel)


def test_connect_a_linkedin_page_in_french(new_page, admin, linkedin_fake):
    page = new_page(locale="fr-FR")
    member = linkedin_fake.add_member("Camille Martin")
    org = linkedin_fake.add_organization("Boulangerie Démo SAS", admins=[member])
    linkedin_fake.add_organization("Quelqu'un d'autre")  # not administered by Camille: not offered
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connecter LinkedIn").click()

    expect(page.get_by_text("Signed in as Camille Martin")).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="Connecter des comptes LinkedIn")).to_be_visible()
    expect(page.get_by_text("Boulangerie Démo SAS")).to_be_visible()
    expect(page.get_by_text("Quelqu'un d'autre")).to_have_count(0)
    page.get_by_role("button", name="Connecter", exact=True).click()

    expect(page.locator("main")).to_contain_text("Connecté(s) : Boulangerie Démo SAS")
    channel = Channel.objects.get(network="linkedin", external_id=org)
    _is_healthy(page, channel, active="Actif")


def test_connect_one_facebook_page_among_two(page, admin, graph_fake):
    camille = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=camille.id)
    graph_fake.add_page("Camille's Garden", user_id=camille.id)
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect Facebook").click()

    expect(page.get_by_text("Signed in as Camille Manager")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Connect Facebook accounts")).to_be_visible()
    page.get_by_label("Facebook Camille's Garden").uncheck()  # the person's own page stays out
    page.get_by_role("button", name="Connect", exact=True).click()

    expect(page.locator("main")).to_contain_text("Connected: Demo Bakery")
    channel = Channel.objects.get()
    assert (channel.network, channel.external_id) == ("facebook", bakery.id)
    assert channel.access_token == bakery.token  # the Page's token, not Camille's
    _is_healthy(page, channel)


def test_reconnect_an_expired_facebook_page(page, admin, graph_fake):
    camille = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=camille.id)
    graph_fake.add_page("Camille's Garden", user_id=camille.id)  # hers too, never connected here
    channel = services.channel_connect(
        workspace=admin.memberships.get().workspace,
        network="facebook",
        external_id=bakery.id,
        name="Demo Bakery",
        api_base_url=graph_fake.base_url,
        credentials=p.Credentials(access_token=bakery.token),
        by=admin,
    )
    graph_fake.inject(expired_token_fault(r".*", subcode=463))  # "Session has expired"
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.AUTH_EXPIRED
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT

    sign_in(page, admin)
    banner = page.get_by_role("alert").filter(has_text="lost its connection")
    expect(banner).to_contain_text("Demo Bakery")
    banner.get_by_role("link").click()
    row = page.locator(f"#channel-{channel.pk}")
    expect(row.locator(".badge").first).to_have_text("Reconnect needed")
    row.get_by_role("button", name="Reconnect").click()

    expect(page.get_by_text("Signed in as Camille Manager")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("already connected: credentials will be renewed")).to_be_visible()
    expect(page.get_by_label("Facebook Demo Bakery")).to_be_checked()  # the channel being repaired, only
    expect(page.get_by_label("Facebook Camille's Garden")).not_to_be_checked()
    page.get_by_role("button", name="Connect", exact=True).click()

    expect(page.locator(f"#channel-{channel.pk} .badge")).to_have_text("Active")
    expect(page.get_by_role("alert").filter(has_text="lost its connection")).to_have_count(0)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE and Channel.objects.count() == 1
    _is_healthy(page, channel)
