"""What /metrics exposes: the figures read at scrape time (``StateCollector``, ``QueueCollector``) and the
one process metric (request latency). See ops/__init__.py for why each figure lives where it does."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Min, QuerySet
from django.utils import timezone as tz
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inbox.models import Message
from networks.models import Channel, PollRun, WebhookDelivery
from ops.signals import PUBLISHED_AT_HEADER
from posts.models import PostTarget

# Served by whichever process answered the request; merged across gunicorn workers in multiprocess mode.
REQUEST_LATENCY = Histogram(
    "cmhub_request_duration_seconds",
    "Time to answer a request, by view (the URL pattern's name, never the raw path) and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Statuses whose rows only accumulate (a sent reply, a published target): counting them would read most
# of the table on every scrape, and no alert needs them.
_REPLY_STATES = [s for s in Message.SendStatus.values if s != Message.SendStatus.SENT]
_TARGET_STATES = [
    s for s in PostTarget.Status.values if s not in (PostTarget.Status.PUBLISHED, PostTarget.Status.CANCELLED)
]


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CMHUB_METRICS_WINDOW)


class StateCollector(Collector):
    """Figures recorded as rows by whichever process did the work: one query each, on an index."""

    def collect(self) -> Iterator[Metric]:
        now = tz.now()
        since = now - _window()
        window = str(settings.CMHUB_METRICS_WINDOW)
        networks = sorted(set(Channel.objects.values_list("network", flat=True).order_by().distinct()))

        lag = GaugeMetricFamily(
            "cmhub_poll_lag_seconds",
            "Now minus the oldest due next_poll_at of an active channel, per network (0: nothing overdue).",
            labels=["network"],
        )
        # WHERE status='active' AND next_poll_at <= now: the channel_due_per_network index, due channels only.
        due = dict(
            Channel.objects.due(now)
            .values("network")
            .annotate(oldest=Min("next_poll_at"))
            .order_by()
            .values_list("network", "oldest")
        )
        for network in sorted(set(networks) | set(due)):
            oldest = due.get(network)
            lag.add_metric([network], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield lag

        polls = GaugeMetricFamily(
            "cmhub_polls",
            "Polls started in the last `window` seconds, by network and outcome.",
            labels=["network", "outcome", "window"],
        )
        rows = (
            PollRun.objects.filter(started_at__gte=since)
            .values_list("channel__network", "outcome")
            .annotate(n=Count("id"))
            .order_by()
        )
        for network, outcome, n in rows:
            polls.add_metric([network, outcome, window], n)
        yield polls

        lateness = GaugeMetricFamily(
            "cmhub_poll_lateness_seconds",
            "How late polls started in the last `window` seconds began (start minus when the dispatcher "
            "found the channel due), mean and max per network: what says more poll workers are needed.",
            labels=["network", "stat", "window"],
        )
        late = ExpressionWrapper(F("started_at") - F("due_at"), output_field=DurationField())
        rows = (
            PollRun.objects.filter(started_at__gte=since, due_at__isnull=False)
            .values("channel__network")
            .annotate(mean=Avg(late), most=Max(late))
            .order_by()
            .values_list("channel__network", "mean", "most")
        )
        for network, mean, most in rows:
            lateness.add_metric([network, "mean", window], max(mean.total_seconds(), 0.0) if mean else 0.0)
            lateness.add_metric([network, "max", window], max(most.total_seconds(), 0.0) if most else 0.0)
        yield lateness

        # The msg_send_queue partial index holds outbound replies only, send_status first.
        replies = _by_status(
            "cmhub_replies",
            "Outbound replies by send status (sent ones are not counted: they only accumulate).",
            Message.objects.filter(send_status__in=_REPLY_STATES).values_list("send_status"),
            _REPLY_STATES,
        )
        yield replies
        targets = _by_status(
            "cmhub_publishes",
            "Post targets (one post on one channel) by status (published and cancelled ones not counted).",
            PostTarget.objects.filter(status__in=_TARGET_STATES).values_list("status"),
            _TARGET_STATES,
        )
        yield targets

        ambiguous = GaugeMetricFamily(
            "cmhub_ambiguous_outcomes",
            "Sends the network did not confirm either way (status unknown): checked before any new attempt.",
            labels=["kind"],
        )
        ambiguous.add_metric(
            ["reply"], next(m for m in replies.samples if m.labels["status"] == "unknown").value
        )
        ambiguous.add_metric(
            ["publish"], next(m for m in targets.samples if m.labels["status"] == "unknown").value
        )
        yield ambiguous

        hooks = GaugeMetricFamily(
            "cmhub_webhook_deliveries",
            "Webhook deliveries received in the last `window` seconds, by network, status and refusal.",
            labels=["network", "status", "refusal", "window"],
        )
        hook_rows = (
            WebhookDelivery.objects.filter(received_at__gte=since)
            .values_list("network", "status", "refusal")
            .annotate(n=Count("id"))
            .order_by()
        )
        for network, status, refusal, n in hook_rows:
            hooks.add_metric([network, status, refusal, window], n)
        yield hooks


def _by_status(name: str, doc: str, rows: QuerySet[Any, Any], states: list[str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["status"])
    counts = dict(rows.annotate(n=Count("id")).order_by())
    for state in states:
        family.add_metric([state], counts.get(state, 0))
    return family


class QueueCollector(Collector):
    """Depth and oldest message age of each Celery queue, read from the broker itself."""

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "cmhub_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "cmhub_queue_oldest_age_seconds",
            "How long the oldest message in a Celery queue has waited (0: empty or no publish time).",
            labels=["queue"],
        )
        for queue, n, oldest in queue_state():
            depth.add_metric([queue], n)
            age.add_metric([queue], max(time.time() - oldest, 0.0) if oldest else 0.0)
        yield depth
        yield age


def queue_names() -> list[str]:
    return [q.name for q in settings.CELERY_TASK_QUEUES]


def queue_state() -> list[tuple[str, int, float | None]]:
    """(queue, depth, publish time of its oldest message as a Unix time, or None)."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return _filesystem_queues(Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])))
    if url.startswith(("redis://", "rediss://")):
        return _redis_queues(url)
    return []


def _redis_queues(url: str) -> list[tuple[str, int, float | None]]:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    out = []
    try:
        for queue in queue_names():
            # Kombu LPUSHes and BRPOPs: the oldest message is the list's last element.
            pipe = client.pipeline()
            pipe.llen(queue)
            pipe.lindex(queue, -1)
            n, tail = pipe.execute()
            out.append((queue, int(n), _published_at(tail)))
    finally:
        client.close()
    return out


def _published_at(raw: bytes | None) -> float | None:
    if not raw:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(PUBLISHED_AT_HEADER)
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def _filesystem_queues(folder: Path) -> list[tuple[str, int, float | None]]:
    # Kombu names each file "<monotonic ms>_<uuid>.<queue>.msg": the queue is after the first dot.
    found: dict[str, list[float]] = {q: [] for q in queue_names()}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        entries = []
    for entry in entries:
        queue = entry.name.partition(".")[2].removesuffix(".msg")
        if queue in found:
            try:
                found[queue].append(_file_published_at(entry))
            except FileNotFoundError:  # a worker took it meanwhile
                continue
    return [(q, len(times), min(times) if times else None) for q, times in found.items()]


def _file_published_at(entry: os.DirEntry[str]) -> float:
    with open(entry.path, "rb") as f:
        stamped = _published_at(f.read())
    return stamped if stamped is not None else entry.stat().st_mtime


def registry() -> CollectorRegistry:
    """A registry for one scrape: the database and broker collectors plus request latency, merged across
    processes when PROMETHEUS_MULTIPROC_DIR is set."""
    reg = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(reg)
    else:
        reg.register(REQUEST_LATENCY)
    reg.register(StateCollector())
    reg.register(QueueCollector())
    return reg
