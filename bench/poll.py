"""Polling at scale: thousands of channels, each due every 60 s, polled by two worker processes.

Everything runs as deployed: real Celery beat (default schedule: dispatch every 5 s), two `celery worker`
processes on the `poll` queue (BENCH_POLL_POOL, default threads, with BENCH_POLL_TASKS
tasks at once, default 4, sharing BENCH_POLL_THREADS poll threads, default 32, per process), PostgreSQL, Redis, and one fake per network in its own
process over loopback, every answer delayed by 150 ms as a real API's round trip is.

The channels are mixed (X and Mastodon), mostly idle; 1 % are busy (a new mention every ~10 s). Each size
(1,000 then 10,000 channels; BENCH_SCALE scales them) runs for three intervals after a warm-up interval,
and reports:
- lateness: when each poll started minus when the dispatcher found it due (`PollRun.due_at`, what
  /metrics reports too); p50, p99, max (target: p99 <= 30 s);
- starved channels: more than two intervals without a poll inside the window (its edges included);
- CPU per poll: the workers' CPU (user + system) over the polls they ran, beat's, PostgreSQL's, and the
  fakes' (a load generator must cost less than the system it measures).

BENCH_POLL_WORKERS=1,2,4 runs each size with that many worker processes in turn (the same channels, the
caps per network raised with the threads), and names the figures by it, with polls per second besides.
BENCH_POLL_THREADS_TOTAL=64 keeps that many poll threads in flight whatever the count (64 // workers per
process): each thread holds a PostgreSQL connection, and 4 x 32 of them are past PostgreSQL's default
max_connections (100).
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import random
import threading
import time
from pathlib import Path

from bench.common import (
    load_text,
    percentile,
    postgres_cpu_seconds,
    processes,
    scaled,
    setup_django,
    threads_per_worker,
    tree_cpu_seconds,
    worker_counts,
)
from bench.publish import start_process, stop_process
from bench.results import record

# BENCH_POLL_SIZES (comma-separated channel counts) runs other sizes, e.g. 1000,2000,5000,10000.
SIZES = [
    int(size) for size in os.environ.get("BENCH_POLL_SIZES", "").split(",") if size.strip().isdigit()
] or [scaled(1_000, minimum=20), scaled(10_000, minimum=40)]
INTERVAL_S = 60
WARM_UP_S = 60
MEASURE_S = max(60, round(180 * min(1.0, float(os.environ.get("BENCH_SCALE", "1") or 1))))
LATENCY_S = float(os.environ.get("BENCH_POLL_LATENCY", "0.15"))
BUSY_SHARE = 0.01
BUSY_EVERY_S = 10
LATENESS_TARGET_P99_S = 30
WORKERS = 2  # worker processes, unless BENCH_POLL_WORKERS lists counts to run in turn
POOL = os.environ.get("BENCH_POLL_POOL", "threads")
THREADS = int(os.environ.get("BENCH_POLL_THREADS", "32"))  # poll threads per worker process
THREADS_TOTAL = int(os.environ.get("BENCH_POLL_THREADS_TOTAL", "0")) or None  # or in all, split evenly
TASKS = int(os.environ.get("BENCH_POLL_TASKS", "4"))  # poll_channels tasks per worker process at once
NETWORKS = ("x", "mastodon")


def serve_fake(network: str, accounts: int, busy: int, out, stop) -> None:
    """One network's fake with `accounts` accounts (the first `busy` of them get a mention every
    BUSY_EVERY_S); reports (network, base_url, [(external id, handle, token)]), then on `stop` how many
    requests it answered."""
    if network == "x":
        from networks.fakes.x import XFake

        fake = XFake(limits={"mentions": 10**9, "timeline": 10**9, "lookup": 10**9, "dm_read": 10**9})
        fan = fake.add_user("benchfan", "Bench fan")
        users = [fake.add_user(f"bench{n}", f"Bench {n}") for n in range(accounts)]
        ids = [(user, f"bench{n}", fake.issue_token(user)["access_token"]) for n, user in enumerate(users)]
    else:
        from networks.fakes.mastodon import MastodonFake

        fake = MastodonFake()
        fan = fake.add_account("benchfan", "Bench fan")
        users = [fake.add_account(f"bench{n}", f"Bench {n}") for n in range(accounts)]
        ids = [(user, f"bench{n}", fake.issue_token(user)["access_token"]) for n, user in enumerate(users)]
    fake.latency = LATENCY_S
    fake.keep_requests = False
    served = [0]
    dispatch = fake.dispatch

    def counted(request):
        served[0] += 1
        return dispatch(request)

    fake.dispatch = counted  # type: ignore[method-assign]
    fake.start()

    def engage() -> None:
        rng = random.Random(network)
        while not stop.wait(1.0):
            for user in users[:busy]:
                if rng.random() < 1 / BUSY_EVERY_S:
                    fake.add_mention(user, fan, "Bonjour, vous êtes ouverts demain ? 🥐")

    threading.Thread(target=engage, daemon=True).start()
    out.put((network, fake.base_url, ids))
    stop.wait()
    out.put((network, served[0]))
    fake.stop()


def run_size(count: int, log: Path, var: Path, *, workers: int = WORKERS, threads: int = THREADS) -> dict:
    from celery import current_app
    from django.db.models import Count

    from accounts.models import Workspace
    from networks.models import Channel, PollRun
    from networks.providers import base as p
    from networks.providers.mastodon_auth import qualified_id
    from networks.services import credentials_payload

    per_network = count // len(NETWORKS)
    busy = max(1, round(per_network * BUSY_SHARE))
    out: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    fakes = [
        multiprocessing.Process(target=serve_fake, args=(n, per_network, busy, out, stop), daemon=True)
        for n in NETWORKS
    ]
    for fake in fakes:
        fake.start()
    served = {}
    for _ in NETWORKS:
        network, base_url, ids = out.get(timeout=600)
        served[network] = (base_url, ids)

    workspace, _ = Workspace.objects.get_or_create(slug="bench-poll", defaults={"name": "Bench poll"})
    Channel.objects.filter(workspace=workspace).delete()
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)
    rng = random.Random(count)
    rows = []
    for network, (base_url, ids) in served.items():
        for external_id, handle, token in ids:
            rows.append(
                Channel(
                    workspace=workspace,
                    network=network,
                    external_id=qualified_id(external_id, base_url) if network == "mastodon" else external_id,
                    name=f"Bench {network} {handle}",
                    handle=handle,
                    api_base_url=base_url,
                    credentials=credentials_payload(p.Credentials(access_token=token)),
                    status=Channel.Status.ACTIVE,
                    backfill_status=Channel.Backfill.DONE,
                    poll_interval=INTERVAL_S,
                    # Due at random seconds over the first interval, as channels connected over time are.
                    next_poll_at=start + dt.timedelta(seconds=rng.uniform(0, INTERVAL_S)),
                )
            )
    Channel.objects.bulk_create(rows, batch_size=1000)
    print(f"{count} channels created; polling starts in a few seconds")

    current_app.control.purge()
    for stale in var.glob("bench-poll-beat*"):
        stale.unlink()
    caps = {f"CMHUB_POLL_CONCURRENCY_{n.upper()}": str(workers * threads) for n in NETWORKS}
    os.environ.update(caps, CMHUB_POLL_THREADS=str(threads))
    started = [
        start_process(
            [
                "worker",
                "--queues=poll",
                f"--pool={POOL}",
                f"--concurrency={TASKS}",
                f"--hostname=benchpoll{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            log,
        )
        for n in range(workers)
    ]
    beat = start_process(["beat", f"--schedule={var / 'bench-poll-beat'}", "--loglevel=WARNING"], log)
    pids = {"workers": [w.pid for w in started], "beat": [beat.pid], "fakes": [f.pid for f in fakes]}

    def cpu() -> dict[str, float]:
        spent = {name: sum(tree_cpu_seconds(pid) for pid in group) for name, group in pids.items()}
        return spent | {"PostgreSQL": postgres_cpu_seconds()}

    try:
        time.sleep(max(0.0, (start - dt.datetime.now(dt.UTC)).total_seconds()) + WARM_UP_S)
        window_start = dt.datetime.now(dt.UTC)
        cpu_before = cpu()
        load_before = load_text()
        time.sleep(MEASURE_S)
        window_end = dt.datetime.now(dt.UTC)
        cpu_spent = {name: spent - cpu_before[name] for name, spent in cpu().items()}
        load_after = load_text()
    finally:
        for process in [*started, beat]:
            stop_process(process)
        stop.set()
    requests = {}
    for _ in NETWORKS:
        network, answered = out.get(timeout=60)
        requests[network] = answered
    for fake in fakes:
        fake.join(timeout=30)

    runs = PollRun.objects.filter(
        channel__workspace=workspace, started_at__gte=window_start, started_at__lt=window_end
    )
    lateness = [
        (started - due).total_seconds()
        for started, due in runs.exclude(due_at=None).values_list("started_at", "due_at")
    ]
    polls = len(lateness)
    # Starved: a channel that went more than two intervals without a poll inside the window (its edges
    # count, so a channel never polled in a long enough window is starved too).
    times: dict[int, list[dt.datetime]] = {}
    for pk, started in runs.values_list("channel", "started_at"):
        times.setdefault(pk, []).append(started)
    starved = 0
    for pk in Channel.objects.filter(workspace=workspace).values_list("pk", flat=True):
        marks = [window_start, *sorted(times.get(pk, [])), window_end]
        longest = max((b - a).total_seconds() for a, b in itertools.pairwise(marks))
        starved += longest > 2 * INTERVAL_S
    outcomes = dict(runs.values_list("outcome").annotate(n=Count("pk")).order_by())
    fetched = sum(runs.values_list("fetched", flat=True))
    Channel.objects.filter(workspace=workspace).delete()
    return {
        "channels": count,
        "polls": polls,
        "polls_per_s": polls / MEASURE_S,
        "lateness": lateness,
        "starved": starved,
        "outcomes": outcomes,
        "fetched": fetched,
        "cpu": cpu_spent,
        "requests": sum(requests.values()),
        "load": f"{load_before} at the start of the window, {load_after} at its end",
    }


def main() -> int:
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench/poll.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    var = Path(os.environ.get("CMHUB_VAR_DIR", "var/bench"))
    var.mkdir(parents=True, exist_ok=True)
    log = var / "bench-poll.log"
    log.unlink(missing_ok=True)
    counts = worker_counts("BENCH_POLL_WORKERS", [])
    swept = bool(counts)
    for count in SIZES:
        for workers in counts or [WORKERS]:
            threads = threads_per_worker(workers=workers, per_worker=THREADS, total=THREADS_TOTAL)
            print(
                f"poll bench: {count} channels ({' and '.join(NETWORKS)}), due every {INTERVAL_S} s, "
                f"fakes answering after {LATENCY_S * 1000:.0f} ms, {workers} workers ({POOL} pool, {TASKS} "
                f"tasks and {threads} poll threads each), {MEASURE_S} s measured after {WARM_UP_S} s of warm-up"
            )
            result = run_size(count, log, var, workers=workers, threads=threads)
            report(result, count, f"{count:,} channels, {processes(workers)}" if swept else None, threads)
    return 0


def report(result: dict, count: int, label: str | None, threads: int) -> None:
    """Print and record one run. `label` names the figures of a sweep over worker counts; without one
    they keep the names they always had."""
    lateness = result["lateness"] or [float("inf")]
    cpu = result["cpu"]
    polls = max(result["polls"], 1)
    p99 = percentile(lateness, 99)
    print(
        f"{count:>6} channels: {result['polls']} polls ({result['polls_per_s']:.0f}/s, "
        f"{count / INTERVAL_S:.0f}/s due), lateness p50 {percentile(lateness, 50):.1f} s, "
        f"p99 {p99:.1f} s, max {max(lateness):.1f} s; starved {result['starved']}; "
        f"outcomes {result['outcomes']}; {result['fetched']} messages stored; "
        f"{result['requests']} requests to the fakes; {result['load']}"
    )
    print(
        "        CPU: "
        + ", ".join(f"{name} {spent:.1f} s" for name, spent in cpu.items())
        + f"; workers {cpu['workers'] / polls * 1000:.1f} ms per poll"
    )
    shape = f"{result['polls']} polls, p50 {percentile(lateness, 50):.1f} s, max {max(lateness):.1f} s"
    if label:
        shape += f"; {threads} poll threads per process; {result['load']}"
        record(
            "poll",
            f"{label}: polls per second",
            result["polls_per_s"],
            "polls/s",
            better="higher",
            note=f"{count / INTERVAL_S:.0f}/s due; {result['load']}",
        )
    record(
        "poll",
        f"{label or f'{count:,} channels every 60 s'}: lateness p99",
        p99,
        "s",
        target=LATENESS_TARGET_P99_S,
        note=shape,
    )
    record("poll", f"{label or f'{count:,} channels'}: starved", result["starved"], "channels", target=0)
    record(
        "poll",
        f"{label or f'{count:,} channels'}: worker CPU per poll (mostly idle)",
        cpu["workers"] / polls * 1000,
        "ms",
        note=f"PostgreSQL {cpu['PostgreSQL'] / polls * 1000:.1f} ms",
    )
    system = cpu["workers"] + cpu["PostgreSQL"] + cpu["beat"]
    record(
        "poll",
        f"{label or f'{count:,} channels'}: fakes' CPU over the system's",
        cpu["fakes"] / max(system, 0.001),
        "x",
        target=1.0,
        note=f"fakes {cpu['fakes']:.1f} s, system {system:.1f} s",
    )


if __name__ == "__main__":
    raise SystemExit(main())
