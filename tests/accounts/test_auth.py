"""Signing in through allauth: email login, throttling, two-factor authentication, the admin's door."""

from __future__ import annotations

import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, MembershipFactory


def _login(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _current_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_email_login_through_the_real_form(agent):
    client = Client()
    response = _login(client, agent.email, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == "/w/acme/"


def test_wrong_password_is_refused(agent):
    client = Client()
    response = _login(client, agent.email, "wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302 and client.get("/").url.startswith("/accounts/login/")


@time_machine.travel("2026-06-01 12:00", tick=False)  # a frozen clock: the limit window cannot slide
def test_failed_logins_are_throttled_even_for_the_right_password(agent):
    client = Client()
    for _ in range(5):
        assert _login(client, agent.email, "wrong-password").status_code == 200
    response = _login(client, agent.email, PASSWORD)
    assert response.status_code == 200  # refused, with an explanation
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/").url.startswith("/accounts/login/")
    # Five minutes later the account may try again.
    with time_machine.travel("2026-06-01 12:06", tick=False):
        assert _login(client, agent.email, PASSWORD).status_code == 302


@time_machine.travel("2026-06-01 12:00", tick=False)
def test_throttle_is_per_account(agent, manager):
    client = Client()
    for _ in range(5):
        _login(client, agent.email, "wrong-password")
    assert _login(client, manager.email, PASSWORD).status_code == 302


def test_signup_is_closed_outside_invitations(db):
    response = Client().get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode() or response.status_code in (403, 404)


def test_workspace_requiring_mfa_sends_managers_to_set_it_up(manager_client, agent_client, workspace):
    workspace.require_mfa = True
    workspace.save()
    response = manager_client.get("/w/acme/")
    assert response.status_code == 302 and response.url == "/accounts/2fa/totp/activate/"
    assert agent_client.get("/w/acme/").status_code == 200  # agents are not concerned


def test_manager_with_totp_gets_in(manager_client, manager, workspace):
    workspace.require_mfa = True
    workspace.save()
    TOTP.activate(manager, generate_totp_secret())
    assert manager_client.get("/w/acme/").status_code == 200


def test_activating_totp_through_the_page_lifts_the_block(manager, workspace):
    workspace.require_mfa = True
    workspace.save()
    client = Client()
    response = _login(client, manager.email, PASSWORD)
    assert response.status_code == 302
    # Turning on 2FA asks for the password again (allauth's reauthentication), as it should.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 and page.url.startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": _current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=manager, type=Authenticator.Type.TOTP).exists()
    assert client.get("/w/acme/").status_code == 200


def test_login_with_totp_asks_for_the_code(manager):
    secret = generate_totp_secret()
    TOTP.activate(manager, secret)
    client = Client()
    response = _login(client, manager.email, PASSWORD)
    assert response.status_code == 302 and response.url == "/accounts/2fa/authenticate/"
    assert client.get("/").url.startswith("/accounts/login/")  # not signed in yet
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    assert client.post("/accounts/2fa/authenticate/", {"code": _current_code(secret)}).status_code == 302
    assert client.get("/").url == "/w/acme/"


def test_admin_login_goes_through_allauth(db):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_superuser_reaches_admin_after_allauth_login(workspace):
    from tests.factories import UserFactory

    boss = UserFactory(is_staff=True, is_superuser=True)
    MembershipFactory(user=boss, workspace=workspace)
    client = Client()
    _login(client, boss.email, PASSWORD)
    assert client.get("/admin/").status_code == 200


def _reset(email: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return Client().post("/accounts/password/reset/", {"email": email})


def test_password_reset_mails_known_accounts_only_and_answers_the_same(
    agent, django_capture_on_commit_callbacks
):
    """An invitation-only back office writes to no stranger (an open relay for 'someone asked to reset'
    mails otherwise), and the page answers the same, so it tells nobody which addresses have accounts."""
    unknown = _reset("stranger@example.test", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    known = _reset(agent.email, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert (unknown.status_code, unknown.headers.get("Location")) == (
        known.status_code,
        known.headers.get("Location"),
    )
    assert known.status_code == 302


# --- Nobody can lock a colleague out --------------------------------------------------------------------

ATTACKER, VICTIM_DESK = "203.0.113.7", "198.51.100.2"


def _from(address: str, **headers) -> Client:
    return Client(REMOTE_ADDR=address, **headers)


def _refused(response) -> bool:
    return response.status_code == 200 and "Too many failed login attempts" in response.content.decode()


@time_machine.travel("2026-06-01 12:00", tick=False)
def test_an_attacker_cannot_lock_a_colleague_out(agent):
    attacker = _from(ATTACKER)
    outcomes = [_refused(_login(attacker, agent.email, "wrong-password")) for _ in range(20)]
    assert outcomes == [False] * 5 + [True] * 15  # five guesses from one address, then throttled
    assert _login(_from(VICTIM_DESK), agent.email, PASSWORD).status_code == 302  # the victim gets in
    assert _refused(_login(attacker, agent.email, PASSWORD))  # the attacker's address stays throttled


@time_machine.travel("2026-06-01 12:00", tick=False)
def test_many_addresses_slow_an_account_down_but_never_lock_it(agent, settings):
    ceiling = int(settings.CMHUB_LOGIN_FAILED_LIMITS["account"].split("/")[0])
    for n in range(ceiling + 5):
        _login(_from(f"192.0.2.{n + 1}"), agent.email, "wrong-password")
    # Past the ceiling each address gets one try at the account per period: guessing slows to a crawl...
    bot = _from("192.0.2.200")
    assert not _refused(_login(bot, agent.email, "wrong-password"))
    assert _refused(_login(bot, agent.email, "wrong-password"))
    # ...and the person, from an address of their own, still gets in with the right password.
    assert _login(_from(VICTIM_DESK), agent.email, PASSWORD).status_code == 302


@time_machine.travel("2026-06-01 12:00", tick=False)
def test_a_forged_x_forwarded_for_does_not_escape_the_limit(agent, settings):
    # Not behind a proxy (the default): the header is ignored, the connection's address counts.
    for n in range(5):
        _login(_from(ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), agent.email, "wrong-password")
    assert _refused(_login(_from(ATTACKER, HTTP_X_FORWARDED_FOR="10.0.0.99"), agent.email, PASSWORD))
    # Behind one proxy: only the address the proxy appended counts, not what the client wrote before it.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.1.1.1"
    for n in range(5):
        forged = f"10.0.0.{n}, {VICTIM_DESK}"
        _login(_from(proxy, HTTP_X_FORWARDED_FOR=forged), agent.email, "wrong-password")
    client = _from(proxy, HTTP_X_FORWARDED_FOR=f"10.9.9.9, {VICTIM_DESK}")
    assert _refused(_login(client, agent.email, PASSWORD))
