"""Nothing leaks between workspaces: an outsider gets 404 on every workspace URL, whatever the method."""

from __future__ import annotations

import pytest

from tests.workspace_urls import workspace_paths


def test_every_workspace_url_is_found(workspace):
    paths = workspace_paths(workspace.slug)
    # A guard on the guard: the walk must find the routes, or the tests below would pass vacuously.
    assert "/w/acme/settings/members/" in paths
    assert len(paths) >= 7


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_everywhere(outsider_client, workspace, owner, method):
    for path in workspace_paths(workspace.slug, pk=owner.memberships.get().pk):
        response = getattr(outsider_client, method)(path)
        assert response.status_code == 404, f"{method.upper()} {path} answered {response.status_code}"


def test_unknown_workspace_is_404_for_members_too(owner_client):
    assert owner_client.get("/w/no-such-workspace/").status_code == 404


def test_anonymous_is_sent_to_login(client, workspace):
    for path in workspace_paths(workspace.slug):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/accounts/login/"), path


def test_outsider_cannot_touch_a_member_of_another_workspace_through_their_own(
    outsider_client, outsider, owner
):
    """The object id belongs to workspace A; the URL names the outsider's own workspace B: still 404."""
    other_slug = outsider.memberships.get().workspace.slug
    target = owner.memberships.get()
    response = outsider_client.post(f"/w/{other_slug}/settings/members/{target.pk}/remove/")
    assert response.status_code == 404
    assert target.__class__.objects.filter(pk=target.pk).exists()


def test_home_redirects_to_last_workspace(agent_client, agent, workspace, other_workspace):
    from tests.factories import MembershipFactory

    MembershipFactory(user=agent, workspace=other_workspace)
    agent_client.get(f"/w/{other_workspace.slug}/")
    response = agent_client.get("/")
    assert response.status_code == 302 and response.url == f"/w/{other_workspace.slug}/"
    agent_client.get(f"/w/{workspace.slug}/")
    assert agent_client.get("/").url == f"/w/{workspace.slug}/"


def test_head_on_home_is_answered_like_get(client, agent_client, workspace):
    """Uptime monitors and link checkers ask for / with HEAD: the same answer as GET, without a body."""
    anonymous = client.head("/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    member = agent_client.head("/")
    assert member.status_code == 302 and member.url == f"/w/{workspace.slug}/"
    assert client.head("/healthz/").status_code == 200


def test_home_without_workspace_explains(user_factory, client):
    client.force_login(user_factory())
    response = client.get("/")
    assert response.status_code == 200
    assert "No workspace yet" in response.content.decode()
