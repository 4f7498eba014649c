"""Django admin cannot send a channel's token anywhere but the network (or a host the operator listed), nor
move a channel to another workspace."""

from __future__ import annotations

import pytest
from django.urls import reverse

from networks.models import Channel, NetworkApp
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _app_form(api: str, oauth: str = "https://x.com") -> dict:
    return {
        "network": "x",
        "client_id": "id",
        "client_secret": "s",
        "api_base_url": api,
        "oauth_base_url": oauth,
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "https://api.x.com.evil.example/",
        "http://api.x.com/",
        "https://graph.facebook.com/",
        "http://127.0.0.1:8103/",
        "http://user:pw@127.0.0.1:8102/",
    ],
)
def test_a_network_app_refuses_hosts_that_are_not_the_networks(staff_client, settings, url):
    settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1:8102"]
    response = staff_client.post(reverse("admin:networks_networkapp_add"), _app_form(url))
    assert response.status_code == 200
    assert "CMHUB_ALLOWED_API_HOSTS" in response.content.decode()
    assert not NetworkApp.objects.exists()


def test_the_networks_own_host_and_listed_ones_are_accepted(staff_client, settings):
    settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1:8102"]
    add = reverse("admin:networks_networkapp_add")
    assert staff_client.post(add, _app_form("https://api.x.com")).status_code == 302
    NetworkApp.objects.all().delete()
    assert (
        staff_client.post(add, _app_form("http://127.0.0.1:8102", "http://127.0.0.1:8102")).status_code == 302
    )
    assert NetworkApp.objects.get().api_base_url == "http://127.0.0.1:8102"


def test_a_channels_address_and_workspace_cannot_be_edited(staff_client, workspace, other_workspace, owner):
    channel = Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="Acme", api_base_url="https://api.x.com"
    )
    url = reverse("admin:networks_channel_change", args=[channel.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="api_base_url"' not in page and 'name="workspace"' not in page
    staff_client.post(
        url,
        {
            "name": "Acme",
            "workspace": other_workspace.pk,
            "api_base_url": "http://169.254.169.254/",
            "status": channel.status,
            "poll_interval": 60,
            "backfill_days": 14,
        },
    )
    channel.refresh_from_db()
    assert channel.workspace == workspace
    assert channel.api_base_url == "https://api.x.com"


# --- What a channel row pointing at a private address gets at run time -------------------------------
# Rows written before the admin allow-list (or straight into the database) still point where they point:
# the HTTP client itself refuses such addresses, before the token leaves.


def test_a_channel_pointed_at_an_unlisted_private_address_fails_its_poll_in_plain_words(
    x_channel, x_fake, settings
):
    from networks import tasks
    from networks.models import PollRun

    settings.CMHUB_ALLOWED_API_HOSTS = []  # the fake on 127.0.0.1 stands for the metadata service
    run = tasks.poll_once(x_channel)

    assert run.outcome == PollRun.Outcome.ERROR
    x_channel.refresh_from_db()
    assert "private or reserved network address" in x_channel.last_error
    assert x_fake.requests == []  # not one byte, so no token, reached it
