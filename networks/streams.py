"""The stream consumer (`manage.py run_streams`): one long-lived process that keeps every streaming
connection the connected channels call for open (Mastodon's user stream per channel, one Jetstream
connection for all Bluesky channels), and stores what they push through the webhook path.

Streams are accelerators. What they carry lands in the inbox within seconds; everything they miss (the
process was down, a connection dropped, a frame was malformed) the poll still finds, because the poll's
cursor never depended on them. So this process can be stopped, restarted or run twice (two copies store
each item once: the unique (channel, external_id) constraint), and a broken stream only makes the inbox
as slow as polling.

Every `RECONCILE_EVERY` seconds the supervisor lists the sources the active channels want (each provider
class builds its own: `Provider.stream_sources`), starts those not running, and stops those no longer
wanted or whose channels or credentials changed. Each source runs in its own thread; a connection that fails
is retried with exponential backoff and jitter, capped at `BACKOFF_CEILING`, and its state (connected,
last event, reconnects, last error, cursor) is kept in StreamState for the health page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from django.db import DatabaseError, close_old_connections, connection
from django.db.models import F
from django.utils import timezone

from core.http import make_client
from networks import registry
from networks.models import Channel, StreamState
from networks.providers.streaming import StreamBatch, StreamSource, StreamTarget
from networks.webhooks.processing import pushed_events_apply

log = logging.getLogger(__name__)

#: How often the wanted sources are compared with the running ones (a channel connected or paused).
RECONCILE_EVERY = 15.0
#: The first wait after a failed connection, doubled at each failure in a row, up to the ceiling.
BACKOFF_FLOOR = 1.0
BACKOFF_CEILING = 300.0
#: A connection that stayed up this long was healthy: its next failure starts the backoff again.
HEALTHY_AFTER = dt.timedelta(minutes=1)


@contextlib.contextmanager
def _one_connection() -> Iterator[None]:
    """Database work from a stream thread, on a connection closed right after: a consumer with a thread per
    channel would otherwise hold one idle connection per channel for days (PostgreSQL's max_connections
    is a few hundred), and one the server dropped meanwhile would fail the next event."""
    try:
        yield
    finally:
        connection.close()


def backoff(failures: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after `failures` failed connections in a row: doubling from the floor, capped,
    with up to 25% jitter either way (a server back from an outage is not hit by every client at once)."""
    base = min(BACKOFF_CEILING, BACKOFF_FLOOR * 2 ** max(0, failures - 1))
    return max(BACKOFF_FLOOR, base * (0.75 + rand() / 2))


def wanted_sources() -> list[StreamSource]:
    """The sources the active channels call for, built by their networks' providers."""
    targets: dict[str, list[StreamTarget]] = defaultdict(list)
    streaming = [n for n in registry.SPECS if registry.streams(n)]
    channels = Channel.objects.filter(status=Channel.Status.ACTIVE, network__in=streaming).order_by("pk")
    for channel in channels:
        try:
            account = registry.account_of(channel)
        except Exception:
            # Credentials no key opens (keys dropped without a rotation): that channel only stays dark.
            log.exception("stream target unreadable", extra={"channel": channel.pk})
            continue
        targets[channel.network].append(StreamTarget(channel.pk, account))
    sources: list[StreamSource] = []
    for network, group in targets.items():
        try:
            sources += registry.provider_class(network).stream_sources(group)
        except Exception:
            # One network's bug must not keep the others' streams closed.
            log.exception("stream sources could not be built", extra={"network": network})
    return sources


class SourceRunner(threading.Thread):
    """Keeps one source connected until told to stop."""

    def __init__(self, source: StreamSource, *, http_factory: Callable[[], httpx.Client]):
        super().__init__(name=f"stream {source.key}", daemon=True)
        self.source = source
        self.http_factory = http_factory
        self.stop_event = threading.Event()
        self.failures = 0
        self._connected_at: dt.datetime | None = None

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                self._connect_once()
                if self.stop_event.is_set():
                    break
                self.stop_event.wait(backoff(self.failures))
        finally:
            self._save(disconnected_at=timezone.now())

    def _connect_once(self) -> None:
        self._connected_at = None
        try:
            with _one_connection():
                state = self._state()
            with self.http_factory() as http:
                self.source.run(
                    http=http,
                    cursor=dict(state.cursor or {}),
                    emit=self._emit,
                    connected=self._connected,
                    stop=self.stop_event,
                )
            if self.stop_event.is_set():
                return
            error = "The server closed the stream."
        except Exception as exc:
            if self.stop_event.is_set():
                return
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.info("stream dropped", extra={"stream": self.source.key, "error": error})
        now = timezone.now()
        if self._connected_at is not None and now - self._connected_at >= HEALTHY_AFTER:
            self.failures = 0
        self.failures += 1
        self._save(disconnected_at=now, last_error=error, last_error_at=now, reconnects=F("reconnects") + 1)

    def _connected(self) -> None:
        now = timezone.now()
        self._connected_at = now
        self._save(connected_at=now, disconnected_at=None, heartbeat_at=now)

    def _emit(self, batch: StreamBatch) -> None:
        now = timezone.now()
        try:
            with _one_connection():
                stored = pushed_events_apply(batch.events, streamed=True) if batch.events else 0
        except DatabaseError:
            raise  # the database is away: reconnect later from the stored cursor, and store them then
        except Exception:
            # A batch we cannot store (a bug, a payload no parser expected) must not come back forever:
            # it is logged and passed over, and the poll, which never depended on the stream, brings it.
            log.exception("streamed batch not stored", extra={"stream": self.source.key})
            stored = 0
        fields: dict[str, Any] = {"heartbeat_at": now}
        if batch.events:
            fields.update(
                last_event_at=now, events=F("events") + len(batch.events), stored=F("stored") + stored
            )
        if batch.cursor is not None:
            # After the events are stored: a crash in between replays them, which stores nothing twice.
            fields["cursor"] = batch.cursor
        self._save(**fields)

    def _state(self) -> StreamState:
        state, _created = StreamState.objects.get_or_create(
            key=self.source.key, defaults={"network": str(self.source.network)}
        )
        if state.channel_ids != list(self.source.channel_ids):
            state.channel_ids = list(self.source.channel_ids)
            state.save(update_fields=["channel_ids"])
        return state

    def _save(self, **fields: Any) -> None:
        try:
            with _one_connection():
                StreamState.objects.filter(key=self.source.key).update(**fields)
        except Exception:
            log.exception("stream state not saved", extra={"stream": self.source.key})


class Supervisor:
    """Starts, keeps and stops the source threads; `run` until `stop` is set (SIGTERM, Ctrl-C)."""

    def __init__(
        self,
        *,
        http_factory: Callable[[], httpx.Client] | None = None,
        reconcile_every: float = RECONCILE_EVERY,
        sources: Callable[[], list[StreamSource]] = wanted_sources,
        stop_timeout: float = 10.0,
    ) -> None:
        # Streams hold a read open for minutes: the default read timeout would end every quiet one.
        self.http_factory = http_factory or (lambda: make_client(timeout=httpx.Timeout(10.0, read=60.0)))
        self.reconcile_every = reconcile_every
        self.sources = sources
        self.stop_timeout = stop_timeout  # how long a runner told to stop is waited for
        self.stop_event = threading.Event()
        self.runners: dict[str, SourceRunner] = {}
        #: Runners told to stop that have not ended yet (a read blocked past its timeout): their key is
        #: not opened again until they have, so two threads never share a stream's state and cursor.
        self.draining: dict[str, SourceRunner] = {}

    def reconcile(self) -> None:
        close_old_connections()  # the supervisor's own connection lives as long as the process
        wanted = {source.key: source for source in self.sources()}
        for key, runner in list(self.runners.items()):
            source = wanted.get(key)
            if source is None or not runner.source.same_as(source) or not runner.is_alive():
                runner.stop()
                runner.join(timeout=self.stop_timeout)
                del self.runners[key]
                if runner.is_alive():
                    self.draining[key] = runner
        self.draining = {key: runner for key, runner in self.draining.items() if runner.is_alive()}
        for key, source in wanted.items():
            if key not in self.runners and key not in self.draining:
                runner = SourceRunner(source, http_factory=self.http_factory)
                self.runners[key] = runner
                runner.start()
        # The health page tells a quiet stream from one nobody consumes by this.
        StreamState.objects.filter(key__in=list(self.runners)).update(heartbeat_at=timezone.now())

    def run(self) -> None:
        log.info("stream consumer started")
        try:
            while not self.stop_event.is_set():
                try:
                    self.reconcile()
                except Exception:
                    log.exception("stream reconcile failed")  # the database is down: try again later
                self.stop_event.wait(self.reconcile_every)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.stop_event.set()
        everyone = [*self.runners.values(), *self.draining.values()]
        for runner in everyone:
            runner.stop()
        for runner in everyone:
            runner.join(timeout=self.stop_timeout)
        self.runners.clear()
        self.draining.clear()
