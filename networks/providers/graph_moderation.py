"""Moderation through the Graph API, shared by Facebook and Instagram: hide, delete, private replies.

The shapes, from Meta's documentation:
- Facebook comment (https://developers.facebook.com/docs/graph-api/reference/comment): hide with
  `POST /{comment-id}` and `is_hidden=true|false`, delete with `DELETE /{comment-id}`, both answering
  `{"success": true}`; its fields `is_hidden` and `can_reply_privately` say the state.
- Instagram comment (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment):
  hide with `POST /{ig-comment-id}` and `hide=true|false`, delete with `DELETE /{ig-comment-id}`, both
  answering `{"success": true}`; its field `hidden` says the state.
- Private replies (https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/private-replies,
  https://developers.facebook.com/docs/instagram-platform/private-replies): `POST /{page-id}/messages`
  (Instagram: `/{ig-user-id}/messages`) with `{"recipient": {"comment_id": ...}, "message": {"text": ...}}`,
  answering `{"recipient_id", "message_id"}`; one per comment, within 7 days of the comment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from networks.providers import limits
from networks.providers.base import (
    Ambiguous,
    CommentState,
    Invalid,
    NotFound,
    Provider,
    PublishResult,
    TextKind,
)
from networks.providers.graph import GraphClient

#: Both networks allow one private reply per comment within this window (documented above).
PRIVATE_REPLY_WINDOW = dt.timedelta(days=7)


class GraphModeration(Provider):
    """Mixed into a Graph provider (before GraphProvider): the parameter and field names are the
    network's own."""

    graph: GraphClient
    #: The write parameter that hides a comment, and the field that says it is hidden.
    hide_param: ClassVar[str]
    hidden_field: ClassVar[str]
    #: The field saying a private reply is still possible, where the network has one.
    can_reply_privately_field: ClassVar[str] = ""
    private_reply_window: ClassVar[dt.timedelta | None] = PRIVATE_REPLY_WINDOW

    def hide_comment(self, *, comment_id: str, hidden: bool) -> None:
        body = self.graph.post(comment_id, data={self.hide_param: "true" if hidden else "false"})
        _require_success(body)

    def delete_comment(self, *, comment_id: str) -> None:
        body = self.graph.request("DELETE", self.graph.url(comment_id))
        _require_success(body)

    def private_reply(self, *, comment_id: str, text: str) -> PublishResult:
        problems = limits.check_not_blank(text) + limits.check_text_length(
            text, max_chars=self.text_limit(TextKind.PRIVATE_REPLY).max_length, network="A private reply"
        )
        if problems:
            raise Invalid(" ".join(problems))
        payload = {"recipient": {"comment_id": comment_id}, "message": {"text": text}}
        body = self.graph.post(f"{self.account.external_id}/messages", json_body=payload)
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            # A 2xx answer means it was sent; without its id it cannot be named, but it must not be resent.
            raise Ambiguous("Graph confirmed the private reply without a message id")
        return PublishResult(message_id, raw=body)

    def comment_state(self, *, comment_id: str) -> CommentState:
        fields = ["id", self.hidden_field]
        if self.can_reply_privately_field:
            fields.append(self.can_reply_privately_field)
        try:
            body = self.graph.get(comment_id, {"fields": ",".join(fields)})
        except NotFound:
            return CommentState(exists=False)
        hidden = body.get(self.hidden_field)
        can_reply = body.get(self.can_reply_privately_field) if self.can_reply_privately_field else None
        return CommentState(
            exists=True,
            hidden=hidden if isinstance(hidden, bool) else None,
            private_reply_sent=(not can_reply) if isinstance(can_reply, bool) else None,
        )


def _require_success(body: dict[str, Any]) -> None:
    if body.get("success") is not True:
        # Graph answered 2xx without saying it worked: the change may or may not be there; read it back.
        raise Ambiguous("Graph answered without confirming the change")
