"""Every state-changing request needs a CSRF token, HTMX ones included."""

from __future__ import annotations

from django.test import Client

from tests.workspace_urls import workspace_paths


def test_every_post_without_token_is_refused(owner, workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    member_pk = owner.memberships.get().pk
    paths = [*workspace_paths(workspace.slug, pk=member_pk), "/me/", "/language/", "/accounts/logout/"]
    for path in paths:
        response = client.post(path, {"role": "agent", "language": "fr", "email": "x@example.test"})
        assert response.status_code == 403, f"POST {path} without CSRF token answered {response.status_code}"
    owner.refresh_from_db()
    assert owner.language == ""
    assert owner.memberships.get().role == "admin"


def test_post_with_token_in_htmx_header_is_accepted(owner, workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(f"/w/{workspace.slug}/settings/members/")
    token = page.cookies["csrftoken"].value
    # base.html puts the token in hx-headers on <body>: that is what HTMX sends.
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.content.decode()
    response = client.post(
        f"/w/{workspace.slug}/settings/invitations/",
        {"email": "new@example.test", "role": "agent"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "new@example.test" in response.content.decode()
