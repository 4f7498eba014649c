"""X direct messages for `XProvider` (https://docs.x.com/x-api/direct-messages/lookup/integrate).

Read: `GET /2/dm_events` lists the account's DM events of the last 30 days across every conversation;
only `MessageCreate` events are messages (`ParticipantsJoin` / `ParticipantsLeave` are group bookkeeping).
Scopes `dm.read` (with `tweet.read` and `users.read`). There is no `since_id`: the walk pages with
`pagination_token` and stops after a whole page at or below the newest event id already delivered, so it
is right whatever order a page comes in (event ids grow with time, like every X snowflake).

Answer: `POST /2/dm_conversations/with/:participant_id/messages` for a one-to-one conversation (whose id
is `{smaller user id}-{larger user id}`), `POST /2/dm_conversations/:dm_conversation_id/messages` for a
group; scope `dm.write`; 201 `{"data": {"dm_conversation_id", "dm_event_id"}}`. An answer lost on the way
is settled by reading the conversation's own events back (`find_dm`).

Cursor part (under "dm"): `{"since_id": S}`, plus `pagination_token` and `pending_newest_id` while a walk
is cut by its budget, as for mentions.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Collection
from typing import Any

import httpx

from networks.providers import x_wire
from networks.providers.base import (
    Ambiguous,
    Author,
    EngagementItem,
    Invalid,
    ItemKind,
    Network,
    PublishResult,
    ReadBackIncomplete,
    ReplyTarget,
    reply_text_key,
)
from networks.providers.rest import json_object, json_or_empty

log = logging.getLogger(__name__)

DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids,attachments"
PAGE_SIZE = 100  # dm_events takes max_results 1..100
MAX_PAGES_PER_RUN = 10
MAX_FIND_PAGES = 10
MAX_DM_TEXT = 10_000  # X's DM text limit
_ONE_TO_ONE = re.compile(r"^(\d+)-(\d+)$")

Call = Callable[..., httpx.Response]


class XDirectMessages:
    def __init__(self, call: Call, *, account_id: str, page_size: int = PAGE_SIZE):
        self.call = call
        self.account_id = account_id
        self.page_size = max(1, min(page_size, PAGE_SIZE))

    # --- Poll ----------------------------------------------------------------------------------------

    def poll(self, stored: Any, max_items: int) -> tuple[list[EngagementItem], dict[str, Any], bool, int]:
        """(new messages oldest first, next cursor part, stopped at the budget, skipped)."""
        stored = stored if isinstance(stored, dict) else {}
        since = x_wire.numeric_id(stored.get("since_id"))
        token = stored.get("pagination_token") if isinstance(stored.get("pagination_token"), str) else None
        newest = x_wire.numeric_id(stored.get("pending_newest_id"))
        items: list[EngagementItem] = []
        skipped = pages = 0
        while True:
            if pages >= MAX_PAGES_PER_RUN or len(items) >= max_items:
                resume = {"since_id": since, "pagination_token": token, "pending_newest_id": newest}
                return _oldest_first(items), {k: v for k, v in resume.items() if v}, True, skipped
            try:
                body = self._page(token)
            except Invalid:
                if not token or pages:
                    raise
                log.warning("x: DM pagination token refused for %s; restarting the walk", self.account_id)
                token = None
                continue
            pages += 1
            page_items, page_skipped, page_newest, reached = self._parse(body, since)
            items += page_items
            skipped += page_skipped
            newest = x_wire.max_id(newest, page_newest)
            token = x_wire.meta(body).get("next_token") or None
            if reached or not token:
                done = newest or since
                return _oldest_first(items), ({"since_id": done} if done else {}), False, skipped

    def _page(self, token: str | None) -> dict[str, Any]:
        params = {
            "dm_event.fields": DM_FIELDS,
            "event_types": "MessageCreate",
            "expansions": "sender_id",
            "user.fields": "username,name",
            "max_results": str(self.page_size),
        }
        if token:
            params["pagination_token"] = token
        return json_object(self.call("GET", "/2/dm_events", params=params), "X")

    def _parse(
        self, body: dict[str, Any], since: str | None
    ) -> tuple[list[EngagementItem], int, str | None, bool]:
        """A page's new messages, malformed ones skipped, its newest id, and whether the whole page lies
        at or below `since` (the walk has reached what was delivered)."""
        data = body.get("data") or []
        if not isinstance(data, list):
            return [], 1, None, False
        users = x_wire.users_by_id(body)
        items: list[EngagementItem] = []
        skipped = 0
        newest: str | None = None
        all_old = bool(data) and since is not None
        for raw in data:
            event_id = x_wire.numeric_id(raw.get("id")) if isinstance(raw, dict) else None
            if event_id is None:
                skipped += 1
                continue
            newest = x_wire.max_id(newest, event_id)
            if since is not None and int(event_id) <= int(since):
                continue
            all_old = False
            if raw.get("event_type", "MessageCreate") != "MessageCreate":
                continue
            try:
                items.append(self._item(raw, users))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skipped += 1
                log.warning("x: skipped a malformed DM event (id=%s): %s", event_id, exc)
        return items, skipped, newest, all_old

    def _item(self, raw: dict[str, Any], users: dict[str, dict[str, Any]]) -> EngagementItem:
        event_id = x_wire.require_numeric(raw["id"], "id")
        sender = x_wire.require_numeric(raw["sender_id"], "sender_id")
        conversation = str(raw.get("dm_conversation_id") or "")
        if not conversation:
            raise ValueError("dm_conversation_id missing")
        text = raw.get("text")
        if not isinstance(text, str):
            raise ValueError("text missing")
        user = users.get(sender, {})
        username = str(user.get("username") or "")
        return EngagementItem(
            network=Network.X,
            external_id=event_id,
            kind=ItemKind.DIRECT_MESSAGE,
            text=text,
            created_at=x_wire.parse_time(raw["created_at"]),
            author=Author(
                sender,
                handle=username,
                name=str(user.get("name") or ""),
                profile_url=f"https://x.com/{username}" if username else "",
            ),
            thread_root_external_id=conversation,
            permalink=f"https://x.com/messages/{conversation}",
            raw=raw,
        )

    # --- Answer --------------------------------------------------------------------------------------

    def send(self, target: ReplyTarget, text: str) -> PublishResult:
        if len(text) > MAX_DM_TEXT:
            raise Invalid(
                f"The message has {len(text):,} characters; an X direct message allows {MAX_DM_TEXT:,}."
            )
        path = self._conversation_path(target) + "/messages"
        response = self.call("POST", path, json={"text": text}, may_apply=True)
        found = json_or_empty(response).get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        event_id = x_wire.numeric_id(data.get("dm_event_id"))
        if not event_id:
            raise Ambiguous("X accepted the message but its answer had no event id; check the conversation.")
        conversation = str(data.get("dm_conversation_id") or target.thread_root_external_id)
        return PublishResult(event_id, permalink=f"https://x.com/messages/{conversation}", raw=data)

    def find_dm(
        self, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str]
    ) -> PublishResult | None:
        """Our message with these words in the conversation since `since`; the oldest such is the earlier
        attempt. Pages are read until one lies wholly before `since` (at most MAX_FIND_PAGES)."""
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)
        params = {"dm_event.fields": DM_FIELDS, "event_types": "MessageCreate", "max_results": "100"}
        path = self._conversation_path(target) + "/dm_events"
        best: tuple[int, PublishResult] | None = None
        for _page in range(MAX_FIND_PAGES):
            body = json_object(self.call("GET", path, params=params), "X")
            data = body.get("data") or []
            recent = False
            for raw in data if isinstance(data, list) else []:
                try:
                    event_id = x_wire.require_numeric(raw["id"], "id")
                    created = x_wire.parse_time(raw["created_at"])
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
                if created < floor:
                    continue
                recent = True
                ours = str(raw.get("sender_id") or "") == self.account_id
                same = isinstance(raw.get("text"), str) and reply_text_key(raw["text"]) == wanted
                if ours and same and event_id not in exclude and (best is None or int(event_id) < best[0]):
                    conversation = str(raw.get("dm_conversation_id") or target.thread_root_external_id)
                    link = f"https://x.com/messages/{conversation}"
                    best = (int(event_id), PublishResult(event_id, permalink=link, raw=raw))
            token = x_wire.meta(body).get("next_token")
            if not token or not recent:
                return best[1] if best else None
            params["pagination_token"] = str(token)
        if best is None:
            raise ReadBackIncomplete("The X conversation has more messages since than CM Hub reads back.")
        return best[1]

    def _conversation_path(self, target: ReplyTarget) -> str:
        conversation = target.thread_root_external_id
        pair = _ONE_TO_ONE.match(conversation)
        if pair:
            other = next((uid for uid in pair.groups() if uid != self.account_id), "")
            return f"/2/dm_conversations/with/{other or target.author_external_id}"
        if conversation:
            return f"/2/dm_conversations/{conversation}"
        if target.author_external_id and target.author_external_id != self.account_id:
            return f"/2/dm_conversations/with/{target.author_external_id}"
        raise Invalid("This message has no conversation to answer in.")


def _oldest_first(items: list[EngagementItem]) -> list[EngagementItem]:
    return sorted(items, key=lambda item: int(item.external_id))
