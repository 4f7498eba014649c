"""A person signs in through the real form, switches workspace, and switches the interface to French."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_switch_workspace_and_language(page, live_server):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    other = WorkspaceFactory(name="Other Brand", slug="other")
    person = UserFactory(email="ada@example.test", display_name="Ada Agent")
    MembershipFactory(user=person, workspace=acme, role=Membership.Role.ADMIN)
    MembershipFactory(user=person, workspace=other, role=Membership.Role.AGENT)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/w/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Bakery")

    page.locator(".workspace-switcher summary").click()
    page.get_by_role("link", name=re.compile("Other Brand")).click()
    expect(page).to_have_url(re.compile(r"/w/other/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Other Brand")

    page.get_by_label("Interface language").select_option("fr")  # app.js submits on change
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Membres")).to_be_visible()
    page.get_by_role("link", name="Membres").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membres")

    person.refresh_from_db()
    assert person.language == "fr" and person.last_workspace_id == other.pk
    assert page.problems == [], page.problems  # no console error, no CSP violation


def test_members_role_change_through_htmx(page, live_server):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    admin = MembershipFactory(
        workspace=acme, role=Membership.Role.ADMIN, user=UserFactory(email="boss@example.test")
    )
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Zed")
    )

    sign_in(page, admin.user)
    page.goto("/w/acme/settings/members/")
    page.get_by_label("Role of Zed").select_option("manager")
    with page.expect_response(re.compile(r"/role/$")) as response_info:
        page.locator(f"#member-{agent.pk} button", has_text="Change").click()
    assert response_info.value.request.headers.get("hx-request") == "true"  # swapped in place, not reloaded
    expect(page.locator("#messages")).to_contain_text("Zed is now Manager")
    agent.refresh_from_db()
    assert agent.role == Membership.Role.MANAGER
    assert page.problems == [], page.problems
