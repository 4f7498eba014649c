"""The stream consumer (networks.streams): what a source pushes is stored once through the webhook path,
its state and cursor are kept, failed connections are retried with backoff, and sources follow the
channels (a paused channel's stream is closed, a changed one reopened).

The sources here are scripted stand-ins for a network's connection (the code under test is the supervisor,
not a network client): each network's own source is tested against its fake in that network's tests."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from typing import Any

import pytest
from django.utils import timezone

from inbox.models import Message
from networks.models import Channel, StreamState
from networks.providers import base as p
from networks.providers.streaming import StreamBatch, StreamSource
from networks.providers.webhooks_base import Hint, WebhookEvent
from networks.streams import BACKOFF_CEILING, BACKOFF_FLOOR, SourceRunner, Supervisor, backoff

pytestmark = pytest.mark.django_db(transaction=True)


def _item(n: int, account: str) -> p.EngagementItem:
    return p.EngagementItem(
        network=p.Network.X,
        external_id=f"streamed-{n}",
        kind=p.ItemKind.MENTION,
        text=f"Streamed mention {n}",
        created_at=timezone.now(),
        author=p.Author(external_id="fan-1", handle="fan", name="A Fan"),
        thread_root_external_id=f"streamed-{n}",
    )


class ScriptedSource(StreamSource):
    """Replays what the test puts in its queue: a StreamBatch to emit, an exception to raise (a dropped
    connection), or "close" (the server ended the stream)."""

    network = p.Network.X

    def __init__(self, key: str, channel_ids: tuple[int, ...] = (), *, token: str = "first") -> None:  # noqa: S107 - a stand-in credential
        self.key = key
        self.channel_ids = channel_ids
        self.token = token
        self.script: queue.Queue[Any] = queue.Queue()
        self.cursors: list[dict] = []
        self.runs = 0

    def fingerprint(self) -> tuple[Any, ...]:
        return (self.channel_ids, self.token)

    def run(self, *, http, cursor, emit, connected, stop) -> None:
        self.runs += 1
        self.cursors.append(cursor)
        connected()
        while not stop.is_set():
            try:
                step = self.script.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(step, Exception):
                raise step
            if step == "close":
                return
            emit(step)


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("the condition never held")


@pytest.fixture
def channel(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="brand-1",
        name="Brand",
        api_base_url="http://127.0.0.1:9",
        next_poll_at=timezone.now() + dt.timedelta(minutes=5),
    )


@pytest.fixture
def runner_for():
    started: list[SourceRunner] = []

    def start(source: StreamSource) -> SourceRunner:
        runner = SourceRunner(source, http_factory=lambda: _NoHTTP())
        started.append(runner)
        runner.start()
        return runner

    yield start
    for runner in started:
        runner.stop()
        runner.join(timeout=10)


class _NoHTTP:
    """The sources here make no HTTP call; a client context is all the runner hands them."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_streamed_item_is_stored_once_and_its_cursor_kept(channel, runner_for):
    source = ScriptedSource("x:test", (channel.pk,))
    runner_for(source)
    event = WebhookEvent(
        p.Network.X, "brand-1", Hint.STORE, "mention", timezone.now(), item=_item(1, "brand-1")
    )
    source.script.put(StreamBatch([event], cursor={"position": 41}))
    source.script.put(StreamBatch([event], cursor={"position": 42}))  # at-least-once: the same item again
    _wait(lambda: StreamState.objects.filter(key="x:test", events=2).exists())

    assert Message.objects.filter(channel=channel, external_id="streamed-1").count() == 1
    state = StreamState.objects.get(key="x:test")
    assert state.cursor == {"position": 42}
    # Both copies went through storage (which kept one message), as webhook deliveries count theirs.
    assert (state.events, state.stored, state.channel_ids, state.network) == (2, 2, [channel.pk], "x")
    assert state.connected_at is not None and state.last_event_at is not None
    # A complete item needs no poll: the stream must not spend the network's rate limit on one.
    channel.refresh_from_db()
    assert channel.next_poll_at > timezone.now() + dt.timedelta(minutes=4)


def test_an_event_that_only_summarises_makes_the_channel_due(channel, runner_for):
    source = ScriptedSource("x:test", (channel.pk,))
    runner_for(source)
    source.script.put(
        StreamBatch([WebhookEvent(p.Network.X, "brand-1", Hint.POLL, "edited", timezone.now())])
    )
    _wait(lambda: StreamState.objects.filter(key="x:test", events=1).exists())
    channel.refresh_from_db()
    assert channel.next_poll_at <= timezone.now()


def test_a_dropped_connection_is_retried_from_the_stored_cursor(channel, runner_for, monkeypatch):
    monkeypatch.setattr("networks.streams.backoff", lambda failures: 0.01)
    source = ScriptedSource("x:test", (channel.pk,))
    runner_for(source)
    source.script.put(StreamBatch([], cursor={"position": 7}))
    source.script.put(ConnectionResetError("connection reset by peer"))
    _wait(lambda: source.runs >= 2)
    source.script.put("close")
    _wait(lambda: source.runs >= 3)

    assert source.cursors[1] == {"position": 7} and source.cursors[2] == {"position": 7}
    state = StreamState.objects.get(key="x:test")
    assert state.reconnects >= 2
    assert "connection reset by peer" in state.last_error or "closed the stream" in state.last_error


def test_backoff_doubles_with_jitter_up_to_the_ceiling():
    low, high = (lambda: 0.0), (lambda: 1.0)
    assert backoff(1, rand=low) == BACKOFF_FLOOR
    assert backoff(4, rand=high) == pytest.approx(8 * BACKOFF_FLOOR * 1.25)
    assert backoff(30, rand=high) == pytest.approx(BACKOFF_CEILING * 1.25)
    assert backoff(30, rand=low) == pytest.approx(BACKOFF_CEILING * 0.75)


def test_sources_follow_the_channels(channel):
    wanted: list[StreamSource] = [ScriptedSource("x:a", (channel.pk,))]
    supervisor = Supervisor(http_factory=lambda: _NoHTTP(), sources=lambda: list(wanted))
    try:
        supervisor.reconcile()
        first = supervisor.runners["x:a"]
        _wait(lambda: first.source.runs == 1)

        supervisor.reconcile()  # nothing changed: the same connection stays open
        assert supervisor.runners["x:a"] is first

        wanted[:] = [ScriptedSource("x:a", (channel.pk,), token="rotated")]
        supervisor.reconcile()  # new credentials: closed and opened anew
        second = supervisor.runners["x:a"]
        assert second is not first and not first.is_alive()

        wanted[:] = []
        supervisor.reconcile()  # the channel was paused: its stream is closed
        assert supervisor.runners == {} and not second.is_alive()
        assert StreamState.objects.get(key="x:a").disconnected_at is not None
    finally:
        supervisor.shutdown()


def test_the_consumer_stops_when_asked(channel):
    supervisor = Supervisor(
        http_factory=lambda: _NoHTTP(),
        sources=lambda: [ScriptedSource("x:a", (channel.pk,))],
        reconcile_every=0.05,
    )
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    _wait(lambda: "x:a" in supervisor.runners)
    supervisor.stop_event.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and supervisor.runners == {}


def test_a_network_whose_sources_fail_to_build_leaves_the_others_running(channel, monkeypatch):
    from networks import streams
    from networks.providers.x import XProvider

    def broken(cls, targets):
        raise RuntimeError("a bug in one provider")

    monkeypatch.setattr(XProvider, "stream_sources", classmethod(broken))
    assert streams.wanted_sources() == []


def _bluesky_channel(workspace, did: str = "did:plc:brandbrandbrandbrandbran") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        external_id=did,
        name="The Brand",
        handle="brand.example.com",
        api_base_url="http://127.0.0.1:9",
    )


def test_the_health_page_says_whether_a_channels_stream_is_live(owner_client, workspace):
    channel = _bluesky_channel(workspace)
    page = owner_client.get("/w/acme/channels/").content.decode()
    assert "Stream not running" in page  # nobody consumes it yet: the poll alone brings messages

    now = timezone.now()
    state = StreamState.objects.create(
        key="bluesky:jetstream",
        network="bluesky",
        channel_ids=[channel.pk],
        connected_at=now - dt.timedelta(minutes=3),
        last_event_at=now - dt.timedelta(seconds=20),
        heartbeat_at=now,
    )
    page = owner_client.get("/w/acme/channels/").content.decode()
    assert "Streaming" in page and "Last event" in page and "Stream not running" not in page

    state.disconnected_at = now
    state.last_error = "ConnectionClosedError: no close frame received"
    state.save()
    page = owner_client.get("/w/acme/channels/").content.decode()
    assert "Stream reconnecting" in page and "no close frame received" in page

    StreamState.objects.filter(pk=state.pk).update(heartbeat_at=now - dt.timedelta(minutes=10))
    assert "Stream not running" in owner_client.get("/w/acme/channels/").content.decode()


def test_networks_that_do_not_stream_show_their_webhooks_as_before(owner_client, workspace, channel):
    page = owner_client.get("/w/acme/channels/").content.decode()
    assert "Stream not running" not in page and "Polled only" in page


def test_the_bluesky_channels_ask_for_one_jetstream_connection(workspace):
    from networks import streams

    first = _bluesky_channel(workspace)
    sources = streams.wanted_sources()
    assert [(s.network, s.channel_ids) for s in sources] == [("bluesky", (first.pk,))]
    first.status = Channel.Status.PAUSED
    first.save()
    assert streams.wanted_sources() == []


def test_a_batch_that_cannot_be_stored_is_passed_over_not_replayed_forever(channel, runner_for, monkeypatch):
    """A payload no parser expected (or a bug) must not stop the stream: the poll brings what it carried."""

    def broken(events, *, streamed):
        raise OverflowError("date value out of range")

    monkeypatch.setattr("networks.streams.pushed_events_apply", broken)
    source = ScriptedSource("x:test", (channel.pk,))
    runner_for(source)
    event = WebhookEvent(
        p.Network.X, "brand-1", Hint.STORE, "mention", timezone.now(), item=_item(1, "brand-1")
    )
    source.script.put(StreamBatch([event], cursor={"position": 9}))
    _wait(lambda: StreamState.objects.filter(key="x:test", cursor={"position": 9}).exists())
    assert source.runs == 1  # the connection stayed up
    assert StreamState.objects.get(key="x:test").reconnects == 0


def test_an_item_a_push_names_that_cannot_be_read_leaves_the_others_and_makes_the_poll_due(
    channel, monkeypatch
):
    from networks.webhooks import processing

    class Provider:
        def read_pushed(self, what, refs):
            if refs["uri"] == "poison":
                raise OverflowError("date value out of range")
            return _item(2, "brand-1")

    monkeypatch.setattr(processing, "provider_for", lambda channel: Provider())
    at = timezone.now()
    events = [
        WebhookEvent(p.Network.X, "brand-1", Hint.READ, "mention", at, refs={"uri": "poison"}),
        WebhookEvent(p.Network.X, "brand-1", Hint.READ, "mention", at, refs={"uri": "fine"}),
    ]
    processing.pushed_events_apply(events, streamed=True)
    assert Message.objects.filter(channel=channel, external_id="streamed-2").exists()
    channel.refresh_from_db()
    assert channel.next_poll_at <= timezone.now()  # the unread one is the poll's to bring


class StubbornSource(ScriptedSource):
    """A connection whose read outlives its stop: blocked until the test lets it go."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()

    def run(self, *, http, cursor, emit, connected, stop) -> None:
        self.runs += 1
        connected()
        self.release.wait(20)


def test_a_stream_that_does_not_stop_in_time_is_not_opened_twice(channel):
    stubborn = StubbornSource("x:a", (channel.pk,))
    wanted: list[StreamSource] = [stubborn]
    supervisor = Supervisor(http_factory=lambda: _NoHTTP(), sources=lambda: list(wanted), stop_timeout=0.05)
    try:
        supervisor.reconcile()
        _wait(lambda: stubborn.runs == 1)
        replacement = ScriptedSource("x:a", (channel.pk,), token="rotated")
        wanted[:] = [replacement]
        supervisor.reconcile()  # the old connection is told to stop, and does not yet
        supervisor.reconcile()
        assert "x:a" not in supervisor.runners and replacement.runs == 0

        stubborn.release.set()
        _wait(lambda: not supervisor.draining["x:a"].is_alive())
        supervisor.reconcile()
        _wait(lambda: replacement.runs == 1)
    finally:
        stubborn.release.set()
        supervisor.shutdown()


def test_a_channel_whose_credentials_cannot_be_read_leaves_the_others_streaming(workspace, monkeypatch):
    from networks import registry, streams

    readable = _bluesky_channel(workspace)
    unreadable = _bluesky_channel(workspace, "did:plc:unreadableunreadableunre")
    account_of = registry.account_of

    def picky(channel):
        if channel.pk == unreadable.pk:
            raise ValueError("no key opens these credentials")
        return account_of(channel)

    monkeypatch.setattr(registry, "account_of", picky)
    [source] = streams.wanted_sources()
    assert source.channel_ids == (readable.pk,)
