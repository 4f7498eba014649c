"""Instagram direct messages and mentions, for `InstagramProvider` (Graph API, Facebook Login).

Direct messages (https://developers.facebook.com/docs/messenger-platform/conversations): the linked Page's
`/{page-id}/conversations?platform=instagram` lists the threads, each carrying its messages (only the 20
most recent of a thread are readable). The Page is whoever the token is: `GET /me` with a Page token
answers the Page (with an Instagram Login token, the IG account, whose own `/conversations` edge serves
the same list), so no id has to be stored at connect time. The token needs `instagram_basic`,
`instagram_manage_messages` and `pages_manage_metadata`; without them the poll stores the comments and
reports the missing permission.

Answers go through the Send API, `POST /{page-id}/messages` with `recipient.id` = the person's IGSID,
only inside the standard messaging window: 24 hours after the person's last message. Outside it CM Hub
refuses before sending. The HUMAN_AGENT tag (7 days) is not used: Meta grants it to an app only after a
review of its "Human Agent" feature, for messages typed by a person, and a refused tag fails the send
anyway; when a deployment has it, this is the one place to add it.

Mentions: `/{ig-user-id}/tags` lists the media the account is tagged in (https://developers.facebook.com/
docs/instagram-platform/instagram-graph-api/reference/ig-user/tags). @mentions in captions and comments are
not listed by any edge: Meta announces them with the `mentions` webhook, whose ids are then read with the
`mentioned_comment` / `mentioned_media` fields of the IG user (`read_mention` below), and answered with
`POST /{ig-user-id}/mentions`.

No order is documented for any of these lists: every walk sorts what it read itself, and stops only after
a whole page lies below what was already delivered.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator
from typing import Any

from networks.providers.base import (
    Ambiguous,
    Attachment,
    Author,
    DmThread,
    EngagementItem,
    Invalid,
    ItemKind,
    Network,
    PermissionMissing,
    PublishResult,
    ReadBackIncomplete,
    ReplyTarget,
    reply_text_key,
)
from networks.providers.graph import (
    GraphClient,
    item_id_for_log,
    optional_dict,
    optional_str,
    parse_graph_time,
    required_str,
)
from networks.providers.graph_scan import Mark, Run, Walk, poll_threads, walk_stream

logger = logging.getLogger(__name__)

#: The standard messaging window (https://developers.facebook.com/docs/messenger-platform/policy/policy-overview).
DM_WINDOW = dt.timedelta(hours=24)
#: "Text ... must be UTF-8 and 1000 bytes or less" (Instagram Messaging, Send API).
MAX_DM_BYTES = 1000
#: Only the 20 most recent messages of an Instagram thread are readable.
READABLE_MESSAGES = 20
MESSAGE_FIELDS = "id,message,created_time,from,to,attachments"
TAG_FIELDS = "id,caption,media_type,permalink,timestamp,username"
MENTION_COMMENT_FIELDS = "id,text,timestamp,username,like_count,media{id,permalink,caption,username}"
MENTION_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,username"
INBOX_LINK = "https://www.instagram.com/direct/inbox/"
#: Pages of a listing read per run before stopping (the next run goes on from what was delivered).
MAX_LIST_PAGES = 20


def dm_problems(text: str) -> list[str]:
    size = len(text.encode("utf-8"))
    if size > MAX_DM_BYTES:
        return [f"The message takes {size:,} bytes; an Instagram direct message allows {MAX_DM_BYTES:,}."]
    return []


class InstagramInbox:
    """The DM and mention half of one InstagramProvider: same Graph client, same account."""

    def __init__(
        self,
        graph: GraphClient,
        *,
        ig_user_id: str,
        handle: str,
        page_size: int,
        clock: Callable[[], dt.datetime],
    ):
        self.graph = graph
        self.ig_user_id = ig_user_id
        self.handle = handle
        self.page_size = page_size
        self.clock = clock

    # --- Who sends: the Page linked to the account -----------------------------------------------------

    def owner_id(self, stored: str = "") -> str:
        if stored:
            return stored
        found = self.graph.get("me", {"fields": "id"}).get("id")
        if not isinstance(found, str) or not found:
            raise Invalid("Graph did not say which Page this Instagram token belongs to.")
        return found

    # --- Poll: direct messages -------------------------------------------------------------------------

    def poll_messages(self, run: Run, stored: Any, floor: dt.datetime) -> dict[str, Any]:
        stored = stored if isinstance(stored, dict) else {}
        owner = self.owner_id(str(stored.get("owner") or ""))
        state = poll_threads(
            run,
            stored,
            floor,
            lambda threads, seen: self._walk_conversations(run, owner, threads, floor, seen),
        )
        return {**state, "owner": owner}

    def _walk_conversations(
        self, run: Run, owner: str, threads: dict[str, Any], floor: dt.datetime, seen: Mark
    ) -> tuple[dt.datetime | None, bool]:
        stop_at = max(seen.at, floor) if seen.at else floor
        params = {
            "platform": "instagram",
            "fields": f"id,updated_time,participants,messages.limit({READABLE_MESSAGES}){{{MESSAGE_FIELDS}}}",
            "limit": self.page_size,
        }
        newest: dt.datetime | None = None
        for data, has_next in self.graph.pages(f"{owner}/conversations", params):
            page_is_old = True
            for raw in data:
                try:
                    conversation_id = required_str(raw, "id")
                    updated = parse_graph_time(raw.get("updated_time"))
                    envelope = optional_dict(raw, "messages") or {"data": []}
                except ValueError as exc:
                    logger.warning(
                        "Skipping malformed Instagram thread (id=%s): %s", item_id_for_log(raw), exc
                    )
                    run.skipped += 1
                    continue
                if updated < stop_at:
                    continue  # quiet since the last complete listing
                page_is_old = False
                newest = max(newest, updated) if newest else updated
                items = self._thread_items(run, conversation_id, envelope)
                walk = Walk(threads.get(conversation_id), floor=floor)
                threads[conversation_id] = walk_stream(run, walk, iter([(items, False)]), _same)
                if run.interrupted:
                    return newest, False
            # Threads come most recently active first in practice, but nothing promises it: stop only
            # after a whole page of quiet ones.
            if page_is_old or not has_next:
                return newest, True
            if not run.take_page():
                run.interrupted = True
                return newest, False
        return newest, True

    def _thread_items(self, run: Run, conversation_id: str, envelope: dict[str, Any]) -> list[EngagementItem]:
        items: list[EngagementItem] = []
        for data, _has_next in self.graph.pages_from(envelope):
            for raw in data:
                try:
                    items.append(parse_message(raw, conversation_id=conversation_id))
                except ValueError as exc:
                    logger.warning(
                        "Skipping malformed Instagram message (id=%s): %s", item_id_for_log(raw), exc
                    )
                    run.skipped += 1
        return _newest_first(items)

    # --- Webhooks: the thread of a pushed DM -----------------------------------------------------------

    def conversation_with(self, customer_id: str) -> DmThread | None:
        """The thread between the account and one person (`GET /{page-id}/conversations?platform=instagram
        &user_id=IGSID`, https://developers.facebook.com/docs/messenger-platform/conversations), named by
        the id the poll files it under, with the person's username, which the `messages` webhook lacks.
        None when Graph lists no such thread."""
        owner = self.owner_id()
        params = {"platform": "instagram", "user_id": customer_id, "fields": "id,participants"}
        for data, _has_next in self.graph.pages(f"{owner}/conversations", params):
            for raw in data:
                try:
                    conversation_id = required_str(raw, "id")
                    people = (optional_dict(raw, "participants") or {}).get("data")
                except ValueError:
                    continue
                customer = None
                for person in people if isinstance(people, list) else []:
                    if isinstance(person, dict) and person.get("id") == customer_id:
                        try:
                            customer = _author(person)
                        except ValueError:
                            customer = None
                return DmThread(conversation_id, INBOX_LINK, customer)
            return None
        return None

    # --- Poll: media the account is tagged in ----------------------------------------------------------

    def poll_tags(self, run: Run, stored: Any, floor: dt.datetime) -> dict[str, Any]:
        walk = Walk(stored, floor=floor)
        params = {"fields": TAG_FIELDS, "limit": self.page_size}
        items: list[EngagementItem] = []
        stop_at = max(walk.mark.at, floor) if walk.mark.at else floor
        try:
            pages = self.graph.pages(f"{self.ig_user_id}/tags", params)
            for number, (data, has_next) in enumerate(pages, start=1):
                page_is_old = True
                for raw in data:
                    try:
                        item = parse_tag(raw)
                    except ValueError as exc:
                        logger.warning(
                            "Skipping malformed Instagram tag (id=%s): %s", item_id_for_log(raw), exc
                        )
                        run.skipped += 1
                        continue
                    if item.created_at >= stop_at:
                        page_is_old = False
                        items.append(item)
                if page_is_old or not has_next or number >= MAX_LIST_PAGES:
                    break
        except PermissionMissing as exc:
            run.permission_missing = run.permission_missing or exc.network_message or str(exc)
            return stored if isinstance(stored, dict) else {}
        return walk_stream(run, walk, iter([(_newest_first(items), False)]), _same)

    # --- Mentions announced by the `mentions` webhook --------------------------------------------------

    def read_mention(self, *, media_id: str, comment_id: str = "") -> EngagementItem:
        """The caption or comment that @mentions the account, read by the ids Meta's `mentions` webhook
        carries; a MENTION item threaded under its media."""
        if comment_id:
            field = f"mentioned_comment.comment_id({comment_id}){{{MENTION_COMMENT_FIELDS}}}"
            body = self.graph.get(self.ig_user_id, {"fields": field})
            raw = body.get("mentioned_comment")
            if not isinstance(raw, dict):
                raise Invalid("Instagram did not return the comment that mentions the account.")
            return parse_mentioned_comment(raw, media_id=media_id)
        field = f"mentioned_media.media_id({media_id}){{{MENTION_MEDIA_FIELDS}}}"
        body = self.graph.get(self.ig_user_id, {"fields": field})
        raw = body.get("mentioned_media")
        if not isinstance(raw, dict):
            raise Invalid("Instagram did not return the media that mentions the account.")
        return parse_tag(raw)

    # --- Replying ----------------------------------------------------------------------------------------

    def send_message(self, target: ReplyTarget, text: str, *, owner: str = "") -> PublishResult:
        problems = dm_problems(text)
        if problems:
            raise Invalid(" ".join(problems))
        recipient = target.author_external_id
        if not recipient or recipient == self.ig_user_id:
            raise Invalid("This message has no customer to answer (it was sent by the account itself).")
        last = self.last_customer_message_at(target.thread_root_external_id, recipient)
        now = self.clock()
        if last is None or now - last > DM_WINDOW:
            raise Invalid(window_closed_sentence(last, now))
        payload = {"recipient": {"id": recipient}, "message": {"text": text}}
        body = self.graph.post(f"{self.owner_id(owner)}/messages", json_body=payload)
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise Ambiguous("Instagram accepted the message but returned no `message_id`")
        return PublishResult(message_id, permalink=INBOX_LINK, raw=body)

    def last_customer_message_at(self, conversation_id: str, customer_id: str) -> dt.datetime | None:
        """When the person last wrote in this thread, read from the network (the window's start)."""
        params = {"fields": "id,created_time,from", "limit": READABLE_MESSAGES}
        latest: dt.datetime | None = None
        for data, _has_next in self._first_pages(f"{conversation_id}/messages", params, 1):
            for raw in data:
                try:
                    sender = optional_dict(raw, "from") or {}
                    created = parse_graph_time(raw.get("created_time"))
                except ValueError:
                    continue
                if sender.get("id") == customer_id and (latest is None or created > latest):
                    latest = created
        return latest

    def find_message(
        self, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str]
    ) -> PublishResult | None:
        """Our message with these words in the thread since `since` (the oldest such: the earlier
        attempt). Only the 20 latest messages are readable: when all of them are newer than `since` and
        none matches, nobody can tell, and ReadBackIncomplete says so."""
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)
        params = {"fields": "id,message,created_time,from", "limit": READABLE_MESSAGES}
        best: tuple[dt.datetime, PublishResult] | None = None
        read = 0
        oldest: dt.datetime | None = None
        path = f"{target.thread_root_external_id}/messages"
        for data, _has_next in self._first_pages(path, params, 1):
            for raw in data:
                try:
                    found_id = required_str(raw, "id")
                    created = parse_graph_time(raw.get("created_time"))
                    sender = optional_dict(raw, "from") or {}
                    words = optional_str(raw, "message")
                except ValueError:
                    continue
                read += 1
                oldest = created if oldest is None or created < oldest else oldest
                ours = sender.get("id") == self.ig_user_id
                if not ours or created < floor or found_id in exclude or reply_text_key(words) != wanted:
                    continue
                if best is None or created < best[0]:
                    best = (created, PublishResult(found_id, permalink=INBOX_LINK, raw=raw))
        if best is None and read >= READABLE_MESSAGES and oldest is not None and oldest >= floor:
            raise ReadBackIncomplete("The Instagram thread has more messages since than can be read back.")
        return best[1] if best else None

    def _first_pages(self, path: str, params: dict[str, Any], count: int) -> Iterator[tuple[list[Any], bool]]:
        for number, page in enumerate(self.graph.pages(path, params), start=1):
            yield page
            if number >= count:
                return

    def reply_to_mention(self, target: ReplyTarget, text: str) -> PublishResult:
        """A comment on the media (or under the comment) that mentions the account."""
        data = {"media_id": target.post_external_id or target.external_id, "message": text}
        if target.external_id != data["media_id"]:
            data["comment_id"] = target.external_id
        body = self.graph.post(f"{self.ig_user_id}/mentions", data=data)
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise Ambiguous("Instagram accepted the comment but returned no id")
        return PublishResult(comment_id, raw=body)

    def find_mention_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str]
    ) -> PublishResult | None:
        """Our comment with these words on the mentioning media, read through `mentioned_media` (the
        only way to read media of another account)."""
        media_id = target.post_external_id or target.external_id
        field = f"mentioned_media.media_id({media_id}){{comments.limit(50){{id,text,timestamp,username}}}}"
        body = self.graph.get(self.ig_user_id, {"fields": field})
        media = body.get("mentioned_media")
        envelope = media.get("comments") if isinstance(media, dict) else None
        if not isinstance(envelope, dict):
            return None
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)
        best: tuple[dt.datetime, PublishResult] | None = None
        for number, (data, has_next) in enumerate(self.graph.pages_from(envelope), start=1):
            for raw in data:
                try:
                    found_id, created = required_str(raw, "id"), parse_graph_time(raw.get("timestamp"))
                    words, username = optional_str(raw, "text"), optional_str(raw, "username")
                except ValueError:
                    continue
                if username != self.handle or created < floor or found_id in exclude:
                    continue
                if reply_text_key(words) == wanted and (best is None or created < best[0]):
                    best = (created, PublishResult(found_id, raw=raw))
            if has_next and number >= MAX_LIST_PAGES:
                if best is None:
                    raise ReadBackIncomplete("The media has more comments since than CM Hub reads back.")
                break
        return best[1] if best else None


def window_closed_sentence(last: dt.datetime | None, now: dt.datetime) -> str:
    if last is None:
        return (
            "Instagram lets a business answer only within 24 hours of the person's last message, and this "
            "thread has no recent message from them. Nothing was sent."
        )
    hours = int((now - last).total_seconds() // 3600)
    return (
        "Instagram lets a business answer only within 24 hours of the person's last message; their last "
        f"one came {hours} hours ago. Nothing was sent: answer when they write again."
    )


# --- Parsing (pure: ValueError on a malformed item) -------------------------------------------------------


def parse_message(raw: Any, *, conversation_id: str) -> EngagementItem:
    message_id = required_str(raw, "id")
    sender = optional_dict(raw, "from")
    return EngagementItem(
        network=Network.INSTAGRAM,
        external_id=message_id,
        kind=ItemKind.DIRECT_MESSAGE,
        text=optional_str(raw, "message"),
        created_at=parse_graph_time(raw.get("created_time")),
        author=_author(sender),
        thread_root_external_id=conversation_id,
        permalink=INBOX_LINK,
        attachments=_attachments(raw.get("attachments")),
        raw=raw,
    )


def parse_tag(raw: Any) -> EngagementItem:
    """A media the account is tagged in (or that mentions it in its caption): a MENTION, its own thread."""
    media_id = required_str(raw, "id")
    username = optional_str(raw, "username")
    permalink = optional_str(raw, "permalink")
    caption = optional_str(raw, "caption")
    return EngagementItem(
        network=Network.INSTAGRAM,
        external_id=media_id,
        kind=ItemKind.MENTION,
        text=caption,
        created_at=parse_graph_time(raw.get("timestamp")),
        author=_by_username(username),
        post_external_id=media_id,
        post_text=caption,
        post_permalink=permalink,
        thread_root_external_id=media_id,
        permalink=permalink,
        raw=raw,
    )


def parse_mentioned_comment(raw: Any, *, media_id: str) -> EngagementItem:
    comment_id = required_str(raw, "id")
    media = optional_dict(raw, "media") or {}
    media_id = str(media.get("id") or media_id)
    username = optional_str(raw, "username")
    permalink = str(media.get("permalink") or "")
    return EngagementItem(
        network=Network.INSTAGRAM,
        external_id=comment_id,
        kind=ItemKind.MENTION,
        text=optional_str(raw, "text"),
        created_at=parse_graph_time(raw.get("timestamp")),
        author=_by_username(username),
        post_external_id=media_id,
        post_text=str(media.get("caption") or ""),
        post_permalink=permalink,
        thread_root_external_id=comment_id,
        permalink=permalink,
        raw=raw,
    )


def _author(sender: dict[str, Any] | None) -> Author | None:
    if sender is None:
        return None
    username = optional_str(sender, "username")
    return Author(required_str(sender, "id"), handle=username, profile_url=_profile(username))


def _by_username(username: str) -> Author | None:
    """Tags and mentions name their author by username only (no IGSID is given for another account's
    media): the username keys the contact, so the person still has a name and a history in the inbox."""
    if not username:
        return None
    return Author(f"@{username}", handle=username, profile_url=_profile(username))


def _profile(username: str) -> str:
    return f"https://www.instagram.com/{username}/" if username else ""


def _attachments(data: Any) -> tuple[Attachment, ...]:
    entries = data.get("data") if isinstance(data, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        image = entry.get("image_data") if isinstance(entry, dict) else None
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            found.append(Attachment("image", url=image["url"], preview_url=str(image.get("preview_url", ""))))
    return tuple(found)


def _newest_first(items: list[EngagementItem]) -> list[EngagementItem]:
    return sorted(items, key=lambda item: (item.created_at, item.external_id), reverse=True)


def _same(item: Any) -> EngagementItem | None:
    return item if isinstance(item, EngagementItem) else None
