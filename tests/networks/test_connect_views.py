"""Connecting a channel through the whole OAuth flow, against the fakes' consent and token endpoints."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from networks.models import Channel, NetworkApp
from tests.networks.connecting import approve, consent_url


def _consent(client, network: str) -> str:
    return consent_url(client, "acme", network)


def test_connect_x_with_pkce(owner_client, workspace, x_fake, x_app):
    brand = x_fake.add_user("demobakery", "Demo Bakery")
    start = _consent(owner_client, "x")
    assert start.startswith(f"{x_fake.base_url}/i/oauth2/authorize?")
    query = parse_qs(urlsplit(start).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    callback = owner_client.get(approve(start))
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


def test_connect_linkedin_lists_administered_pages(owner_client, workspace, linkedin_fake, linkedin_app):
    member = linkedin_fake.add_member("Camille")
    org = linkedin_fake.add_organization("Demo Bakery SAS", admins=[member])
    linkedin_fake.add_organization("Someone Else Inc")  # not administered: not offered
    callback = owner_client.get(approve(_consent(owner_client, "linkedin")))
    page = owner_client.get(callback.url).content.decode()
    assert "Demo Bakery SAS" in page and "Someone Else" not in page
    owner_client.post(callback.url, {"account": [org]})
    channel = Channel.objects.get(workspace=workspace)
    assert channel.external_id == org and channel.name == "Demo Bakery SAS"
    assert channel.token_expires_at is not None  # 60-day token, tracked for the expiry warning


def test_state_mismatch_is_refused(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    callback = approve(_consent(owner_client, "x")).replace("state=", "state=forged")
    response = owner_client.get(callback)
    assert response.status_code == 400 and "state mismatch" in response.content.decode()
    assert not Channel.objects.exists()


def test_a_state_works_once(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    callback = approve(_consent(owner_client, "x"))
    assert owner_client.get(callback).status_code == 302
    assert owner_client.get(callback).status_code == 400


def test_another_persons_state_is_refused(owner_client, manager_client, workspace, x_fake, x_app):
    """A callback URL stolen from an admin's flow does nothing in someone else's session."""
    x_fake.add_user("demobakery")
    callback = approve(_consent(owner_client, "x"))
    assert manager_client.get(callback).status_code == 400


def test_declined_consent_connects_nothing(owner_client, workspace, x_fake, x_app):
    x_fake.add_user("demobakery")
    state = parse_qs(urlsplit(_consent(owner_client, "x")).query)["state"][0]
    response = owner_client.get(f"/oauth/x/callback/?state={state}&error=access_denied")
    assert response.status_code == 302
    assert not Channel.objects.exists()


@pytest.mark.parametrize("network", ["x", "linkedin", "facebook"])
def test_cancel_on_the_networks_page_says_so(
    owner_client, workspace, network, x_fake, x_app, linkedin_fake, linkedin_app, graph_fake, graph_apps
):
    """Each fake's Cancel answers in its network's words (error=access_denied, user_cancelled_authorize)."""
    x_fake.add_user("demobakery")
    linkedin_fake.add_member("Camille")
    graph_fake.add_user("Camille")
    url = _consent(owner_client, network)
    split = urlsplit(url)
    cancel = httpx.post(
        f"{split.scheme}://{split.netloc}{split.path}",
        data={**dict(httpx.URL(url).params), "decision": "deny"},
    )
    back = urlsplit(cancel.headers["location"])
    response = owner_client.get(f"{back.path}?{back.query}", follow=True)
    assert "The connection was cancelled" in response.content.decode()
    assert not Channel.objects.exists()


# --- The step between our form and the network's page (CSP form-action) --------------------------------


def test_connect_answers_with_our_own_page_not_a_redirect_to_the_network(owner_client, workspace, x_app):
    """form-action 'self' blocks every redirect after a form submission: the POST must stay on our origin."""
    start = owner_client.post("/w/acme/settings/channels/connect/x/")
    assert start.status_code == 303
    assert start.url.startswith("/w/acme/settings/channels/connect/x/authorise/?state=")
    page = owner_client.get(start.url)
    url = page.context["url"]
    assert url.startswith(f"{x_app.oauth_base_url}/i/oauth2/authorize?")
    body = page.content.decode()
    assert '<meta http-equiv="refresh" content="0;url=' in body
    assert f'href="{url.replace("&", "&amp;")}"' in body  # the fallback link, for a browser that ignores it
    assert page["Cache-Control"] == "no-store"
    assert "form-action 'self'" in page["Content-Security-Policy"]


def test_the_authorise_page_needs_a_pending_state_of_this_session(
    owner_client, outsider_client, workspace, x_app, owner
):
    start = owner_client.post("/w/acme/settings/channels/connect/x/")
    assert owner_client.get("/w/acme/settings/channels/connect/x/authorise/?state=forged").status_code == 400
    assert owner_client.get(start.url.replace("/x/", "/linkedin/")).status_code == 400  # another network
    other_admin = Client()
    other_admin.force_login(owner)  # the same person in another browser: the state lives in one session
    assert other_admin.get(start.url).status_code == 400
    assert outsider_client.get(start.url).status_code == 404  # not a member of acme


@pytest.mark.parametrize("who", ["agent_client", "manager_client"])
def test_only_admins_reach_the_authorise_page(request, who, workspace, x_app):
    client = request.getfixturevalue(who)
    assert client.get("/w/acme/settings/channels/connect/x/authorise/?state=x").status_code == 403


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
    start = _consent(owner_client, "facebook")
    assert "/dialog/oauth?" in start
    callback = owner_client.get(approve(start))
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
    callback = owner_client.get(approve(_consent(owner_client, "instagram")))
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
    response = owner_client.get(approve(_consent(owner_client, "facebook")))
    assert response.status_code == 302
    assert "refused the connection" in owner_client.get(response.url).content.decode()
    assert not Channel.objects.exists()


def test_one_facebook_login_connects_a_page_and_its_instagram_account(
    owner_client, workspace, graph_fake, graph_apps
):
    user = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=user.id)
    ig = graph_fake.add_ig_user("demo.bakery", page_id=bakery.id)
    callback = owner_client.get(approve(_consent(owner_client, "facebook")))
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
    callback = approve(_consent(owner_client, "x"))
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
    choice_url = owner_client.get(approve(_consent(owner_client, "x"))).url
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
    choice_url = owner_client.get(approve(_consent(owner_client, "x"))).url
    callback = approve(_consent(owner_client, "x"))
    drop_old_keys()  # the operator skipped rotate_credentials

    for url in (callback, choice_url):
        response = owner_client.get(url, follow=True)
        assert response.status_code in (200, 400)
        assert "the encryption keys changed" in response.content.decode()
    assert not Channel.objects.exists()


# --- Reconnect: the choice renews the channel being repaired --------------------------------------------


def _facebook_channel(workspace, owner, graph_fake, page):
    from networks import services
    from networks.providers import base as p

    return services.channel_connect(
        workspace=workspace,
        network="facebook",
        external_id=page.id,
        name=page.name,
        api_base_url=graph_fake.base_url,
        credentials=p.Credentials(access_token="expired-token"),
        by=owner,
    )


def _reconnect(client, channel) -> str:
    start = client.post(f"/w/acme/settings/channels/connect/{channel.network}/", {"channel": channel.pk})
    url = client.get(start.url).context["url"]
    return client.get(client.get(approve(url)).url).content.decode()


def test_reconnect_ticks_only_the_channel_being_repaired(
    owner_client, owner, workspace, graph_fake, graph_apps
):
    camille = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=camille.id)
    graph_fake.add_page("Camille's Garden", user_id=camille.id)
    channel = _facebook_channel(workspace, owner, graph_fake, bakery)
    page = _reconnect(owner_client, channel)
    assert "Demo Bakery is ticked: connecting renews its access" in page
    ticked = re.findall(r'<input type="checkbox" name="account" value="([^"]+)"[^>]*checked', page)
    assert ticked == [bakery.id]


def test_reconnect_with_a_login_that_does_not_reach_the_channel_says_so(
    owner_client, owner, workspace, graph_fake, graph_apps
):
    camille = graph_fake.add_user("Camille Manager")
    graph_fake.add_page("Camille's Garden", user_id=camille.id)
    lost = graph_fake.add_page("Demo Bakery", user_id=graph_fake.add_user("Someone Else").id)
    channel = _facebook_channel(workspace, owner, graph_fake, lost)
    page = _reconnect(owner_client, channel)  # the fake signs Camille in: she does not manage the bakery
    assert "This Facebook login gives no access to Demo Bakery" in page
    assert not re.findall(r'name="account" value="[^"]+"[^>]*checked', page)


def test_reconnect_refuses_another_workspaces_channel(owner_client, workspace, other_workspace, x_app):
    from networks.models import Channel

    theirs = Channel.objects.create(workspace=other_workspace, network="x", external_id="9", name="Theirs")
    start = owner_client.post("/w/acme/settings/channels/connect/x/", {"channel": theirs.pk})
    assert start.status_code == 404
    assert owner_client.post("/w/acme/settings/channels/connect/x/", {"channel": "x"}).status_code == 404
