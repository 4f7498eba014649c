"""Reads for the Webhooks settings pages, scoped to the member's workspace."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership
from hooks.models import OutgoingWebhook, WebhookEndpoint

S = OutgoingWebhook.Status
LOG_ROWS = 100


def get_endpoint_for_member(member: Membership, pk: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=pk, workspace_id=member.workspace_id)


def get_delivery_for_member(member: Membership, pk: int) -> OutgoingWebhook:
    return get_object_or_404(
        OutgoingWebhook.objects.select_related("endpoint"), pk=pk, endpoint__workspace_id=member.workspace_id
    )


def endpoints_with_counts(member: Membership) -> QuerySet[WebhookEndpoint]:
    """The workspace's endpoints, each with its waiting and failed messages counted (one query)."""
    return WebhookEndpoint.objects.filter(workspace_id=member.workspace_id).annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status__in=[S.WAITING, S.IN_FLIGHT])),
        failed=Count("deliveries", filter=Q(deliveries__status=S.FAILED)),
        last_delivered_at=Max("deliveries__delivered_at"),
    )


def delivery_log(endpoint: WebhookEndpoint) -> list[OutgoingWebhook]:
    """The endpoint's latest messages, newest first (the log's index)."""
    return list(endpoint.deliveries.order_by("-created_at", "-id")[:LOG_ROWS])
