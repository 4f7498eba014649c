"""Real time: what a provider tells networks.streams about the long-lived connections its network pushes
events over (Mastodon's streaming API, Bluesky's Jetstream), so that module never names a network.

A stream is an accelerator, exactly like a webhook: what it carries is stored through the webhook path
(the unique (channel, external_id) constraint makes a streamed item and the poll's copy one message), and
the poll stays the source of truth and the catch-up after any disconnection.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from networks.providers.base import Account, Network
from networks.providers.webhooks_base import WebhookEvent


@dataclass(frozen=True, slots=True)
class StreamTarget:
    """A channel a stream serves: its id (for the health page) and the account to stream for."""

    channel_id: int
    account: Account


@dataclass(frozen=True, slots=True)
class StreamBatch:
    """Events read from a stream, and the position to resume from once they are stored (None: the stream
    cannot resume, or this batch does not move it)."""

    events: list[WebhookEvent] = field(default_factory=list)
    cursor: dict[str, Any] | None = None


class StreamSource(abc.ABC):
    """One long-lived connection. `key` names it across restarts (its stored cursor and health row):
    stable for as long as it serves the same channels the same way."""

    #: The network it streams for.
    network: Network
    #: Unique across networks, e.g. "mastodon:12" (one channel's) or "bluesky:jetstream" (all channels').
    key: str
    #: The channels it serves (their health rows show its state).
    channel_ids: tuple[int, ...] = ()

    @abc.abstractmethod
    def run(
        self,
        *,
        http: httpx.Client,
        cursor: dict[str, Any],
        emit: Callable[[StreamBatch], None],
        connected: Callable[[], None],
        stop: threading.Event,
    ) -> None:
        """Connect (resuming from `cursor` where the stream can), call `connected()` once the server has
        accepted the subscription, then `emit` each batch of events as they come. Return when `stop` is
        set; raise (ProviderError, httpx errors, OSError) when the connection fails or drops: the caller
        waits with backoff and calls `run` again with the last cursor it stored. `stop` is checked at
        least every few seconds, also while the stream is quiet (read timeouts, heartbeats)."""

    def same_as(self, other: StreamSource) -> bool:
        """Whether `other` (built from the channels as they are now) can keep this one's connection: a
        source whose channels or credentials changed is closed and opened anew."""
        return self.key == other.key and self.fingerprint() == other.fingerprint()

    def fingerprint(self) -> tuple[Any, ...]:
        """What, besides the key, would require a new connection (tokens, the accounts served)."""
        return (self.channel_ids,)
