"""Invitations: expiry, single use, revocation, new and existing users, and the last-admin rule."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client

from accounts import services
from accounts.models import Invitation, Membership, User
from tests.factories import PASSWORD, MembershipFactory, UserFactory

Role = Membership.Role


@pytest.fixture
def invite(owner_client, django_capture_on_commit_callbacks):
    """Send an invitation through the page and return the token from the email's link."""

    def send(email="newbie@example.test", role="agent"):
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post("/w/acme/settings/invitations/", {"email": email, "role": role})
        assert response.status_code == 302
        link = re.search(r"http://\S+/invitations/(\S+)/", mail.outbox[-1].body)
        assert link, mail.outbox[-1].body
        return link.group(1)

    return send


def test_invitation_email_carries_a_working_link(invite, owner_client, workspace):
    token = invite()
    assert mail.outbox[-1].to == ["newbie@example.test"]
    assert "Acme Bakery" in mail.outbox[-1].subject
    invitation = Invitation.objects.get()
    assert invitation.token_hash != token and token not in invitation.token_hash  # only the hash is stored
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)


def test_new_user_accepts_and_is_signed_in(invite, owner_client, workspace):
    token = invite(role="manager")
    client = Client()
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200 and "Create your account" in page.content.decode()
    response = client.post(
        f"/invitations/{token}/",
        {"display_name": "Nina New", "password1": "a-long-fresh-pass", "password2": "a-long-fresh-pass"},
    )
    assert response.status_code == 302 and response.url == "/w/acme/"
    user = User.objects.get(email="newbie@example.test")
    assert user.memberships.get().role == Role.MANAGER
    assert user.emailaddress_set.get().verified
    assert client.get("/w/acme/").status_code == 200  # signed in


def test_weak_password_is_refused_and_nothing_created(invite, owner_client, workspace):
    token = invite()
    response = Client().post(
        f"/invitations/{token}/", {"display_name": "N", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="newbie@example.test").exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_existing_user_signs_in_then_accepts(invite, owner_client, workspace, other_workspace):
    existing = MembershipFactory(workspace=other_workspace, user=UserFactory(email="known@example.test")).user
    token = invite(email="known@example.test")
    anonymous = Client().get(f"/invitations/{token}/")
    assert "/accounts/login/?next=/invitations/" in anonymous.content.decode()
    client = Client()
    client.force_login(existing)
    assert client.post(f"/invitations/{token}/").url == "/w/acme/"
    assert set(existing.memberships.values_list("workspace__slug", flat=True)) == {"acme", "other"}


def test_link_works_once(invite, owner_client, workspace):
    token = invite()
    first = Client().post(
        f"/invitations/{token}/",
        {"display_name": "A", "password1": "a-long-fresh-pass", "password2": "a-long-fresh-pass"},
    )
    assert first.status_code == 302
    again = Client().get(f"/invitations/{token}/")
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_expired_link_is_refused(invite, owner_client, workspace):
    token = invite()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)):
        response = Client().get(f"/invitations/{token}/")
        assert response.status_code == 410 and "expired" in response.content.decode()
        with pytest.raises(services.AccountsError):
            services.invitation_accept_as_new_user(
                token=token, password="a-long-fresh-pass", display_name="x"
            )
    assert not User.objects.filter(email="newbie@example.test").exists()


def test_revoked_link_is_refused(invite, owner_client, workspace):
    token = invite()
    invitation = Invitation.objects.get()
    assert owner_client.post(f"/w/acme/settings/invitations/{invitation.pk}/revoke/").status_code == 302
    response = Client().get(f"/invitations/{token}/")
    assert response.status_code == 410 and "revoked" in response.content.decode()
    with pytest.raises(services.AccountsError):
        services.invitation_revoke(invitation=invitation, by=invitation.invited_by)  # only once


def test_unknown_token_is_refused(db):
    assert Client().get("/invitations/not-a-real-token/").status_code == 410


def test_reinviting_replaces_the_pending_link(invite, owner_client, workspace):
    first = invite()
    second = invite()
    assert Client().get(f"/invitations/{first}/").status_code == 410
    assert Client().get(f"/invitations/{second}/").status_code == 200


def test_signed_in_as_someone_else_cannot_accept(invite, owner_client, workspace, outsider):
    token = invite()
    client = Client()
    client.force_login(outsider)
    assert client.post(f"/invitations/{token}/").status_code == 200
    assert not outsider.memberships.filter(workspace=workspace).exists()
    with pytest.raises(services.AccountsError, match=r"sent to newbie@example\.test"):
        services.invitation_accept(token=token, user=outsider)


def test_inviting_a_member_is_refused(owner_client, agent):
    response = owner_client.post(
        "/w/acme/settings/invitations/", {"email": agent.email.upper(), "role": "agent"}
    )
    assert response.status_code == 200 and "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_bad_email_is_a_form_error(owner_client):
    response = owner_client.post("/w/acme/settings/invitations/", {"email": "not-an-email", "role": "agent"})
    assert response.status_code == 200 and "valid email" in response.content.decode()


def test_last_admin_can_neither_leave_nor_be_demoted(owner_client, owner, workspace):
    member = owner.memberships.get()
    owner_client.post(f"/w/acme/settings/members/{member.pk}/role/", {"role": "agent"})
    owner_client.post(f"/w/acme/settings/members/{member.pk}/remove/")
    member.refresh_from_db()
    assert member.role == Role.ADMIN
    with pytest.raises(services.AccountsError, match="at least one admin"):
        services.membership_remove(membership=member, by=owner)


def test_an_admin_can_step_down_once_another_admin_exists(owner_client, owner, manager):
    services.membership_change_role(membership=manager.memberships.get(), role=Role.ADMIN, by=owner)
    member = owner.memberships.get()
    assert owner_client.post(f"/w/acme/settings/members/{member.pk}/remove/").url == "/"
    assert not Membership.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_make_one_membership():
    """Two clicks at once on PostgreSQL: the row lock lets one through, the other sees 'already used'."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers anyway")
    from tests.factories import WorkspaceFactory

    workspace = WorkspaceFactory()
    admin = MembershipFactory(workspace=workspace, role=Role.ADMIN).user
    user = UserFactory(email="twice@example.test")
    _invitation, token = services.invitation_create(
        workspace=workspace, email=user.email, role="agent", invited_by=admin
    )
    outcomes: list[str] = []

    def accept():
        try:
            services.invitation_accept(token=token, user=user)
            outcomes.append("ok")
        except services.AccountsError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Membership.objects.filter(user=user, workspace=workspace).count() == 1


def test_purge_removes_only_long_expired(owner, workspace):
    services.invitation_create(workspace=workspace, email="a@example.test", role="agent", invited_by=owner)
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=60)):
        services.invitation_create(
            workspace=workspace, email="b@example.test", role="agent", invited_by=owner
        )
    assert services.invitations_purge_expired(older_than_days=30) == 1
    assert list(Invitation.objects.values_list("email", flat=True)) == ["a@example.test"]


def test_login_password_of_factory_user_works(user_factory):
    user = user_factory()
    assert user.check_password(PASSWORD)
