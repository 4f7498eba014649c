"""Moderation on X: the account deletes its own posts and replies, and hides replies to its own posts.

From the documentation (https://docs.x.com/x-api/posts/delete-post, formerly
https://developer.x.com/en/docs/x-api/tweets/manage-tweets/api-reference/delete-tweets-id):
`DELETE /2/tweets/:id` (scopes tweet.read, tweet.write, users.read; 50 requests per 15 minutes per user)
answers `{"data": {"deleted": true}}`; only the author may delete a post. A deleted post looked up with
`GET /2/tweets/:id` answers 200 with a `resource-not-found` problem in `errors`. X has no private replies.

Hiding (https://docs.x.com/x-api/posts/hide-replies/introduction and its quickstart):
`PUT /2/tweets/:id/hidden` with `{"hidden": true}` (or false to show it again), scope
`tweet.moderate.write`, answers `{"data": {"hidden": true}}`. Only replies in a conversation the account
started can be hidden; a hidden reply stays readable behind "View hidden replies". The call sets a state
rather than toggling one, so sending it again is harmless: an unclear outcome is simply sent again. The
lookup does not say whether a reply is hidden, so `comment_state` leaves `hidden` unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from networks.providers import x_wire
from networks.providers.base import Ambiguous, Capability, CommentState, Invalid, Provider, Transient
from networks.providers.rest import json_or_empty

NOT_FOUND = "resource-not-found"
#: What X lets CM Hub do besides reading and answering (direct messages join when they are answered).
CAPABILITIES = frozenset({Capability.DELETE_OWN, Capability.HIDE})


class XModeration(Provider):
    """Mixed into XProvider (before Provider)."""

    _call: Callable[..., httpx.Response]

    def delete_comment(self, *, comment_id: str) -> None:
        tweet_id = x_wire.numeric_id(comment_id)
        if not tweet_id:
            raise Invalid("This is not an X post id.")
        data = json_or_empty(self._call("DELETE", f"/2/tweets/{tweet_id}", may_apply=True)).get("data")
        if not isinstance(data, dict) or data.get("deleted") is not True:
            raise Ambiguous("X answered without confirming the deletion; check the post.")

    def hide_comment(self, *, comment_id: str, hidden: bool) -> None:
        tweet_id = x_wire.numeric_id(comment_id)
        if not tweet_id:
            raise Invalid("This is not an X post id.")
        # Not may_apply: setting the same state twice is harmless, so a lost answer is a plain retry.
        response = self._call("PUT", f"/2/tweets/{tweet_id}/hidden", json={"hidden": hidden})
        data = json_or_empty(response).get("data")
        if not isinstance(data, dict) or data.get("hidden") is not hidden:
            raise Transient("X answered without confirming the change; it will be sent again.")

    def comment_state(self, *, comment_id: str) -> CommentState:
        tweet_id = x_wire.numeric_id(comment_id)
        if not tweet_id:
            raise Invalid("This is not an X post id.")
        body: dict[str, Any] = json_or_empty(self._call("GET", f"/2/tweets/{tweet_id}"))
        if isinstance(body.get("data"), dict):
            return CommentState(exists=True)
        errors = body.get("errors")
        if isinstance(errors, list) and any(
            isinstance(e, dict) and str(e.get("type", "")).endswith(NOT_FOUND) for e in errors
        ):
            return CommentState(exists=False)
        raise Ambiguous("X answered the lookup with neither the post nor a not-found error.")
