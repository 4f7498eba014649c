"""What a LinkedIn organization social-action notification carries.

Shape (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications):
`{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{"notificationId": long,
"organizationalEntity": "urn:li:organization:…", "action": "COMMENT"|"ADMIN_COMMENT"|"SHARE_MENTION"|
"COMMENT_EDIT"|"COMMENT_DELETE"|"LIKE"|"SHARE", "sourcePost": URN, "generatedActivity": URN,
"lastModifiedAt": ms, "subscriber": URN, ...}]}`, batched by ten, retried every five minutes for eight
hours. A notification names what happened, not its words. A member's comment is read by its ids
(`sourcePost`, `generatedActivity`: the poll reads only recent posts, and this one may be years old);
everything else, and the comment too, makes the channel due for a poll (the unique constraint keeps one
copy however many notifications and polls see it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from networks import webhook_signatures as sig
from networks.providers.base import Network
from networks.providers.meta_webhooks import listed_ids
from networks.providers.webhooks_base import (
    REFUSED,
    Handshake,
    Hint,
    Parsed,
    Verdict,
    WebhookEvent,
    WebhookReceiver,
)

log = logging.getLogger(__name__)

EVENT_TYPE = "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"
#: The actions that bring something to answer or change what the inbox shows; likes and reshares do not.
_WANTED = {
    "COMMENT": "comment",
    "ADMIN_COMMENT": "comment",
    "SHARE_MENTION": "mention",
    "COMMENT_EDIT": "edited",
    "COMMENT_DELETE": "remove",
}


def account_ids(payload: Any, *, limit: int = 20) -> list[str]:
    notifications = payload.get("notifications") if isinstance(payload, dict) else None
    listed = notifications if isinstance(notifications, list) else []
    urns = (n.get("organizationalEntity") for n in listed if isinstance(n, dict))
    return listed_ids((urn for urn in urns if isinstance(urn, str)), limit=limit)


def parse(payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
    if not isinstance(payload, dict) or not isinstance(payload.get("notifications"), list):
        raise ValueError("not a LinkedIn notification payload: no `notifications` list")
    if payload.get("type") != EVENT_TYPE:
        raise ValueError(f"unknown LinkedIn event type {payload.get('type')!r}")
    parsed = Parsed()
    for notification in payload["notifications"]:
        try:
            event = _notification(notification)
        except ValueError as exc:
            log.warning("Skipping malformed LinkedIn notification: %s", exc)
            parsed.skipped += 1
            continue
        if event is None:
            parsed.ignored += 1
        elif event.at < now - max_age:
            parsed.stale += 1
        else:
            parsed.events.append(event)
    return parsed


def _notification(raw: Any) -> WebhookEvent | None:
    if not isinstance(raw, dict):
        raise ValueError("notification is not an object")
    notification_id, org = raw.get("notificationId"), raw.get("organizationalEntity")
    if (
        isinstance(notification_id, bool)
        or not isinstance(notification_id, int | str)
        or notification_id == ""
    ):
        raise ValueError("`notificationId` missing")
    if not isinstance(org, str) or not org.startswith("urn:li:organization:"):
        raise ValueError("`organizationalEntity` is not an organization URN")
    modified = raw.get("lastModifiedAt")
    if isinstance(modified, bool) or not isinstance(modified, int) or modified < 0:
        raise ValueError("`lastModifiedAt` is not a time in milliseconds")
    try:
        at = dt.datetime.fromtimestamp(modified / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("`lastModifiedAt` out of range") from exc
    action = str(raw.get("action"))
    what = _WANTED.get(action)
    if what is None:
        return None
    post, activity = raw.get("sourcePost"), raw.get("generatedActivity")
    if action == "COMMENT" and isinstance(post, str) and isinstance(activity, str):
        refs = {"post": post, "comment": activity}
        return WebhookEvent(Network.LINKEDIN, org, Hint.READ, what, at, refs=refs)
    return WebhookEvent(Network.LINKEDIN, org, Hint.POLL, what, at)


class LinkedInWebhooks(WebhookReceiver):
    networks = (Network.LINKEDIN,)

    def verdict(self, *, secret: str, body: bytes, headers: Mapping[str, str]) -> Verdict:
        return sig.linkedin_signature(secret=secret, body=body, header=headers.get("X-LI-Signature"))

    def handshake(self, *, query: Mapping[str, str], secret: str, verify_token: str) -> Handshake:
        code = query.get("challengeCode", "")
        # LinkedIn's codes are UUIDs; anything long is not LinkedIn, and is not echoed back.
        if not secret or not code or len(code) > sig.MAX_CHALLENGE:
            return REFUSED
        answer = {
            "challengeCode": code,
            "challengeResponse": sig.linkedin_challenge_response(secret=secret, challenge_code=code),
        }
        return Handshake(200, "application/json", json.dumps(answer))

    def account_ids(self, payload: Any) -> list[str]:
        return account_ids(payload)

    def parse(self, payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
        return parse(payload, now=now, max_age=max_age)


LINKEDIN_WEBHOOKS = LinkedInWebhooks()
