"""Ingestion end to end: a Facebook Graph fake in another process, over loopback -> production client ->
stored. 30,000 comments (times BENCH_SCALE) on 20 posts, a third of them replies inside threads, from 2,000
people.

Compares with a raw bulk_create of the same number of messages in the same run. Run with `make bench`
(PostgreSQL: DATABASE_URL must point at a database the benchmark may fill and empty).

BENCH_INGEST_WORKERS=1,2,4 measures scaling out instead, one run per count: the same comments spread over
as many Pages (one channel each, their own posts and people), each channel polled by its own worker process
(`tasks.poll_once` in a loop, as a poll worker's thread runs it) all at once; the figure is every stored
message over the wall time until the last process is done. Those runs leave out the raw comparison.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from bench.common import (
    cpu_seconds,
    load_text,
    machine,
    postgres_cpu_seconds,
    processes,
    scaled,
    setup_django,
    split_evenly,
    worker_counts,
)
from bench.results import record

MESSAGES = scaled(30_000, minimum=300)
TARGET_PER_S = 3000
TARGET_RATIO = 3.0
TARGET_CPU_RATIO = 2.0  # the worker's CPU per message, over a raw bulk_create's in the same run
FAKE_SHARE_TARGET = 0.1  # the load generator: a small share of what it measures
PEOPLE = 2000
POSTS_PER_PAGE = 20


def serve_fake(port_queue, messages: int, pages: int = 1) -> None:
    """The Graph fake with `messages` comments split over `pages` Pages (each with its own posts and its
    share of the people); reports (base URL, [(token, page id)]) once every page is pre-rendered."""
    import datetime as dt

    from networks.fakes.graph import GraphFake

    fake = GraphFake(page_size=100)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    served = []
    people = max(1, PEOPLE // pages)
    for index, share in enumerate(split_evenly(messages, pages)):
        suffix = f"-{index}" if index else ""  # the first page is the one the single run always used
        page = fake.add_page(
            f"Bench Bakery{suffix}", page_id=str(777 + index), token=f"bench-page-token{suffix}"
        )
        posts = [
            fake.add_post(page.id, f"Post {n}", created_time=now - dt.timedelta(days=2))
            for n in range(POSTS_PER_PAGE)
        ]
        tops: list = []
        for n in range(share):
            at = now - dt.timedelta(days=1) + dt.timedelta(seconds=n)
            author = {"id": f"fan{suffix}{n % people}", "name": f"Fan{suffix} {n % people}"}
            text = f"Question {n} : vous livrez à Lyon dimanche ? 🥐"
            post = posts[n % len(posts)]
            if n % 3 == 2 and tops:
                fake.add_comment(post.id, text, created_time=at, author=author, parent_id=tops[-1].id)
            else:
                tops.append(fake.add_comment(post.id, text, created_time=at, author=author))
        served.append((page.token, page.id))
    # Every page the client will ask for is rendered once, by the crawl before the clock starts (prerender).
    fake.freeze()
    fake.keep_requests = False
    port_queue.put((fake.base_url, served))
    fake.serve_forever()


def prerender(channel) -> int:
    """Ask the fake for every page the ingestion will read, as the worker will, storing nothing: the fake
    renders each once, now, and answers the run from what it rendered. Returns the pages asked for."""
    from core.http import worker_client
    from networks import registry, tasks

    provider = registry.build_provider(channel, http=worker_client())
    cursor: dict = channel.cursor or {}
    polls = 0
    while True:
        result = provider.poll(cursor=cursor, max_items=tasks.POLL_CHUNK)
        polls += 1
        if not result.has_more:
            return polls
        cursor = result.cursor


def rendered_stats(base_url: str) -> dict[str, int]:
    import httpx

    return httpx.post(f"{base_url}/_fake/rendered_stats", json={}).json()


def poll_until_done(channel) -> tuple[int, str]:
    """Poll `channel` as its worker would until the backfill is done and a poll finds nothing new:
    (polls, '' or what went wrong)."""
    from networks import tasks

    runs = 0
    while True:
        channel.refresh_from_db()
        run = tasks.poll_once(channel)
        runs += 1
        if run.outcome != "ok":
            return runs, f"poll failed: {run.outcome} {run.error}"
        channel.refresh_from_db()
        if channel.backfill_status == "done" and run.fetched == 0:
            return runs, ""


def connect_channels(workspace, base_url: str, served: list[tuple[str, str]]) -> list:
    """One Facebook channel per Page of the fake, in `workspace` (emptied first), backfilling 3 days."""
    from inbox.models import Contact
    from networks import services
    from networks.models import Channel
    from networks.providers import base as p

    Channel.objects.filter(workspace=workspace).delete()
    Contact.objects.filter(workspace=workspace).delete()
    channels = []
    for index, (token, page_id) in enumerate(served):
        channel = services.channel_connect(
            workspace=workspace,
            network="facebook",
            external_id=page_id,
            name=f"Bench {index}" if index else "Bench",
            api_base_url=base_url,
            credentials=p.Credentials(access_token=token),
            by=None,
        )
        Channel.objects.filter(pk=channel.pk).update(backfill_days=3)
        channel.refresh_from_db()
        channels.append(channel)
    return channels


def ingest_worker(channel_pk: int, ready, go, out) -> None:
    """One worker process (spawned: nothing shared with the parent but the environment) polling one
    channel to the end; reports (channel, polls, error, its own CPU seconds)."""
    setup_django()
    from django.db import connections

    from networks.models import Channel

    channel = Channel.objects.get(pk=channel_pk)
    ready.put(channel_pk)
    go.wait()
    cpu_start = cpu_seconds(os.getpid())
    runs, error = poll_until_done(channel)
    out.put((channel_pk, runs, error, cpu_seconds(os.getpid()) - cpu_start))
    connections.close_all()


def main() -> int:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench/ingest.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    counts = worker_counts("BENCH_INGEST_WORKERS", [])
    if not counts:
        return single()
    print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}")
    speeds: dict[int, float] = {}
    for count in counts:
        speed = with_workers(count)
        if speed is None:
            return 1
        speeds[count] = speed
    if 1 in speeds:
        for count, speed in speeds.items():
            if count != 1:
                record(
                    "ingest",
                    f"ingestion speed-up, {processes(count)} over 1",
                    speed / speeds[1],
                    "x",
                    better="higher",
                )
    return 0


def single() -> int:
    """The run as it has always been: one channel, polled in this process."""
    from django.db import connection

    from accounts.models import Workspace
    from inbox.models import Conversation, Message
    from networks.models import Channel

    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_fake, args=(queue, MESSAGES), daemon=True)
    server.start()
    base_url, served = queue.get(timeout=300)
    try:
        workspace, _ = Workspace.objects.get_or_create(slug="bench-ingest", defaults={"name": "Bench ingest"})
        (channel,) = connect_channels(workspace, base_url, served)
        prerender(channel)
        rendered_before = rendered_stats(base_url)
        cpu_before = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        start = time.perf_counter()
        runs, error = poll_until_done(channel)
        if error:
            print(error)
            return 1
        elapsed = time.perf_counter() - start
        cpu_after = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        rendered_after = rendered_stats(base_url)
        replayed = rendered_after["hits"] - rendered_before["hits"]
        rendered_live = rendered_after["misses"] - rendered_before["misses"]
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
        start, raw_cpu_before = time.perf_counter(), cpu_seconds(os.getpid())
        Message.objects.bulk_create(rows, batch_size=1000)
        raw = stored / (time.perf_counter() - start)
        raw_cpu = cpu_seconds(os.getpid()) - raw_cpu_before
        cpu_ratio = (worker_cpu / stored) / (raw_cpu / stored)
        Message.objects.filter(channel=channel, external_id__startswith="raw-").delete()

        fake_share = fake_cpu / (worker_cpu + pg_cpu)
        print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}")
        print(
            f"ingestion end to end (Graph fake over loopback -> stored): {stored} messages "
            f"in {elapsed:.1f} s, {runs} polls: {end_to_end:,.0f} messages/s"
        )
        print(
            f"CPU during the run: worker {worker_cpu:.1f} s, fake network {fake_cpu:.1f} s, "
            f"PostgreSQL {pg_cpu:.1f} s ({os.cpu_count()} cores, {elapsed:.1f} s wall); "
            f"the worker spends {worker_cpu / stored * 1e6:,.0f} us of CPU per message"
        )
        print(
            f"the fake answered {replayed} pages as pre-rendered, rendered {rendered_live} during the run; "
            f"its CPU is {fake_share:.0%} of the system's (worker + PostgreSQL)"
        )
        print(
            f"raw bulk_create of the same rows: {raw:,.0f} messages/s, "
            f"{raw_cpu / stored * 1e6:,.0f} us of CPU per message in this process"
        )
        print(
            f"ratio raw / end to end: {raw / end_to_end:.2f}x (target <= {TARGET_RATIO:g}x); target >= "
            f"{TARGET_PER_S:,} messages/s: {'met' if end_to_end >= TARGET_PER_S else 'MISSED'}; "
            f"worker CPU per message / raw's: {cpu_ratio:.2f}x (target <= {TARGET_CPU_RATIO:g}x)"
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
            "worker CPU per message",
            worker_cpu / stored * 1e6,
            "us",
            note=cpu_note,
        )
        record(
            "ingest",
            "worker CPU per message / raw bulk_create's",
            cpu_ratio,
            "x",
            target=TARGET_CPU_RATIO,
            note=f"raw {raw_cpu / stored * 1e6:,.0f} us per message",
        )
        record(
            "ingest",
            "fake network CPU over the system's",
            fake_share,
            "x",
            target=FAKE_SHARE_TARGET,
            note=f"{replayed} pages pre-rendered, {rendered_live} rendered during the run",
        )
        record("ingest", "CPU: worker", worker_cpu, "s", note=f"{elapsed:.1f} s wall")
        record("ingest", "CPU: fake network", fake_cpu, "s", note=f"{elapsed:.1f} s wall")
        record("ingest", "CPU: PostgreSQL", pg_cpu, "s", note=f"{elapsed:.1f} s wall")
        Channel.objects.filter(workspace=workspace).delete()
        return 0
    finally:
        server.terminate()


def with_workers(count: int) -> float | None:
    """MESSAGES over `count` channels, each polled by its own worker process, all started together;
    records the figures and returns the messages per second (None when a poll failed)."""
    from django.db import connections

    from accounts.models import Workspace
    from inbox.models import Message
    from networks.models import Channel

    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_fake, args=(queue, MESSAGES, count), daemon=True)
    server.start()
    base_url, served = queue.get(timeout=600)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each: no socket or connection shared
    ready, out, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    workers: list = []
    try:
        workspace, _ = Workspace.objects.get_or_create(slug="bench-ingest", defaults={"name": "Bench ingest"})
        channels = connect_channels(workspace, base_url, served)
        for channel in channels:
            prerender(channel)
        connections.close_all()
        workers = [
            spawn.Process(target=ingest_worker, args=(channel.pk, ready, go, out), daemon=True)
            for channel in channels
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.get(timeout=120)
        rendered_before = rendered_stats(base_url)
        fake_before, pg_before = cpu_seconds(server.pid), postgres_cpu_seconds()
        load_before = load_text()
        start = time.perf_counter()
        go.set()
        reports = [out.get(timeout=1800) for _ in workers]
        elapsed = time.perf_counter() - start
        fake_cpu, pg_cpu = cpu_seconds(server.pid) - fake_before, postgres_cpu_seconds() - pg_before
        load_after = load_text()
        rendered_live = rendered_stats(base_url)["misses"] - rendered_before["misses"]
        errors = [error for _, _, error, _ in reports if error]
        if errors:
            print(f"{processes(count)}: {errors[0]}")
            return None
        runs = sum(polls for _, polls, _, _ in reports)
        worker_cpu = sum(cpu for _, _, _, cpu in reports)
        stored = Message.objects.filter(channel__in=channels).count()
        speed = stored / elapsed
        cpu_note = f"workers {worker_cpu:.1f} s, fake network {fake_cpu:.1f} s, PostgreSQL {pg_cpu:.1f} s"
        print(
            f"{processes(count)}: {stored} messages on {count} channel(s) in {elapsed:.1f} s, {runs} polls: "
            f"{speed:,.0f} messages/s; CPU {cpu_note}; {worker_cpu / stored * 1e6:,.0f} us of worker CPU per "
            f"message; {rendered_live} pages rendered during the run; {load_before} before, {load_after} after"
        )
        record(
            "ingest",
            f"ingestion end to end, {processes(count)}",
            speed,
            "messages/s",
            better="higher",
            note=f"{stored} messages on {count} channel(s) in {elapsed:.1f} s, {runs} polls; CPU {cpu_note}; "
            f"{load_before} before, {load_after} after",
        )
        record(
            "ingest",
            f"worker CPU per message, {processes(count)}",
            worker_cpu / stored * 1e6,
            "us",
            note=f"PostgreSQL {pg_cpu / stored * 1e6:,.0f} us per message",
        )
        Channel.objects.filter(workspace=workspace).delete()
        return speed
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
        server.terminate()


if __name__ == "__main__":
    sys.exit(main())
