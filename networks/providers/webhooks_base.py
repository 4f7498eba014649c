"""The door a network's webhooks come in by: what each provider tells networks.webhooks about its pushes,
so that module never names a network (a provider with `webhooks = None` is polled only).

A receiver checks a delivery's signature over the raw body, answers the network's verification handshake,
names the accounts a body mentions (for counting refusals), and reads a verified body into events.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from networks.providers.base import EngagementItem, Network


class Verdict(enum.StrEnum):
    VALID = "valid"
    MISSING = "missing_signature"
    FORGED = "bad_signature"


class Hint(enum.StrEnum):
    """What an event asks of the channel besides (or instead of) storing an item."""

    STORE = "store"  # the item is complete: store it
    MESSAGE = "message"  # a DM: store it once its conversation is known (the payload names only the sender)
    POLL = "poll"  # something the payload only summarises (an edit, a removal, a mention, a visitor post)
    READ = "read"  # ids only, of something the poll cannot list: read it from the API (Provider.read_pushed)
    EDIT = (
        "edit"  # new words for a message we may hold (the item names it): applied where we do, never stored
    )


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    network: Network
    account_id: str  # the Page, the Instagram account, the LinkedIn organization
    hint: Hint
    what: str  # "comment", "message", "mention", "edited", "remove", "post": for logs and counts
    at: dt.datetime
    item: EngagementItem | None = None
    customer_id: str = ""  # DMs: the person on the other side of the conversation (PSID, IGSID)
    refs: dict[str, str] = field(default_factory=dict)  # READ: the ids the payload gave


@dataclass
class Parsed:
    events: list[WebhookEvent] = field(default_factory=list)
    skipped: int = 0  # malformed entries or changes
    stale: int = 0  # entries older than the window
    ignored: int = 0  # well-formed but of no interest (reactions, read receipts...)


@dataclass(frozen=True, slots=True)
class Handshake:
    """The answer to a verification GET: status, content type and body."""

    status: int
    content_type: str = "text/plain"
    body: str = "Refused.\n"


REFUSED = Handshake(403)


class WebhookReceiver(abc.ABC):
    #: The networks whose channels one of these deliveries can name (one Meta app serves two networks).
    networks: tuple[Network, ...] = ()
    #: Whether the operator sets a verify token besides the app secret (Meta does; LinkedIn does not).
    needs_verify_token: bool = False

    @abc.abstractmethod
    def verdict(self, *, secret: str, body: bytes, headers: Mapping[str, str]) -> Verdict: ...

    @abc.abstractmethod
    def handshake(self, *, query: Mapping[str, str], secret: str, verify_token: str) -> Handshake: ...

    @abc.abstractmethod
    def account_ids(self, payload: Any) -> list[str]: ...

    @abc.abstractmethod
    def parse(self, payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
        """Read a verified delivery; ValueError only when it is not one of this network's payloads."""
