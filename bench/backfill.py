"""A big page's first connect: a history import of 1,000,000 comments (times BENCH_SCALE) on 100 posts,
from a Facebook Graph fake in another process over loopback, polled by the production path
(`tasks.poll_once`, in this process) until the import is done.

Measured: the import's rate; this process's memory (resident set) through the import, the median of its
last tenth against the median of its second tenth (the first is warm-up), target growth under 10%; and
whether the channel's progress bar tells the truth: at every poll, every comment newer than the date the
bar shows must be stored (the posts are 3 hours apart and their comments come in the 2.8 hours after
each, so the date splits them cleanly), the bar never moves back, and it is full only once every comment
is stored. Also how far the bar's share is from the share of comments stored (the comments are spread
evenly over the window, so the two should be close).

Run with `make bench-backfill` (PostgreSQL: BENCH_DATABASE_URL names a database it may fill and empty).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import statistics
import sys
import time

from bench.common import cpu_seconds, machine, postgres_cpu_seconds, scaled, setup_django
from bench.results import record

POSTS = 100  # the most recent posts a poll reads (WatchSettings.recent_posts allows 100 at most)
MESSAGES = scaled(1_000_000, minimum=2_000)
WINDOW_DAYS = 14
MEMORY_GROWTH_TARGET = 0.10
POST_SPACING = dt.timedelta(days=13) / POSTS  # 3.1 hours
CHECK_EVERY = 5  # polls between two checks of the bar against what is stored


def comment_spacing() -> dt.timedelta:
    """Each post's comments come within 90% of the time to the next post."""
    return POST_SPACING * 0.9 / max(1, MESSAGES // POSTS)


def serve_fake(port_queue, connected_at: dt.datetime) -> None:
    from networks.fakes.graph import GraphFake

    fake = GraphFake(page_size=100)
    page = fake.add_page("Big Bakery", page_id="999", token="bench-backfill-token")  # noqa: S106
    per_post, step = MESSAGES // POSTS, comment_spacing()
    oldest = connected_at - dt.timedelta(days=13, hours=12)
    for n in range(POSTS):
        created = oldest + n * POST_SPACING
        post = fake.add_post(page.id, f"Post {n}", created_time=created)
        for i in range(per_post):
            author = {"id": f"fan{i % 5000}", "name": f"Fan {i % 5000}"}
            fake.add_comment(
                post.id, f"Commentaire {n}-{i} 🥐", created_time=created + i * step, author=author
            )
    fake.freeze()  # a completed post's first page is asked for at every poll: rendered once
    fake.keep_requests = False
    port_queue.put((fake.base_url, page.token, page.id))
    fake.serve_forever()


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def growth(samples: list[int]) -> float:
    """The median of the last tenth of the samples over the median of the second tenth, minus one."""
    tenth = max(1, len(samples) // 10)
    early, late = samples[tenth : 2 * tenth] or samples[:1], samples[-tenth:]
    return statistics.median(late) / statistics.median(early) - 1


def main() -> int:
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from inbox.models import Contact, Message
    from networks import services, tasks
    from networks.models import Channel, WatchSettings
    from networks.providers import base as p

    if connection.vendor != "postgresql":
        print("bench/backfill.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    connected_at = timezone.now().replace(microsecond=0)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_fake, args=(queue, connected_at), daemon=True)
    server.start()
    base_url, token, brand = queue.get(timeout=1800)
    try:
        workspace, _ = Workspace.objects.get_or_create(
            slug="bench-backfill", defaults={"name": "Bench backfill"}
        )
        Channel.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        WatchSettings.objects.update_or_create(workspace=workspace, defaults={"recent_posts": POSTS})
        channel = services.channel_connect(
            workspace=workspace,
            network="facebook",
            external_id=brand,
            name="Big Bakery",
            api_base_url=base_url,
            credentials=p.Credentials(access_token=token),
            by=None,
        )
        Channel.objects.filter(pk=channel.pk).update(backfill_days=WINDOW_DAYS, created_at=connected_at)
        cpu_before = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        memory: list[int] = []
        percents: list[int] = []
        untrue: list[str] = []
        share_gap = 0.0
        elapsed = 0.0  # the polls' time only: the bench's own checks between polls are left out
        polls = 0
        while True:
            channel = Channel.objects.get(pk=channel.pk)
            start = time.perf_counter()
            run = tasks.poll_once(channel)
            elapsed += time.perf_counter() - start
            polls += 1
            if run.outcome != "ok":
                print(f"poll failed: {run.outcome} {run.error}")
                return 1
            channel = Channel.objects.get(pk=channel.pk)
            memory.append(rss_bytes())
            percent = channel.backfill_percent
            if percents and percent < percents[-1]:
                untrue.append(f"poll {polls}: the bar went back from {percents[-1]}% to {percent}%")
            percents.append(percent)
            done = channel.backfill_status == Channel.Backfill.DONE
            if done and run.fetched == 0:
                break
            if not done and polls % CHECK_EVERY:
                continue  # counting a million rows at every poll would be most of the run
            stored = Message.objects.filter(channel=channel).count()
            if percent == 100 and stored < MESSAGES:
                untrue.append(f"poll {polls}: full with {stored:,} of {MESSAGES:,} stored")
            if channel.backfill_reached is not None and not done:
                # Every comment of the posts newer than the date, none of the older posts'.
                newer_posts = sum(
                    1
                    for n in range(POSTS)
                    if connected_at - dt.timedelta(days=13, hours=12) + n * POST_SPACING
                    > channel.backfill_reached
                )
                expected = newer_posts * (MESSAGES // POSTS)
                newer_stored = Message.objects.filter(
                    channel=channel, created_at__gt=channel.backfill_reached
                ).count()
                if newer_stored < expected:
                    untrue.append(
                        f"poll {polls}: {newer_stored:,} stored after {channel.backfill_reached:%Y-%m-%d %H:%M}, "
                        f"{expected:,} there"
                    )
                share_gap = max(share_gap, abs(percent - 100 * stored / MESSAGES))
        cpu_after = (cpu_seconds(os.getpid()), cpu_seconds(server.pid), postgres_cpu_seconds())
        worker_cpu, fake_cpu, pg_cpu = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
        stored = Message.objects.filter(channel=channel).count()
        grew = growth(memory)
        mib = statistics.median(memory[-max(1, len(memory) // 10) :]) / 2**20
        print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}")
        print(
            f"backfill of a big page: {stored:,} of {MESSAGES:,} comments on {POSTS} posts in {elapsed:.0f} s, "
            f"{polls} polls: {stored / elapsed:,.0f} messages/s"
        )
        print(
            f"worker memory: {grew:+.1%} from the second tenth of the import to the last "
            f"(target < {MEMORY_GROWTH_TARGET:.0%}), {mib:,.0f} MiB at the end; peak {max(memory) / 2**20:,.0f} MiB"
        )
        print(
            f"progress bar: {len(percents)} readings, checked every {CHECK_EVERY} polls: {len(untrue)} untrue; its share at most "
            f"{share_gap:.1f} points from the share of comments stored"
        )
        for line in untrue[:10]:
            print(f"  {line}")
        print(f"CPU: worker {worker_cpu:.0f} s, fake network {fake_cpu:.0f} s, PostgreSQL {pg_cpu:.0f} s")
        note = f"{stored:,} comments, {POSTS} posts, {polls} polls, {elapsed:.0f} s"
        record("backfill", "backfill rate", stored / elapsed, "messages/s", better="higher", note=note)
        record(
            "backfill",
            "worker memory growth during the backfill",
            grew,
            "x",
            target=MEMORY_GROWTH_TARGET,
            note=f"{mib:,.0f} MiB at the end, peak {max(memory) / 2**20:,.0f} MiB; {note}",
        )
        record(
            "backfill",
            "progress bar readings that were untrue",
            len(untrue),
            "readings",
            target=0,
            note=f"of {len(percents)}; share at most {share_gap:.1f} points from the comments stored",
        )
        record(
            "backfill",
            "comments stored of those on the page",
            stored / MESSAGES,
            "x",
            target=1.0,
            better="higher",
        )
        record(
            "backfill",
            "CPU: worker / fake network / PostgreSQL",
            worker_cpu,
            "s",
            note=f"fake {fake_cpu:.0f} s, PostgreSQL {pg_cpu:.0f} s",
        )
        Channel.objects.filter(workspace=workspace).delete()
        return 0 if not untrue and stored == MESSAGES else 1
    finally:
        server.terminate()


if __name__ == "__main__":
    sys.exit(main())
