"""The API as a new user meets it, in Chromium: Settings -> API from the menu, a workspace token for a bot
created and shown once, used by a script (httpx against the live server) to list conversations and draft a
reply, which a manager then approves in the browser; the interactive docs render under the CSP."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory, x_mention_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bot_drafts_by_api_and_a_manager_approves_in_the_browser(new_page, live_server):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    admin = MembershipFactory(
        workspace=acme, role=Membership.Role.ADMIN, user=UserFactory(display_name="Ada")
    ).user
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    ).user
    conversation = x_mention_conversation(acme)

    page = new_page()
    sign_in(page, admin)
    page.goto("/w/acme/")
    page.get_by_role("link", name="API", exact=True).click()
    expect(page).to_have_url(re.compile(r"/w/acme/settings/api/$"))
    page.get_by_label("Name").fill("CRM bot")
    page.get_by_label("Acts as").select_option("workspace")
    page.get_by_label("Role (workspace tokens)").select_option("agent")
    page.get_by_label("Conversations, messages and replies").select_option("write")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator(".token-secret").inner_text().strip()
    assert secret.startswith("cmh_")
    expect(page.locator("table.api-tokens")).to_contain_text("CRM bot")

    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=10) as api:
        listed = api.get("/conversations", params={"status": "open"}).json()
        assert [item["id"] for item in listed["items"]] == [conversation.pk]
        draft = api.post(
            f"/conversations/{conversation.pk}/replies", json={"text": "Yes, 8 to 12!", "draft": True}
        )
        assert draft.status_code == 201 and draft.json()["send_status"] == "pending_approval"

    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui")).to_contain_text("CM Hub API", timeout=15_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/conversations")

    reviewer = new_page()
    sign_in(reviewer, manager)
    reviewer.goto("/w/acme/")
    reviewer.get_by_role("link", name=re.compile(r"^Approvals")).click()
    expect(reviewer.locator("main")).to_contain_text("Yes, 8 to 12!")
    reviewer.get_by_role("button", name="Approve and send").first.click()
    expect(reviewer.locator("main")).not_to_contain_text("Yes, 8 to 12!")
    reply = Message.objects.get(direction="out")
    assert reply.send_status in ("queued", "sending", "sent") and reply.approved_by == manager
    assert page.problems == [] and reviewer.problems == [], (page.problems, reviewer.problems)
