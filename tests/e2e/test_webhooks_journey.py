"""An admin turns a Page's webhooks on from the health page, and a comment pushed by the Graph fake (signed
as Meta signs it, after its GET handshake) shows in the inbox and as the channel's last verified delivery.

The broker is the one stand-in (tests/conftest.py `broker`): the test runs what reached it, as the worker
would, so the journey is deterministic; everything else is real (the fake's HTTP push to the live server,
the webhook view, the ingest, the pages)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from networks import services, tasks, webhooks
from networks.fakes.graph import GraphFake
from networks.models import NetworkApp
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.networks.connecting import wire_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP, SECRET, VERIFY = "1234567890", "graph-app-secret", "verify-me"


@pytest.fixture
def admin():
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    return MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user


@pytest.fixture
def graph_fake(live_server):
    with GraphFake() as fake:
        fake.add_app(APP, SECRET)
        for network in ("facebook", "instagram"):
            wire_app(network, fake, client_id=APP, client_secret=SECRET)
        NetworkApp.objects.update(webhook_verify_token=VERIFY)
        fake.subscribe_app(APP, "page", f"{live_server.url}/webhooks/facebook/", ["feed", "messages"], VERIFY)
        yield fake


def test_an_admin_subscribes_a_page_and_its_comments_arrive_by_webhook(page, admin, graph_fake, broker):
    fb_page = graph_fake.add_page("Acme Bakery", page_id="104525875432211")
    channel = services.channel_connect(
        workspace=admin.memberships.get().workspace,
        network="facebook",
        external_id=fb_page.id,
        name=fb_page.name,
        api_base_url=graph_fake.base_url,
        credentials=p.Credentials(access_token=fb_page.token),
        by=admin,
    )
    sign_in(page, admin)
    page.goto("/w/acme/channels/")
    row = page.locator(f"#channel-{channel.pk}")
    expect(row).to_contain_text("No verified delivery yet")
    expect(row).to_contain_text("Not subscribed")
    expect(page.locator("#webhook-urls")).to_contain_text("/webhooks/facebook/")

    row.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("CM Hub is asking Facebook to send Acme Bakery's webhooks.")).to_be_visible()
    for channel_id in broker.ids("networks.subscribe_webhooks"):
        tasks.subscribe_webhooks(channel_id)
    assert APP in graph_fake.installed_apps[fb_page.id]

    post = graph_fake.add_post(fb_page.id, "Sourdough is back")
    graph_fake.add_comment(post.id, "Do you deliver to Lyon?", author={"id": "5550001", "name": "Lou Lyon"})
    assert graph_fake.webhooks.drain(15)
    assert [sent.status for sent in graph_fake.webhooks.sent] == [200]
    for delivery_id in broker.ids("networks.process_webhook"):
        webhooks.webhook_delivery_process(delivery_id)

    page.goto("/w/acme/channels/")
    expect(row).to_contain_text("Last verified delivery")
    expect(row).to_contain_text("Subscribed")
    expect(row).not_to_contain_text("Not subscribed")
    page.goto("/w/acme/inbox/")
    expect(page.get_by_text("Do you deliver to Lyon?").first).to_be_visible()
