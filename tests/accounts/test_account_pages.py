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
