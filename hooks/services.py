"""Writes for outgoing webhooks: endpoints (admins), the outbox (the receivers), redelivery (admins).

Endpoint changes are audited. `webhooks_emit` is what every receiver calls, inside the transaction that
records the fact: one outbox row per subscribed active endpoint, enqueued once that transaction commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from core.errors import UserError
from hooks import events
from hooks.models import RETRY_WINDOW, OutgoingWebhook, WebhookEndpoint, new_secret
from hooks.urls_vetting import vet_endpoint_url

S = OutgoingWebhook.Status
MAX_ENDPOINTS = 20  # per workspace: each event is written once per endpoint


class WebhookError(UserError):
    """A refused change to webhooks, in plain words."""


def _require(by: Membership) -> None:
    if not can(by, Perm.MANAGE_WORKSPACE):
        raise WebhookError(_("Your role in this workspace does not allow this."))


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _clean_events(chosen: Iterable[str]) -> list[str]:
    picked = sorted(set(chosen))
    unknown = [name for name in picked if name not in events.EVENTS]
    if unknown:
        raise WebhookError(_("Unknown event: %(names)s.") % {"names": ", ".join(unknown)})
    if not picked:
        raise WebhookError(_("Choose at least one event."))
    return picked


def _shown(endpoint: WebhookEndpoint) -> dict[str, Any]:
    # What the audit log keeps of an endpoint: never the secret.
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }


def endpoint_create(
    *, by: Membership, url: str, events: Sequence[str], description: str = ""
) -> WebhookEndpoint:
    _require(by)
    url = vet_endpoint_url(url)
    chosen = _clean_events(events)
    with transaction.atomic():
        if WebhookEndpoint.objects.filter(workspace_id=by.workspace_id).count() >= MAX_ENDPOINTS:
            raise WebhookError(_("A workspace has at most %(count)s endpoints.") % {"count": MAX_ENDPOINTS})
        endpoint = WebhookEndpoint.objects.create(
            workspace_id=by.workspace_id,
            url=url,
            description=description.strip()[:200],
            events=chosen,
            secret=new_secret(),
            created_by=by.user,
        )
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.WEBHOOK_CREATED,
            target=endpoint,
            actor=by,
            after=_shown(endpoint),
        )
    return endpoint


def endpoint_update(
    *, endpoint: WebhookEndpoint, by: Membership, url: str, events: Sequence[str], description: str = ""
) -> WebhookEndpoint:
    _require(by)
    before = _shown(endpoint)
    endpoint.url = vet_endpoint_url(url)
    endpoint.events = _clean_events(events)
    endpoint.description = description.strip()[:200]
    with transaction.atomic():
        endpoint.save(update_fields=["url", "events", "description"])
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.WEBHOOK_CHANGED,
            target=endpoint,
            actor=by,
            before=before,
            after=_shown(endpoint),
        )
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, by: Membership) -> None:
    _require(by)
    with transaction.atomic():
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.WEBHOOK_DELETED,
            target=endpoint,
            actor=by,
            before=_shown(endpoint),
            only_changes=False,
        )
        endpoint.delete()  # its outbox goes with it


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: Membership) -> WebhookEndpoint:
    """A new secret, used from the next attempt on (messages waiting are signed with it when sent)."""
    _require(by)
    with transaction.atomic():
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.WEBHOOK_CHANGED,
            target=endpoint,
            actor=by,
            after={"secret": "rotated"},
            only_changes=False,
        )
    return endpoint


def endpoint_enable(*, endpoint: WebhookEndpoint, by: Membership) -> WebhookEndpoint:
    """Switch a disabled endpoint back on: what waits for it is due now, with a fresh day of retries."""
    _require(by)
    if endpoint.active:
        return endpoint
    now = timezone.now()
    with transaction.atomic():
        before = _shown(endpoint)
        endpoint.active = True
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.save(update_fields=["active", "disabled_at", "disabled_reason"])
        endpoint.deliveries.filter(status=S.WAITING).update(
            next_attempt_at=now, retry_until=now + RETRY_WINDOW, leased_until=None
        )
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.WEBHOOK_CHANGED,
            target=endpoint,
            actor=by,
            before=before,
            after=_shown(endpoint),
        )
    _enqueue_waiting(endpoint.pk)
    return endpoint


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, by: Membership | None = None) -> bool:
    """Stop sending to an endpoint (a person, or the give-up after a day of failures). True if this call
    switched it off."""
    if by is not None:
        _require(by)
    now = timezone.now()
    with transaction.atomic():
        switched = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_at=now, disabled_reason=reason[:500]
        )
        if switched and by is not None:
            audit_record(
                workspace=by.workspace_id,
                action=AuditAction.WEBHOOK_CHANGED,
                target=endpoint,
                actor=by,
                before={"active": True},
                after={"active": False},
            )
    endpoint.refresh_from_db()
    return bool(switched)


# --- The outbox --------------------------------------------------------------------------------------


def _enqueue(ids: list[int]) -> None:
    from hooks.tasks import enqueue_delivery  # tasks import this module

    for pk in ids:
        enqueue_delivery(pk)


def _enqueue_waiting(endpoint_id: int) -> None:
    from hooks.delivery import first_of_each_key

    _enqueue(first_of_each_key(endpoint_id))


def subscribed_endpoints(workspace_id: int, event_type: str) -> list[WebhookEndpoint]:
    return [
        endpoint
        # With its workspace: the payloads name it, and this is the one query an unsubscribed event costs.
        for endpoint in WebhookEndpoint.objects.filter(workspace_id=workspace_id, active=True).select_related(
            "workspace"
        )
        if endpoint.subscribed(event_type)
    ]


def webhooks_emit(
    *,
    workspace_id: int,
    event_type: str,
    items: Sequence[tuple[str, dict[str, Any]]],
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[OutgoingWebhook]:
    """Write one message per (ordering key, data) item for every endpoint of the workspace subscribed to
    `event_type`, in the caller's transaction; each is enqueued once it commits. Returns the rows."""
    if not items:
        return []
    targets = subscribed_endpoints(workspace_id, event_type) if endpoints is None else endpoints
    if not targets:
        return []
    now = timezone.now()
    rows = [
        OutgoingWebhook(
            endpoint=endpoint,
            event_type=event_type,
            payload=events.envelope(event_type, data, at=now),
            message_id=new_message_id(),
            ordering_key=key[:100],
            next_attempt_at=now,
            retry_until=now + RETRY_WINDOW,
            created_at=now,
        )
        for endpoint in targets
        for key, data in items
    ]
    OutgoingWebhook.objects.bulk_create(rows)
    _enqueue([row.pk for row in rows])
    return rows


def webhook_send_test(*, endpoint: WebhookEndpoint, by: Membership) -> OutgoingWebhook:
    """A `webhook.test` message to this endpoint alone (it need not subscribe to anything), even when the
    endpoint is disabled: the admin checks the receiver before switching it back on."""
    _require(by)
    workspace = Workspace.objects.get(pk=endpoint.workspace_id)
    data = {"workspace": workspace.slug, "endpoint_id": endpoint.pk, "sent_by": by.user.email}
    with transaction.atomic():
        (row,) = webhooks_emit(
            workspace_id=endpoint.workspace_id,
            event_type=events.TEST,
            items=[(f"test:{endpoint.pk}", data)],
            endpoints=[endpoint],
        )
    return row


def webhook_redeliver(*, delivery: OutgoingWebhook, by: Membership) -> OutgoingWebhook:
    """Send a message again, by hand, with the same webhook-id (the receiver may have it already) and a
    fresh day of retries. A message on its way is left alone."""
    _require(by)
    now = timezone.now()
    with transaction.atomic():
        moved = OutgoingWebhook.objects.filter(pk=delivery.pk, status__in=[S.DELIVERED, S.FAILED]).update(
            status=S.WAITING,
            attempts=0,
            next_attempt_at=now,
            retry_until=now + RETRY_WINDOW,
            leased_until=None,
            error="",
        )
        if not moved:
            raise WebhookError(_("This message is already on its way."))
        _enqueue([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def deliveries_older_than(*, cutoff: dt.datetime) -> int:
    """Remove settled messages older than `cutoff` (the log keeps a month)."""
    deleted, _rows = OutgoingWebhook.objects.filter(
        created_at__lt=cutoff, status__in=[S.DELIVERED, S.FAILED]
    ).delete()
    return deleted
