"""Bluesky in real time: one Jetstream connection for every connected Bluesky channel.

Jetstream (https://github.com/bluesky-social/jetstream) turns the network's firehose into JSON over a
WebSocket: `wss://<host>/subscribe?wantedCollections=app.bsky.feed.post&cursor=<time_us>`; each message is
`{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection", "rkey", "record", "cid"}}`
(or `identity` / `account` events). Delivery is at least once, so a post can come twice: the unique
(channel, external_id) constraint makes it one message.

A post is for a channel when its `reply.parent.uri` or `reply.root.uri` is in the brand's repo, when a
mention facet names the brand's DID, or when it quotes one of the brand's posts. Those are emitted as
`Hint.READ` events (refs: the post's AT URI), so `BlueskyProvider.read_pushed` reads the post view (with
its author's handle) and the item is the one the poll would build. The cursor is the last `time_us`
read; a reconnection resumes a few seconds earlier, as Jetstream's documentation advises.

The host is the setting CMHUB_BLUESKY_JETSTREAM_URL (an operator's choice, not a user's: it carries no
token, so it does not go through the SSRF-safe HTTP client).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import connect

from networks.providers import bluesky_wire as wire
from networks.providers.base import Network
from networks.providers.streaming import StreamBatch, StreamSource, StreamTarget
from networks.providers.webhooks_base import Hint, WebhookEvent

log = logging.getLogger(__name__)

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
REWIND_US = 5_000_000  # resume 5 s before the stored cursor: at-least-once is fine, a gap is not
RECV_TIMEOUT = 1.0  # how often a quiet stream checks `stop`
CURSOR_EVERY = 5.0  # seconds between cursor-only batches, so a quiet brand's cursor still moves
MAX_MESSAGE = 1_000_000


def jetstream_url() -> str:
    from django.conf import settings

    return getattr(settings, "CMHUB_BLUESKY_JETSTREAM_URL", "") or DEFAULT_URL


class JetstreamSource(StreamSource):
    network = Network.BLUESKY
    key = "bluesky:jetstream"

    def __init__(
        self, targets: Sequence[StreamTarget], *, url: str = "", clock: Callable[[], float] = time.monotonic
    ):
        self.url = url or jetstream_url()
        self.clock = clock
        self.dids = {
            t.account.external_id: t.channel_id for t in targets if wire.is_did(t.account.external_id)
        }
        # Every channel of these accounts (an agency and its client may both connect one): the health page
        # of each shows this stream's state.
        self.channel_ids = tuple(sorted(t.channel_id for t in targets if wire.is_did(t.account.external_id)))

    def fingerprint(self) -> tuple[Any, ...]:
        return (self.channel_ids, tuple(sorted(self.dids)), self.url)

    def subscribe_url(self, cursor: Mapping[str, Any]) -> str:
        query: dict[str, Any] = {"wantedCollections": wire.POST}
        time_us = cursor.get("time_us") if isinstance(cursor, Mapping) else None
        if isinstance(time_us, int) and not isinstance(time_us, bool) and time_us > REWIND_US:
            query["cursor"] = time_us - REWIND_US
        return f"{self.url}?{urlencode(query)}"

    def run(
        self,
        *,
        http: httpx.Client,
        cursor: dict[str, Any],
        emit: Callable[[StreamBatch], None],
        connected: Callable[[], None],
        stop: threading.Event,
    ) -> None:
        with connect(
            self.subscribe_url(cursor), open_timeout=10, max_size=MAX_MESSAGE, close_timeout=2
        ) as ws:
            connected()
            last_time: int | None = None
            last_emit = self.clock()
            while not stop.is_set():
                try:
                    message = ws.recv(timeout=RECV_TIMEOUT)
                except TimeoutError:
                    message = None
                except ConnectionClosedOK:
                    return
                if message is not None:
                    time_us, events = self.read(message)
                    if time_us is not None:
                        last_time = max(last_time or 0, time_us)
                    if events:
                        emit(StreamBatch(events=events, cursor={"time_us": last_time}))
                        last_emit = self.clock()
                        continue
                if last_time is not None and self.clock() - last_emit >= CURSOR_EVERY:
                    emit(StreamBatch(events=[], cursor={"time_us": last_time}))
                    last_emit = self.clock()

    def read(self, message: str | bytes) -> tuple[int | None, list[WebhookEvent]]:
        """(the message's time_us, the events it carries for our channels). Anything unreadable is
        logged and skipped; the stream goes on."""
        try:
            data = json.loads(message)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            log.warning("bluesky: jetstream sent a message that is not JSON; skipped")
            return None, []
        if not isinstance(data, dict):
            return None, []
        time_us = _time_us(data.get("time_us"))
        commit = data.get("commit")
        if data.get("kind") != "commit" or not isinstance(commit, dict):
            return time_us, []
        if commit.get("operation") != "create" or commit.get("collection") != wire.POST:
            return time_us, []
        author, rkey, record = data.get("did"), commit.get("rkey"), commit.get("record")
        if not wire.is_did(author) or not isinstance(rkey, str) or not isinstance(record, dict):
            return time_us, []
        uri = f"at://{author}/{wire.POST}/{rkey}"
        at = dt.datetime.fromtimestamp(time_us / 1_000_000, dt.UTC) if time_us else dt.datetime.now(dt.UTC)
        events = []
        for did in self._brands_named(record):
            if did == author:
                continue  # our own posts are not engagement
            what = "reply" if self._in_thread_of(record, did) else "mention"
            events.append(WebhookEvent(Network.BLUESKY, did, Hint.READ, what, at, refs={"uri": uri}))
        return time_us, events

    def _brands_named(self, record: dict[str, Any]) -> list[str]:
        named: set[str] = set()
        reply = wire.obj(record.get("reply"))
        for part in ("parent", "root"):
            ref = reply.get(part)
            did = _repo_of(ref.get("uri") if isinstance(ref, dict) else None)
            if did in self.dids:
                named.add(did)
        for facet in wire.items(record.get("facets")):
            features = facet.get("features") if isinstance(facet, dict) else None
            for feature in features if isinstance(features, list) else []:
                if (
                    isinstance(feature, dict)
                    and feature.get("$type") == "app.bsky.richtext.facet#mention"
                    and isinstance(feature.get("did"), str)
                    and feature["did"] in self.dids
                ):
                    named.add(feature["did"])
        embed = wire.obj(record.get("embed"))
        inner = wire.obj(embed.get("record"))
        if isinstance(inner.get("record"), dict):  # recordWithMedia
            inner = inner["record"]
        quoted = _repo_of(inner.get("uri"))
        if quoted in self.dids:
            named.add(quoted)
        return sorted(named)

    def _in_thread_of(self, record: dict[str, Any], did: str) -> bool:
        reply = wire.obj(record.get("reply"))
        return any(
            isinstance(reply.get(part), dict) and _repo_of(reply[part].get("uri")) == did
            for part in ("parent", "root")
        )


def _time_us(value: Any) -> int | None:
    """Jetstream's `time_us` (microseconds since the epoch), or None when it is not one we can believe: it
    becomes the stored cursor, and one far in the future would make every reconnection skip what comes."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    if value > (time.time() + wire.MAX_AHEAD.total_seconds()) * 1_000_000:
        return None
    return value


def _repo_of(uri: Any) -> str:
    try:
        return wire.at_uri(uri).did
    except ValueError:
        return ""
