"""Soak: the demo's pipeline (polls, triage, replies, publishing) and the web pages under steady load for
BENCH_SOAK_SECONDS (default 1,800), every process started as the README's production section starts it.

Processes: gunicorn (`cmhub.wsgi`, 2 workers), one prefork `celery worker` on default, send, publish and
assistant (2 children), one threads-pool worker on poll (4 threads), real beat (the default schedule), and the
X and Mastodon fakes, each in its own process over loopback. The workers and the web workers import
bench/soak_probe.py, which dumps the size of every bounded in-process cache to a file every few seconds.

Load, steady from the first second to the last:
- BENCH_SOAK_WORKSPACES workspaces (default 80, above the FAQ index cache's 64), each with the demo bakery's
  FAQ, a rule that suggests FAQ answers (so triage builds the workspace's FAQ index in the worker), an X
  and a Mastodon channel polled every 60 s. Three quarters exist at the start, the rest join one by one
  over the first half of the run, as an agency's new clients do;
- about one new mention per second on the fakes (BENCH_SOAK_RATE), in a random workspace, mostly questions
  the FAQ answers, each with a few words never seen before (the assistant's word caches fill up);
- a reply to one conversation in three, through the inbox's service, sent by the worker to the fake;
- a post scheduled every 15 s, 20 s ahead, on a workspace's X channel, published by beat and the worker;
- two page requests a second over HTTP, signed in: the inbox list, a conversation, a search, the
  assistant's suggestions for a conversation.

Sampled every 5 s: resident memory of each worker's process tree and of gunicorn's, the depth of every Celery
queue in Redis (and the unacknowledged set), each process's cache sizes. Reported:
- memory growth after warm-up: the median of the first window after warm-up against the median of the last
  window (warm-up a quarter of the run, at most 5 minutes; windows a third of the rest, at most 5 minutes);
  target under 10 %;
- each queue's depth: the last window's median against the first's, target no more than SLACK above it;
- each cache's largest size in any process against its bound;
- web request failures (target 0), and the backlog left at the end: posts and replies due more than two
  minutes before the end that were not out (target 0).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import queue
import random
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import percentile, setup_django, tree_pids, tree_rss_bytes
from bench.results import record

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "") or 1800)
WORKSPACES = int(os.environ.get("BENCH_SOAK_WORKSPACES", "") or 80)
RATE = float(os.environ.get("BENCH_SOAK_RATE", "") or 1.0)  # new mentions per second
REPLY_SHARE = 1 / 3
POST_EVERY_S = 15
POST_AHEAD_S = 20
PAGES_PER_S = 2.0
SAMPLE_EVERY_S = 5.0
POLL_INTERVAL_S = 60
MEMORY_GROWTH_TARGET_PCT = 10
QUEUE_SLACK = 5  # tasks: a queue's last-window median may sit this much above its first-window median
BACKLOG_GRACE_S = 120
QUEUES = ("default", "poll", "send", "publish", "assistant")
NETWORKS = ("x", "mastodon")
FANS = 40
SLUG = "soak-"
QUESTIONS = [
    "Bonjour, vous êtes ouverts dimanche ?",
    "Vous faites des gâteaux d'anniversaire sur commande ?",
    "Avez-vous du pain sans gluten ?",
    "À quelle heure fermez-vous ce soir ?",
    "Est-ce que vous livrez à domicile ?",
    "Hello, do you have vegan croissants?",
    "What time do you open on Saturday?",
    "Can I pay by card?",
    "Merci pour la tarte aux pommes, un délice !",
    "Le pain de ce matin était brûlé, pas content.",
]


# --- What the samples say (pure: tests/bench/test_soak.py) --------------------------------------------


def windows(duration: float) -> tuple[float, float]:
    """(warm-up, window) for a run of `duration` seconds: warm-up a quarter of it, at most 5 minutes; each
    compared window a third of the rest, at most 5 minutes."""
    warm_up = min(300.0, duration / 4)
    return warm_up, min(300.0, (duration - warm_up) / 3)


def first_and_last(
    samples: list[tuple[float, float]], *, warm_up: float, window: float, end: float
) -> tuple[float, float]:
    """Medians of the values sampled in [warm_up, warm_up + window) and in [end - window, end]; samples are
    (seconds since the start, value)."""
    first = [v for t, v in samples if warm_up <= t < warm_up + window]
    last = [v for t, v in samples if end - window <= t <= end]
    if not first or not last:
        raise ValueError(f"no samples in a window ({len(first)} first, {len(last)} last): run longer")
    return statistics.median(first), statistics.median(last)


def growth_pct(first: float, last: float) -> float:
    """How much `last` grew over `first`, in percent (negative for a shrink)."""
    if first <= 0:
        return 0.0 if last <= 0 else float("inf")
    return (last - first) / first * 100


def largest_caches(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{cache: {"size": the largest size any report gave, "bound", "processes": reports that had it}} from
    the probe's reports (bench/soak_probe.py) of one role; a bound is the smallest any process gave."""
    out: dict[str, dict[str, Any]] = {}
    for entry in reports:
        for name, cache in entry["caches"].items():
            seen = out.setdefault(name, {"size": 0, "bound": None, "processes": set()})
            seen["size"] = max(seen["size"], cache["size"])
            seen["processes"].add(entry["pid"])
            if cache["bound"] is not None:
                seen["bound"] = (
                    cache["bound"] if seen["bound"] is None else min(seen["bound"], cache["bound"])
                )
    return out


# --- The fakes ------------------------------------------------------------------------------------------


def serve_fake(network: str, accounts: int, out, commands, stop) -> None:
    """One network's fake with `accounts` accounts and FANS people who write to them. Reports (network,
    base_url, [(external id, handle, token)]); then writes a mention for each ("mention", account, fan, text)
    it is sent; on `stop` reports (network, mentions written, writes received)."""
    if network == "x":
        from networks.fakes.x import XFake

        fake: Any = XFake(
            limits={"mentions": 10**9, "timeline": 10**9, "lookup": 10**9, "dm_read": 10**9, "tweets": 10**9}
        )
        fans = [fake.add_user(f"soakfan{n}", f"Soak fan {n}") for n in range(FANS)]
        users = [fake.add_user(f"soak{n}", f"Soak {n}") for n in range(accounts)]
        write_path = "/2/tweets"
    else:
        from networks.fakes.mastodon import MastodonFake

        fake = MastodonFake()
        fans = [fake.add_account(f"soakfan{n}", f"Soak fan {n}") for n in range(FANS)]
        users = [fake.add_account(f"soak{n}", f"Soak {n}") for n in range(accounts)]
        write_path = "/api/v1/statuses"
    ids = [(user, f"soak{n}", fake.issue_token(user)["access_token"]) for n, user in enumerate(users)]
    fake.keep_requests = False
    writes = [0]
    dispatch = fake.dispatch

    def counted(request):
        if request.method == "POST" and request.path == write_path:
            writes[0] += 1
        return dispatch(request)

    fake.dispatch = counted
    fake.start()
    out.put((network, fake.base_url, ids))
    written = 0
    while not stop.is_set():
        try:
            command = commands.get(timeout=0.5)
        except queue.Empty:
            continue
        _, account, fan, text = command
        handle = "@soak" + str(account)
        fake.add_mention(users[account], fans[fan], f"{handle} {text}")
        written += 1
    out.put((network, written, writes[0]))
    fake.stop()


# --- Processes ------------------------------------------------------------------------------------------


def start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web server exited ({process.returncode}): see the soak log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answers on port {port} after {timeout:.0f} s")


def queue_depths(redis_client) -> dict[str, int]:
    """Messages waiting in each Celery queue (kombu keeps a queue's priorities in sibling lists), and the
    ones delivered to a worker and not yet acknowledged."""
    depths = {}
    for name in QUEUES:
        keys = [name, *(f"{name}\x06\x16{priority}" for priority in range(1, 10))]
        depths[name] = sum(redis_client.llen(key) for key in keys)
    depths["unacked"] = redis_client.hlen("unacked")
    return depths


def probe_reports(directory: Path, alive: set[int]) -> list[dict[str, Any]]:
    reports = []
    for path in directory.glob("*.json"):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if entry.get("pid") in alive:
            reports.append(entry)
    return reports


# --- The workspaces -------------------------------------------------------------------------------------


@dataclass
class Space:
    pk: int
    slug: str
    account: int  # the same index on every fake
    channels: dict[str, int] = field(default_factory=dict)


def make_workspace(n: int, served: dict, web_user) -> Space:
    from accounts.models import Membership, Workspace
    from assistant.models import Rule
    from demo.faq import faq_load_demo
    from networks import services as network_services
    from networks.models import Channel
    from networks.providers import base as p
    from networks.providers.mastodon_auth import qualified_id

    workspace = Workspace.objects.create(slug=f"{SLUG}{n}", name=f"Soak client {n}")
    Membership.objects.create(user=web_user, workspace=workspace, role="admin")
    faq_load_demo(workspace=workspace)
    Rule.objects.create(workspace=workspace, name="Suggest FAQ answers", actions=[{"type": "suggest_faq"}])
    space = Space(pk=workspace.pk, slug=workspace.slug, account=n)
    for network, (base_url, ids) in served.items():
        external_id, handle, token = ids[n]
        channel = network_services.channel_connect(
            workspace=workspace,
            network=network,
            external_id=qualified_id(external_id, base_url) if network == "mastodon" else external_id,
            name=f"Soak {network} {n}",
            handle=handle,
            api_base_url=base_url,
            credentials=p.Credentials(access_token=token),
            by=None,
            backfill_days=1,
        )
        Channel.objects.filter(pk=channel.pk).update(poll_interval=POLL_INTERVAL_S)
        space.channels[network] = channel.pk
    return space


def clear_old_runs() -> None:
    from accounts.models import User, Workspace

    Workspace.objects.filter(slug__startswith=SLUG).delete()
    User.objects.filter(email="soak-web@bench.test").delete()


# --- Load -----------------------------------------------------------------------------------------------


def new_words(rng: random.Random, count: int) -> str:
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 9))) for _ in range(count))


class Load:
    """The load's threads, sharing the live workspaces and their counts."""

    def __init__(self, served: dict, commands: dict, base_url: str, cookies: dict, web_user) -> None:
        self.served, self.commands, self.base_url, self.cookies = served, commands, base_url, cookies
        self.web_user = web_user
        self.spaces: list[Space] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.errors: list[str] = []
        self.counts = {"mentions": 0, "replies": 0, "reply refusals": 0, "posts": 0, "pages": 0}
        self.page_failures: list[str] = []
        self.page_ms: list[float] = []

    def live(self) -> list[Space]:
        with self.lock:
            return list(self.spaces)

    def every(self, period: float, action, *, name: str) -> None:
        """Run `action` every `period` seconds until done (late ticks are not made up)."""
        from django.db import connection

        next_at = time.monotonic()
        try:
            while not self.done.is_set():
                try:
                    action()
                except Exception as error:
                    self.errors.append(f"{name}: {error!r}")
                next_at = max(next_at + period, time.monotonic())
                self.done.wait(max(0.0, next_at - time.monotonic()))
        finally:
            connection.close()

    def grow(self, total: int, over: float) -> None:
        """Add workspaces one by one until `total`, evenly over `over` seconds."""
        spaces = self.live()
        remaining = total - len(spaces)
        if remaining <= 0:
            return
        period = over / remaining

        def add() -> None:
            with self.lock:
                n = len(self.spaces)
            if n >= total:
                self.done.wait(over)  # nothing left to add: idle to the end
                return
            space = make_workspace(n, self.served, self.web_user)
            with self.lock:
                self.spaces.append(space)

        self.every(period, add, name="workspaces")

    def mention(self, rng: random.Random) -> None:
        space = rng.choice(self.live())
        network = rng.choice(NETWORKS)
        text = f"{rng.choice(QUESTIONS)} {new_words(rng, 3)}"
        self.commands[network].put(("mention", space.account, rng.randrange(FANS), text))
        self.counts["mentions"] += 1

    def reply(self, rng: random.Random) -> None:
        from django.db.models import F, Q

        from accounts.models import Membership
        from inbox import selectors as inbox_selectors
        from inbox.models import Conversation, Message
        from inbox.replies.common import ReplyError, StaleThread
        from inbox.replies.writing import reply_create

        space = rng.choice(self.live())
        # A conversation whose newest message is from the public: the one a person would answer next.
        waiting = list(
            Conversation.objects.filter(workspace_id=space.pk, status=Conversation.Status.OPEN)
            .exclude(last_inbound_at=None)
            .filter(Q(last_reply_at=None) | Q(last_reply_at__lt=F("last_inbound_at")))
            .exclude(
                messages__direction=Message.Direction.OUT,
                messages__send_status__in=[Message.SendStatus.QUEUED, Message.SendStatus.SENDING],
            )
            .order_by("-last_message_at")
            .select_related("channel", "workspace")[:10]
        )
        if not waiting:
            return
        conversation = rng.choice(waiting)
        member = Membership.objects.get(user=self.web_user, workspace_id=space.pk)
        try:
            reply_create(
                conversation=conversation,
                author=member,
                text=f"Merci pour votre message ! {new_words(rng, 1)}",
                thread_version=inbox_selectors.thread_version(conversation),
                confirm_stale=True,
            )
            self.counts["replies"] += 1
        except (ReplyError, StaleThread):
            self.counts["reply refusals"] += 1

    def post(self, rng: random.Random) -> None:
        from django.utils import timezone

        from posts.models import Post, PostTarget

        space = rng.choice(self.live())
        when = timezone.now() + dt.timedelta(seconds=POST_AHEAD_S)
        post = Post.objects.create(
            workspace_id=space.pk,
            title=f"Soak {self.counts['posts']}",
            text=f"Fresh bread today, soak post {self.counts['posts']} 🥖 {new_words(rng, 1)}",
            status=Post.Status.SCHEDULED,
            scheduled_at=when,
        )
        PostTarget.objects.create(
            post=post,
            channel_id=space.channels["x"],
            status=PostTarget.Status.SCHEDULED,
            next_attempt_at=when,
        )
        self.counts["posts"] += 1

    def pages(self, rng: random.Random, client, kinds) -> None:
        from inbox.models import Conversation

        space = rng.choice(self.live())
        kind = next(kinds)
        path = f"/w/{space.slug}/inbox/"
        if kind == "search":
            path += "?q=" + rng.choice(["pain", "gluten", "dimanche", "croissants", "commande"])
        elif kind in ("conversation", "suggestions"):
            pk = (
                Conversation.objects.filter(workspace_id=space.pk)
                .order_by("-last_message_at")
                .values_list("pk", flat=True)[:20]
            )
            if not pk:
                return
            chosen = rng.choice(list(pk))
            path += f"{chosen}/"
            if kind == "suggestions":
                path = f"/w/{space.slug}/assistant/suggestions/{chosen}/"
        started = time.perf_counter()
        try:
            response = client.get(path)
            ok = response.status_code == 200
            problem = f"{response.status_code} {path}"
        except Exception as error:
            ok, problem = False, f"{error!r} {path}"
        self.page_ms.append((time.perf_counter() - started) * 1000)
        self.counts["pages"] += 1
        if not ok:
            self.page_failures.append(problem)


# --- The run --------------------------------------------------------------------------------------------


def main() -> int:
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    setup_django()
    import httpx
    import redis
    from celery import current_app
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from assistant.models import MessageTriage
    from bench.soak_probe import PROBE_DIR_ENV
    from inbox.models import Message
    from posts.models import PostTarget

    if connection.vendor != "postgresql":
        print("bench/soak.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    var = Path(os.environ.get("CMHUB_VAR_DIR", "var/bench"))
    var.mkdir(parents=True, exist_ok=True)
    log = var / "bench-soak.log"
    log.unlink(missing_ok=True)
    probes = var / "soak-probe"
    probes.mkdir(exist_ok=True)
    for stale in [*probes.glob("*"), *var.glob("bench-soak-beat*")]:
        stale.unlink()
    warm_up, window = windows(SECONDS)
    initial = max(1, round(WORKSPACES * 3 / 4))
    print(
        f"soak: {SECONDS} s ({warm_up:.0f} s warm-up, {window:.0f} s windows), {WORKSPACES} workspaces "
        f"({initial} at the start), {RATE:g} mentions/s, {PAGES_PER_S:g} pages/s, a post every "
        f"{POST_EVERY_S} s; log {log}"
    )

    clear_old_runs()
    out: multiprocessing.Queue = multiprocessing.Queue()
    halt = multiprocessing.Event()
    commands = {network: multiprocessing.Queue() for network in NETWORKS}
    fakes = [
        multiprocessing.Process(
            target=serve_fake, args=(n, WORKSPACES, out, commands[n], halt), daemon=True, name=f"fake-{n}"
        )
        for n in NETWORKS
    ]
    for fake in fakes:
        fake.start()
    served: dict[str, tuple[str, list]] = {}
    for _ in NETWORKS:
        network, base_url, ids = out.get(timeout=300)
        served[network] = (base_url, ids)

    web_user = User.objects.create_user(email="soak-web@bench.test", password=None, display_name="Soak")
    started = time.monotonic()
    spaces = [make_workspace(n, served, web_user) for n in range(initial)]
    print(f"{len(spaces)} workspaces ready in {time.monotonic() - started:.0f} s")

    browser = Client()
    browser.force_login(web_user)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}

    current_app.control.purge()
    env = {**os.environ, PROBE_DIR_ENV: str(probes.resolve())}
    celery = [sys.executable, "-m", "celery", "-A", "cmhub"]
    common = ["--without-gossip", "--without-mingle", "--loglevel=WARNING", "--include=bench.soak_probe"]
    port = free_port()
    processes = {
        "worker": start(
            [
                *celery,
                "worker",
                "--queues=default,send,publish,assistant",
                "--concurrency=2",
                "--hostname=soak@%h",
                *common,
            ],
            log,
            env,
        ),
        "poll worker": start(
            [
                *celery,
                "worker",
                "--queues=poll",
                "--pool=threads",
                "--concurrency=4",
                "--hostname=soakpoll@%h",
                *common,
            ],
            log,
            env,
        ),
        "beat": start(
            [*celery, "beat", f"--schedule={var / 'bench-soak-beat'}", "--loglevel=WARNING"], log, env
        ),
        "web": start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "cmhub.wsgi",
                "--workers=2",
                f"--bind=127.0.0.1:{port}",
                "--config=python:bench.soak_probe",
                "--log-level=warning",
            ],
            log,
            env,
        ),
    }
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    samples: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    load = Load(served, commands, f"http://127.0.0.1:{port}", cookies, web_user)
    load.spaces = spaces
    threads: list[threading.Thread] = []
    try:
        wait_listening(port, processes["web"])
        client = httpx.Client(base_url=load.base_url, cookies=cookies, timeout=30)
        t0 = time.monotonic()
        kinds = itertools.cycle(["inbox", "conversation", "search", "suggestions"])
        plans = [
            ("workspaces", lambda: load.grow(WORKSPACES, SECONDS / 2)),
            (
                "mentions",
                lambda: load.every(1 / RATE, lambda: load.mention(random.Random()), name="mentions"),
            ),
            (
                "replies",
                lambda: load.every(
                    1 / (RATE * REPLY_SHARE), lambda: load.reply(random.Random()), name="replies"
                ),
            ),
            ("posts", lambda: load.every(POST_EVERY_S, lambda: load.post(random.Random()), name="posts")),
            (
                "pages",
                lambda: load.every(
                    1 / PAGES_PER_S, lambda: load.pages(random.Random(), client, kinds), name="pages"
                ),
            ),
        ]
        for name, plan in plans:
            thread = threading.Thread(target=plan, name=f"soak-{name}", daemon=True)
            thread.start()
            threads.append(thread)
        next_sample = t0
        while (now := time.monotonic()) - t0 < SECONDS:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise SystemExit(
                        f"{name} exited ({process.returncode}) after {now - t0:.0f} s: see {log}"
                    )
            trees = {name: process.pid for name, process in processes.items() if name != "beat"}
            rss = {name: tree_rss_bytes(pid) for name, pid in trees.items()}
            alive = {pid for root in trees.values() for pid in tree_pids(root)}
            found = probe_reports(probes, alive)
            reports.extend(found)
            samples.append({"t": now - t0, "rss": rss, "queues": queue_depths(broker), "probes": len(found)})
            next_sample += SAMPLE_EVERY_S
            time.sleep(max(0.0, next_sample - time.monotonic()))
        end = time.monotonic() - t0
    finally:
        load.done.set()
        for thread in threads:
            thread.join(timeout=60)
        for process in processes.values():
            stop(process)
        halt.set()
    ended_at = timezone.now()
    written = {}
    for _ in NETWORKS:
        network, mentions, writes = out.get(timeout=60)
        written[network] = (mentions, writes)
    for fake in fakes:
        fake.join(timeout=30)

    # --- Figures ---
    ids = [space.pk for space in load.live()]
    inbound = Message.objects.filter(workspace_id__in=ids, direction=Message.Direction.IN)
    triaged = MessageTriage.objects.filter(message__workspace_id__in=ids).count()
    triaged_spaces = (
        MessageTriage.objects.filter(message__workspace_id__in=ids)
        .values("message__workspace_id")
        .distinct()
        .count()
    )
    outbound = Message.objects.filter(workspace_id__in=ids, direction=Message.Direction.OUT)
    replies = dict(outbound.values_list("send_status").annotate(n=Count("pk")).order_by())
    targets = PostTarget.objects.filter(post__workspace_id__in=ids)
    post_statuses = dict(targets.values_list("status").annotate(n=Count("pk")).order_by())
    cutoff = ended_at - dt.timedelta(seconds=BACKLOG_GRACE_S)
    posts_behind = (
        targets.filter(post__scheduled_at__lt=cutoff).exclude(status=PostTarget.Status.PUBLISHED).count()
    )
    replies_behind = (
        outbound.filter(created_at__lt=cutoff).exclude(send_status=Message.SendStatus.SENT).count()
    )
    print(
        f"load: {load.counts}; fakes: {written} (mentions written, writes received); "
        f"{inbound.count()} inbound messages stored, {triaged} triaged in {triaged_spaces} workspaces; "
        f"replies by status {replies}; post targets by status {post_statuses}"
    )
    if load.errors:
        print(f"{len(load.errors)} load errors, the first: {load.errors[:5]}")

    def series(kind: str, name: str) -> list[tuple[float, float]]:
        return [(s["t"], s[kind][name]) for s in samples]

    for name in ("worker", "poll worker", "web"):
        first, last = first_and_last(series("rss", name), warm_up=warm_up, window=window, end=end)
        grown = growth_pct(first, last)
        peak = max(s["rss"][name] for s in samples)
        print(
            f"{name:<12} RSS {first / 2**20:6.1f} MiB after warm-up -> {last / 2**20:6.1f} MiB at the end "
            f"({grown:+.1f} %), peak {peak / 2**20:.1f} MiB"
        )
        record(
            "soak",
            f"{name} memory growth after warm-up ({SECONDS / 60:.0f} min)",
            grown,
            "%",
            target=MEMORY_GROWTH_TARGET_PCT,
            note=f"median RSS {first / 2**20:.1f} -> {last / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB",
        )
    for name in (*QUEUES, "unacked"):
        first, last = first_and_last(series("queues", name), warm_up=warm_up, window=window, end=end)
        peak = max(s["queues"][name] for s in samples)
        print(f"queue {name:<10} median depth {first:.0f} -> {last:.0f}, max {peak}")
        record(
            "soak",
            f"queue {name}: depth rise, last window over first (median)",
            last - first,
            "tasks",
            target=QUEUE_SLACK,
            note=f"median {first:.0f} -> {last:.0f}, max {peak}",
        )
    for role in ("worker", "web"):
        caches = largest_caches([r for r in reports if r["role"] == role])
        for name, cache in caches.items():
            print(
                f"{role:<6} cache {name:<26} largest {cache['size']:>6} in {len(cache['processes'])} "
                f"processes, bound {cache['bound']}"
            )
            note = f"{len(cache['processes'])} processes"
            if name.startswith("FAQ"):
                note += f"; {triaged_spaces} workspaces triaged, {len(ids)} in all"
            record(
                "soak",
                f"{role} cache {name}: largest size",
                cache["size"],
                "entries",
                target=cache["bound"],
                note=note,
            )
    failures = load.page_failures
    print(
        f"pages: {load.counts['pages']} requests, {len(failures)} failed {failures[:5]}; "
        f"p50 {percentile(load.page_ms or [0], 50):.0f} ms, p95 {percentile(load.page_ms or [0], 95):.0f} ms"
    )
    record(
        "soak", "web requests failed", len(failures), "requests", target=0, note=f"of {load.counts['pages']}"
    )
    if load.page_ms:
        record(
            "soak", "web page p95 under the soak", percentile(load.page_ms, 95), "ms", note="inbox, search"
        )
    record(
        "soak",
        f"post targets not published {BACKLOG_GRACE_S} s after due",
        posts_behind,
        "targets",
        target=0,
        note=f"{post_statuses}",
    )
    record(
        "soak",
        f"replies not sent {BACKLOG_GRACE_S} s after written",
        replies_behind,
        "replies",
        target=0,
        note=f"{replies}",
    )
    record(
        "soak",
        "load errors (bench side)",
        len(load.errors),
        "errors",
        target=0,
        note="; ".join(load.errors[:3]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
