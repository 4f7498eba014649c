"""Connecting a channel through the whole OAuth flow, against the fakes' consent and token endpoints."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from networks.models import Channel, NetworkApp


def _follow_consent(response) -> str:
    """What the browser does: open the consent page; the fake consents and redirects back to us."""
    assert response.status_code == 302, response
    consent = httpx.get(response.url, follow_redirects=False)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["location"])
    return f"{back.path}?{back.query}"


def test_connect_x_with_pkce(owner_client, workspace, x_fake, x_app):
    brand = x_fake.add_user("demobakery", "Demo Bakery")
    start = owner_client.post("/w/acme/settings/channels/connect/x/")
    assert start.url.startswith(f"{x_fake.base_url}/i/oauth2/authorize?")
    query = parse_qs(urlsplit(start.url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    callback = owner_client.get(_follow_consent(start))
    assert callback.status_code == 302 and "/settings/channels/connect/x/" in callback.url
    choose = owner_client.get(callback.url)
    assert "Demo Bakery" in choose.content.decode()
    done = owner_client.post(callback.url, {"account": [brand], "backfill_days": "7"})
    assert done.status_code == 302
    channel = Channel.objects.get(workspace=workspace)
    assert (channel.network, channel.external_id, channel.handle) == ("x", brand, "demobakery")
    assert channel.access_token and channel.credentials["refresh_token"]
    assert channel.token_expires_at is not None and channel.backfill_days == 7
    assert "offline.access" in channel.scopes_granted


def test_connect_linkedin_lists_administered_pages(owner_client, workspace, linkedin_fake, db):
    NetworkApp.objects.create(
        network="linkedin",
        client_id=linkedin_fake.client_id,
        client_secret=linkedin_fake.client_secret,
        api_base_url=linkedin_fake.base_url,
        oauth_base_url=linkedin_fake.base_url,
    )
    member = linkedin_fake.add_member("Camille")
    org = linkedin_fake.add_organization("Demo Bakery SAS", admins=[member])
    linkedin_fake.add_organization("Someone Else Inc")  # not administered: not offered
    start = owner_client.post("/w/acme/settings/channels/connect/linkedin/")
    callback = owner_client.get(_follow_consent(start))
    page = owner_client.get(callback.url).content.decode()
    assert "Demo Bakery SAS" in page and "Someone Else" not in page
    owner_client.post(callback.url, {"account": [org]})
    channel = Channel.objects.get(workspace=workspace)
    assert channel.external_id == org and channel.name == "Demo Bakery SAS"
    assert channel.token_expires_at is not None  # 60-day token, tracked for the expiry warning


def test_state_mismatch_is_refused(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    start = owner_client.post("/w/acme/settings/channels/connect/x/")
    callback = _follow_consent(start).replace("state=", "state=forged")
    response = owner_client.get(callback)
    assert response.status_code == 400 and "state mismatch" in response.content.decode()
    assert not Channel.objects.exists()


def test_a_state_works_once(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    callback = _follow_consent(owner_client.post("/w/acme/settings/channels/connect/x/"))
    assert owner_client.get(callback).status_code == 302
    assert owner_client.get(callback).status_code == 400


def test_another_persons_state_is_refused(owner_client, manager_client, workspace, x_fake, x_app):
    """A callback URL stolen from an admin's flow does nothing in someone else's session."""
    x_fake.add_user("demobakery")
    callback = _follow_consent(owner_client.post("/w/acme/settings/channels/connect/x/"))
    assert manager_client.get(callback).status_code == 400


def test_declined_consent_connects_nothing(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    start = owner_client.post("/w/acme/settings/channels/connect/x/")
    state = parse_qs(urlsplit(start.url).query)["state"][0]
    response = owner_client.get(f"/oauth/x/callback/?state={state}&error=access_denied")
    assert response.status_code == 302
    assert not Channel.objects.exists()


def test_unconfigured_network_says_so(owner_client, workspace):
    page = owner_client.get("/w/acme/settings/channels/").content.decode()
    assert "Not configured for this deployment" in page
    response = owner_client.post("/w/acme/settings/channels/connect/x/", follow=True)
    assert "No X app is configured" in response.content.decode()


@pytest.mark.parametrize("who", ["agent_client", "manager_client"])
def test_only_admins_connect(request, who, workspace, x_app):
    client = request.getfixturevalue(who)
    assert client.post("/w/acme/settings/channels/connect/x/").status_code == 403
    assert client.get("/w/acme/settings/channels/").status_code == 403


def test_connect_facebook_pages_choosing_among_them(owner_client, workspace, graph_fake, graph_apps):
    user = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=user.id)
    graph_fake.add_page("Camille's Garden", user_id=user.id)
    start = owner_client.post("/w/acme/settings/channels/connect/facebook/")
    assert "/dialog/oauth?" in start.url
    callback = owner_client.get(_follow_consent(start))
    page = owner_client.get(callback.url).content.decode()
    assert "Demo Bakery" in page and "Camille&#x27;s Garden" in page
    owner_client.post(callback.url, {"account": [bakery.id]})  # only one of the two
    channel = Channel.objects.get(workspace=workspace)
    assert (channel.network, channel.external_id, channel.name) == ("facebook", bakery.id, "Demo Bakery")
    assert channel.access_token == bakery.token  # the Page token, not the person's
    assert channel.token_expires_at is None  # Page tokens from a long-lived user token do not expire


def test_connect_instagram_offers_the_linked_accounts(owner_client, workspace, graph_fake, graph_apps):
    user = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=user.id)
    graph_fake.add_page("No Instagram Here", user_id=user.id)
    ig = graph_fake.add_ig_user("demo.bakery", page_id=bakery.id)
    start = owner_client.post("/w/acme/settings/channels/connect/instagram/")
    callback = owner_client.get(_follow_consent(start))
    page = owner_client.get(callback.url).content.decode()
    assert "demo.bakery" in page and "No Instagram Here" not in page
    owner_client.post(callback.url, {"account": [ig.id]})
    channel = Channel.objects.get(workspace=workspace)
    assert (channel.network, channel.external_id, channel.handle) == ("instagram", ig.id, "demo.bakery")


def test_wrong_app_secret_is_reported_not_crashed(owner_client, workspace, graph_fake, graph_apps):
    app = NetworkApp.objects.get(network="facebook")
    app.client_secret = "not-the-secret"
    app.save()
    graph_fake.add_user("Camille")
    response = owner_client.get(
        _follow_consent(owner_client.post("/w/acme/settings/channels/connect/facebook/"))
    )
    assert response.status_code == 302
    assert "refused the connection" in owner_client.get(response.url).content.decode()
    assert not Channel.objects.exists()


def test_one_facebook_login_connects_a_page_and_its_instagram_account(
    owner_client, workspace, graph_fake, graph_apps
):
    user = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=user.id)
    ig = graph_fake.add_ig_user("demo.bakery", page_id=bakery.id)
    callback = owner_client.get(
        _follow_consent(owner_client.post("/w/acme/settings/channels/connect/facebook/"))
    )
    page = owner_client.get(callback.url).content.decode()
    assert "network-instagram" in page and "demo.bakery" in page
    owner_client.post(callback.url, {"account": [bakery.id, ig.id]})
    assert set(Channel.objects.values_list("network", "external_id")) == {
        ("facebook", bakery.id),
        ("instagram", ig.id),
    }
    instagram = Channel.objects.get(network="instagram")
    assert instagram.scopes_requested and "instagram_basic" in instagram.scopes_requested


# --- Rotating the credential keys while someone is connecting ---------------------------------------------


@pytest.fixture
def rotating_keys(settings):
    """CREDENTIAL_KEYS as an operator rotates them: returns (add a new key in front, drop the old one)."""
    from core import crypto

    old = list(settings.CREDENTIAL_KEYS)
    new = crypto.generate_key()

    def put_new_key_first():
        settings.CREDENTIAL_KEYS = [new, *old]

    def drop_old_keys():
        settings.CREDENTIAL_KEYS = [new]

    return put_new_key_first, drop_old_keys


def test_a_consent_page_open_while_keys_rotate_still_connects(
    owner_client, workspace, x_fake, x_app, rotating_keys
):
    from django.core.management import call_command

    brand = x_fake.add_user("demobakery", "Demo Bakery")
    put_new_key_first, drop_old_keys = rotating_keys
    callback = _follow_consent(owner_client.post("/w/acme/settings/channels/connect/x/"))
    put_new_key_first()
    call_command("rotate_credentials", stdout=io.StringIO())
    drop_old_keys()

    choose = owner_client.get(callback)
    assert choose.status_code == 302, choose.content.decode()
    owner_client.post(choose.url, {"account": [brand]})
    assert Channel.objects.get(workspace=workspace).external_id == brand


def test_accounts_waiting_to_be_chosen_survive_a_rotation(
    owner_client, workspace, x_fake, x_app, rotating_keys
):
    from django.core.management import call_command

    brand = x_fake.add_user("demobakery", "Demo Bakery")
    put_new_key_first, drop_old_keys = rotating_keys
    choice_url = owner_client.get(
        _follow_consent(owner_client.post("/w/acme/settings/channels/connect/x/"))
    ).url
    put_new_key_first()
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out)
    drop_old_keys()

    assert "Re-encrypted 2 connection(s) in progress" in out.getvalue()  # the flows and the choice
    assert "Demo Bakery" in owner_client.get(choice_url).content.decode()
    owner_client.post(choice_url, {"account": [brand]})
    assert Channel.objects.get(workspace=workspace).external_id == brand


def test_rotation_keeps_each_sessions_expiry(owner_client, workspace, x_fake, x_app, rotating_keys):
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    owner_client.post("/w/acme/settings/channels/connect/x/")
    before = {s.pk: s.expire_date for s in Session.objects.all()}
    rotating_keys[0]()
    call_command("rotate_credentials", stdout=io.StringIO())
    assert {s.pk: s.expire_date for s in Session.objects.all()} == before


def test_keys_dropped_without_rotating_say_so_instead_of_failing(
    owner_client, workspace, x_fake, x_app, rotating_keys
):
    x_fake.add_user("demobakery", "Demo Bakery")
    _put_new_key_first, drop_old_keys = rotating_keys
    flow = owner_client.post("/w/acme/settings/channels/connect/x/")
    choice_url = owner_client.get(_follow_consent(flow)).url
    callback = _follow_consent(owner_client.post("/w/acme/settings/channels/connect/x/"))
    drop_old_keys()  # the operator skipped rotate_credentials

    for url in (callback, choice_url):
        response = owner_client.get(url, follow=True)
        assert response.status_code in (200, 400)
        assert "the encryption keys changed" in response.content.decode()
    assert not Channel.objects.exists()
