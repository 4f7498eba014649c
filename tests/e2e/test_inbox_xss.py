"""Hostile text from a network shows as text in a real browser: no script runs, no CSP violation."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation
from networks.models import Channel
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    '<a href="javascript:window.__pwned=3">click</a><svg onload="window.__pwned=4"></svg> ça marche ?'
)


def test_hostile_inbound_text_is_shown_as_text(page, live_server):
    workspace = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(workspace=workspace, role=Membership.Role.AGENT, user=UserFactory()).user
    channel = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="PAGE",
        name="Acme Page",
        api_base_url="http://127.0.0.1:9",
    )
    item = p.EngagementItem(
        network=p.Network.FACEBOOK,
        external_id="c-xss",
        kind=p.ItemKind.COMMENT,
        text=PAYLOAD,
        created_at=dt.datetime.now(dt.UTC),
        author=p.Author(external_id="evil", name='<b onmouseover="alert(1)">Mallory</b>', handle="mallory"),
        post_external_id="PAGE_1",
        thread_root_external_id="c-xss",
    )
    message_ingest_batch(channel=channel, items=[item])
    conversation = Conversation.objects.get()

    sign_in(page, agent)

    page.goto("/w/acme/inbox/")
    expect(page.locator(f"#conv-{conversation.pk}")).to_contain_text("<b onmouseover")  # the name, as text
    page.goto(f"/w/acme/inbox/{conversation.pk}/")
    expect(page.locator("body")).to_contain_text("<script>window.__pwned = 1</script>")
    expect(page.locator("body")).to_contain_text("ça marche ?")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned === undefined"), "a script from inbound text ran"
    assert page.locator("img[src='x']").count() == 0 and page.locator("svg[onload]").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.problems == [], page.problems  # no console error, no CSP violation report
