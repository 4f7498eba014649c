"""Webhook to inbox: the time from a signed delivery POST to the message visible in the inbox list.

A real Celery worker process on Redis processes the deliveries, on PostgreSQL; the POST goes through
Django's full request stack (middleware, the webhook view: signature check, delivery row, enqueue) in this
process; the inbox is read with the inbox list's own selector (`conversation_page`, what an agent's page
shows) until the new comment's conversation is on it. Deliveries are sent one after another (latency, not
throughput), each a Page `feed` comment shaped as Meta documents it, on one of 20 Pages; the Graph fake, in
its own process, answers the worker's one read of each post's words and link (then remembered).

Target: p95 <= 2 s. Run with `make bench` (or `python -m bench.webhooks` with DATABASE_URL and
CELERY_BROKER_URL set).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

from bench.common import machine, percentile, scaled, setup_django, summary
from bench.publish import start_process, stop_process
from bench.results import record, record_p95

# BENCH_WEBHOOK_DELIVERIES, when set, wins over BENCH_SCALE.
DELIVERIES = int(os.environ.get("BENCH_WEBHOOK_DELIVERIES") or scaled(300, minimum=20))
PAGES = 20
POSTS_PER_PAGE = 7
SECRET = "bench-webhook-app-secret"  # noqa: S105 - a bench database only
TARGET_P95_MS = 2000.0
WAIT_LIMIT_S = 30.0


def serve_graph(out, stop) -> None:
    """The Graph fake with the bench's Pages and their posts; reports (base_url, [(page id, token)])."""
    from networks.fakes.graph import GraphFake

    fake = GraphFake()
    pages = [fake.add_page(f"Bench page {n}", page_id=f"8800{n:04d}") for n in range(PAGES)]
    for page in pages:
        for k in range(POSTS_PER_PAGE):
            fake.add_post(page.id, f"Bench post {k} of {page.name}", post_id=f"{page.id}_{900000 + k}")
    fake.start()
    out.put((fake.base_url, [(page.id, page.token) for page in pages]))
    stop.wait()
    fake.stop()


def payload(page_id: str, n: int, now: int) -> bytes:
    post_id = f"{page_id}_{900000 + n % POSTS_PER_PAGE}"
    comment_id = f"{900000 + n % POSTS_PER_PAGE}_{7_000_000_000 + n}_{now}"
    value = {
        "from": {"id": f"55500{n % 97}", "name": f"Bench Person {n % 97}"},
        "post": {
            "id": post_id,
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/{900000 + n % 7}",
        },
        "message": f"Bench comment {n}: do you deliver on Sundays?",
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": now,
        "item": "comment",
        "parent_id": post_id,
        "verb": "add",
    }
    entry = {"id": page_id, "time": now, "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}, separators=(",", ":")).encode()


def main() -> int:
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    setup_django()
    from celery import current_app
    from django.db import connection
    from django.test import Client

    from accounts.models import Membership, User, Workspace
    from inbox.models import Conversation
    from inbox.selectors import InboxFilters, conversation_page
    from networks.models import Channel, NetworkApp, WebhookDelivery

    if connection.vendor != "postgresql":
        print("bench/webhooks.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    var = Path(os.environ.get("CMHUB_VAR_DIR", "var/bench"))
    var.mkdir(parents=True, exist_ok=True)
    log = var / "bench-webhooks.log"
    log.unlink(missing_ok=True)

    out: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    graph = multiprocessing.Process(target=serve_graph, args=(out, stop), daemon=True)
    graph.start()
    base_url, served = out.get(timeout=60)
    host = base_url.split("//", 1)[1]
    os.environ["CMHUB_ALLOWED_API_HOSTS"] = ",".join(
        filter(None, [os.environ.get("CMHUB_ALLOWED_API_HOSTS"), host])
    )

    workspace, _ = Workspace.objects.get_or_create(slug="bench-webhooks", defaults={"name": "Bench webhooks"})
    Channel.objects.filter(workspace=workspace).delete()
    user, _ = User.objects.get_or_create(email="bench-webhooks@example.test")
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Membership.Role.AGENT})
    before = NetworkApp.objects.filter(network="facebook").values("client_id", "client_secret").first()
    app, _ = NetworkApp.objects.update_or_create(
        network="facebook", defaults={"client_id": "bench", "client_secret": SECRET}
    )
    pages = [
        Channel.objects.create(
            workspace=workspace,
            network="facebook",
            external_id=page_id,
            name=f"Bench page {n}",
            api_base_url=base_url,
            credentials={"access_token": token},
        )
        for n, (page_id, token) in enumerate(served)
    ]
    WebhookDelivery.objects.filter(network="facebook").delete()

    current_app.control.purge()
    worker = start_process(
        [
            "worker",
            "--queues=default",
            "--concurrency=2",
            "--pool=threads",
            "--hostname=bench-webhooks@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        log,
    )
    client = Client()
    rng = random.Random(11)
    ack_ms: list[float] = []
    visible_ms: list[float] = []
    lost = 0
    try:
        time.sleep(3)  # the worker connects to the broker
        for n in range(DELIVERIES):
            page = rng.choice(pages)
            body = payload(page.external_id, n, int(time.time()))
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            root = json.loads(body)["entry"][0]["changes"][0]["value"]["comment_id"]
            started = time.perf_counter()
            response = client.post(
                "/webhooks/facebook/",
                data=body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": signature},
            )
            ack_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            while True:
                rows = conversation_page(
                    workspace=workspace, user=user, filters=InboxFilters(), limit=25
                ).rows
                if any(row.root_external_id == root for row in rows):
                    visible_ms.append((time.perf_counter() - started) * 1000)
                    break
                if time.perf_counter() - started > WAIT_LIMIT_S:
                    lost += 1
                    break
                time.sleep(0.005)
    finally:
        stop.set()
        stop_process(worker)

    stored = Conversation.objects.filter(workspace=workspace).count()
    with_post = Conversation.objects.filter(workspace=workspace).exclude(post_text="").count()
    print(
        f"\nWebhook -> inbox ({machine()}, PostgreSQL, Redis broker, 1 Celery worker, {DELIVERIES} deliveries)"
    )
    print(summary("delivery answered (ack)", ack_ms))
    record_p95("webhooks", "delivery answered (ack)", ack_ms)
    if visible_ms:
        print(summary("delivery -> visible in the inbox", visible_ms))
        p95 = percentile(visible_ms, 95)
        verdict = "OK" if p95 <= TARGET_P95_MS and not lost else "MISSED"
        print(
            f"target p95 <= {TARGET_P95_MS:.0f} ms: {verdict} (p50 {statistics.median(visible_ms):.0f} ms, "
            f"p95 {p95:.0f} ms); {stored} conversations stored ({with_post} with their post's words), "
            f"{lost} not visible within {WAIT_LIMIT_S:.0f} s"
        )
        record_p95(
            "webhooks",
            "delivery -> visible in the inbox",
            visible_ms,
            target=TARGET_P95_MS,
            note=f"{stored} conversations stored, {with_post} with their post's words",
        )
    record(
        "webhooks",
        f"deliveries not visible within {WAIT_LIMIT_S:.0f} s",
        lost,
        "deliveries",
        target=0,
        note=f"of {DELIVERIES}",
    )
    Channel.objects.filter(workspace=workspace).delete()
    if before is None:
        app.delete()
    else:  # the bench database's own app, as it was
        NetworkApp.objects.filter(pk=app.pk).update(client_id=before["client_id"])
        app.refresh_from_db()
        app.client_secret = before["client_secret"]
        app.save(update_fields=["client_secret"])
    return 0 if visible_ms and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
