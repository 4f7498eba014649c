"""Mastodon's streaming API for one channel: its notifications pushed as they happen.

`GET /api/v1/streaming/user/notification` with the channel's token as Bearer answers a text/event-stream
(https://docs.joinmastodon.org/methods/streaming/#notification): `event: notification` with the
Notification as JSON in `data:`, and `:thump` comment lines as heartbeats. The streaming host is the
instance's `configuration.urls.streaming` (GET /api/v2/instance, kept in Channel.server_limits), else the
instance itself.

Why Server-Sent Events rather than the WebSocket (`wss://.../api/v1/streaming`, same events): SSE is plain
HTTP, so it goes through the same httpx client as every other call, with the SSRF guard that refuses
private addresses, the same TLS settings and the same proxies; it needs no extra dependency and no second
connection code to review. WebSocket's one advantage, many streams over one socket, does not apply: a
channel needs exactly one stream.

What is emitted: a mention (public, unlisted or followers-only) as `Hint.STORE` with the complete item,
built by the same code the poll uses (`MastodonProvider.mention_item`, thread root included, which may
read `/context`); anything else (a direct message, whose conversation the poll reads; an edit; a
notification we cannot read) as `Hint.POLL`, so the poll fetches it now. The stream cannot resume from a
position: the poll is the catch-up after any disconnection (cursor None).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from networks.providers import mastodon_auth
from networks.providers import mastodon_wire as wire
from networks.providers.base import Network, ProviderError
from networks.providers.mastodon import MastodonProvider
from networks.providers.streaming import StreamBatch, StreamSource, StreamTarget
from networks.providers.webhooks_base import Hint, WebhookEvent

log = logging.getLogger(__name__)

PATH = "/api/v1/streaming/user/notification"
#: A silent connection is dead after this long: instances send a heartbeat every few seconds.
READ_TIMEOUT = 60.0
#: How often `stop` is looked at while the stream is quiet.
STOP_CHECK = 0.2
#: The largest event read (a notification is a few kB): beyond, the instance is not speaking Mastodon.
MAX_EVENT_BYTES = 1024 * 1024


class MastodonStream(StreamSource):
    network = Network.MASTODON

    def __init__(self, target: StreamTarget):
        self.target = target
        self.key = f"mastodon:{target.channel_id}"
        self.channel_ids = (target.channel_id,)

    def fingerprint(self) -> tuple[Any, ...]:
        account = self.target.account
        token = hashlib.sha256(account.credentials.access_token.encode()).hexdigest()
        return (self.channel_ids, account.external_id, account.api_base_url, self.url, token)

    @property
    def url(self) -> str:
        """Where the stream is read, with the token as Bearer: the instance's streaming host when it is
        https on 443 (or a host the operator listed in CMHUB_ALLOWED_API_HOSTS, a self-hosted instance,
        the local fakes), else the instance itself. The streaming URL comes from what the instance says
        of itself: a ws:// or http:// one, or another port, would send the token in clear or elsewhere."""
        account = self.target.account
        origin = mastodon_auth.server_origin(account.api_base_url)
        streaming = str(account.server_limits.get("streaming_url") or "")
        try:
            parts = urlsplit(streaming)
            port = parts.port
        except ValueError:
            return f"{origin}{PATH}"
        if not parts.hostname or parts.username or parts.password:
            return f"{origin}{PATH}"
        secure = parts.scheme in ("wss", "https")
        host = parts.hostname.lower()
        name = f"[{host}]" if ":" in host else host
        if secure and port in (None, 443):
            return f"https://{name}{PATH}"
        if parts.scheme in ("ws", "wss", "http", "https") and _listed(host, port or (443 if secure else 80)):
            return f"{'https' if secure else 'http'}://{name}:{port or (443 if secure else 80)}{PATH}"
        return f"{origin}{PATH}"

    def run(
        self,
        *,
        http: httpx.Client,
        cursor: dict[str, Any],
        emit: Callable[[StreamBatch], None],
        connected: Callable[[], None],
        stop: threading.Event,
    ) -> None:
        account = self.target.account
        reader = MastodonProvider(account, http=http)
        headers = {
            "Authorization": f"Bearer {account.credentials.access_token}",
            "Accept": "text/event-stream",
        }
        timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)
        with http.stream("GET", self.url, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise wire.status_error(response, lambda: dt.datetime.now(dt.UTC))
            connected()
            finished = threading.Event()
            # A blocking read cannot look at `stop`: a watcher closes the response when it is set, which
            # ends the read at once, however quiet the stream.
            watcher = threading.Thread(target=_close_on_stop, args=(response, stop, finished), daemon=True)
            watcher.start()
            try:
                for name, data in sse_events(response.iter_lines()):
                    if stop.is_set():
                        return
                    event = self._event(reader, name, data)
                    if event is not None:
                        emit(StreamBatch([event], cursor=None))
            except (httpx.HTTPError, OSError, ValueError, AttributeError):
                if stop.is_set():
                    return  # the watcher closed the response: asked to stop, not a failure
                raise
            finally:
                finished.set()
            if not stop.is_set():
                raise httpx.RemoteProtocolError("The Mastodon server closed the stream.")

    def _event(self, reader: MastodonProvider, name: str, data: str) -> WebhookEvent | None:
        if name != "notification":
            return None  # the notification stream carries nothing else we use (filters_changed...)
        account_id = self.target.account.external_id
        now = dt.datetime.now(dt.UTC)
        try:
            note = json.loads(data)
            kind = str(note.get("type") or "")
            status = note.get("status")
        except (ValueError, AttributeError) as exc:
            log.warning("mastodon stream: unreadable notification (%s)", exc)
            return WebhookEvent(Network.MASTODON, account_id, Hint.POLL, "unreadable", now)
        if kind != "mention" or not isinstance(status, dict) or status.get("visibility") == "direct":
            return WebhookEvent(Network.MASTODON, account_id, Hint.POLL, kind or "notification", now)
        try:
            item = reader.mention_item(status)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("mastodon stream: skipped a malformed mention: %s", exc)
            return WebhookEvent(Network.MASTODON, account_id, Hint.POLL, "mention", now)
        except ProviderError as exc:
            # Its thread could not be read now (a rate limit, the instance busy): the poll reads it. The
            # stream goes on: ending it would reconnect again and again through a burst of mentions.
            log.info("mastodon stream: mention left to the poll: %s", exc)
            return WebhookEvent(Network.MASTODON, account_id, Hint.POLL, "mention", now)
        return WebhookEvent(Network.MASTODON, account_id, Hint.STORE, "mention", now, item=item)


def _listed(host: str, port: int) -> bool:
    from django.conf import settings

    from core.http import listed_host

    return listed_host(host, port, getattr(settings, "CMHUB_ALLOWED_API_HOSTS", ()))


def _close_on_stop(response: httpx.Response, stop: threading.Event, finished: threading.Event) -> None:
    while not finished.is_set():
        if stop.wait(STOP_CHECK):
            response.close()
            return


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event name, data) for each event of a text/event-stream (https://html.spec.whatwg.org/multipage/
    server-sent-events.html#event-stream-interpretation): comment lines (`:thump`) are heartbeats, several
    `data:` lines join with newlines, a blank line ends an event."""
    name, data, size = "", list[str](), 0
    for line in lines:
        if line == "":
            if data:
                yield name or "message", "\n".join(data)
            name, data, size = "", [], 0
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            size += len(value) + 1
            if size > MAX_EVENT_BYTES:
                raise ValueError(f"a streamed event longer than {MAX_EVENT_BYTES} characters")
            data.append(value)
