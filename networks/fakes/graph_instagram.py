"""The Instagram half of the Graph fake: IG users, media, comments, publishing containers, token refresh.

A mixin of `GraphFake`, which provides the shared plumbing (`objects`, `envelope`, `nested`, `visible`...).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from networks.fakes.base import Request, Response
from networks.fakes.graph_state import (
    Container,
    FieldSpec,
    GraphHost,
    IgComment,
    IgUser,
    Media,
    Reject,
    Token,
    error_response,
    graph_time,
    newest_first,
    oldest_first,
    parse_fields,
    parse_time,
    select,
)

MAX_CAPTION = 2_200
_STATUS_TEXT = {
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "ERROR": "Error: Media upload has failed with error code 2207026",
    "EXPIRED": "Expired: The container was not published within 24 hours.",
    "PUBLISHED": "Published: Media has been published.",
}


class InstagramRoutes(GraphHost):
    # Provided by GraphFake; declared for readers and type checkers.
    objects: dict[str, Any]
    container_statuses: list[str]
    ig_comment_order: str
    ig_media_order: str

    # --- Seeding ----------------------------------------------------------------------------------------

    def add_ig_user(
        self, username: str = "acme.bakery", page_id: str = "", ig_user_id: str = "", token: str = ""
    ) -> IgUser:
        """An Instagram professional account, linked to a Page (Facebook Login) and with its own token
        (Instagram Login, for `refresh_access_token`)."""
        ig_user_id = ig_user_id or f"1784{self.ids.next()}"
        user = IgUser(ig_user_id, username, page_id, self.issue_token("instagram", ig_user_id, token))
        self.objects[ig_user_id] = user
        if page_id:
            self.objects[page_id].ig_user_id = ig_user_id
        return user

    def add_media(
        self,
        ig_user_id: str,
        caption: str = "",
        created_time: Any = None,
        media_id: str = "",
        image_url: str = "",
    ) -> Media:
        media_id = media_id or f"1790{self.ids.next()}"
        media = Media(
            media_id, ig_user_id, caption, parse_time(created_time) or self.now(), media_url=image_url
        )
        self.objects[media_id] = media
        return media

    def add_ig_comment(
        self,
        media_id: str,
        text: str = "Love it!",
        created_time: Any = None,
        username: str = "",
        from_id: str = "",
        parent_id: str = "",
        hidden: bool = False,
    ) -> IgComment:
        from_id = from_id or f"9{self.ids.next()}"
        username = username or f"fan_{from_id[-4:]}"
        created = parse_time(created_time) or self.now()
        comment = IgComment(
            f"1787{self.ids.next()}", media_id, text, created, username, from_id, parent_id, hidden
        )
        self.objects[comment.id] = comment
        return comment

    def add_raw_ig_comment(
        self, media_id: str, body: dict[str, Any], created_time: Any = None, parent_id: str = ""
    ) -> IgComment:
        comment = self.add_ig_comment(media_id, created_time=created_time, parent_id=parent_id)
        comment.raw = body
        return comment

    def set_container_statuses(self, statuses: list[str]) -> None:
        """What successive status reads of new containers answer, e.g. ["IN_PROGRESS", "FINISHED"]."""
        self.container_statuses = list(statuses)

    # --- Reads ------------------------------------------------------------------------------------------

    def ig_owner_of(self, obj: Any) -> str:
        if isinstance(obj, IgUser):
            return obj.id
        if isinstance(obj, Media | Container):
            return obj.ig_user_id
        if isinstance(obj, IgComment):
            return self.objects[obj.media_id].ig_user_id
        return ""

    def ig_node_json(self, request: Request, obj: Any, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        if isinstance(obj, IgUser):
            return select({"id": obj.id, "username": obj.username}, fields, ("id",))
        if isinstance(obj, Media):
            return self._media_json(obj, fields)
        if isinstance(obj, IgComment):
            return self._ig_comment_json(request, obj, fields)
        if isinstance(obj, Container):
            status = obj.read_status()
            body = {"id": obj.id, "status_code": status, "status": _STATUS_TEXT.get(status, status)}
            return select(body, fields, ("id",))
        return {"id": getattr(obj, "id", "")}

    def ig_edge(
        self, request: Request, obj: Any, edge: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any] | None:
        if isinstance(obj, IgUser) and edge == "media":
            media = sorted((m for m in self.objects_of(Media) if m.ig_user_id == obj.id), key=newest_first)
            if self.ig_media_order == "oldest":
                media.reverse()
            return self.envelope(request, media, lambda m: self._media_json(m, fields))
        if isinstance(obj, IgUser) and edge == "content_publishing_limit":
            since = self.now() - dt.timedelta(hours=24)
            used = sum(1 for m in self.objects_of(Media) if m.ig_user_id == obj.id and m.created >= since)
            return {"data": [{"quota_usage": used, "config": {"quota_total": 100, "quota_duration": 86400}}]}
        if isinstance(obj, Media) and edge == "comments":
            # Top-level only; replies come through `replies`. Meta documents no order for this edge: newest
            # first unless a test asks for the other order (`ig_comment_order`).
            comments = sorted(
                (c for c in self.objects_of(IgComment) if c.media_id == obj.id and not c.parent_id),
                key=newest_first,
            )
            if self.ig_comment_order == "oldest":
                comments.reverse()
            return self.envelope(request, comments, lambda c: self._ig_comment_json(request, c, fields))
        if isinstance(obj, IgComment) and edge == "replies":
            return self.envelope(
                request, self._replies(obj), lambda c: self._ig_comment_json(request, c, fields)
            )
        return None

    def _replies(self, comment: IgComment) -> list[IgComment]:
        return sorted((c for c in self.objects_of(IgComment) if c.parent_id == comment.id), key=oldest_first)

    def _media_json(self, media: Media, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        owner = self.objects[media.ig_user_id]
        body = {
            "id": media.id,
            "caption": media.caption,
            "media_type": media.media_type,
            "media_url": media.media_url,
            "permalink": f"https://www.instagram.com/p/C{media.id[-8:]}/",
            "timestamp": graph_time(media.created),
            "comments_count": sum(1 for c in self.objects_of(IgComment) if c.media_id == media.id),
            "username": owner.username,
        }
        return select(body, fields, ("id",))

    def _ig_comment_json(
        self, request: Request, comment: IgComment, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        if comment.raw is not None:
            return comment.raw
        body: dict[str, Any] = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": graph_time(comment.created),
            "username": comment.username,
            "from": {"id": comment.from_id, "username": comment.username},
            "like_count": 0,
            "hidden": comment.hidden,
            "media": {"id": comment.media_id},
        }
        if comment.parent_id:
            body["parent_id"] = comment.parent_id
        if "replies" in fields and not comment.parent_id:
            spec = fields["replies"]
            sub = parse_fields(spec.sub)
            render = lambda c: self._ig_comment_json(request, c, sub)  # noqa: E731
            body["replies"] = self.nested(
                request, comment.id, "replies", self._replies(comment), render, spec
            )
        return select(body, fields, ("id", "text", "timestamp"))

    # --- Writes -----------------------------------------------------------------------------------------

    def ig_write(self, obj: Any, edge: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(obj, IgComment) and edge == "replies":
            return self._reply(obj, str(params.get("message") or ""))
        if isinstance(obj, Media) and edge == "comments":
            return {"id": self._comment_as_owner(obj, str(params.get("message") or ""), "").id}
        if isinstance(obj, IgUser) and edge == "media":
            return self._create_container(obj, params)
        if isinstance(obj, IgUser) and edge == "media_publish":
            return self._publish(obj, str(params.get("creation_id") or ""))
        return None

    def _reply(self, target: IgComment, message: str) -> dict[str, Any]:
        if not message:
            raise Reject(error_response(100, "(#100) The parameter message is required."))
        if target.hidden:
            raise Reject(error_response(100, "(#100) Cannot reply to a hidden comment."))
        # Only top-level comments take replies: answering a reply lands under its parent.
        parent = target.parent_id or target.id
        media = self.objects[target.media_id]
        return {"id": self._comment_as_owner(media, message, parent).id}

    def _comment_as_owner(self, media: Media, message: str, parent_id: str) -> IgComment:
        owner = self.objects[media.ig_user_id]
        return self.add_ig_comment(
            media.id, message, username=owner.username, from_id=owner.id, parent_id=parent_id
        )

    def _create_container(self, user: IgUser, params: dict[str, Any]) -> dict[str, Any]:
        image_url, caption = str(params.get("image_url") or ""), str(params.get("caption") or "")
        if not re.match(r"https?://", image_url):
            raise Reject(error_response(100, "(#100) The parameter image_url is required."))
        if len(caption) > MAX_CAPTION:
            raise Reject(error_response(100, "The caption is too long.", subcode=2207010))
        container = Container(
            f"1791{self.ids.next()}", user.id, image_url, caption, list(self.container_statuses)
        )
        self.objects[container.id] = container
        return {"id": container.id}

    def _publish(self, user: IgUser, creation_id: str) -> dict[str, Any]:
        container = self.objects.get(creation_id)
        if not isinstance(container, Container) or container.ig_user_id != user.id:
            raise Reject(error_response(100, "(#100) Param creation_id must be a valid container id"))
        if container.published_media_id:
            raise Reject(error_response(100, "(#100) The media has already been published", subcode=2207008))
        if container.statuses[0] != "FINISHED":
            raise Reject(
                error_response(
                    9007,
                    "The media is not ready for publishing, please wait for a moment",
                    subcode=2207027,
                    error_user_msg="Media ID is not available",
                )
            )
        media = self.add_media(user.id, container.caption, image_url=container.image_url)
        container.published_media_id, container.statuses = media.id, ["PUBLISHED"]
        return {"id": media.id}

    def _refresh_ig_token(self, request: Request, token: Token) -> Response:
        if request.arg("grant_type") != "ig_refresh_token" or token.kind != "instagram":
            raise Reject(
                error_response(100, "Unsupported grant_type or token type", error_type="IGApiException")
            )
        fresh = self.issue_token("instagram", token.subject, f"IGAA{secrets.token_urlsafe(24)}")
        return Response(200, {"access_token": fresh, "token_type": "bearer", "expires_in": 5_184_000})
