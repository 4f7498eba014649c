"""Moderation on the Graph fake: hiding and deleting comments, private replies (Facebook and Instagram).

Written from Meta's documentation, not from the client:
- Facebook comment (https://developers.facebook.com/docs/graph-api/reference/comment): `POST /{comment-id}`
  with `is_hidden`, `DELETE /{comment-id}`; `{"success": true}`. A Page cannot hide its own comments
  (`can_hide` is false for them). Needs `pages_manage_engagement`.
- Instagram comment (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment):
  `POST /{ig-comment-id}` with `hide`, `DELETE /{ig-comment-id}`; `{"success": true}`. The account's own
  comments cannot be hidden. Needs `instagram_manage_comments`.
- Private replies (https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/private-replies,
  https://developers.facebook.com/docs/instagram-platform/private-replies): `POST /{page-id}/messages`
  (Instagram: `/{ig-user-id}/messages`) with `recipient.comment_id`: only one message per comment, only
  within 7 days of the comment, never to the account itself. Meta's pages do not list the error codes
  for a second reply or a closed window. (#10900) "Activity already replied to" is the code public
  integrations handle for a second reply; (#10902) "This is not a Replyable activity" is reported in
  https://github.com/facebookarchive/php-graph-sdk/issues/568; the fake answers (#10903) for a closed
  window, still [unverified]. The client depends on none of them: every 4xx refusal of this call is final,
  in Graph's words (tests/contracts/test_moderation.py). The Messenger thread a private reply opens is
  not modelled.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

from networks.fakes import graph_state as gs
from networks.fakes.base import Request, Response
from networks.fakes.graph_state import Comment, IgComment, IgUser, Page, Reject, Token, error_response

PRIVATE_REPLY_WINDOW = dt.timedelta(days=7)
HIDE_NEEDS = {Comment: ("pages_manage_engagement",), IgComment: ("instagram_manage_comments",)}


class ModerationRoutes:
    # Provided by GraphFake; declared for readers and type checkers.
    objects: dict[str, Any]
    deleted: set[str]
    private_replies: dict[str, str]
    now: Callable[[], dt.datetime]
    visible: Callable[..., Any]
    owner_of: Callable[[Any], str]
    params: Callable[[Request], dict[str, Any]]

    def _post_node(self, request: Request, token: Token) -> Response:
        """`POST /{id}`: the node's own fields; here, hiding a comment."""
        obj = self.visible(token, _node_id(request), "POST")
        params = self.params(request)
        name = {Comment: "is_hidden", IgComment: "hide"}.get(type(obj), "")
        if not name or name not in params:
            raise Reject(error_response(100, "(#100) Unsupported post request on this object"))
        self._require_token(token, HIDE_NEEDS[type(obj)])
        if self._written_by_owner(obj):
            raise Reject(error_response(100, "(#100) You cannot hide your own comment"))
        value = str(params[name]).lower()
        if value not in ("true", "false"):
            raise Reject(error_response(100, f"(#100) Param {name} must be a boolean"))
        obj.hidden = value == "true"
        return Response(200, {"success": True})

    def _delete_node(self, request: Request, token: Token) -> Response:
        obj = self.visible(token, _node_id(request), "DELETE")
        if not isinstance(obj, Comment | IgComment):
            raise Reject(error_response(100, "(#100) Unsupported delete request"))
        self._require_token(token, HIDE_NEEDS[type(obj)])
        self.deleted.add(obj.id)
        return Response(200, {"success": True})

    def moderation_write(self, token: Token, obj: Any, edge: str, params: dict[str, Any]) -> dict | None:
        """A private reply (`/messages` with `recipient.comment_id`), or None for any other write."""
        if edge != "messages" or not isinstance(obj, Page | IgUser):
            return None
        recipient = params.get("recipient")
        recipient = json.loads(recipient) if isinstance(recipient, str) else recipient
        if not isinstance(recipient, dict) or "comment_id" not in recipient:
            return None
        message = params.get("message")
        message = json.loads(message) if isinstance(message, str) else message or {}
        text = str(message.get("text") or "") if isinstance(message, dict) else ""
        if not text:
            raise Reject(error_response(100, "(#100) The parameter message is required"))
        comment = self.objects.get(str(recipient["comment_id"]))
        expected = Comment if isinstance(obj, Page) else IgComment
        if (
            not isinstance(comment, expected)
            or comment.id in self.deleted
            or self.owner_of(comment) != obj.id
        ):
            raise Reject(error_response(100, "(#100) Invalid comment_id parameter", subcode=2018292))
        self._require_token(
            token, ("pages_messaging",) if isinstance(obj, Page) else ("instagram_manage_comments",)
        )
        if self._written_by_owner(comment):
            raise Reject(error_response(10902, "(#10902) This is not a Replyable activity"))
        if comment.id in self.private_replies:
            raise Reject(error_response(10900, "(#10900) Activity already replied to"))
        if self.now() - comment.created > PRIVATE_REPLY_WINDOW:
            raise Reject(error_response(10903, "(#10903) This activity can't be replied to"))
        message_id = f"m_{secrets.token_urlsafe(12)}"
        self.private_replies[comment.id] = message_id
        author = comment.author["id"] if isinstance(comment, Comment) and comment.author else ""
        recipient_id = author if isinstance(comment, Comment) else comment.from_id
        return {"recipient_id": recipient_id, "message_id": message_id}

    def moderation_fields(self, obj: Any) -> dict[str, Any]:
        """What a comment's node says about its moderation."""
        if isinstance(obj, Comment):
            return {
                "is_hidden": obj.hidden,
                "can_hide": not self._written_by_owner(obj),
                "can_reply_privately": not self._written_by_owner(obj)
                and obj.id not in self.private_replies
                and self.now() - obj.created <= PRIVATE_REPLY_WINDOW,
            }
        return {}

    def _written_by_owner(self, comment: Comment | IgComment) -> bool:
        owner = self.owner_of(comment)
        if isinstance(comment, Comment):
            return comment.author is not None and comment.author.get("id") == owner
        return comment.from_id == owner

    @staticmethod
    def _require_token(token: Token, needed: tuple[str, ...]) -> None:
        refusal = gs.missing_permission(token, needed)
        if refusal is not None:
            raise Reject(refusal)


def _node_id(request: Request) -> str:
    match = request.match
    assert match is not None  # the route's pattern has an id
    return match["id"]
