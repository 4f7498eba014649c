"""The Mastodon stream source over real HTTP against MastodonFake's SSE endpoint: mentions pushed as items
within a second, everything else as a poll request, `stop` honoured while the stream is quiet."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from core.http import make_client
from networks.fakes.mastodon import MastodonFake
from networks.providers.base import Account, AuthExpired, Credentials, ItemKind, Network
from networks.providers.mastodon import MastodonProvider
from networks.providers.mastodon_auth import qualified_id
from networks.providers.mastodon_stream import MastodonStream, sse_events
from networks.providers.streaming import StreamBatch, StreamTarget
from networks.providers.webhooks_base import Hint


class Running:
    def __init__(self, source: MastodonStream):
        self.source = source
        self.batches: list[StreamBatch] = []
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.http = make_client(timeout=5)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.source.run(
                http=self.http,
                cursor={},
                emit=self.batches.append,
                connected=self.connected.set,
                stop=self.stop,
            )
        except BaseException as exc:
            self.error = exc

    def events(self) -> list:
        return [event for batch in self.batches for event in batch.events]

    def wait_for(self, count: int, seconds: float) -> float:
        start = time.monotonic()
        while len(self.events()) < count and time.monotonic() - start < seconds:
            time.sleep(0.01)
        return time.monotonic() - start


@pytest.fixture
def fake() -> Iterator[MastodonFake]:
    with MastodonFake(heartbeat_seconds=0.3) as server:
        yield server


def _source(fake: MastodonFake, token: str, brand: str, *, streaming_url: str = "") -> MastodonStream:
    account = Account(
        Network.MASTODON,
        qualified_id(brand, fake.base_url),
        fake.base_url,
        Credentials(token),
        server_limits={"streaming_url": streaming_url},
    )
    return MastodonStream(StreamTarget(channel_id=7, account=account))


@pytest.fixture
def running(fake: MastodonFake) -> Iterator[tuple[Running, MastodonFake, str, str]]:
    brand, ada = fake.add_account("bakery"), fake.add_account("ada")
    token = fake.issue_token(brand)["access_token"]
    run = Running(_source(fake, token, brand, streaming_url=fake.base_url.replace("http", "ws", 1)))
    run.thread.start()
    assert run.connected.wait(3)
    yield run, fake, brand, ada
    run.stop.set()
    run.thread.join(5)
    run.http.close()


def test_a_mention_is_emitted_as_a_complete_item_within_a_second(running) -> None:
    run, fake, brand, ada = running
    ours = fake.create_status(brand, "Le pain du jour")
    status = fake.add_mention(brand, ada, "Il en reste ?", in_reply_to=ours)

    assert run.wait_for(1, 1.0) < 1.0
    (event,) = run.events()
    assert event.hint == Hint.STORE and event.account_id == qualified_id(brand, fake.base_url)
    assert event.item.author.external_id == qualified_id(ada, fake.base_url)
    assert event.item.external_id == status and event.item.kind == ItemKind.REPLY
    assert event.item.thread_root_external_id == ours  # the same reading as the poll, /context included
    assert run.batches[0].cursor is None


def test_a_direct_message_asks_for_a_poll(running) -> None:
    run, fake, brand, ada = running
    fake.add_dm(brand, ada, "En privé")
    run.wait_for(1, 1.0)
    (event,) = run.events()
    assert event.hint == Hint.POLL and event.item is None


def test_stop_ends_a_quiet_stream_promptly(running) -> None:
    run, fake, brand, _ada = running
    time.sleep(0.8)  # heartbeats only
    assert run.events() == [] and fake.streams_open(brand) == 1
    run.stop.set()
    run.thread.join(1.0)
    assert not run.thread.is_alive() and run.error is None


def test_the_stream_and_the_poll_build_the_same_item(running) -> None:
    run, fake, brand, ada = running
    fake.add_mention(brand, ada, "Pareil ?", spoiler_text="question")
    run.wait_for(1, 1.0)
    streamed = run.events()[0].item
    account = run.source.target.account
    polled = MastodonProvider(account, http=run.http).poll(cursor={}).items[0]
    assert streamed == polled


def test_a_revoked_token_fails_the_connection_as_auth_expired(fake: MastodonFake) -> None:
    brand = fake.add_account("bakery")
    run = Running(_source(fake, "revoked", brand))
    run.thread.start()
    run.thread.join(3)
    assert isinstance(run.error, AuthExpired) and not run.connected.is_set()


def test_a_dropped_connection_is_raised_for_the_supervisor_to_reconnect(fake: MastodonFake) -> None:
    brand = fake.add_account("bakery")
    token = fake.issue_token(brand)["access_token"]
    run = Running(_source(fake, token, brand))
    run.thread.start()
    assert run.connected.wait(3)
    fake.stop()  # the server goes away
    run.thread.join(3)
    assert run.error is not None and not run.thread.is_alive()


def test_server_sent_events_are_read_as_the_specification_says() -> None:
    lines = [
        ":)",
        "event: notification",
        'data: {"a":',
        "data: 1}",
        "",
        ":thump",
        "data: x",
        "",
        "event: y",
        "",
    ]
    assert list(sse_events(iter(lines))) == [("notification", '{"a":\n1}'), ("message", "x")]


@pytest.mark.django_db(transaction=True)
def test_the_consumer_stores_a_streamed_mention_in_the_inbox_within_seconds(
    fake: MastodonFake, workspace
) -> None:
    """The whole push path: the channel's source built by the provider class, run by networks.streams,
    stored through the webhook path, once, while the poll is not due."""
    import datetime as dt

    from django.utils import timezone

    from inbox.models import Message
    from networks import registry, services
    from networks.models import Channel, StreamState
    from networks.streams import SourceRunner

    brand, ada = fake.add_account("bakery", "Bakery"), fake.add_account("ada", "Ada")
    token = fake.issue_token(brand)["access_token"]
    channel = services.channel_connect(
        workspace=workspace,
        network="mastodon",
        external_id=qualified_id(brand, fake.base_url),
        name="Bakery",
        api_base_url=fake.base_url,
        credentials=Credentials(token),
        by=None,
    )
    Channel.objects.filter(pk=channel.pk).update(next_poll_at=timezone.now() + dt.timedelta(minutes=5))
    (source,) = MastodonProvider.stream_sources([StreamTarget(channel.pk, registry.account_of(channel))])
    runner = SourceRunner(source, http_factory=lambda: make_client(timeout=5))
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while not StreamState.objects.filter(key=source.key, connected_at__isnull=False).exists():
            assert time.monotonic() < deadline, "the stream never connected"
            time.sleep(0.05)
        status = fake.add_mention(brand, ada, "Des croissants ce matin ?")
        started = time.monotonic()
        while not Message.objects.filter(channel=channel, external_id=status).exists():
            assert time.monotonic() - started < 3, "the mention never reached the inbox"
            time.sleep(0.05)
    finally:
        runner.stop()
        runner.join(timeout=10)
    assert Message.objects.filter(channel=channel).count() == 1
    assert StreamState.objects.get(key=source.key).network == "mastodon"
    channel.refresh_from_db()
    assert channel.next_poll_at > timezone.now() + dt.timedelta(minutes=4)  # no poll spent on it


@pytest.mark.django_db
def test_a_streamed_mention_lands_only_in_the_channel_of_its_instance(workspace, other_workspace) -> None:
    """Account "1" on a.example and account "1" on b.example are two accounts: what A's stream emits never
    reaches B's workspace (review finding 1)."""
    import datetime as dt

    from django.utils import timezone

    from inbox.models import Message
    from networks.models import Channel
    from networks.webhooks.processing import pushed_events_apply

    later = timezone.now() + dt.timedelta(hours=1)
    channels = {
        host: Channel.objects.create(
            workspace=ws,
            network="mastodon",
            external_id=qualified_id("1", f"https://{host}"),
            name=host,
            api_base_url=f"https://{host}",
            next_poll_at=later,
        )
        for host, ws in (("a.example", workspace), ("b.example", other_workspace))
    }
    a = channels["a.example"]
    account = Account(Network.MASTODON, a.external_id, a.api_base_url, Credentials("t"))
    source = MastodonStream(StreamTarget(channel_id=a.pk, account=account))
    status = {
        "id": "1099",
        "created_at": "2026-12-01T10:00:00.000Z",
        "visibility": "public",
        "content": "<p>secret for brand A</p>",
        "account": {"id": "42", "username": "fan", "acct": "fan@c.example"},
        "mentions": [{"id": "1", "acct": "brand"}],
    }
    event = source._event(
        MastodonProvider(account, http=make_client(timeout=1)),
        "notification",
        json.dumps({"id": "5", "type": "mention", "status": status}),
    )
    assert event is not None and event.account_id == "1@a.example"
    assert event.item is not None and event.item.author.external_id == "42@a.example"
    pushed_events_apply([event], streamed=True)
    assert list(Message.objects.filter(conversation__channel=channels["b.example"])) == []
    assert Message.objects.get(conversation__channel=a).text == "secret for brand A"


@pytest.mark.parametrize(
    ("streaming_url", "expected"),
    [
        ("wss://streaming.example", "https://streaming.example/api/v1/streaming/user/notification"),
        ("https://Streaming.Example:443/", "https://streaming.example/api/v1/streaming/user/notification"),
        # in clear, another port, credentials in the URL, garbage: the instance's own address
        ("ws://streaming.example", "https://social.example/api/v1/streaming/user/notification"),
        ("http://streaming.example", "https://social.example/api/v1/streaming/user/notification"),
        ("wss://streaming.example:8443", "https://social.example/api/v1/streaming/user/notification"),
        ("wss://u:p@streaming.example", "https://social.example/api/v1/streaming/user/notification"),
        ("wss://streaming.example:99999", "https://social.example/api/v1/streaming/user/notification"),
        ("ftp://streaming.example", "https://social.example/api/v1/streaming/user/notification"),
        # a host the operator listed (CMHUB_ALLOWED_API_HOSTS: a self-hosted instance, the fakes)
        ("ws://127.0.0.1:4000", "http://127.0.0.1:4000/api/v1/streaming/user/notification"),
        ("ws://10.0.0.5:4000", "https://social.example/api/v1/streaming/user/notification"),
    ],
)
def test_the_token_goes_to_a_streaming_host_over_https_or_one_the_operator_listed(
    streaming_url: str, expected: str, settings
) -> None:
    """The streaming URL is what the instance says of itself: never the token in clear (review finding 7)."""
    settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1"]
    account = Account(
        Network.MASTODON,
        "1@social.example",
        "https://social.example",
        Credentials("t"),
        server_limits={"streaming_url": streaming_url},
    )
    assert MastodonStream(StreamTarget(channel_id=1, account=account)).url == expected


def test_a_mention_whose_thread_cannot_be_read_now_is_left_to_the_poll_and_the_stream_goes_on(
    running,
) -> None:
    """A rate limit or a 5xx on /context must not end the connection (review finding 9)."""
    from networks.fakes.base import Fault, Response

    run, fake, brand, ada = running
    ours = fake.create_status(brand, "Le pain du jour")
    fake.inject(Fault(r"/context$", response=Response(503, {"error": "Busy"}), times=5))
    fake.add_mention(brand, ada, "Il en reste ?", in_reply_to=ours)
    run.wait_for(1, 2.0)
    fake.reset_faults()
    later = fake.add_mention(brand, ada, "Et demain ?")
    run.wait_for(2, 2.0)
    assert run.error is None and run.thread.is_alive()
    first, second = run.events()
    assert first.hint == Hint.POLL and first.item is None
    assert second.hint == Hint.STORE and second.item.external_id == later


def test_a_streamed_event_beyond_a_megabyte_is_refused() -> None:
    huge = ["event: notification", *["data: " + "x" * 100_000] * 11, ""]
    with pytest.raises(ValueError):
        list(sse_events(iter(huge)))
    fine = ["event: notification", *["data: " + "x" * 100_000] * 10, "", "data: y", ""]
    assert [name for name, _ in sse_events(iter(fine))] == ["notification", "message"]


def test_the_thread_roots_kept_over_a_connection_are_bounded(fake: MastodonFake, monkeypatch) -> None:
    from networks.providers import mastodon

    monkeypatch.setattr(mastodon, "ROOTS_KEPT", 3)
    brand, ada = fake.add_account("bakery"), fake.add_account("ada")
    token = fake.issue_token(brand)["access_token"]
    account = Account(Network.MASTODON, qualified_id(brand, fake.base_url), fake.base_url, Credentials(token))
    with make_client(timeout=5) as http:
        reader = MastodonProvider(account, http=http)
        for n in range(6):
            ours = fake.create_status(brand, f"Post {n}")
            reply = fake.add_mention(brand, ada, "?", in_reply_to=ours)
            assert (
                reader.mention_item(fake.status_entity(fake.statuses[reply])).thread_root_external_id == ours
            )
    assert len(reader._roots) == 3
