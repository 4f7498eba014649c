"""Sign-ins, sign-outs, failed sign-ins and two-factor changes reach the audit log once each, through the
real allauth pages, with the address they came from; they are shown in every workspace of the person."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from accounts.audit import AuditAction, AuditEvent
from tests.accounts.test_auth import _current_code, _login
from tests.factories import PASSWORD, MembershipFactory, UserFactory

A = AuditAction


def _client() -> Client:
    return Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox/140")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_sign_in_and_sign_out_are_recorded_once_with_the_address(agent):
    client = _client()
    assert _login(client, agent.email, PASSWORD).status_code == 302
    [signed_in] = _events(A.SIGNED_IN)
    assert (signed_in.actor, signed_in.workspace, signed_in.ip_address) == (agent, None, "203.0.113.7")
    assert signed_in.user_agent == "Firefox/140"
    assert signed_in.actor_kind == AuditEvent.ActorKind.PERSON
    client.post("/accounts/logout/")
    [signed_out] = _events(A.SIGNED_OUT)
    assert signed_out.actor == agent and signed_out.ip_address == "203.0.113.7"


def test_a_wrong_password_is_recorded_for_the_account_tried_and_never_the_password(agent):
    _login(_client(), agent.email, "wrong-password-123")
    [failed] = _events(A.SIGN_IN_FAILED)
    assert failed.actor == agent and failed.actor_label == agent.email
    assert failed.after == {"factor": "password"}
    assert "wrong-password-123" not in str(failed.__dict__)
    assert _events(A.SIGNED_IN) == []


def test_a_wrong_password_for_an_unknown_address_is_kept_without_an_actor(db):
    _login(_client(), "nobody@example.test", "whatever-password")
    [failed] = _events(A.SIGN_IN_FAILED)
    assert failed.actor is None and failed.actor_label == "nobody@example.test"


def test_a_wrong_second_factor_is_a_failed_sign_in(manager):
    TOTP.activate(manager, generate_totp_secret())
    client = _client()
    _login(client, manager.email, PASSWORD)
    client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    [failed] = _events(A.SIGN_IN_FAILED)
    assert failed.actor == manager and failed.after == {"factor": "two_factor"}


def test_two_factor_enabled_regenerated_and_disabled_once_each(manager, django_capture_on_commit_callbacks):
    client = _client()
    _login(client, manager.email, PASSWORD)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    secret = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/activate/", {"code": _current_code(secret)})
    # Recovery codes come with TOTP: still one "enabled".
    [enabled] = _events(A.MFA_ENABLED)
    assert enabled.actor == manager and enabled.after == {"method": "totp"}
    assert enabled.ip_address == "203.0.113.7"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert [e.actor for e in _events(A.MFA_RECOVERY_CODES_REGENERATED)] == [manager]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=manager).exists()
    [disabled] = _events(A.MFA_DISABLED)
    assert disabled.before == {"method": "totp"}
    assert len(_events(A.MFA_ENABLED)) == 1


def test_sign_ins_show_in_each_workspace_of_the_person_only(agent, owner_client, outsider):
    # The agent is a member of acme; the outsider is not. Both sign in.
    _login(_client(), agent.email, PASSWORD)
    _login(_client(), outsider.email, PASSWORD)
    page = owner_client.get("/w/acme/settings/audit/", {"action": A.SIGNED_IN})
    shown = [e.actor for e in page.context["events"]]
    assert agent in shown and outsider not in shown
    # And in the agent's other workspace too.
    second = MembershipFactory(user=agent, role="agent").workspace
    boss = UserFactory()
    MembershipFactory(user=boss, workspace=second, role="admin")
    client = Client()
    client.force_login(boss)
    page = client.get(f"/w/{second.slug}/settings/audit/", {"action": A.SIGNED_IN})
    assert agent in [e.actor for e in page.context["events"]]
