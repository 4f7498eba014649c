"""Settings -> Watched posts: the workspace's watch windows, who may change them, and what the health page
and the providers make of them (issue 13, item 4)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.urls import reverse

from networks import registry
from networks.models import Channel, WatchSettings
from networks.providers.facebook import FacebookProvider
from networks.watch import WatchSettingsError, watch_settings_update


def url(workspace) -> str:
    return reverse("watch_settings", kwargs={"slug": workspace.slug})


VALUES = {
    "recent_days": 7,
    "recent_posts": 40,
    "sweep_days": 730,
    "sweep_interval_hours": 12,
    "sweep_posts_per_run": 10,
}


def test_an_admin_saves_the_windows(owner_client, workspace):
    page = owner_client.get(url(workspace))
    assert page.status_code == 200
    assert 'name="sweep_days"' in page.text

    response = owner_client.post(url(workspace), VALUES)

    assert response.status_code == 302
    row = WatchSettings.objects.get(workspace=workspace)
    assert {name: getattr(row, name) for name in VALUES} == VALUES


def test_out_of_bounds_values_are_refused_and_nothing_is_saved(owner_client, workspace):
    response = owner_client.post(url(workspace), {**VALUES, "recent_days": 0, "sweep_interval_hours": 999})

    assert response.status_code == 400
    assert "from 1 to 90" in response.text
    assert not WatchSettings.objects.filter(workspace=workspace).exists()


def test_an_agent_may_not_change_them(agent_client, workspace):
    assert agent_client.get(url(workspace)).status_code == 403
    assert agent_client.post(url(workspace), VALUES).status_code == 403
    assert not WatchSettings.objects.exists()


def test_another_workspace_is_not_found(outsider_client, workspace, other_workspace):
    assert outsider_client.get(url(workspace)).status_code == 404
    assert outsider_client.post(url(workspace), VALUES).status_code == 404
    assert not WatchSettings.objects.exists()


def test_the_service_checks_the_role_and_the_workspace(workspace, other_workspace, agent, outsider):
    with pytest.raises(WatchSettingsError):
        watch_settings_update(workspace=workspace, by=agent.memberships.get(), **VALUES)
    with pytest.raises(WatchSettingsError):
        watch_settings_update(workspace=workspace, by=outsider.memberships.get(), **VALUES)
    assert not WatchSettings.objects.exists()


def test_the_health_page_shows_the_windows(owner_client, workspace):
    WatchSettings.objects.create(workspace=workspace, **VALUES)

    page = owner_client.get(reverse("channel_health", kwargs={"slug": workspace.slug}))

    assert "posts of the last 7 days (the 40 newest)" in page.text
    assert "back to 730 days, are swept every 12 h (10 posts per poll)" in page.text


def test_the_provider_gets_the_windows(workspace, channels):
    WatchSettings.objects.create(workspace=workspace, **VALUES)
    channel = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="777-watch",
        name="Acme",
        api_base_url="https://graph.facebook.com",
    )
    Channel.objects.filter(pk=channel.pk).update(backfill_status=Channel.Backfill.DONE)
    channel.refresh_from_db()

    with httpx.Client() as http:
        provider = registry.build_provider(channel, http=http)

    assert isinstance(provider, FacebookProvider)
    assert provider.lookback == dt.timedelta(days=7)
    assert provider.max_posts == 40
    assert provider.windows.sweep_days == 730
    assert provider.windows.sweep_interval == dt.timedelta(hours=12)
