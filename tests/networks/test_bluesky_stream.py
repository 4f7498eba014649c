"""Bluesky Jetstream: JetstreamSource against the fake's Jetstream over a real WebSocket."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from networks.fakes.bluesky import BlueskyFake, JetstreamFake
from networks.providers.base import Account, Credentials, Network
from networks.providers.bluesky import BlueskyProvider
from networks.providers.streaming import StreamBatch, StreamTarget
from networks.providers.webhooks_base import Hint

BRAND = "did:plc:brandbrandbrandbrandbran"
OTHER_BRAND = "did:plc:otherotherotherotheroth"
ALICE = "did:plc:alicealicealicealicealic"


@pytest.fixture
def fake() -> Iterator[BlueskyFake]:
    jetstream = JetstreamFake().start()
    with BlueskyFake() as fake:
        fake.jetstream = jetstream
        fake.add_account(BRAND, "brand.example.com")
        fake.add_account(ALICE, "alice.bsky.social")
        yield fake
    jetstream.stop()


def target(did: str, channel_id: int) -> StreamTarget:
    return StreamTarget(channel_id, Account(Network.BLUESKY, did, "http://pds.invalid", Credentials("t")))


class Running:
    def __init__(self, source, cursor=None):
        self.batches: list[StreamBatch] = []
        self.stop = threading.Event()
        self.up = threading.Event()
        self.error: BaseException | None = None

        def run():
            try:
                source.run(
                    http=None,
                    cursor=cursor or {},
                    emit=self.batches.append,
                    connected=self.up.set,
                    stop=self.stop,
                )
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.up.wait(5)

    def events(self):
        return [e for b in self.batches for e in b.events]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.events()) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> float:
        started = time.monotonic()
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive() and self.error is None
        return time.monotonic() - started


def test_one_source_for_all_channels_and_its_fingerprint_follows_the_dids():
    [source] = BlueskyProvider.stream_sources([target(BRAND, 1), target(OTHER_BRAND, 2)])
    [same] = BlueskyProvider.stream_sources([target(OTHER_BRAND, 2), target(BRAND, 1)])
    [fewer] = BlueskyProvider.stream_sources([target(BRAND, 1)])
    assert source.same_as(same) and not source.same_as(fewer)
    assert source.channel_ids == (1, 2)
    assert source.network == Network.BLUESKY  # the consumer files its state under it


def test_a_reply_and_a_mention_arrive_as_they_are_posted_and_the_rest_is_ignored(fake):
    [source] = BlueskyProvider.stream_sources([target(BRAND, 1)])
    source.url = fake.jetstream.url
    running = Running(source)
    ours = fake.add_post(BRAND, "our post")  # our own post: not engagement
    fake.add_post(ALICE, "unrelated")
    reply = fake.add_reply(ALICE, ours["uri"], "a reply")
    mention = fake.add_mention(ALICE, BRAND, "hey")
    running.wait_for(2)  # pushed, not polled: how fast is bench's to say, not a unit test's
    events = running.events()
    assert [(e.what, e.refs["uri"], e.hint, e.account_id) for e in events] == [
        ("reply", reply["uri"], Hint.READ, BRAND),
        ("mention", mention["uri"], Hint.READ, BRAND),
    ]
    assert running.batches[-1].cursor["time_us"] == fake.jetstream.events[-1]["time_us"]
    assert running.close() < 5  # stop is honoured while the stream is quiet (checked every second)


def test_resumes_from_its_cursor(fake):
    ours = fake.add_post(BRAND, "our post")
    early = fake.add_reply(ALICE, ours["uri"], "before the cut")
    cursor = {"time_us": fake.jetstream.events[-1]["time_us"] + 10_000_000}  # 10 s after: rewound 5 s only
    time.sleep(0.01)
    [source] = BlueskyProvider.stream_sources([target(BRAND, 1)])
    source.url = fake.jetstream.url
    assert "cursor=" in source.subscribe_url(cursor)
    replay_from = {"time_us": fake.jetstream.events[-1]["time_us"]}
    running = Running(source, cursor=replay_from)
    running.wait_for(1)
    assert [e.refs["uri"] for e in running.events()] == [early["uri"]]  # replayed: 5 s of rewind
    running.close()


def test_unreadable_messages_are_skipped():
    [source] = BlueskyProvider.stream_sources([target(BRAND, 1)])
    assert source.read("not json") == (None, [])
    assert source.read('{"kind":"commit","time_us":5,"commit":{"operation":"create"}}') == (5, [])
    assert source.read('{"kind":"identity","time_us":7}') == (7, [])
