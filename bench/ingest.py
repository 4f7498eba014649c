"""Ingestion end to end: a Facebook Graph fake in another process, over loopback -> production client ->
stored. 30,000 comments (times BENCH_SCALE) on 20 posts, a third of them replies inside threads, from 2,000
people.

Compares with a raw bulk_create of the same number of messages in the same run. Run with `make bench`
(PostgreSQL: DATABASE_URL must point at a database the benchmark may fill and empty).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from bench.common import cpu_seconds, machine, postgres_cpu_seconds, scaled, setup_django
from bench.results import record

MESSAGES = scaled(30_000, minimum=300)
TARGET_PER_S = 3000
TARGET_RATIO = 3.0


def serve_fake(port_queue, messages: int) -> None:
    import datetime as dt

    from networks.fakes.graph import GraphFake

    fake = GraphFake(page_size=100)
    page = fake.add_page("Bench Bakery", page_id="777", token="bench-page-token")  # noqa: S106
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    posts = [fake.add_post(page.id, f"Post {n}", created_time=now - dt.timedelta(days=2)) for n in range(20)]
    tops: list = []
    for n in range(messages):
        at = now - dt.timedelta(days=1) + dt.timedelta(seconds=n)
        author = {"id": f"fan{n % 2000}", "name": f"Fan {n % 2000}"}
        text = f"Question {n} : vous livrez à Lyon dimanche ? 🥐"
        post = posts[n % len(posts)]
        if n % 3 == 2 and tops:
            fake.add_comment(post.id, text, created_time=at, author=author, parent_id=tops[-1].id)
        else:
            tops.append(fake.add_comment(post.id, text, created_time=at, author=author))
    port_queue.put((fake.base_url, page.token, page.id))
    fake.serve_forever()


def main() -> int:
    setup_django()
    from django.db import connection

    from accounts.models import Workspace
    from inbox.models import Contact, Conversation, Message
    from networks import services, tasks
    from networks.models import Channel
    from networks.providers import base as p

    if connection.vendor != "postgresql":
        print("bench/ingest.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_fake, args=(queue, MESSAGES), daemon=True)
    server.start()
    base_url, token, brand = queue.get(timeout=300)
    try:
        workspace, _ = Workspace.objects.get_or_create(slug="bench-ingest", defaults={"name": "Bench ingest"})
        Channel.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        channel = services.channel_connect(
            workspace=workspace,
            network="facebook",
            external_id=brand,
            name="Bench",
            api_base_url=base_url,
            credentials=p.Credentials(access_token=token),
            by=None,
        )
        Channel.objects.filter(pk=channel.pk).update(backfill_days=3)
        cpu_before = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        start = time.perf_counter()
        runs = 0
        while True:
            channel.refresh_from_db()
            run = tasks.poll_once(channel)
            runs += 1
            if run.outcome != "ok":
                print(f"poll failed: {run.outcome} {run.error}")
                return 1
            channel.refresh_from_db()
            if channel.backfill_status == "done" and run.fetched == 0:
                break
        elapsed = time.perf_counter() - start
        cpu_after = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        worker_cpu, fake_cpu, pg_cpu = (
            after - before for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        stored = Message.objects.filter(channel=channel).count()
        end_to_end = stored / elapsed

        # The same rows, straight into the table: the floor no pipeline can beat.
        conversation = Conversation.objects.filter(channel=channel).first()
        rows = [
            Message(
                workspace=workspace,
                conversation=conversation,
                channel=channel,
                external_id=f"raw-{n}",
                text=f"@demobakery question {n}: vous livrez à Lyon ? 🥐",
            )
            for n in range(stored)
        ]
        start = time.perf_counter()
        Message.objects.bulk_create(rows, batch_size=1000)
        raw = stored / (time.perf_counter() - start)
        Message.objects.filter(channel=channel, external_id__startswith="raw-").delete()

        print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}")
        print(
            f"ingestion end to end (Graph fake over loopback -> stored): {stored} messages "
            f"in {elapsed:.1f} s, {runs} polls: {end_to_end:,.0f} messages/s"
        )
        print(
            f"CPU during the run: worker {worker_cpu:.1f} s, fake network {fake_cpu:.1f} s, "
            f"PostgreSQL {pg_cpu:.1f} s ({os.cpu_count()} cores, {elapsed:.1f} s wall); "
            f"the worker spends {stored / worker_cpu:,.0f} messages per CPU-second"
        )
        print(f"raw bulk_create of the same rows:                     {raw:,.0f} messages/s")
        print(
            f"ratio raw / end to end: {raw / end_to_end:.2f}x (target <= {TARGET_RATIO:g}x); target >= "
            f"{TARGET_PER_S:,} messages/s: {'met' if end_to_end >= TARGET_PER_S else 'MISSED'}"
        )
        cpu_note = f"worker {worker_cpu:.1f} s, fake network {fake_cpu:.1f} s, PostgreSQL {pg_cpu:.1f} s"
        record(
            "ingest",
            "ingestion end to end (Graph fake -> stored)",
            end_to_end,
            "messages/s",
            target=TARGET_PER_S,
            better="higher",
            note=f"{stored} messages in {elapsed:.1f} s, {runs} polls; CPU {cpu_note}",
        )
        record("ingest", "raw bulk_create of the same rows", raw, "messages/s", better="higher")
        record("ingest", "ratio raw / end to end", raw / end_to_end, "x", target=TARGET_RATIO)
        record(
            "ingest",
            "worker messages per CPU-second",
            stored / worker_cpu,
            "messages/CPU-s",
            better="higher",
            note=cpu_note,
        )
        record("ingest", "CPU: worker", worker_cpu, "s", note=f"{elapsed:.1f} s wall")
        record("ingest", "CPU: fake network", fake_cpu, "s", note=f"{elapsed:.1f} s wall")
        record("ingest", "CPU: PostgreSQL", pg_cpu, "s", note=f"{elapsed:.1f} s wall")
        Channel.objects.filter(workspace=workspace).delete()
        return 0
    finally:
        server.terminate()


if __name__ == "__main__":
    sys.exit(main())
