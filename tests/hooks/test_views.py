"""Settings > Webhooks: who may use it, registration with the SSRF vetting, the audit trail, the secret,
"send test", redelivery, switching back on, and bounded queries on the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.audit import AuditAction, AuditEvent
from hooks import events, services
from hooks.models import OutgoingWebhook, WebhookEndpoint
from tests.hooks.conftest import deliver_waiting

pytestmark = pytest.mark.django_db
S = OutgoingWebhook.Status


def _url(name: str, *args) -> str:
    return reverse(name, args=["acme", *args])


def _form(url: str, names=(events.REPLY_SENT, events.CONVERSATION_CREATED), description="CRM") -> dict:
    return {"url": url, "description": description, "events": list(names)}


def test_an_admin_adds_an_endpoint_sees_its_secret_once_and_the_audit_log_records_it(
    owner_client, receiver, workspace
):
    response = owner_client.post(_url("webhooks"), _form(receiver.url))
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.workspace == workspace and endpoint.url == receiver.url
    assert endpoint.events == sorted([events.REPLY_SENT, events.CONVERSATION_CREATED])
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    # Later visits do not show it, until someone asks.
    page = owner_client.get(_url("webhook_endpoint", endpoint.pk)).content.decode()
    assert endpoint.secret not in page and "Reveal secret" in page
    revealed = owner_client.post(_url("webhook_secret", endpoint.pk))
    assert endpoint.secret in revealed.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_CREATED)
    assert event.after["url"] == receiver.url
    assert endpoint.secret not in str(event.after)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://[::1]/hook",
        "https://localhost/hook",  # resolves to a loopback address
        "https://169.254.169.254/latest/meta-data/",
        "http://93.184.215.14/hook",  # public, but not https
        "ftp://example.com/hook",
        "https://user:pw@93.184.215.14/hook",
    ],
)
def test_registration_refuses_private_loopback_and_plain_http_addresses(owner_client, url):
    response = owner_client.post(_url("webhooks"), _form(url))
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
    assert b"field-error" in response.content or b"errorlist" in response.content


def test_a_listed_host_may_be_private_and_plain_http(owner_client, settings):
    settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:9999"]
    assert owner_client.post(_url("webhooks"), _form("http://127.0.0.1:9999/in")).status_code == 201
    # Another port of the same host is not listed.
    assert owner_client.post(_url("webhooks"), _form("http://127.0.0.1:9998/in")).status_code == 400


def test_editing_and_deleting_are_audited_and_refused_urls_stay_refused(owner_client, receiver, endpoint_for):
    endpoint = endpoint_for([events.REPLY_SENT])
    response = owner_client.post(
        _url("webhook_endpoint", endpoint.pk), _form(receiver.url, [events.POST_FAILED], "Helpdesk")
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == [events.POST_FAILED] and endpoint.description == "Helpdesk"
    changed = AuditEvent.objects.get(action=AuditAction.WEBHOOK_CHANGED)
    assert changed.before["events"] == [events.REPLY_SENT] and changed.after["events"] == [events.POST_FAILED]

    refused = owner_client.post(_url("webhook_endpoint", endpoint.pk), _form("https://10.0.0.1/"))
    assert refused.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == receiver.url

    assert owner_client.post(_url("webhook_delete", endpoint.pk)).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.get(action=AuditAction.WEBHOOK_DELETED).before["url"] == receiver.url


def test_unknown_events_or_none_are_refused(owner_client, receiver):
    assert owner_client.post(_url("webhooks"), _form(receiver.url, ["post.deleted"])).status_code == 400
    assert owner_client.post(_url("webhooks"), _form(receiver.url, [])).status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_signs_the_next_messages_with_the_new_one(
    owner_client, receiver, endpoint_for, broker
):
    endpoint = endpoint_for()
    old = endpoint.secret
    response = owner_client.post(_url("webhook_rotate", endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()
    owner_client.post(_url("webhook_test", endpoint.pk))
    receiver.secret = endpoint.secret
    assert deliver_waiting() == [S.DELIVERED]
    assert receiver.got[0].verified


def test_send_test_and_redeliver_by_hand_keep_the_webhook_id(owner_client, receiver, endpoint_for, broker):
    endpoint = endpoint_for([events.REPLY_SENT])
    assert owner_client.post(_url("webhook_test", endpoint.pk)).status_code == 302
    row = OutgoingWebhook.objects.get()
    assert row.event_type == "webhook.test" and row.payload["data"]["endpoint_id"] == endpoint.pk
    assert deliver_waiting() == [S.DELIVERED]

    page = owner_client.get(_url("webhook_endpoint", endpoint.pk)).content.decode()
    assert row.message_id in page and "Redeliver" in page
    assert owner_client.post(_url("webhook_redeliver", row.pk)).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.WAITING, 0)
    assert deliver_waiting() == [S.DELIVERED]
    assert receiver.ids() == [row.message_id, row.message_id]
    assert receiver.types() == ["webhook.test", "webhook.test"]


def test_a_disabled_endpoint_is_switched_back_on_and_what_waited_goes(
    owner_client, receiver, endpoint_for, admin_member, broker
):
    endpoint = endpoint_for([events.REPLY_SENT])
    services.webhook_send_test(endpoint=endpoint, by=admin_member)
    owner_client.post(_url("webhook_disable", endpoint.pk))
    endpoint.refresh_from_db()
    assert not endpoint.active
    # A message already written for it waits (events to a disabled endpoint are not written at all).
    waiting = services.webhooks_emit(
        workspace_id=endpoint.workspace_id,
        event_type=events.REPLY_SENT,
        items=[("conversation:1", {"x": 1})],
        endpoints=[endpoint],
    )
    page = owner_client.get(_url("webhook_endpoint", endpoint.pk)).content.decode()
    assert "Switch it back on" in page
    deliver_waiting()
    assert receiver.types() == ["webhook.test"]  # a test goes even to a disabled endpoint; events wait

    assert owner_client.post(_url("webhook_enable", endpoint.pk)).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None
    assert deliver_waiting() == [S.DELIVERED]
    assert receiver.ids()[-1] == waiting[0].message_id


# --- Who may -------------------------------------------------------------------------------------------


def _every_url(endpoint_pk: int, delivery_pk: int) -> list[tuple[str, str]]:
    gets = [_url("webhooks"), _url("webhook_endpoint", endpoint_pk)]
    posts = [
        _url(name, endpoint_pk)
        for name in (
            "webhook_secret",
            "webhook_rotate",
            "webhook_test",
            "webhook_enable",
            "webhook_disable",
            "webhook_delete",
        )
    ] + [_url("webhook_redeliver", delivery_pk), _url("webhook_endpoint", endpoint_pk)]
    return [("get", u) for u in gets] + [("post", u) for u in posts]


def test_an_outsider_gets_404_on_every_page_and_cannot_reach_another_workspaces_rows(
    outsider_client, endpoint_for, admin_member, broker
):
    endpoint = endpoint_for()
    row = services.webhook_send_test(endpoint=endpoint, by=admin_member)
    for method, url in _every_url(endpoint.pk, row.pk):
        assert getattr(outsider_client, method)(url).status_code == 404, url
    # Their own workspace's pages, given this workspace's ids, answer 404 too.
    other = outsider_client.get(reverse("webhook_endpoint", args=["other", endpoint.pk]))
    assert other.status_code == 404
    assert outsider_client.post(reverse("webhook_redeliver", args=["other", row.pk])).status_code == 404
    assert outsider_client.post(reverse("webhook_delete", args=["other", endpoint.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("client_name", ["agent_client", "manager_client"])
def test_agents_and_managers_are_refused(client_name, request, endpoint_for, admin_member, broker):
    client = request.getfixturevalue(client_name)
    endpoint = endpoint_for()
    row = services.webhook_send_test(endpoint=endpoint, by=admin_member)
    for method, url in _every_url(endpoint.pk, row.pk):
        assert getattr(client, method)(url).status_code == 403, url
    assert "Webhooks" not in client.get(reverse("inbox", args=["acme"])).content.decode()


# --- Queries ---------------------------------------------------------------------------------------------


def test_the_list_page_costs_the_same_queries_for_2_or_12_endpoints(
    owner_client, endpoint_for, admin_member, django_assert_num_queries, broker
):
    """Guards against counting each endpoint's messages with one query per row (annotated instead)."""
    for _ in range(2):
        services.webhook_send_test(endpoint=endpoint_for(), by=admin_member)
    owner_client.get(_url("webhooks"))  # warm the session and the workspace
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(_url("webhooks")).status_code == 200
    for _ in range(10):
        services.webhook_send_test(endpoint=endpoint_for(), by=admin_member)
    with django_assert_num_queries(len(few)):
        assert owner_client.get(_url("webhooks")).status_code == 200


def test_the_endpoint_page_costs_the_same_queries_for_1_or_40_messages(
    owner_client, endpoint_for, admin_member, django_assert_num_queries, broker
):
    """Guards against reading each log row's endpoint (or anything else) row by row."""
    endpoint = endpoint_for()
    services.webhook_send_test(endpoint=endpoint, by=admin_member)
    owner_client.get(_url("webhook_endpoint", endpoint.pk))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(_url("webhook_endpoint", endpoint.pk)).status_code == 200
    for _ in range(39):
        services.webhook_send_test(endpoint=endpoint, by=admin_member)
    with django_assert_num_queries(len(few)):
        page = owner_client.get(_url("webhook_endpoint", endpoint.pk))
    assert page.content.decode().count('id="delivery-') == 40


def test_django_admin_vets_the_address_too_and_gives_a_new_endpoint_a_secret(client, workspace, settings):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    add = reverse("admin:hooks_webhookendpoint_add")
    form = {"workspace": workspace.pk, "url": "https://10.0.0.8/", "events": '["reply.sent"]', "active": "on"}
    response = client.post(add, form)
    assert response.status_code == 200 and b"private or local" in response.content
    assert not WebhookEndpoint.objects.exists()
    settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = ["10.0.0.8"]
    assert client.post(add, form).status_code == 302
    assert WebhookEndpoint.objects.get().secret.startswith("whsec_")
