"""Connecting a Mastodon account by typing its server (ConnectStyle.SERVER_OAUTH): what an admin may type,
and what they are told when it cannot be used, in plain words and nothing else lost."""

from __future__ import annotations

import pytest

from networks.models import Channel, ServerApp

URL = "/w/acme/settings/channels/connect/mastodon/"


def _said(client, server: str) -> str:
    answer = client.post(URL, {"server": server}, follow=True)
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize("server", ["localhost", "https://10.0.0.1", "https://169.254.169.254", "127.0.0.2"])
def test_a_private_address_is_refused_in_words_a_person_understands(
    owner_client, workspace, settings, server
):
    settings.CMHUB_ALLOWED_API_HOSTS = []
    page = _said(owner_client, server)
    assert "private or reserved network address" in page
    assert "CMHUB_ALLOWED_API_HOSTS" not in page  # the operator's setting is not the admin's business
    assert not ServerApp.objects.exists()


def test_another_port_is_refused_as_such(owner_client, workspace, settings):
    settings.CMHUB_ALLOWED_API_HOSTS = []
    assert "standard port" in _said(owner_client, "https://social.example:8443")


@pytest.mark.parametrize(
    ("server", "words"),
    [
        ("https://mastodon.social/@brand/posts", "without a path"),
        ("x" * 400, "not a server address"),
        ("", "Type the address of your server"),
    ],
)
def test_what_is_not_a_server_is_said(owner_client, workspace, server, words):
    assert words in _said(owner_client, server)
    assert not Channel.objects.filter(network="mastodon").exists()
