"""Connecting an account with an app password (ConnectStyle.APP_PASSWORD, Bluesky): the form, the sign-in
through the network's entryway (a fake speaking Bluesky's XRPC), the same choice page as after a consent,
and the channel it makes. The app password itself is never kept."""

from __future__ import annotations

import pytest

from networks.fakes.bluesky import BlueskyFake
from networks.models import Channel, NetworkApp

BRAND = "did:plc:brandbrandbrandbrandbran"
URL = "/w/acme/settings/channels/connect/bluesky/"


@pytest.fixture
def bluesky_fake():
    with BlueskyFake() as fake:
        fake.add_account(BRAND, "brand.example.com", display_name="The Brand", password="abcd-efgh-ijkl-mnop")
        yield fake


@pytest.fixture
def entryway(db, bluesky_fake, settings):
    """The deployment points Bluesky's sign-in at the fake (no client id: app passwords need no app)."""
    host = bluesky_fake.base_url.split("//", 1)[1]
    settings.CMHUB_ALLOWED_API_HOSTS = [*settings.CMHUB_ALLOWED_API_HOSTS, host]
    return NetworkApp.objects.create(network="bluesky", client_id="", api_base_url=bluesky_fake.base_url)


def test_the_channels_page_offers_bluesky_without_any_app_configured(owner_client, workspace):
    page = owner_client.get("/w/acme/settings/channels/").content.decode()
    assert f'action="{URL}"' in page and "Connect Bluesky" in page


def test_connect_with_an_app_password_then_choose_the_account(
    owner_client, workspace, entryway, bluesky_fake
):
    start = owner_client.post(URL)
    assert start.status_code == 303 and start.url == f"{URL}password/"
    form = owner_client.get(start.url)
    assert form.status_code == 200 and 'name="password"' in form.content.decode()

    signed_in = owner_client.post(
        start.url, {"identifier": "brand.example.com", "password": "abcd-efgh-ijkl-mnop"}
    )
    assert signed_in.status_code == 302, signed_in.content.decode()[:500]
    choose = owner_client.get(signed_in.url)
    assert "The Brand" in choose.content.decode()
    done = owner_client.post(signed_in.url, {"account": BRAND, "backfill_days": "7"})
    assert done.status_code == 302

    channel = Channel.objects.get(workspace=workspace, network="bluesky")
    assert (channel.external_id, channel.handle, channel.api_base_url) == (
        BRAND,
        "brand.example.com",
        bluesky_fake.base_url,
    )
    assert channel.credentials["access_token"] and channel.credentials["refresh_token"]
    assert channel.token_expires_at is not None  # read from the access JWT: renewed before it runs out
    assert "abcd-efgh-ijkl-mnop" not in str(channel.credentials)


def test_a_refused_password_is_said_and_the_handle_kept(owner_client, workspace, entryway):
    answer = owner_client.post(f"{URL}password/", {"identifier": "brand.example.com", "password": "wrong"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "app password" in page and 'value="brand.example.com"' in page
    assert not Channel.objects.filter(network="bluesky").exists()


def test_an_empty_form_is_refused_in_plain_words(owner_client, workspace, entryway):
    answer = owner_client.post(f"{URL}password/", {"identifier": " ", "password": ""})
    assert answer.status_code == 400
    assert "Type the account" in answer.content.decode()


def test_an_unreachable_entryway_is_said_not_crashed(owner_client, workspace, db):
    NetworkApp.objects.create(network="bluesky", client_id="", api_base_url="http://127.0.0.1:9")
    answer = owner_client.post(f"{URL}password/", {"identifier": "brand.example.com", "password": "x"})
    assert answer.status_code == 400 and "cannot be reached" in answer.content.decode()


def test_reconnect_signs_in_again_for_the_same_channel(owner_client, workspace, entryway, bluesky_fake):
    owner_client.post(
        f"{URL}password/", {"identifier": "brand.example.com", "password": "abcd-efgh-ijkl-mnop"}
    )
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        external_id=BRAND,
        name="The Brand",
        handle="brand.example.com",
        api_base_url=bluesky_fake.base_url,
        status=Channel.Status.NEEDS_RECONNECT,
    )
    start = owner_client.post(URL, {"channel": channel.pk})
    assert start.status_code == 303 and "reconnect=" in start.url
    form = owner_client.get(start.url).content.decode()
    assert 'value="brand.example.com"' in form and 'name="reconnect"' in form


@pytest.mark.parametrize("who", ["manager_client", "agent_client"])
def test_only_admins_connect_with_an_app_password(request, who, workspace, entryway):
    client = request.getfixturevalue(who)
    assert client.get(f"{URL}password/").status_code in (403, 404)
    answer = client.post(
        f"{URL}password/", {"identifier": "brand.example.com", "password": "abcd-efgh-ijkl-mnop"}
    )
    assert answer.status_code in (403, 404)
    assert not Channel.objects.filter(network="bluesky").exists()


def test_networks_that_use_a_consent_page_have_no_password_form(owner_client, workspace):
    assert owner_client.get("/w/acme/settings/channels/connect/x/password/").status_code == 404


def test_an_outsider_cannot_reach_the_form(outsider_client, workspace, entryway):
    assert outsider_client.get(f"{URL}password/").status_code == 404


def test_a_handle_typed_with_its_at_sign_signs_in(owner_client, workspace, entryway):
    """Bluesky shows handles as @brand.example.com; the sign-in wants them without the @."""
    answer = owner_client.post(
        f"{URL}password/", {"identifier": "@brand.example.com", "password": "abcd-efgh-ijkl-mnop"}
    )
    assert answer.status_code == 302
