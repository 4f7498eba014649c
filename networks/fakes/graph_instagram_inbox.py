"""Instagram direct messages and mentions in the Graph fake, from Meta's documentation:

- `GET /{page-id}/conversations?platform=instagram` (needs instagram_basic, instagram_manage_messages and
  pages_manage_metadata: https://developers.facebook.com/docs/messenger-platform/conversations), each
  thread's `messages` edge holding only its 20 most recent messages, and `&user_id=IGSID` narrowing the
  list to the thread with that person;
- `POST /{page-id}/messages` to an IGSID, refused (code 10, subcode 2018278) more than 24 hours after the
  person's last message (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message);
- `GET /{ig-user-id}/tags` (media the account is tagged in), the `mentioned_media.media_id(...)` and
  `mentioned_comment.comment_id(...)` fields of the IG user, and `POST /{ig-user-id}/mentions`
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentions).

A mixin of `GraphFake`; the rules are the fake's own, never the client's.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from networks.fakes import graph_state as gs
from networks.fakes.base import Request
from networks.fakes.graph_state import (
    FieldSpec,
    IgComment,
    IgUser,
    Media,
    Page,
    Reject,
    error_response,
    graph_time,
    newest_first,
    parse_fields,
    parse_time,
    select,
)

IG_CONVERSATIONS_NEED = ("instagram_basic", "instagram_manage_messages", "pages_manage_metadata")
IG_LOGIN_CONVERSATIONS_NEED = ("instagram_basic", "instagram_manage_messages")
IG_MENTIONS_NEED = ("instagram_basic", "instagram_manage_comments")
READABLE = 20
WINDOW = dt.timedelta(hours=24)


@dataclass
class IgDm:
    id: str
    thread_id: str
    text: str
    created: dt.datetime
    sender: dict[str, str]  # {"username", "id"}
    recipient: dict[str, str]


@dataclass
class IgThread:
    id: str
    page_id: str
    ig_user_id: str
    user: dict[str, str]  # the person: {"username", "id": IGSID}
    messages: list[IgDm] = field(default_factory=list)

    @property
    def updated(self) -> dt.datetime:
        return max((m.created for m in self.messages), default=gs.EPOCH)


class InstagramInboxRoutes(gs.GraphHost):
    objects: dict[str, Any]
    ig_tags: dict[str, set[str]]
    _authenticate: Any
    deleted: set[str]
    # From InstagramRoutes, mixed into the same GraphFake.
    add_media: Any
    add_ig_comment: Any

    # --- Seeding ----------------------------------------------------------------------------------------

    def add_ig_message(
        self,
        ig_user_id: str,
        user: dict[str, str] | None = None,
        text: str = "Hi!",
        created_time: Any = None,
        from_business: bool = False,
    ) -> IgDm:
        """A direct message between the IG account and `user` ({"id": IGSID, "username"}), in their thread."""
        account = self.objects[ig_user_id]
        user = user or {"id": f"5{self.ids.next()}", "username": "dana.customer"}
        thread = self._ig_thread(account, user)
        ours = {"username": account.username, "id": account.id}
        sender, recipient = (ours, thread.user) if from_business else (thread.user, ours)
        created = parse_time(created_time) or self.now()
        # Drawn from the fake's counter, not at random: a demo world seeded again gets the same ids.
        raw_id = f"ig_message:{self.ids.next()}"
        message = IgDm(
            base64.b64encode(raw_id.encode()).decode(), thread.id, text, created, sender, recipient
        )
        thread.messages.append(message)
        self.objects[message.id] = message
        return message

    def _ig_thread(self, account: IgUser, user: dict[str, str]) -> IgThread:
        for obj in self.objects.values():
            if isinstance(obj, IgThread) and obj.ig_user_id == account.id and obj.user["id"] == user["id"]:
                return obj
        raw_id = f"ig_thread:{account.id}:{user['id']}"
        thread = IgThread(
            base64.b64encode(raw_id.encode()).decode().rstrip("="), account.page_id, account.id, dict(user)
        )
        self.objects[thread.id] = thread
        return thread

    def add_ig_tag(
        self, ig_user_id: str, caption: str = "", username: str = "", created_time: Any = None
    ) -> Media:
        """Another account's media that tags (and @mentions) `ig_user_id`."""
        author = self._other_account(username or "fan.of.bread")
        media = self.add_media(author.id, caption, created_time)
        self.ig_tags.setdefault(media.id, set()).add(ig_user_id)
        return media

    def add_ig_mention_comment(
        self,
        ig_user_id: str,
        media_id: str = "",
        text: str = "",
        username: str = "",
        created_time: Any = None,
    ) -> IgComment:
        """A comment @mentioning `ig_user_id` on someone else's media (made here when not given)."""
        account = self.objects[ig_user_id]
        if not media_id:
            media_id = self.add_media(self._other_account("someone.else").id, "Brunch!").id
        return self.add_ig_comment(
            media_id, text or f"@{account.username} look at this", created_time, username or "ada_eats"
        )

    def _other_account(self, username: str) -> IgUser:
        for obj in self.objects.values():
            if isinstance(obj, IgUser) and obj.username == username:
                return obj
        user = IgUser(f"1784{self.ids.next()}", username)
        self.objects[user.id] = user
        return user

    # --- Reads ------------------------------------------------------------------------------------------

    def ig_inbox_owner_of(self, obj: Any) -> str | None:
        # The IG account owns its threads: a Page token reaches it through the linked Page, an Instagram
        # Login token directly.
        if isinstance(obj, IgThread):
            return obj.ig_user_id
        if isinstance(obj, IgDm):
            return self.objects[obj.thread_id].ig_user_id
        return None

    def ig_inbox_edge(
        self, request: Request, obj: Any, edge: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any] | None:
        if isinstance(obj, Page) and edge == "conversations" and request.arg("platform") == "instagram":
            self._require(request, IG_CONVERSATIONS_NEED)
            return self._ig_conversations(request, obj.ig_user_id, fields)
        if isinstance(obj, IgUser) and edge == "conversations":
            # Instagram Login (graph.instagram.com): the account's own edge, no Page involved.
            self._require(request, IG_LOGIN_CONVERSATIONS_NEED)
            return self._ig_conversations(request, obj.id, fields)
        if isinstance(obj, IgThread) and edge == "messages":
            return self.envelope(request, self._readable(obj), lambda m: _dm_json(m, fields))
        if isinstance(obj, IgUser) and edge == "tags":
            self._require(request, IG_MENTIONS_NEED)
            tagged = [m for m in self.objects_of(Media) if obj.id in self.ig_tags.get(m.id, set())]
            tagged.sort(key=newest_first)
            return self.envelope(request, tagged, lambda m: self._tag_json(m, fields))
        return None

    def ig_inbox_node(
        self, request: Request, obj: Any, fields: dict[str, FieldSpec]
    ) -> dict[str, Any] | None:
        if isinstance(obj, IgUser) and ("mentioned_media" in fields or "mentioned_comment" in fields):
            self._require(request, IG_MENTIONS_NEED)
            body: dict[str, Any] = {"id": obj.id}
            if "mentioned_media" in fields:
                spec = fields["mentioned_media"]
                media = self.objects.get(spec.modifiers.get("media_id", ""))
                if not isinstance(media, Media) or not self._mentions(media, obj):
                    raise Reject(error_response(100, "(#100) Invalid media_id for mentioned_media"))
                body["mentioned_media"] = self._mentioned_media_json(request, media, parse_fields(spec.sub))
            if "mentioned_comment" in fields:
                spec = fields["mentioned_comment"]
                comment = self.objects.get(spec.modifiers.get("comment_id", ""))
                if not isinstance(comment, IgComment) or f"@{obj.username}" not in comment.text:
                    raise Reject(error_response(100, "(#100) Invalid comment_id for mentioned_comment"))
                body["mentioned_comment"] = self._mentioned_comment_json(comment, parse_fields(spec.sub))
            return body
        if isinstance(obj, IgThread):
            body = {"id": obj.id, "updated_time": graph_time(obj.updated)}
            if "messages" in fields:
                spec = fields["messages"]
                sub = parse_fields(spec.sub)
                body["messages"] = self.nested(
                    request, obj.id, "messages", self._readable(obj), lambda m: _dm_json(m, sub), spec
                )
            return select(body, fields, ("id",))
        if isinstance(obj, IgDm):
            return _dm_json(obj, fields)
        return None

    def _require(self, request: Request, needed: tuple[str, ...]) -> None:
        refusal = gs.missing_permission(self._authenticate(request), needed)
        if refusal is not None:
            raise Reject(refusal)

    def _readable(self, thread: IgThread) -> list[IgDm]:
        live = [m for m in thread.messages if m.id not in self.deleted]
        return sorted(live, key=newest_first)[:READABLE]

    def _ig_conversations(
        self, request: Request, ig_user_id: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        threads = [t for t in self.objects_of(IgThread) if t.ig_user_id == ig_user_id and t.messages]
        person = request.arg("user_id")
        if person:  # "a conversation with a specific person": the thread with that IGSID, if any
            threads = [t for t in threads if t.user.get("id") == person]
        threads.sort(key=lambda t: t.updated, reverse=True)
        account = self.objects.get(ig_user_id)

        def render(thread: IgThread) -> dict[str, Any]:
            ours = {"username": account.username if account else "", "id": thread.ig_user_id}
            body: dict[str, Any] = {
                "id": thread.id,
                "updated_time": graph_time(thread.updated),
                "participants": {"data": [ours, thread.user]},
            }
            if "messages" in fields:
                spec = fields["messages"]
                sub = parse_fields(spec.sub)
                body["messages"] = self.nested(
                    request, thread.id, "messages", self._readable(thread), lambda m: _dm_json(m, sub), spec
                )
            return select(body, fields, ("id", "updated_time"))

        return self.envelope(request, threads, render)

    def _mentions(self, media: Media, account: IgUser) -> bool:
        return account.id in self.ig_tags.get(media.id, set()) or f"@{account.username}" in media.caption

    def _tag_json(self, media: Media, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        owner = self.objects[media.ig_user_id]
        body = {
            "id": media.id,
            "caption": media.caption,
            "media_type": media.media_type,
            "permalink": f"https://www.instagram.com/p/C{media.id[-8:]}/",
            "timestamp": graph_time(media.created),
            "username": owner.username,
        }
        return select(body, fields, ("id",))

    def _mentioned_media_json(
        self, request: Request, media: Media, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        body = self._tag_json(media, fields)
        if "comments" in fields:
            spec = fields["comments"]
            sub = parse_fields(spec.sub)
            comments = sorted(
                (c for c in self.objects_of(IgComment) if c.media_id == media.id), key=newest_first
            )
            body["comments"] = self.nested(
                request, media.id, "comments", comments, lambda c: _comment_json(c, sub), spec
            )
        return body

    def _mentioned_comment_json(self, comment: IgComment, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        media = self.objects[comment.media_id]
        body: dict[str, Any] = _comment_json(comment, fields)
        if "media" in fields:
            body["media"] = select(self._tag_json(media, {}), parse_fields(fields["media"].sub), ("id",))
        return body

    # --- Writes -----------------------------------------------------------------------------------------

    def ig_inbox_write(self, obj: Any, edge: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(obj, Page | IgUser) and edge == "messages":
            recipient = _json_param(params.get("recipient"))
            ig_user_id = obj.ig_user_id if isinstance(obj, Page) else obj.id
            thread = next(
                (
                    t
                    for t in self.objects_of(IgThread)
                    if t.ig_user_id == ig_user_id and t.user["id"] == recipient.get("id")
                ),
                None,
            )
            return None if thread is None else self._send(thread, params)
        if isinstance(obj, IgUser) and edge == "mentions":
            return self._answer_mention(obj, params)
        return None

    def _send(self, thread: IgThread, params: dict[str, Any]) -> dict[str, Any]:
        message = _json_param(params.get("message"))
        text = str(message.get("text") or "")
        if not text:
            raise Reject(
                error_response(100, "(#100) Message cannot be empty, must provide valid attachment or text")
            )
        if len(text.encode()) > 1000:
            raise Reject(error_response(100, "(#100) Length of param message[text] must be less than 1000"))
        from_person = [m.created for m in thread.messages if m.sender["id"] == thread.user["id"]]
        tag = str(params.get("tag") or "")
        window = dt.timedelta(days=7) if tag == "HUMAN_AGENT" else WINDOW
        if not from_person or self.now() - max(from_person) > window:
            raise Reject(
                error_response(10, "(#10) This message is sent outside of allowed window.", subcode=2018278)
            )
        sent = self.add_ig_message(thread.ig_user_id, thread.user, text, from_business=True)
        return {"recipient_id": thread.user["id"], "message_id": sent.id}

    def _answer_mention(self, account: IgUser, params: dict[str, Any]) -> dict[str, Any]:
        media = self.objects.get(str(params.get("media_id") or ""))
        text = str(params.get("message") or "")
        if not isinstance(media, Media) or media.id in self.deleted:
            raise Reject(error_response(100, "(#100) Invalid parameter media_id"))
        if not text:
            raise Reject(error_response(100, "(#100) The parameter message is required."))
        comment_id = str(params.get("comment_id") or "")
        if comment_id:
            comment = self.objects.get(comment_id)
            if not isinstance(comment, IgComment) or f"@{account.username}" not in comment.text:
                raise Reject(error_response(100, "(#100) Invalid parameter comment_id"))
        elif not self._mentions(media, account):
            raise Reject(error_response(100, "(#100) The media does not mention this account"))
        parent = comment_id and (self.objects[comment_id].parent_id or comment_id)
        made = self.add_ig_comment(
            media.id, text, username=account.username, from_id=account.id, parent_id=parent
        )
        return {"id": made.id}


def _json_param(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _dm_json(message: IgDm, fields: dict[str, FieldSpec]) -> dict[str, Any]:
    body = {
        "id": message.id,
        "created_time": graph_time(message.created),
        "from": message.sender,
        "to": {"data": [message.recipient]},
        "message": message.text,
    }
    return select(body, fields, ("id", "created_time"))


def _comment_json(comment: IgComment, fields: dict[str, FieldSpec]) -> dict[str, Any]:
    body = {
        "id": comment.id,
        "text": comment.text,
        "timestamp": graph_time(comment.created),
        "username": comment.username,
        "like_count": 0,
    }
    return select(body, fields, ("id", "text", "timestamp"))
