"""Delivering outgoing webhooks: signed (Standard Webhooks), at least once, in order per key, for a day.

The delivery engine (`core.delivery`) keeps the schedule: `claim` lets one worker take a message,
`dispatch_due` hands out what is due under a lease and turns a message left in flight by a dead worker
back into a waiting one (it may have arrived: at least once means the receiver drops the repeat by its
webhook-id). What is particular to webhooks lives here:

- Order: a message is not sent while an older one of the same endpoint and ordering key (a conversation,
  a post, a channel) is waiting or in flight; when one is delivered, the next of its key is enqueued.
- Outcome: a 2xx answer is delivered; anything else (another status, a timeout, a refused address) is
  retried with the engine's backoff until the message's `retry_until`, a day after it was written. Then
  it fails, its endpoint is disabled and the workspace's admins get an e-mail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from accounts.models import Membership, User
from accounts.policy import Perm, permissions_for
from core import delivery
from core.http import USER_AGENT, make_client
from core.mail import email_send
from hooks import events
from hooks.models import EXCERPT_CHARS, OutgoingWebhook, WebhookEndpoint
from hooks.urls_vetting import UnsafeEndpoint, listed_webhook_hosts, vet_endpoint_url

log = logging.getLogger(__name__)

S = OutgoingWebhook.Status
#: One attempt: connect, send, and read the answer within this, or it counts as a failure.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: The task is killed at this hard limit; a message in flight longer than STALE lost its worker.
SEND_TIME_LIMIT = 30
STALE = dt.timedelta(seconds=SEND_TIME_LIMIT + 30)
POLICY = delivery.Policy(
    max_attempts=1000,  # not the bound: `retry_until` (a day) is
    max_checks=1000,
    backoff_base=dt.timedelta(seconds=30),  # 30 s, 1 min, 2 min ... then every 2 hours: ~15 tries a day
    backoff_cap=dt.timedelta(hours=2),
    reconcile_delay=dt.timedelta(seconds=30),  # a dead worker's message is sent again after this
)
PIPELINE = delivery.Pipeline(
    model=OutgoingWebhook,
    policy=POLICY,
    status="status",
    due="next_attempt_at",
    attempts="attempts",
    waiting=S.WAITING,
    in_flight=S.IN_FLIGHT,
    # Nothing to read back on a receiver: a message that may have arrived is simply sent again.
    unknown=S.WAITING,
    stale_after=STALE,
    lease=dt.timedelta(minutes=2),
)
DISPATCH_BATCH = 500
#: A message of a disabled endpoint is looked at again after this (enabling it makes them due at once).
PARKED = dt.timedelta(hours=1)


# --- The HTTP client -----------------------------------------------------------------------------------

_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


def webhook_client() -> httpx.Client:
    """The process's client for webhooks: public addresses only, or the hosts the deployment listed in
    CMHUB_WEBHOOK_ALLOWED_HOSTS (never CMHUB_ALLOWED_API_HOSTS: a network's fake is no webhook receiver),
    no redirects, no retry of a request that may have arrived. One per process id (forked workers)."""
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _clients_lock:
            client = _clients.get(pid) or make_client(
                timeout=TIMEOUT, connect_retries=0, listed=listed_webhook_hosts
            )
            _clients[pid] = client
    return client


def sign(secret: str, message_id: str, at: dt.datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


# --- Order ----------------------------------------------------------------------------------------------


def _heads(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """For each (endpoint, key), the oldest message still waiting or in flight: the only one sendable."""
    if not pairs:
        return {}
    endpoint_ids = {endpoint_id for endpoint_id, _key in pairs}
    keys = {key for _endpoint_id, key in pairs}
    found = (
        OutgoingWebhook.objects.filter(
            endpoint_id__in=endpoint_ids, ordering_key__in=keys, status__in=[S.WAITING, S.IN_FLIGHT]
        )
        .values("endpoint_id", "ordering_key")
        .annotate(head=Min("id"))
    )
    return {(row["endpoint_id"], row["ordering_key"]): row["head"] for row in found}


def first_of_each_key(endpoint_id: int) -> list[int]:
    """The messages of an endpoint that may go now, one per key (after it is switched back on)."""
    return list(
        OutgoingWebhook.objects.filter(endpoint_id=endpoint_id, status=S.WAITING)
        .values("ordering_key")
        .annotate(head=Min("id"))
        .values_list("head", flat=True)
    )


def _hand_out(rows: list[OutgoingWebhook]) -> list[int]:
    """Of the due rows, those at the head of their key on an active endpoint are enqueued (on commit);
    the others wait where the dispatcher will not pick them up again at once."""
    from hooks.tasks import enqueue_delivery  # tasks import this module

    now = timezone.now()
    heads = _heads({(row.endpoint_id, row.ordering_key) for row in rows})
    ready, parked, blocked = [], [], []
    for row in rows:
        if not row.endpoint.active and row.event_type != events.TEST:
            parked.append(row.pk)
        elif heads.get((row.endpoint_id, row.ordering_key)) == row.pk:
            ready.append(row.pk)
        else:
            blocked.append(row.pk)
    if parked:
        OutgoingWebhook.objects.filter(pk__in=parked).update(next_attempt_at=now + PARKED)
    if blocked:
        # Sent after the one before them, which enqueues the next when delivered; the tick checks again
        # after a while in case that enqueue was lost.
        OutgoingWebhook.objects.filter(pk__in=blocked).update(next_attempt_at=now + POLICY.backoff_base)
    for pk in ready:
        enqueue_delivery(pk)
    return ready


def webhooks_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    ids, _full = delivery.dispatch_due(
        PIPELINE,
        now=now or timezone.now(),
        batch=DISPATCH_BATCH,
        select_related=("endpoint",),
        hand_out=_hand_out,
    )
    return ids


# --- One attempt ----------------------------------------------------------------------------------------


def webhook_deliver(outgoing_id: int, *, http: httpx.Client | None = None) -> str | None:
    """One attempt at one message, if it is due, at the head of its key, and this worker claims it.
    Returns the status it was left in, or None when nothing was attempted."""
    row = OutgoingWebhook.objects.select_related("endpoint").filter(pk=outgoing_id).first()
    if row is None or row.status != S.WAITING:
        return None
    endpoint = row.endpoint
    if not endpoint.active and row.event_type != events.TEST:
        return None
    if _heads({(row.endpoint_id, row.ordering_key)}).get((row.endpoint_id, row.ordering_key)) != row.pk:
        return None  # an older message of this key goes first; its delivery enqueues this one
    now = timezone.now()
    if not delivery.claim(PIPELINE, row.pk, now=now):
        return None
    body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    try:
        vet_endpoint_url(endpoint.url)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **sign(endpoint.secret, row.message_id, now, body),
        }
        status_code, excerpt = _post(http or webhook_client(), endpoint.url, body, headers)
    except UnsafeEndpoint as exc:
        return _failed(row, now, error=exc.message)
    except httpx.TimeoutException:
        return _failed(row, now, error=_("No answer within %(seconds)s seconds.") % {"seconds": 10})
    except httpx.HTTPError as exc:
        return _failed(
            row, now, error=_("Could not reach the endpoint: %(error)s") % {"error": str(exc)[:300]}
        )
    if 200 <= status_code < 300:
        return _delivered(row, now, status_code=status_code, excerpt=excerpt)
    return _failed(
        row,
        now,
        status_code=status_code,
        excerpt=excerpt,
        error=_("The endpoint answered %(status)s.") % {"status": status_code},
    )


def _post(client: httpx.Client, url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    """POST the message; the status and the first characters of the answer. Only that much of the body
    is read, within the attempt's time: an endpoint cannot make a worker read a gigabyte, or drip bytes
    for minutes."""
    deadline = time.monotonic() + TIMEOUT.read  # type: ignore[operator]
    with client.stream("POST", url, content=body.encode(), headers=headers) as response:
        received = b""
        for chunk in response.iter_raw():
            received += chunk
            if len(received) >= EXCERPT_CHARS * 4 or time.monotonic() > deadline:
                break
    return response.status_code, received[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _delivered(row: OutgoingWebhook, now: dt.datetime, *, status_code: int, excerpt: str) -> str:
    with transaction.atomic():
        settled = OutgoingWebhook.objects.filter(pk=row.pk, status=S.IN_FLIGHT).update(
            status=S.DELIVERED,
            delivered_at=timezone.now(),
            last_attempt_at=now,
            attempts=row.attempts + 1,
            last_status_code=status_code,
            response_excerpt=excerpt,
            error="",
            leased_until=None,
        )
        # The next message of this key may go now, without waiting for the dispatcher's tick.
        if not settled:  # deleted with its endpoint meanwhile, or taken back by the dispatcher
            return S.DELIVERED
        following = (
            OutgoingWebhook.objects.filter(
                endpoint_id=row.endpoint_id, ordering_key=row.ordering_key, status=S.WAITING
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if following is not None:
            from hooks.tasks import enqueue_delivery

            OutgoingWebhook.objects.filter(pk=following).update(next_attempt_at=now)
            enqueue_delivery(following)
    return S.DELIVERED


def _failed(
    row: OutgoingWebhook, now: dt.datetime, *, error: str, status_code: int | None = None, excerpt: str = ""
) -> str:
    attempts = row.attempts + 1
    due = now + delivery.backoff(attempts, POLICY)
    give_up = due > row.retry_until
    with transaction.atomic():
        OutgoingWebhook.objects.filter(pk=row.pk, status=S.IN_FLIGHT).update(
            status=S.FAILED if give_up else S.WAITING,
            next_attempt_at=now if give_up else due,
            last_attempt_at=now,
            attempts=attempts,
            last_status_code=status_code,
            response_excerpt=excerpt,
            error=error[:1000],
            leased_until=None,
        )
        if give_up and row.event_type != events.TEST:
            _give_up(row.endpoint, now)
    log.info(
        "webhook attempt failed",
        extra={"outgoing": row.pk, "endpoint": row.endpoint_id, "status": status_code, "gave_up": give_up},
    )
    return S.FAILED if give_up else S.WAITING


def _give_up(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """A message failed for a day: the endpoint stops, and its admins hear of it once."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Messages failed for 24 hours; the endpoint was disabled.")
    switched = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason
    )
    if switched:
        endpoint_id = endpoint.pk
        transaction.on_commit(lambda: _email_admins(endpoint_id))


def _admins(workspace_id: int) -> list[User]:
    roles = [role for role in Membership.Role.values if Perm.MANAGE_WORKSPACE in permissions_for(role)]
    return list(
        User.objects.filter(
            memberships__workspace_id=workspace_id, memberships__role__in=roles, is_active=True
        ).distinct()
    )


def _email_admins(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("workspace").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    workspace = endpoint.workspace
    url = settings.SITE_URL + reverse("webhook_endpoint", args=[workspace.slug, endpoint.pk])
    for admin in _admins(workspace.pk):
        with translation.override(admin.language or workspace.default_language):
            subject = _("A webhook endpoint of %(workspace)s was disabled") % {"workspace": workspace.name}
            body = render_to_string(
                "hooks/email/disabled.txt", {"endpoint": endpoint, "workspace": workspace, "url": url}
            )
        email_send(subject=subject, body=body, to=[admin.email])
