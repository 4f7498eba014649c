"""Outgoing webhooks end to end: events written in the transaction of their fact, signed messages to a real
receiver that verifies them with standardwebhooks, retries, order per conversation, the 24-hour give-up,
and the SSRF guard at send time."""

from __future__ import annotations

import datetime as dt
import socket

import httpx
import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from hooks import delivery, events
from hooks.models import OutgoingWebhook, WebhookEndpoint
from inbox import services as inbox_services
from inbox.models import Conversation
from networks import services as network_services
from posts import services as post_services
from tests.factories import x_mention_conversation
from tests.hooks.conftest import deliver_waiting
from tests.hooks.receiver import Receiver

S = OutgoingWebhook.Status
pytestmark = pytest.mark.django_db


def _status(conversation, member, status):
    conversation = Conversation.objects.get(pk=conversation.pk)
    return inbox_services.conversation_set_status(conversation=conversation, status=status, by=member)


def test_an_event_reaches_the_receiver_signed_and_once_per_webhook_id(
    workspace, receiver, endpoint_for, admin_member, broker
):
    endpoint = endpoint_for([events.CONVERSATION_UPDATED])
    conversation = x_mention_conversation(workspace)  # created: not subscribed, nothing written
    assert not OutgoingWebhook.objects.exists()

    _status(conversation, admin_member, Conversation.Status.RESOLVED)

    [row] = OutgoingWebhook.objects.all()
    assert (row.endpoint, row.event_type, row.ordering_key) == (
        endpoint,
        "conversation.updated",
        f"conversation:{conversation.pk}",
    )
    assert row.message_id.startswith("msg_")
    assert deliver_waiting() == [S.DELIVERED]
    assert delivery.webhook_deliver(row.pk) is None  # a second delivery of the task: nothing to do

    [got] = receiver.got
    assert got.verified
    assert got.id == row.message_id
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    body = got.json()
    assert body["type"] == "conversation.updated"
    data = body["data"]
    assert data["changed"] == ["status"]
    assert data["conversation"]["id"] == conversation.pk
    assert data["conversation"]["status"] == "resolved"
    assert data["conversation"]["workspace"] == "acme"
    assert data["conversation"]["contact"]["handle"] == "lea"
    assert data["conversation"]["url"].endswith(f"/w/acme/inbox/{conversation.pk}/")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.response_excerpt) == (
        S.DELIVERED,
        1,
        200,
        "ok",
    )


def test_a_tampered_message_or_another_secret_fails_verification(receiver, endpoint_for):
    """The receiver's check is real: the same bytes with another secret, or other bytes, are refused."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    endpoint = endpoint_for()
    now = timezone.now()
    headers = delivery.sign(endpoint.secret, "msg_1", now, '{"a":1}')
    Webhook(endpoint.secret).verify('{"a":1}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify('{"a":2}', headers)
    other = WebhookEndpoint(secret="whsec_" + "A" * 43 + "=").secret
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify('{"a":1}', headers)


def test_a_500_is_retried_with_backoff_and_redelivered_with_the_same_id(
    workspace, receiver, endpoint_for, admin_member, broker, django_capture_on_commit_callbacks
):
    endpoint_for([events.CONVERSATION_UPDATED])
    conversation = x_mention_conversation(workspace)
    _status(conversation, admin_member, Conversation.Status.RESOLVED)
    receiver.script = [500]

    assert deliver_waiting() == [S.WAITING]
    row = OutgoingWebhook.objects.get()
    assert (row.attempts, row.last_status_code) == (1, 500)
    assert row.error == "The endpoint answered 500."
    assert row.response_excerpt.startswith("<h1>Internal error</h1>") and len(row.response_excerpt) == 500
    assert row.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)  # backoff, not at once
    assert delivery.webhook_deliver(row.pk) is None  # not due yet
    assert delivery.webhooks_dispatch_due() == []

    with (
        time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert delivery.webhooks_dispatch_due() == [row.pk]
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1)):
        assert broker.ids("hooks.deliver_webhook")[-1] == row.pk
        assert delivery.webhook_deliver(row.pk) == S.DELIVERED

    assert [got.answered for got in receiver.got] == [500, 200]
    assert receiver.ids() == [row.message_id, row.message_id]  # the receiver drops the repeat by its id
    assert all(got.verified for got in receiver.got)
    assert len(set(receiver.ids())) == 1


def test_order_per_conversation_holds_when_the_first_message_fails(
    workspace, receiver, endpoint_for, admin_member, broker, django_capture_on_commit_callbacks
):
    endpoint_for([events.CONVERSATION_UPDATED])
    first = x_mention_conversation(workspace)
    _status(first, admin_member, Conversation.Status.PENDING)
    _status(first, admin_member, Conversation.Status.RESOLVED)
    one, two = OutgoingWebhook.objects.order_by("pk")
    receiver.script = [500]

    assert delivery.webhook_deliver(one.pk) == S.WAITING
    # The second may not overtake the first, whoever hands it out.
    assert delivery.webhook_deliver(two.pk) is None
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        assert delivery.webhooks_dispatch_due() == []
    two.refresh_from_db()
    assert two.status == S.WAITING and two.attempts == 0
    assert [got.answered for got in receiver.got] == [500]

    one.refresh_from_db()
    with (
        time_machine.travel(one.next_attempt_at + dt.timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handed = delivery.webhooks_dispatch_due()
        assert handed == [one.pk]  # the head of the key only
        assert delivery.webhook_deliver(one.pk) == S.DELIVERED
    # Its delivery enqueued the next one at once, without waiting for the tick.
    assert broker.ids("hooks.deliver_webhook")[-1] == two.pk
    with time_machine.travel(one.next_attempt_at + dt.timedelta(seconds=2)):
        assert delivery.webhook_deliver(two.pk) == S.DELIVERED

    statuses = [got.json()["data"]["conversation"]["status"] for got in receiver.got]
    assert statuses == ["pending", "pending", "resolved"]


def test_another_conversation_is_not_held_up_by_a_failing_one(
    workspace, receiver, endpoint_for, admin_member, broker
):
    endpoint_for([events.CONVERSATION_UPDATED])
    first = x_mention_conversation(workspace)
    _status(first, admin_member, Conversation.Status.RESOLVED)
    # A second conversation on the same workspace.
    second = Conversation.objects.create(
        workspace=workspace, channel=first.channel, kind="mention", root_external_id="200"
    )
    _status(second, admin_member, Conversation.Status.RESOLVED)
    receiver.script = [500]

    assert deliver_waiting() == [S.WAITING, S.DELIVERED]
    assert [got.json()["data"]["conversation"]["id"] for got in receiver.got] == [first.pk, second.pk]


def test_a_rolled_back_change_emits_nothing(workspace, receiver, endpoint_for, admin_member, broker):
    endpoint_for()
    conversation = x_mention_conversation(workspace)
    OutgoingWebhook.objects.all().delete()  # created and message events of the poll

    with pytest.raises(RuntimeError), transaction.atomic():
        _status(conversation, admin_member, Conversation.Status.RESOLVED)
        assert OutgoingWebhook.objects.count() == 1  # written with the change...
        raise RuntimeError("the request failed after the change")

    assert not OutgoingWebhook.objects.exists()  # ...and gone with it
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.OPEN


def test_a_poll_announces_new_conversations_and_messages_to_subscribed_active_endpoints_only(
    workspace, receiver, endpoint_for, admin_member, broker, django_capture_on_commit_callbacks
):
    everything = endpoint_for()
    only_posts = endpoint_for([events.POST_APPROVED])
    switched_off = endpoint_for()
    WebhookEndpoint.objects.filter(pk=switched_off.pk).update(active=False)

    with django_capture_on_commit_callbacks(execute=True):
        conversation = x_mention_conversation(workspace)

    rows = list(OutgoingWebhook.objects.order_by("pk"))
    assert [(r.endpoint_id, r.event_type) for r in rows] == [
        (everything.pk, "conversation.created"),
        (everything.pk, "message.created"),
    ]
    assert only_posts.deliveries.count() == 0
    assert {r.ordering_key for r in rows} == {f"conversation:{conversation.pk}"}
    # Enqueued once the poll's transaction committed.
    assert broker.ids("hooks.deliver_webhook") == [r.pk for r in rows]
    receiver.secret = everything.secret
    assert deliver_waiting() == [S.DELIVERED, S.DELIVERED]
    created, message = receiver.got
    assert created.json()["data"]["conversation"]["preview"] == "@acme open on Sunday?"
    assert message.json()["data"]["message"]["text"] == "@acme open on Sunday?"
    assert message.json()["data"]["message"]["author"]["handle"] == "lea"


def test_post_approval_and_a_lost_channel_are_announced(
    workspace, receiver, endpoint_for, admin_member, manager, draft, channels, broker
):
    endpoint_for([events.POST_APPROVED, events.CHANNEL_NEEDS_RECONNECT])
    post_services.post_submit(post=draft, by=draft.author.memberships.get())
    post_services.review_approve(post=draft, by=manager.memberships.get())
    network_services.channel_auth_lost(channel=channels[0], error=RuntimeError("token revoked"))
    network_services.channel_auth_lost(channel=channels[0], error=RuntimeError("still revoked"))  # once

    assert deliver_waiting() == [S.DELIVERED, S.DELIVERED]
    approved, lost = (got.json() for got in receiver.got)
    assert approved["type"] == "post.approved"
    assert approved["data"]["post"]["id"] == draft.pk and approved["data"]["post"]["status"] == "approved"
    assert lost["type"] == "channel.needs_reconnect"
    assert lost["data"]["channel"]["status"] == "needs_reconnect"
    assert lost["data"]["channel"]["error"]


# --- Giving up ----------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_day_of_failures_disables_the_endpoint_and_emails_its_admins_in_their_language(
    workspace,
    settings,
    endpoint_for,
    admin_member,
    owner,
    manager,
    broker,
    django_capture_on_commit_callbacks,
):
    port = _closed_port()  # nobody listens: every attempt is refused
    settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    owner.language = "fr"
    owner.save(update_fields=["language"])
    endpoint = endpoint_for([events.CONVERSATION_UPDATED], url=f"http://127.0.0.1:{port}/hook")
    conversation = x_mention_conversation(workspace)
    _status(conversation, admin_member, Conversation.Status.RESOLVED)
    row = OutgoingWebhook.objects.get()
    start = row.created_at

    attempts = 0
    with django_capture_on_commit_callbacks(execute=True):
        while True:
            row.refresh_from_db()
            if row.status != S.WAITING:
                break
            with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
                delivery.webhook_deliver(row.pk)
            attempts += 1
            assert attempts < 100

    row.refresh_from_db()
    assert row.status == S.FAILED
    assert "Could not reach the endpoint" in row.error
    assert row.last_attempt_at - start <= dt.timedelta(hours=24)
    assert row.last_attempt_at - start > dt.timedelta(hours=20)  # retried through the day, not given up early
    assert 8 <= row.attempts <= 30
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "24" in endpoint.disabled_reason
    # The admins (the owner), not the manager, once, in the owner's language.
    [email] = mail.outbox
    assert email.to == [owner.email]
    assert "désactivé" in email.subject
    assert f"/w/acme/settings/webhooks/{endpoint.pk}/" in email.body

    # Nothing more is sent to a disabled endpoint: a new event waits for it to be switched back on.
    _status(conversation, admin_member, Conversation.Status.OPEN)
    assert not OutgoingWebhook.objects.filter(status=S.WAITING).exists()  # inactive: not subscribed


# --- SSRF at send time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/hook",
        "https://localhost/hook",  # a name that resolves to a loopback address
        "http://93.184.215.14/hook",  # public, but plain http
    ],
)
def test_an_endpoint_that_points_inside_is_never_reached(url, workspace, receiver, admin_member, broker):
    """Rows written behind the form's back (Django admin, an old row, a name that now points elsewhere) are
    vetted again before each attempt: nothing leaves, the attempt is a failure to retry."""
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace, url=url, events=[events.CONVERSATION_UPDATED], secret="whsec_" + "A" * 43 + "="
    )
    conversation = x_mention_conversation(workspace)
    _status(conversation, admin_member, Conversation.Status.RESOLVED)

    assert deliver_waiting() == [S.WAITING]
    row = endpoint.deliveries.get()
    assert row.last_status_code is None
    assert "private or local" in row.error or "https" in row.error


def test_the_connection_itself_refuses_a_loopback_address_the_deployment_did_not_list(settings):
    """The client behind every attempt: even past the URL check (a name that resolved elsewhere a moment
    before), a private address is refused at connect time. CMHUB_ALLOWED_API_HOSTS (network fakes) does not
    count for webhooks."""
    with Receiver() as live:
        settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = []
        settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1"]
        delivery._clients.clear()
        with pytest.raises(httpx.ConnectError, match="private or reserved"):
            delivery.webhook_client().post(live.url, content=b"{}")
        settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{live.port}"]
        assert delivery.webhook_client().post(live.url, content=b"{}").status_code == 200
        assert len(live.got) == 1


def test_an_endless_answer_is_read_only_as_far_as_the_excerpt(
    workspace, settings, endpoint_for, admin_member, broker
):
    """An endpoint that announces a gigabyte and keeps the connection open cannot hold the worker: the
    status and the first characters are all that is read."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    release = threading.Event()

    class Endless(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-length", str(10**9))
            self.end_headers()
            self.wfile.write(b"x" * 65536)
            self.wfile.flush()
            release.wait(20)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        port = server.server_address[1]
        settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
        endpoint_for([events.CONVERSATION_UPDATED], url=f"http://127.0.0.1:{port}/")
        _status(x_mention_conversation(workspace), admin_member, Conversation.Status.RESOLVED)
        assert deliver_waiting() == [S.DELIVERED]
        assert OutgoingWebhook.objects.get().response_excerpt == "x" * 500
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_the_log_keeps_a_month_of_settled_messages_and_everything_still_on_its_way(
    workspace, receiver, endpoint_for, admin_member, broker
):
    from hooks import services, tasks

    endpoint = endpoint_for()
    old_delivered, old_waiting, recent = (
        services.webhook_send_test(endpoint=endpoint, by=admin_member) for _ in range(3)
    )
    OutgoingWebhook.objects.filter(pk=old_delivered.pk).update(status=S.DELIVERED)
    month_ago = timezone.now() - dt.timedelta(days=31)
    OutgoingWebhook.objects.filter(pk__in=[old_delivered.pk, old_waiting.pk]).update(created_at=month_ago)

    assert tasks.prune_webhook_log() == 1
    assert set(OutgoingWebhook.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}
