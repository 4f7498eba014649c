"""Role permissions, enforced through the one policy module."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Membership
from accounts.policy import Perm, can, permissions_for
from accounts.services import workspace_create

Role = Membership.Role


def test_policy_is_cumulative():
    assert permissions_for(Role.AGENT) < permissions_for(Role.MANAGER) < permissions_for(Role.ADMIN)
    assert Perm.REPLY in permissions_for(Role.AGENT)
    assert Perm.APPROVE_POSTS not in permissions_for(Role.AGENT)
    assert Perm.APPROVE_POSTS in permissions_for(Role.MANAGER)
    assert Perm.MANAGE_MEMBERS not in permissions_for(Role.MANAGER)
    assert Perm.MANAGE_CHANNELS in permissions_for(Role.ADMIN)
    assert not can(None, Perm.VIEW_WORKSPACE)
    assert permissions_for("intruder") == frozenset()


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        ("agent", "/w/acme/settings/invitations/", 403),
        ("manager", "/w/acme/settings/invitations/", 403),
        ("owner", "/w/acme/settings/invitations/", 200),
        ("agent", "/w/acme/settings/", 403),
        ("manager", "/w/acme/settings/", 403),
        ("owner", "/w/acme/settings/", 200),
        ("agent", "/w/acme/settings/members/", 200),
        ("agent", "/w/acme/", 200),
    ],
)
def test_pages_by_role(request, who, path, expected):
    client = request.getfixturevalue(f"{who}_client")
    assert client.get(path).status_code == expected


def test_agent_cannot_change_roles_or_remove(agent_client, owner, workspace):
    target = owner.memberships.get()
    assert (
        agent_client.post(f"/w/acme/settings/members/{target.pk}/role/", {"role": "agent"}).status_code == 403
    )
    assert agent_client.post(f"/w/acme/settings/members/{target.pk}/remove/").status_code == 403
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_members_page_shows_role_controls_only_to_admins(owner_client, agent_client, agent):
    assert 'name="role"' in owner_client.get("/w/acme/settings/members/").content.decode()
    page = agent_client.get("/w/acme/settings/members/").content.decode()
    assert 'name="role"' not in page
    assert agent.email in page


def test_admin_changes_a_role_with_htmx(owner_client, agent):
    member = agent.memberships.get()
    response = owner_client.post(
        f"/w/acme/settings/members/{member.pk}/role/", {"role": "manager"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="member-list"' in body and "<html" not in body  # the partial, not the page
    member.refresh_from_db()
    assert member.role == Role.MANAGER


def test_invalid_role_is_refused(owner_client, agent):
    member = agent.memberships.get()
    owner_client.post(f"/w/acme/settings/members/{member.pk}/role/", {"role": "emperor"})
    member.refresh_from_db()
    assert member.role == Role.AGENT


def test_workspace_settings_save(owner_client, workspace):
    response = owner_client.post(
        "/w/acme/settings/",
        {
            "name": "Acme Bakery & Co",
            "timezone": "Europe/Paris",
            "default_language": "fr",
            "require_mfa": "on",
        },
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.timezone, workspace.require_mfa) == (
        "Acme Bakery & Co",
        "Europe/Paris",
        True,
    )


def test_workspace_settings_rejects_unknown_timezone(owner_client, workspace):
    response = owner_client.post(
        "/w/acme/settings/", {"name": "X", "timezone": "Mars/Olympus", "default_language": "en"}
    )
    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.timezone == "UTC"


def test_a_workspace_name_is_stored_on_one_line_and_its_mails_go_out(
    owner_client, workspace, django_capture_on_commit_callbacks
):
    """A line break in the name used to be stored as is, then break every mail whose subject names the
    workspace (BadHeaderError) after the action was saved: a 500, and the invitation lost."""
    response = owner_client.post(
        "/w/acme/settings/",
        {"name": "Acme\r\nBakery\x1b", "timezone": "UTC", "default_language": "en"},
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.name == "Acme Bakery"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/w/acme/settings/invitations/", {"email": "new@example.test", "role": "agent"}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].subject == "You are invited to Acme Bakery on CM Hub"


def test_workspace_create_stores_the_name_on_one_line(owner):
    created = workspace_create(name="Second\r\nBrand", slug="second", owner=owner)
    created.refresh_from_db()
    assert created.name == "Second Brand"
