"""Webhook state on the health page (per channel, workspace-scoped), the webhook URLs for those who manage
channels, the subscribe action, and the network app's webhook settings in admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.crypto import EncryptedJSONField, EncryptedTextField, registered_encrypted_columns
from networks.management.commands.rotate_credentials import ENCRYPTED_COLUMNS
from networks.models import Channel, ChannelWebhookState, NetworkApp
from tests.factories import UserFactory


@pytest.fixture
def meta_app(db):
    return NetworkApp.objects.create(
        network="facebook", client_id="1234567890", client_secret="s3cret", webhook_verify_token="vt"
    )


@pytest.fixture
def page(workspace):
    return Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="104",
        name="Acme Page",
        api_base_url="http://x.test",
    )


def health(client, slug: str = "acme") -> str:
    response = client.get(f"/w/{slug}/channels/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_channel_without_deliveries_says_so_and_admins_get_the_url(owner_client, meta_app, page, settings):
    settings.SITE_URL = "https://cmhub.example.com"
    html = health(owner_client)
    assert "No verified delivery yet" in html and "Not subscribed" in html
    assert "https://cmhub.example.com/webhooks/facebook/" in html
    assert "no app secret or verify token configured" not in html


def test_the_webhook_state_is_shown_per_channel(owner_client, meta_app, page):
    ChannelWebhookState.objects.create(
        channel=page,
        subscribed_at=timezone.now(),
        last_delivery_at=timezone.now() - dt.timedelta(minutes=3),
        deliveries=4,
        refused=2,
    )
    html = health(owner_client)
    assert "Last verified delivery <time" in html
    assert "3 minutes ago" in html.replace("\xa0", " ")  # Django's relative times keep their words together
    assert "Subscribed" in html and "2 deliveries refused" in html
    assert "Not subscribed" not in html


def test_the_states_cost_one_query_whatever_the_number_of_channels(agent_client, meta_app, page, workspace):
    # The N+1 this guards against: one ChannelWebhookState query per channel row.
    health(agent_client)
    with CaptureQueriesContext(connection) as one:
        health(agent_client)
    for n in range(5):
        extra = Channel.objects.create(
            workspace=workspace,
            network="instagram",
            external_id=f"ig{n}",
            name=f"IG {n}",
            api_base_url="http://x.test",
        )
        ChannelWebhookState.objects.create(channel=extra, deliveries=n)
    with CaptureQueriesContext(connection) as six:
        health(agent_client)
    assert len(six.captured_queries) == len(one.captured_queries)


def test_an_app_without_a_verify_token_is_flagged(owner_client, meta_app, page):
    NetworkApp.objects.filter(pk=meta_app.pk).update(webhook_verify_token="")
    assert "no app secret or verify token configured" in health(owner_client)


def test_agents_see_the_state_but_not_the_urls(agent_client, meta_app, page):
    html = health(agent_client)
    assert "No verified delivery yet" in html
    assert "/webhooks/facebook/" not in html
    assert "subscribe-webhooks" not in html


def test_another_workspaces_webhook_state_never_shows(owner_client, meta_app, page, other_workspace):
    theirs = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id="104",
        name="Theirs",
        api_base_url="http://x.test",
    )
    ChannelWebhookState.objects.create(channel=theirs, refused=7, deliveries=9)
    html = health(owner_client)
    assert "7 deliveries refused" not in html and "Theirs" not in html


def test_x_channels_are_polled_only(owner_client, workspace):
    Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="Acme X", api_base_url="http://x.test"
    )
    html = health(owner_client)
    assert "Polled only" in html and "Webhook URLs" not in html


def test_admins_can_ask_again_for_a_pages_webhooks(
    owner_client, page, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/w/acme/settings/channels/{page.pk}/subscribe-webhooks/")
    assert response.status_code == 302
    assert broker.ids("networks.subscribe_webhooks") == [page.pk]


def test_subscribing_is_for_admins_of_the_workspace_and_facebook_pages(
    agent_client, outsider_client, owner_client, page, workspace, broker
):
    url = f"/w/acme/settings/channels/{page.pk}/subscribe-webhooks/"
    assert agent_client.post(url).status_code in (403, 404)
    assert outsider_client.post(url).status_code == 404
    x = Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="X", api_base_url="http://x.test"
    )
    assert owner_client.post(f"/w/acme/settings/channels/{x.pk}/subscribe-webhooks/").status_code == 404
    assert broker.messages == []


def test_admin_shows_the_webhook_url_and_keeps_the_verify_token_when_left_empty(client, meta_app, settings):
    settings.SITE_URL = "https://cmhub.example.com"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:networks_networkapp_change", args=[meta_app.pk])
    assert "https://cmhub.example.com/webhooks/facebook/" in client.get(url).content.decode()
    form = {"network": "facebook", "client_id": "1234567890", "client_secret": "", "webhook_verify_token": ""}
    assert client.post(url, form).status_code == 302
    meta_app.refresh_from_db()
    assert (meta_app.client_secret, meta_app.webhook_verify_token) == ("s3cret", "vt")


def test_every_encrypted_column_is_rotated():
    """Guard: a new encrypted field must be listed where the key rotation re-encrypts."""
    encrypted = {
        (model, field.column)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField | EncryptedJSONField)
    }
    assert encrypted == set(ENCRYPTED_COLUMNS) | set(registered_encrypted_columns())


def test_the_webhook_state_speaks_french(owner, owner_client, meta_app, page):
    owner.language = "fr"
    owner.save(update_fields=["language"])
    ChannelWebhookState.objects.create(channel=page, refused=3)
    html = health(owner_client)
    assert "Aucun envoi vérifié pour l’instant" in html
    assert "3 envois refusés" in html and "URL des webhooks" in html
