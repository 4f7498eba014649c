"""An admin adds a webhook endpoint through Settings -> Webhooks, copies the secret, sends a test that a
real receiver verifies with standardwebhooks, sees it in the delivery log and redelivers it.

The broker is the one stand-in (tests/conftest.py `broker`): the test runs what reached it, as the worker
would; everything else is real (the pages, the signing, the HTTP to the receiver)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from hooks.delivery import webhook_deliver
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.hooks.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_deliveries(broker) -> None:
    for outgoing_id in broker.ids("hooks.deliver_webhook"):
        webhook_deliver(outgoing_id)
    broker.messages.clear()


def test_an_admin_adds_an_endpoint_sends_a_test_and_redelivers_it(page, settings, broker):
    admin = MembershipFactory(
        workspace=WorkspaceFactory(name="Acme Bakery", slug="acme"),
        role=Membership.Role.ADMIN,
        user=UserFactory(),
    ).user
    with Receiver() as receiver:
        settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
        sign_in(page, admin)
        page.goto("/w/acme/")
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_text("No endpoint yet.")).to_be_visible()

        # A private address is refused with a sentence, before anything is saved.
        page.get_by_label("Endpoint URL").fill("https://10.0.0.8/hook")
        page.get_by_label("reply.sent", exact=False).check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("is a private or local network address")).to_be_visible()
        # The refused form answers 400, which Chromium reports on its console: expected here.
        page.problems.remove(
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        )

        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("Our CRM")
        page.get_by_label("reply.sent", exact=False).check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        receiver.secret = secret

        page.get_by_role("button", name="Send test").click()
        expect(page.get_by_text("Test message queued")).to_be_visible()
        _run_deliveries(broker)
        page.reload()
        row = page.locator(".webhook-log tbody tr").first
        expect(row).to_contain_text("webhook.test")
        expect(row).to_contain_text("Delivered")
        expect(row).to_contain_text("200")

        row.get_by_role("button", name="Redeliver").click()
        expect(page.get_by_text("Message queued again")).to_be_visible()
        _run_deliveries(broker)

        assert [got.verified for got in receiver.got] == [True, True]
        assert len(set(receiver.ids())) == 1  # the same webhook-id both times
        assert page.problems == []
