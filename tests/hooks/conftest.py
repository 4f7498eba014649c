from __future__ import annotations

import pytest

from accounts.models import Membership
from hooks import events, services
from hooks.delivery import webhook_deliver
from hooks.models import OutgoingWebhook
from tests.hooks.receiver import Receiver


@pytest.fixture
def receiver(settings):
    """A live receiver, its host:port listed as the deployment allows (http on loopback)."""
    with Receiver() as live:
        settings.CMHUB_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{live.port}"]
        yield live


@pytest.fixture
def admin_member(owner) -> Membership:
    return owner.memberships.get()


@pytest.fixture
def endpoint_for(receiver, admin_member):
    """An endpoint registered through the service, subscribed to `names` (every event by default)."""

    def make(names=None, url=None):
        endpoint = services.endpoint_create(
            by=admin_member, url=url or receiver.url, events=list(names or events.EVENTS)
        )
        receiver.secret = endpoint.secret
        return endpoint

    return make


def deliver_waiting() -> list[str | None]:
    """One attempt at every waiting message, oldest first, as workers given each of them would."""
    ids = OutgoingWebhook.objects.filter(status=OutgoingWebhook.Status.WAITING).order_by("pk")
    return [webhook_deliver(pk) for pk in list(ids.values_list("pk", flat=True))]
