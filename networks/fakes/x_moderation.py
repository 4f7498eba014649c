"""Deleting posts on the X fake, written from X's documentation, not from the client:
`DELETE /2/tweets/:id` (https://docs.x.com/x-api/posts/delete-post) needs `tweet.write`, answers
`{"data": {"deleted": true}}`, and only the author may delete. The refusal's wording for someone else's
post, and the answer for a post already gone, are [unverified]: a 403 problem and `deleted: false`.
The 50-per-15-minutes window of this endpoint is its own bucket here ("delete").

Hiding replies: `PUT /2/tweets/:id/hidden` with `{"hidden": bool}`
(https://docs.x.com/x-api/posts/hide-replies/introduction) needs `tweet.moderate.write`, answers
`{"data": {"hidden": bool}}`, and works only on a reply in a conversation the caller started; the refusal
for any other post is [unverified]: a 403 problem. 50 requests per 15 minutes per user ("hide")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from networks.fakes.base import Request, Response

DELETE_LIMIT = 50  # requests per 15 minutes per user
HIDE_LIMIT = 50  # requests per 15 minutes per user


class XModerationRoutes:
    # Provided by XFake; declared for readers and type checkers.
    tweets: dict[int, dict[str, Any]]
    limits: dict[str, int]
    lock: Any
    _authenticate: Callable[..., tuple[str, Response | None, dict[str, str]]]

    def moderation_routes(self, route: Callable[..., None]) -> None:
        route("DELETE", r"/2/tweets/(?P<tweet_id>\d+)", self._delete_tweet)
        route("PUT", r"/2/tweets/(?P<tweet_id>\d+)/hidden", self._hide_reply)

    def _delete_tweet(self, request: Request) -> Response:
        self.limits.setdefault("delete", DELETE_LIMIT)
        user_id, refusal, headers = self._authenticate(request, "delete", "tweet.write")
        if refusal:
            return refusal
        tweet_id = request.match["tweet_id"] if request.match else ""
        with self.lock:
            stored = self.tweets.get(int(tweet_id))
            if stored is None or stored["_deleted"]:
                return Response(200, {"data": {"deleted": False}}, headers)
            if stored.get("author_id") != user_id:
                detail = "You are not allowed to delete a Tweet that is not yours."
                body = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail}
                return Response(403, body, headers)
            stored["_deleted"] = True
        return Response(200, {"data": {"deleted": True}}, headers)

    def _hide_reply(self, request: Request) -> Response:
        self.limits.setdefault("hide", HIDE_LIMIT)
        user_id, refusal, headers = self._authenticate(request, "hide", "tweet.moderate.write")
        if refusal:
            return refusal
        body = request.json()
        hidden = body.get("hidden") if isinstance(body, dict) else None
        if not isinstance(hidden, bool):
            problem = {"title": "Invalid Request", "detail": "hidden must be a boolean.", "status": 400}
            return Response(400, {"errors": [problem], **problem}, headers)
        tweet_id = request.match["tweet_id"] if request.match else ""
        with self.lock:
            stored = self.tweets.get(int(tweet_id))
            if stored is None or stored["_deleted"]:
                detail = f"Could not find tweet with id: [{tweet_id}]."
                return Response(404, {"title": "Not Found Error", "detail": detail, "status": 404}, headers)
            root = self.tweets.get(int(stored.get("conversation_id") or 0))
            if (
                stored.get("conversation_id") == stored["id"]
                or root is None
                or root.get("author_id") != user_id
            ):
                detail = "You can only hide or unhide replies to conversations you started."
                body = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail}
                return Response(403, body, headers)
            stored["_hidden"] = hidden
        return Response(200, {"data": {"hidden": hidden}}, headers)
