"""What a Meta webhook delivery carries, read into the same plain items the poll returns.

Shapes, from Meta's reference:
- Page `feed` (https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed):
  `{"object": "page", "entry": [{"id": PAGE, "time": s, "changes": [{"field": "feed", "value": {"item":
  "comment", "verb": "add"|"edited"|"remove", "comment_id", "post_id", "parent_id", "from": {"id", "name"},
  "message", "created_time": s, "post": {"permalink_url", ...}}}]}]}`; a top-level comment has
  `parent_id == post_id`. Visitor posts arrive as `item: "post"|"status"|"photo"|"video"`.
- Messenger `messages` (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages):
  `entry[].messaging[] = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": ms, "message":
  {"mid", "text", "attachments": [{"type", "payload": {"url"}}], "is_echo"?}}`; `entry.time` is in ms.
- Messenger `message_edits` (https://developers.facebook.com/documentation/business-messaging/messenger-platform/
  webhooks/webhook-events/message-edits): the same envelope with `"message_edit": {"mid", "text",
  "num_edit"}`, the new words of a message the person sent. Meta sends it for Messenger only; no poll sees
  an edit (the Conversations API gives the current words, and the walk stops at what it has delivered).
- Instagram (https://developers.facebook.com/docs/instagram-platform/webhooks/examples): `object:
  "instagram"`, `entry.id` the professional account; `comments` value `{"id", "from": {"id", "username"},
  "text", "parent_id"?, "media": {"id", "media_product_type"}}`; `mentions` value `{"comment_id"?,
  "media_id"}`; DMs under `entry[].messaging[]` as for Messenger.

Every entry is read on its own: a malformed one is skipped (counted, logged) and the rest of the batch
goes on. Nothing here trusts the payload beyond its shape; the signature was checked before.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from networks import webhook_signatures as sig
from networks.providers.base import Attachment, Author, EngagementItem, ItemKind, Network
from networks.providers.graph import optional_str
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

#: Graph ids are strings, but a few payloads send numbers; anything else is malformed.
_ID_TYPES = (str, int)
_VISITOR_POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})


#: What an account id looks like (Graph ids, LinkedIn URNs): anything else in an unverified body is dropped,
#: never stored (a NUL or a lone surrogate would not even fit in the database).
_ACCOUNT_ID = re.compile(r"[\w:.,()-]{1,200}", re.ASCII)


def listed_ids(values: Any, *, limit: int = 20) -> list[str]:
    """The plausible account ids among `values`, unique, at most `limit` (bodies may be hostile)."""
    found: list[str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, _ID_TYPES):
            continue
        text = str(value)
        if _ACCOUNT_ID.fullmatch(text) and text not in found:
            found.append(text)
        if len(found) >= limit:
            break
    return found


def account_ids(payload: Any, *, limit: int = 20) -> list[str]:
    """The account ids a payload names, best effort (for counting refused deliveries per channel)."""
    entries = payload.get("entry") if isinstance(payload, dict) else None
    listed = entries if isinstance(entries, list) else []
    return listed_ids((entry.get("id") for entry in listed if isinstance(entry, dict)), limit=limit)


def parse(payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
    """Read a verified delivery; ValueError only when it is not a Meta webhook payload at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a webhook payload: no `entry` list")
    kind = payload.get("object")
    if kind not in ("page", "instagram"):
        raise ValueError(f"unknown webhook object {kind!r}")
    network = Network.FACEBOOK if kind == "page" else Network.INSTAGRAM
    parsed = Parsed()
    for entry in payload["entry"]:
        try:
            account, at = _entry_head(entry)
        except ValueError as exc:
            log.warning("Skipping malformed Meta webhook entry: %s", exc)
            parsed.skipped += 1
            continue
        if at < now - max_age:
            parsed.stale += 1
            continue
        for change in _list(entry.get("changes")):
            _read(parsed, _change, network, account, at, change)
        for event in _list(entry.get("messaging")):
            _read(parsed, _messaging, network, account, at, event)
    return parsed


def _read(
    parsed: Parsed,
    read: Callable[[Network, str, dt.datetime, Any], WebhookEvent | None],
    network: Network,
    account: str,
    at: dt.datetime,
    raw: Any,
) -> None:
    try:
        event = read(network, account, at, raw)
    except ValueError as exc:
        log.warning("Skipping malformed Meta webhook change: %s", exc)
        parsed.skipped += 1
        return
    if event is None:
        parsed.ignored += 1
    else:
        parsed.events.append(event)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _id(raw: Any, key: str, *, required: bool = True) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, bool) or not isinstance(value, _ID_TYPES) or value == "":
        if required:
            raise ValueError(f"`{key}` missing or not an id")
        return ""
    return str(value)


def _epoch(value: Any) -> dt.datetime:
    """Meta's webhook times are Unix integers: seconds for Page changes, milliseconds for messaging."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"not a Unix time: {value!r}")
    seconds = value / 1000 if value > 100_000_000_000 else value
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"time out of range: {value!r}") from exc


def _entry_head(entry: Any) -> tuple[str, dt.datetime]:
    if not isinstance(entry, dict):
        raise ValueError("entry is not an object")
    return _id(entry, "id"), _epoch(entry.get("time"))


def _change(network: Network, account: str, at: dt.datetime, change: Any) -> WebhookEvent | None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        raise ValueError("change without a `value` object")
    name, value = change.get("field"), change["value"]
    if network == Network.FACEBOOK and name == "feed":
        return _feed(account, at, value)
    if network == Network.INSTAGRAM and name == "comments":
        return WebhookEvent(network, account, Hint.STORE, "comment", at, item=_ig_comment(at, value))
    if network == Network.INSTAGRAM and name == "mentions":
        # Ids only, and no edge lists mentions for the poll to find: the words are read by these ids.
        refs = {"media_id": _id(value, "media_id"), "comment_id": _id(value, "comment_id", required=False)}
        return WebhookEvent(network, account, Hint.READ, "mention", at, refs=refs)
    return None


def _feed(page_id: str, at: dt.datetime, value: dict[str, Any]) -> WebhookEvent | None:
    item, verb = value.get("item"), value.get("verb")
    if item == "comment":
        if verb == "add":
            return WebhookEvent(Network.FACEBOOK, page_id, Hint.STORE, "comment", at, item=_fb_comment(value))
        if verb in ("edited", "remove", "hide", "unhide"):
            _id(value, "comment_id")
            return WebhookEvent(Network.FACEBOOK, page_id, Hint.POLL, str(verb), at)
        return None
    if item in _VISITOR_POST_ITEMS and verb in ("add", "edited", "remove"):
        _id(value, "post_id")
        return WebhookEvent(Network.FACEBOOK, page_id, Hint.POLL, "post", at)
    return None  # reactions, likes, ratings...


def _fb_comment(value: dict[str, Any]) -> EngagementItem:
    comment_id, post_id = _id(value, "comment_id"), _id(value, "post_id")
    parent_id = _id(value, "parent_id", required=False)
    is_reply = bool(parent_id) and parent_id != post_id
    sender = value.get("from")
    author = None
    if isinstance(sender, dict):
        author_id = _id(sender, "id")
        author = Author(
            external_id=author_id,
            name=optional_str(sender, "name"),
            profile_url=f"https://www.facebook.com/{author_id}",
        )
    post = found if isinstance(found := value.get("post"), dict) else {}
    post_link = optional_str(post, "permalink_url")
    photo = optional_str(value, "photo")
    return EngagementItem(
        network=Network.FACEBOOK,
        external_id=comment_id,
        kind=ItemKind.REPLY if is_reply else ItemKind.COMMENT,
        text=optional_str(value, "message"),
        created_at=_epoch(value.get("created_time")),
        author=author,
        post_external_id=post_id,
        post_text=optional_str(post, "message"),
        post_permalink=post_link,
        parent_external_id=parent_id if is_reply else "",
        # As the poll files it (facebook.parse_comment): two levels, a reply's parent heads the thread.
        thread_root_external_id=parent_id if is_reply else comment_id,
        permalink=post_link,
        attachments=(Attachment(kind="image", url=photo, preview_url=photo),) if photo else (),
        raw=value,
    )


def _ig_comment(at: dt.datetime, value: dict[str, Any]) -> EngagementItem:
    comment_id = _id(value, "id")
    media = value.get("media")
    if not isinstance(media, dict):
        raise ValueError("comment without its `media`")
    parent_id = _id(value, "parent_id", required=False)
    sender = value.get("from")
    author = None
    if isinstance(sender, dict):
        handle = optional_str(sender, "username")
        author = Author(
            external_id=_id(sender, "id"),
            handle=handle,
            profile_url=f"https://www.instagram.com/{handle}/" if handle else "",
        )
    return EngagementItem(
        network=Network.INSTAGRAM,
        external_id=comment_id,
        kind=ItemKind.REPLY if parent_id else ItemKind.COMMENT,
        text=optional_str(value, "text"),
        created_at=at,  # the payload has no time of its own; the entry's is when Meta sent it
        author=author,
        post_external_id=_id(media, "id"),
        parent_external_id=parent_id,
        # As the poll files it (instagram.parse_comment): one level, a reply's parent heads the thread.
        thread_root_external_id=parent_id or comment_id,
        raw=value,
    )


def _messaging(network: Network, account: str, at: dt.datetime, event: Any) -> WebhookEvent | None:
    if not isinstance(event, dict):
        raise ValueError("messaging event is not an object")
    if isinstance(event.get("message_edit"), dict):
        return _message_edit(network, account, at, event)
    message = event.get("message")
    if not isinstance(message, dict):
        return None  # delivery and read receipts, reactions, postbacks...
    sender, recipient = _id(event.get("sender"), "id"), _id(event.get("recipient"), "id")
    echo = message.get("is_echo") is True or sender == account
    customer = recipient if echo else sender
    created = _epoch(event["timestamp"]) if "timestamp" in event else at
    attachments = []
    for attachment in _list(message.get("attachments")):
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url:
            kind = attachment.get("type")
            attachments.append(Attachment(kind=kind if isinstance(kind, str) else "file", url=url))
    item = EngagementItem(
        network=network,
        external_id=_id(message, "mid"),
        kind=ItemKind.DIRECT_MESSAGE,
        text=optional_str(message, "text"),
        created_at=created,
        author=Author(
            external_id=sender,
            profile_url=f"https://www.facebook.com/{sender}" if network == Network.FACEBOOK else "",
        ),
        attachments=tuple(attachments),
        raw=event,
    )
    return WebhookEvent(network, account, Hint.MESSAGE, "message", at, item=item, customer_id=customer)


def _message_edit(network: Network, account: str, at: dt.datetime, event: dict[str, Any]) -> WebhookEvent:
    edit = event["message_edit"]
    text = edit.get("text")
    if not isinstance(text, str):
        raise ValueError("message_edit without its new `text`")
    sender = _id(event.get("sender"), "id")
    edited = _epoch(event["timestamp"]) if "timestamp" in event else at
    item = EngagementItem(
        network=network,
        external_id=_id(edit, "mid"),
        kind=ItemKind.DIRECT_MESSAGE,
        text=text,
        created_at=edited,  # the payload says when it was edited, not when it was first sent
        author=Author(external_id=sender),
        edited_at=edited,
        raw=event,
    )
    return WebhookEvent(network, account, Hint.EDIT, "message_edit", at, item=item, customer_id=sender)


class MetaWebhooks(WebhookReceiver):
    """One Meta app pushes for Pages (`object: page`) and Instagram accounts (`object: instagram`)."""

    networks: tuple[Network, ...] = (Network.FACEBOOK, Network.INSTAGRAM)
    needs_verify_token = True

    def verdict(self, *, secret: str, body: bytes, headers: Mapping[str, str]) -> Verdict:
        return sig.meta_signature(secret=secret, body=body, header=headers.get("X-Hub-Signature-256"))

    def handshake(self, *, query: Mapping[str, str], secret: str, verify_token: str) -> Handshake:
        challenge = sig.meta_handshake(
            verify_token=verify_token,
            mode=query.get("hub.mode", ""),
            token=query.get("hub.verify_token", ""),
            challenge=query.get("hub.challenge", ""),
        )
        # Meta compares the body with the challenge it sent: plain text, nothing around it.
        return REFUSED if challenge is None else Handshake(200, "text/plain", challenge)

    def account_ids(self, payload: Any) -> list[str]:
        return account_ids(payload)

    def parse(self, payload: Any, *, now: dt.datetime, max_age: dt.timedelta) -> Parsed:
        return parse(payload, now=now, max_age=max_age)


META_WEBHOOKS = MetaWebhooks()
