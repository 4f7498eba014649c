"""Any Mastodon instance may be connected (an https address), and still never a private address: the
registry's rule for where a token may go, and the SSRF-safe client underneath it."""

from __future__ import annotations

import pytest

from core.http import make_client
from networks.models import Channel
from networks.providers.base import Invalid
from networks.providers.mastodon import MastodonProvider
from networks.providers.mastodon_auth import DEFAULT_SCOPES, server_origin
from networks.registry import SPECS, allowed_url, text_limit


@pytest.mark.parametrize(
    "url", ["https://mastodon.social", "https://piaille.fr/", "https://social.brand.example:443"]
)
def test_any_https_instance_is_accepted(url: str) -> None:
    assert allowed_url("mastodon", url)


@pytest.mark.parametrize(
    "url",
    [
        "http://mastodon.social",  # the token would travel in clear
        "https://user:pw@mastodon.social",
        "https://mastodon.social:8443",
        "ftp://mastodon.social",
        "https://",
    ],
)
def test_other_addresses_are_refused(url: str) -> None:
    assert not allowed_url("mastodon", url)


def test_plain_http_only_for_a_listed_host(settings) -> None:
    settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1:8104"]
    assert allowed_url("mastodon", "http://127.0.0.1:8104")
    assert not allowed_url("mastodon", "http://127.0.0.1:8105")


def test_the_other_networks_still_accept_only_their_own_hosts() -> None:
    assert not allowed_url("x", "https://mastodon.social")
    assert allowed_url("x", "https://api.x.com")


def test_an_instance_that_resolves_to_a_private_address_is_refused_before_anything_is_sent(settings) -> None:
    settings.CMHUB_ALLOWED_API_HOSTS = []
    with make_client(timeout=2) as http, pytest.raises(Invalid, match="private or reserved"):
        MastodonProvider.register_app(
            http=http,
            server_url="https://127.0.0.2",
            redirect_uri="https://cmhub.example/cb/",
            scopes=DEFAULT_SCOPES,
            client_name="CM Hub",
            website="",
        )


def test_what_an_admin_types_becomes_the_instance_origin() -> None:
    assert server_origin("mastodon.social") == "https://mastodon.social"
    assert server_origin("https://mastodon.social/@brand ") == "https://mastodon.social"
    with pytest.raises(Invalid):
        server_origin("https://")


def test_the_spec_asks_for_the_issue_scopes_and_never_refreshes() -> None:
    spec = SPECS["mastodon"]
    assert {"read:notifications", "read:statuses", "read:accounts", "write:statuses", "write:media"} <= set(
        spec.scopes
    )
    assert "write:conversations" not in spec.scopes  # answering a direct message is write:statuses
    assert not spec.refreshable


def test_a_channel_counts_against_its_own_servers_limit(workspace) -> None:
    def channel(external_id: str, **limits: int) -> Channel:
        return Channel.objects.create(
            workspace=workspace,
            network="mastodon",
            external_id=external_id,
            name="Bakery",
            api_base_url="https://piaille.fr",
            server_limits=limits,
        )

    assert text_limit(channel("1", max_characters=11000)).max_length == 11000
    assert text_limit(channel("2")).max_length == 500
