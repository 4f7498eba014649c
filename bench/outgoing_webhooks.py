"""Outgoing webhooks: what an event costs the change that writes it, and how fast messages leave.

On PostgreSQL, in this process (no broker): a workspace with one endpoint on a local receiver (listed in
CMHUB_WEBHOOK_ALLOWED_HOSTS) that verifies nothing and answers 204. Measured:
- a status change (`conversation_set_status`) without and with a subscribed endpoint: the outbox write's
  cost to the person's request;
- one delivery attempt (`webhook_deliver`: order check, claim, signing, the POST, the settle), one after
  another over CONVERSATIONS conversations with several messages each.

Targets: the outbox adds at most 15 ms p95 to a status change; an attempt p95 <= 50 ms on loopback. Run with
`make bench` (or `python -m bench.outgoing_webhooks` with DATABASE_URL set).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import machine, percentile, scaled, setup_django, summary
from bench.results import record, record_p95

# BENCH_OUTGOING_CONVERSATIONS, when set, wins over BENCH_SCALE.
CONVERSATIONS = int(os.environ.get("BENCH_OUTGOING_CONVERSATIONS") or scaled(100, minimum=10))
CHANGES_PER_CONVERSATION = 3
SLUG = "bench-outgoing"
# The outbox write is four reads (endpoints with the workspace, the conversations, their labels) and one
# insert in the person's transaction, plus the enqueue on commit.
TARGET_EMIT_P95_MS = 15.0
TARGET_ATTEMPT_P95_MS = 50.0


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection, as a real receiver behind a proxy

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    os.environ["CMHUB_WEBHOOK_ALLOWED_HOSTS"] = f"127.0.0.1:{port}"
    setup_django()
    from django.db import connection

    from accounts.models import Membership, User, Workspace
    from hooks import events
    from hooks.delivery import webhook_deliver
    from hooks.models import OutgoingWebhook, WebhookEndpoint
    from inbox.models import Conversation
    from inbox.services import conversation_set_status
    from networks.models import Channel

    if connection.vendor != "postgresql":
        print("bench/outgoing_webhooks.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    Workspace.objects.filter(slug=SLUG).delete()
    workspace = Workspace.objects.create(slug=SLUG, name="Bench outgoing webhooks")
    user = User.objects.filter(email="bench-hooks@bench.test").first() or User.objects.create_user(
        email="bench-hooks@bench.test", password=None, display_name="Bench hooks"
    )
    member = Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.ADMIN)
    channel = Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="bench-hooks",
        name="Bench",
        api_base_url="http://127.0.0.1:9",
    )
    conversations = [
        Conversation.objects.create(
            workspace=workspace, channel=channel, kind="mention", root_external_id=str(n)
        )
        for n in range(CONVERSATIONS)
    ]
    statuses = [Conversation.Status.PENDING, Conversation.Status.RESOLVED, Conversation.Status.OPEN]

    def changes() -> list[float]:
        samples = []
        for status in statuses[:CHANGES_PER_CONVERSATION]:
            for conversation in conversations:
                start = time.perf_counter()
                conversation_set_status(conversation=conversation, status=status, by=member)
                samples.append((time.perf_counter() - start) * 1000)
        return samples

    without = changes()
    WebhookEndpoint.objects.create(
        workspace=workspace, url=f"http://127.0.0.1:{port}/in", events=[events.CONVERSATION_UPDATED]
    )
    with_endpoint = changes()
    ids = list(
        OutgoingWebhook.objects.filter(endpoint__workspace=workspace)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    attempts = []
    for pk in ids:
        start = time.perf_counter()
        outcome = webhook_deliver(pk)
        attempts.append((time.perf_counter() - start) * 1000)
        assert outcome == OutgoingWebhook.Status.DELIVERED, (pk, outcome)
    server.shutdown()

    print(f"outgoing webhooks on {machine()}: {CONVERSATIONS} conversations, {len(ids)} messages")
    print(summary("status change, no endpoint", without))
    print(summary("status change, one endpoint", with_endpoint))
    print(summary("delivery attempt (loopback)", attempts))
    added = percentile(with_endpoint, 95) - percentile(without, 95)
    ok = added <= TARGET_EMIT_P95_MS and percentile(attempts, 95) <= TARGET_ATTEMPT_P95_MS
    print(
        f"outbox adds {added:.1f} ms p95 (target <= {TARGET_EMIT_P95_MS} ms); attempt p95 "
        f"{percentile(attempts, 95):.1f} ms (target <= {TARGET_ATTEMPT_P95_MS} ms): {'OK' if ok else 'MISSED'}"
    )
    record_p95("outgoing webhooks", "status change, no endpoint", without)
    record_p95("outgoing webhooks", "status change, one endpoint", with_endpoint)
    record(
        "outgoing webhooks",
        "outbox write added to a status change, p95",
        added,
        "ms",
        target=TARGET_EMIT_P95_MS,
    )
    record_p95("outgoing webhooks", "delivery attempt (loopback)", attempts, target=TARGET_ATTEMPT_P95_MS)
    Workspace.objects.filter(slug=SLUG).delete()
    return 0  # a figure over its target is reported, not an error; a lost message fails the assert above


if __name__ == "__main__":
    sys.exit(main())
