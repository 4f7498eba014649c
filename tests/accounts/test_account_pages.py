"""allauth's own pages render inside the CM Hub layout, without inline scripts."""

from __future__ import annotations

import re

import pytest

# An executable inline script: no src, and not a JSON data block (which browsers never run).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


@pytest.mark.parametrize(
    "path", ["/accounts/password/change/", "/accounts/email/", "/accounts/2fa/", "/me/", "/accounts/logout/"]
)
def test_account_pages_render_in_the_shell(agent_client, path):
    response = agent_client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert 'class="topbar"' in html, "manage pages use the dashboard layout"
    assert not INLINE_SCRIPT.search(html), f"inline script on {path}"


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password/reset/"])
def test_entrance_pages_render(client, db, path):
    html = client.get(path).content.decode()
    assert 'class="entrance-card"' in html
    assert not INLINE_SCRIPT.search(html)


@pytest.mark.parametrize(
    "path", ["/me/", "/accounts/2fa/", "/accounts/password/change/", "/accounts/email/", "/accounts/logout/"]
)
def test_personal_pages_keep_the_last_workspaces_navigation(agent_client, agent, workspace, path):
    from tests.factories import MembershipFactory, WorkspaceFactory

    later = WorkspaceFactory(name="Zebra Studio", slug="zebra")  # after "Acme Bakery" by name
    MembershipFactory(user=agent, workspace=later)
    agent_client.get("/w/zebra/")  # the workspace they came from
    html = agent_client.get(path).content.decode()
    assert 'class="sidebar"' in html, path
    assert 'href="/w/zebra/inbox/"' in html and 'href="/w/acme/inbox/"' not in html
    assert '<span class="menu-label">Zebra Studio</span>' in html  # the switcher names it too


def test_personal_pages_without_a_workspace_have_no_sidebar(user_factory, client):
    client.force_login(user_factory())
    html = client.get("/me/").content.decode()
    assert 'class="topbar"' in html and 'class="sidebar"' not in html
