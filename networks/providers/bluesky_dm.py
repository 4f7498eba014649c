"""Bluesky direct messages for `BlueskyProvider`: the chat service, reached through the account's PDS.

Every call carries `atproto-proxy: did:web:api.bsky.chat#bsky_chat`, so the PDS forwards it to the chat
service (https://docs.bsky.app/docs/advanced-guides/direct-messages). An app password made without
"Allow access to your direct messages" is refused there with 400 `InvalidToken` "Bad token method": the
rest of the poll goes on, and the poll says what is missing.

Read: `chat.bsky.convo.listConvos` (conversations, most recently active first, `cursor` paging), then for
each conversation active since the mark `chat.bsky.convo.getMessages` (newest first, `cursor` paging back)
until a message at or before the mark. Messages are `#messageView` (text, sender.did, sentAt) or
`#deletedMessageView` (skipped). Answer: `chat.bsky.convo.sendMessage {convoId, message: {text}}`.

Cursor part (under "dm"): `{"mark": <sentAt of the newest message delivered>, "at_mark": [ids]}`; a first
poll reads back `lookback`. A poll cut short (its item budget, or more active conversations than it lists)
keeps the mark and adds `"pending": {"mark", "at_mark"}` (the newest delivered so far) and `"read":
{convo id: {"mark", "at_mark"}}` (the conversations read in full, and up to which message): the next run
reads only what is new in those and the conversations not read yet, and moves the mark once none is left.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator
from typing import Any, NamedTuple

import httpx

from networks.providers import bluesky_text as text_rules
from networks.providers import bluesky_wire as wire
from networks.providers.base import (
    Ambiguous,
    Author,
    EngagementItem,
    Invalid,
    ItemKind,
    Network,
    PublishResult,
    ReplyTarget,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, json_or_empty, utcnow

log = logging.getLogger(__name__)

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
PAGE = 100
MAX_CONVO_PAGES = 10
MAX_MESSAGE_PAGES = 10
MAX_LIST_REQUESTS = 50  # listConvos pages per poll, counting pages of conversations with nothing new
MAX_ID_CHARS = 256

Call = Callable[..., httpx.Response]


class DmPoll(NamedTuple):
    items: list[EngagementItem]
    cursor: dict[str, Any]
    skipped: int
    has_more: bool


def permalink(convo_id: str) -> str:
    return f"https://bsky.app/messages/{convo_id}"


class BlueskyDirectMessages:
    def __init__(self, call: Call, *, did: str, clock: Clock = utcnow):
        self.call = call
        self.did = did
        self.clock = clock

    def _get(self, nsid: str, params: dict[str, Any]) -> dict[str, Any]:
        return json_object(self.call("GET", nsid, params=params, proxy=CHAT_PROXY), wire.NETWORK)

    def poll(self, stored: Any, *, floor: dt.datetime, max_items: int) -> DmPoll:
        """New messages oldest first, the next cursor part, how many were skipped, and whether the poll
        was cut short (budget or page cap) with conversations left to read."""
        stored = stored if isinstance(stored, dict) else {}
        mark = _time_or(stored.get("mark"), floor)
        at_mark = _ids(stored.get("at_mark"))
        pending = wire.obj(stored.get("pending"))
        newest = _time_or(pending.get("mark"), mark)
        newest_ids = _ids(pending.get("at_mark")) if pending else set(at_mark)
        # Conversations read in full by the earlier runs of a cut-short poll: (newest read, ids at it).
        read = _convo_marks(stored.get("read")) if pending else {}
        items: list[EngagementItem] = []
        skipped = 0
        members: dict[str, dict[str, Any]] = {}
        active: list[str] = []
        cut = False
        cursor = ""
        work_pages = 0
        for request in range(MAX_LIST_REQUESTS + 1):
            if request == MAX_LIST_REQUESTS or work_pages >= MAX_CONVO_PAGES:
                cut = True  # more conversations are active than one poll lists: the rest come next time
                log.warning("bluesky: conversation list cut short; the rest comes with the next poll")
                break
            params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            body = self._get("chat.bsky.convo.listConvos", params)
            convos = wire.items(body.get("convos"))
            older = work = False
            for convo in convos:
                try:
                    convo_id = convo["id"]
                    if not isinstance(convo_id, str) or not convo_id or len(convo_id) > MAX_ID_CHARS:
                        raise ValueError("conversation id missing or too long")
                    last = convo.get("lastMessage")
                    sent = (
                        wire.parse_time(last["sentAt"])
                        if isinstance(last, dict) and last.get("sentAt")
                        else None
                    )
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    skipped += 1
                    log.warning("bluesky: skipped an unreadable conversation: %s", exc)
                    continue
                for member in wire.items(convo.get("members")):
                    if isinstance(member, dict) and wire.is_did(member.get("did")):
                        members[member["did"]] = member
                if sent is None or sent < mark:
                    older = True  # listed by last activity: the rest are older still
                    continue
                if convo_id in read and sent <= read[convo_id][0]:
                    continue  # read in full by an earlier run, nothing new since
                work = True
                active.append(convo_id)
            work_pages += work
            cursor = wire.text(body.get("cursor"))
            if older or not cursor:
                break
        for convo_id in active:
            if items and len(items) >= max_items:
                cut = True
                log.info("bluesky: DM budget reached; the rest comes with the next poll")
                break
            own_mark, own_ids = read.get(convo_id, (mark, at_mark))
            found, convo_skipped = self._messages(convo_id, own_mark, own_ids, members)
            skipped += convo_skipped
            high, high_ids = own_mark, set(own_ids)
            for item in found:
                items.append(item)
                if item.created_at > newest:
                    newest, newest_ids = item.created_at, {item.external_id}
                elif item.created_at == newest:
                    newest_ids.add(item.external_id)
                if item.created_at > high:
                    high, high_ids = item.created_at, {item.external_id}
                elif item.created_at == high:
                    high_ids.add(item.external_id)
            read[convo_id] = (high, high_ids)
        items.sort(key=lambda i: i.created_at)
        if cut:
            # The mark stays where it was until every conversation active since it has been read: the
            # next run reads the others (and what is new in these) and only then moves it.
            state = {
                "mark": wire.format_time(mark),
                "at_mark": sorted(at_mark),
                "pending": {"mark": wire.format_time(newest), "at_mark": sorted(newest_ids)},
                "read": {
                    convo_id: {"mark": wire.format_time(t), "at_mark": sorted(ids)}
                    for convo_id, (t, ids) in read.items()
                },
            }
            return DmPoll(items, state, skipped, True)
        return DmPoll(
            items, {"mark": wire.format_time(newest), "at_mark": sorted(newest_ids)}, skipped, False
        )

    def _messages(
        self, convo_id: str, mark: dt.datetime, at_mark: set[str], members: dict[str, dict[str, Any]]
    ) -> tuple[list[EngagementItem], int]:
        items: list[EngagementItem] = []
        skipped = 0
        for page in self._pages(convo_id):
            reached = False
            for raw in page:
                if not isinstance(raw, dict) or raw.get("$type") not in (
                    None,
                    "chat.bsky.convo.defs#messageView",
                ):
                    continue  # deleted messages and system notices: nothing to answer
                try:
                    item = self._item(convo_id, raw, members)
                except (KeyError, TypeError, ValueError) as exc:
                    skipped += 1
                    log.warning("bluesky: skipped an unreadable message in %s: %s", convo_id, exc)
                    continue
                if item.created_at < mark or (item.created_at == mark and item.external_id in at_mark):
                    reached = True
                    continue
                items.append(item)
            if reached:
                break
        return items[::-1], skipped  # read newest first

    def _item(self, convo_id: str, raw: dict[str, Any], members: dict[str, dict[str, Any]]) -> EngagementItem:
        message_id = raw["id"]
        if not isinstance(message_id, str) or not message_id or len(message_id) > MAX_ID_CHARS:
            raise ValueError("message id missing or too long")  # it is stored, and kept in the cursor
        sender = raw["sender"]["did"]
        if not wire.is_did(sender):
            raise ValueError("sender is not a DID")
        words = raw["text"]
        if not isinstance(words, str):
            raise TypeError("text is not a string")
        sent = wire.parse_time(raw["sentAt"])
        if sent > self.clock() + wire.MAX_AHEAD:
            raise ValueError(f"sent in the future: {sent}")  # it would carry the mark past what is to come
        profile = members.get(sender, {})
        handle = wire.handle(profile.get("handle"))
        return EngagementItem(
            network=Network.BLUESKY,
            external_id=message_id,
            kind=ItemKind.DIRECT_MESSAGE,
            text=text_rules.plain_text(words, raw.get("facets")),
            created_at=sent,
            author=Author(
                sender,
                handle=handle,
                name=wire.text(profile.get("displayName")),
                avatar_url=wire.text(profile.get("avatar")),
                profile_url=f"https://bsky.app/profile/{handle or sender}",
            ),
            thread_root_external_id=convo_id,
            permalink=permalink(convo_id),
            raw=raw,
        )

    def send(self, target: ReplyTarget, words: str) -> PublishResult:
        convo_id = target.thread_root_external_id
        if not convo_id:
            raise Invalid("This direct message has no conversation to answer in.")
        problems = text_rules.check_length(
            words,
            max_graphemes=text_rules.MAX_DM_GRAPHEMES,
            max_bytes=text_rules.MAX_DM_BYTES,
            what="a Bluesky direct message",
        )
        if problems:
            raise Invalid(" ".join(problems))
        body = {"convoId": convo_id, "message": {"text": words}}
        response = self.call(
            "POST", "chat.bsky.convo.sendMessage", json=body, proxy=CHAT_PROXY, may_apply=True
        )
        data = json_or_empty(response)
        message_id = data.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise Ambiguous("Bluesky accepted the message but its answer had no id; check the conversation.")
        return PublishResult(message_id, permalink=permalink(convo_id), raw=data)

    def find(
        self, target: ReplyTarget, words: str, since: dt.datetime, exclude: Collection[str]
    ) -> PublishResult | None:
        """Our message with these words in the conversation since `since`; the oldest such is the earlier
        attempt."""
        convo_id = target.thread_root_external_id
        wanted = reply_text_key(words)
        best: tuple[dt.datetime, PublishResult] | None = None
        for page in self._pages(convo_id):
            older = False
            for raw in page:
                try:
                    sent = wire.parse_time(raw["sentAt"])
                    mine = raw["sender"]["did"] == self.did
                    message_id, message_text = str(raw["id"]), raw.get("text")
                except (KeyError, TypeError, ValueError):
                    continue
                if sent < since:
                    older = True
                    continue
                if (
                    mine
                    and message_id not in exclude
                    and isinstance(message_text, str)
                    and reply_text_key(message_text) == wanted
                    and (best is None or sent <= best[0])
                ):
                    best = (sent, PublishResult(message_id, permalink=permalink(convo_id), raw=raw))
            if older:
                break
        return best[1] if best else None

    def _pages(self, convo_id: str) -> Iterator[list[Any]]:
        """The conversation's messages, a page at a time, newest first (at most MAX_MESSAGE_PAGES)."""
        cursor = ""
        for _page in range(MAX_MESSAGE_PAGES):
            params: dict[str, Any] = {
                "convoId": convo_id,
                "limit": PAGE,
                **({"cursor": cursor} if cursor else {}),
            }
            body = self._get("chat.bsky.convo.getMessages", params)
            messages = body.get("messages")
            yield messages if isinstance(messages, list) else []
            cursor = wire.text(body.get("cursor"))
            if not cursor:
                return


def _ids(value: Any) -> set[str]:
    return {i for i in wire.items(value) if isinstance(i, str)}


def _convo_marks(value: Any) -> dict[str, tuple[dt.datetime, set[str]]]:
    out: dict[str, tuple[dt.datetime, set[str]]] = {}
    for convo_id, state in wire.obj(value).items():
        state = wire.obj(state)
        try:
            out[convo_id] = (wire.parse_time(state.get("mark")), _ids(state.get("at_mark")))
        except (TypeError, ValueError):
            continue  # unreadable: the conversation is read again from the poll's mark
    return out


def _time_or(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return wire.parse_time(value)
    except (TypeError, ValueError):
        return default
