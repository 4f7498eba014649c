"""Empty lists are seen, not hidden by the stylesheet: the posts list and the review queue of a new
workspace say what they are for and offer the next step, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_workspace_says_what_its_post_lists_are_for(page):
    workspace = WorkspaceFactory(name="Acme Bakery", slug="acme")
    manager = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user
    sign_in(page, manager)

    page.goto("/w/acme/posts/")
    empty = page.locator(".empty-state")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No posts yet.")
    empty.get_by_role("link", name="Write the first post").click()
    expect(page).to_have_url("/w/acme/posts/new/")

    page.goto("/w/acme/posts/review/")
    expect(page.locator(".empty-state")).to_be_visible()
    expect(page.locator(".empty-state")).to_contain_text("Nothing waits for your review.")

    page.goto("/w/acme/calendar/")
    expect(page.locator(".empty-state")).to_contain_text("Nothing is scheduled this month.")
