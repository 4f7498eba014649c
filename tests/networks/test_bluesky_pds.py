"""Bluesky: the account's tokens go only to a PDS reached over https (port 443) or to a host the operator
listed in CMHUB_ALLOWED_API_HOSTS; a DID document naming anything else is refused, never used in clear."""

from __future__ import annotations

import pytest

from networks.providers import bluesky_auth
from networks.providers.base import Account, Network, PermissionMissing
from networks.providers.bluesky import BlueskyProvider
from tests.networks.test_bluesky import BRAND, connect, fake, http, server  # noqa: F401


@pytest.mark.parametrize(
    "url",
    [
        "https://pds.example.org",
        "https://pds.example.org:443/",
        "http://127.0.0.1:2583",  # listed (pyproject: 127.0.0.1, localhost)
        "https://localhost:8443",
    ],
)
def test_https_on_443_or_a_listed_host_is_usable(url):
    assert bluesky_auth.usable_pds(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://pds.example.org",
        "http://pds.example.org:443",
        "https://pds.example.org:8443",
        "ws://pds.example.org",
        "https://user:pw@pds.example.org",
        "https://pds.example.org?x=1",
        "https://pds.example.org:notaport",
        "https://",
        "",
    ],
)
def test_anything_else_is_not(url):
    assert not bluesky_auth.usable_pds(url)


def test_a_listed_host_is_read_at_each_call(settings):
    settings.CMHUB_ALLOWED_API_HOSTS = ["pds.internal:2583"]
    assert bluesky_auth.usable_pds("http://pds.internal:2583")
    assert not bluesky_auth.usable_pds("http://pds.internal:2584")


@pytest.mark.parametrize("endpoint", ["http://pds.example.org", "https://pds.example.org:8443"])
def test_a_did_document_naming_an_http_pds_is_refused_at_connect(fake, http, endpoint):  # noqa: F811
    fake.pds_endpoints[BRAND] = endpoint
    with pytest.raises(PermissionMissing, match="not reached over https"):
        connect(fake, http)


def test_a_channel_stored_with_an_http_pds_sends_nothing(fake, http):  # noqa: F811
    provider = connect(fake, http)
    account = provider.account
    stored = BlueskyProvider(
        Account(Network.BLUESKY, account.external_id, "http://pds.example.org", account.credentials),
        http=http,
    )
    with pytest.raises(PermissionMissing, match="not reached over https"):
        stored.poll(cursor={})
    with pytest.raises(PermissionMissing, match="not reached over https"):
        stored.refresh_credentials()
