"""The Graph API version is a setting, pinned to one Meta still serves, with its sunset on the health page
(issue 13, item 7: v21.0 stops being served on 2027-01-21)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from networks import registry
from networks.models import Channel
from networks.providers.graph import GRAPH_VERSION, graph_sunset


def test_the_default_version_is_served_for_at_least_a_year_from_now() -> None:
    sunset = graph_sunset(GRAPH_VERSION)
    assert sunset is not None and sunset > dt.date(2027, 1, 21)  # later than v21.0's
    assert sunset - dt.date.today() > dt.timedelta(days=365)


def test_a_provider_calls_the_version_the_setting_names(db, workspace, graph_fake, graph_apps, settings):
    settings.CMHUB_GRAPH_API_VERSION = "v24.0"
    page = graph_fake.add_page("Acme Bakery")
    channel = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id=page.id,
        name="Acme",
        api_base_url=graph_fake.base_url,
        credentials={"access_token": page.token},
    )
    with httpx.Client() as http:
        registry.build_provider(channel, http=http).poll(cursor={})
    assert graph_fake.requests and all(r.path.startswith("/v24.0/") for r in graph_fake.requests)


def test_a_malformed_version_setting_is_a_clear_error(settings) -> None:
    settings.CMHUB_GRAPH_API_VERSION = "24"
    with pytest.raises(ImproperlyConfigured, match=r"must look like v25\.0"):
        registry.graph_version()


def test_the_health_page_shows_the_version_and_when_meta_stops_serving_it(owner_client, workspace, settings):
    settings.CMHUB_GRAPH_API_VERSION = "v24.0"
    Channel.objects.create(workspace=workspace, network="instagram", external_id="1784", name="Acme")
    page = owner_client.get(reverse("channel_health", args=[workspace.slug])).content.decode()
    assert "Graph API v24.0" in page
    assert "Feb 18, 2028" in page  # the one date format of the pages (cmhub/formats)


def test_the_system_check_refuses_a_malformed_version_and_warns_before_a_sunset(settings) -> None:
    from networks.checks import graph_api_version

    settings.CMHUB_GRAPH_API_VERSION = "latest"
    assert [m.id for m in graph_api_version(None)] == ["cmhub.E101"]
    settings.CMHUB_GRAPH_API_VERSION = "v21.0"
    assert graph_api_version(None, today=dt.date(2026, 6, 1)) == []
    assert [m.id for m in graph_api_version(None, today=dt.date(2026, 12, 1))] == ["cmhub.W101"]
    late = graph_api_version(None, today=dt.date(2027, 2, 1))
    assert "stopped serving Graph API v21.0 on 2027-01-21" in late[0].msg
    settings.CMHUB_GRAPH_API_VERSION = ""
    assert graph_api_version(None) == []  # the default is served for more than 90 days
