"""Threads' webhooks: an accelerator for the poll, signed like every Meta webhook.

From https://developers.facebook.com/docs/threads/webhooks: the app subscribes to fields (`replies`,
`mentions`, ...) in the App Dashboard, Meta verifies the callback URL with the usual `hub.challenge`
handshake and signs each delivery with `X-Hub-Signature-256` (the app secret, over the raw body). A
`replies` delivery looks like

    {"app_id": "123456", "topic": "moderate", "target_id": "78901", "time": 1723226877,
     "subscription_id": "234567", "has_uid_field": false,
     "values": {"value": {"id", "username", "text", "media_type", "permalink", "replied_to": {"id"},
                          "root_post": {"id", "owner_id", "username"}, "shortcode", "timestamp"},
                "field": "replies"}}

(not the `entry[]` envelope of Pages and Instagram). The poll reads every reply with the fields it needs
(whom it answers at every depth, whether it is hidden, whether it is ours), so a verified delivery only
marks the profile it names as due (Hint.POLL): the profile is `root_post.owner_id` for a reply to one of its
posts, else `target_id`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from networks.providers.base import Network
from networks.providers.meta_webhooks import MetaWebhooks, listed_ids
from networks.providers.webhooks_base import Hint, Parsed, WebhookEvent

FIELDS = frozenset({"replies", "mentions"})


def _owners(payload: dict[str, Any]) -> list[str]:
    values = payload.get("values")
    value = values.get("value") if isinstance(values, dict) else None
    root = value.get("root_post") if isinstance(value, dict) else None
    owner = root.get("owner_id") if isinstance(root, dict) else None
    return listed_ids([owner, payload.get("target_id")], limit=2)


class ThreadsWebhooks(MetaWebhooks):
    """Signed and verified as every Meta webhook (the handshake and X-Hub-Signature-256); read otherwise."""

    networks = (Network.THREADS,)

    def account_ids(self, payload: Any) -> list[str]:
        return _owners(payload) if isinstance(payload, dict) else []

    def parse(self, payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
        if not isinstance(payload, dict) or not isinstance(payload.get("values"), dict):
            raise ValueError("not a Threads webhook payload: no `values` object")
        parsed = Parsed()
        field = payload["values"].get("field")
        sent = payload.get("time")
        if isinstance(sent, bool) or not isinstance(sent, int) or not 0 < sent < 10**11:
            parsed.skipped += 1
            return parsed
        at = dt.datetime.fromtimestamp(sent, dt.UTC)
        if at < now - max_age:
            parsed.stale += 1
            return parsed
        if field not in FIELDS:
            parsed.ignored += 1
            return parsed
        owners = _owners(payload)
        if not owners:
            parsed.skipped += 1
            return parsed
        what = "mention" if field == "mentions" else "comment"
        # Both ids may name the profile; a channel is found by either, and marking one twice is harmless.
        parsed.events.extend(WebhookEvent(Network.THREADS, owner, Hint.POLL, what, at) for owner in owners)
        return parsed


THREADS_WEBHOOKS = ThreadsWebhooks()
