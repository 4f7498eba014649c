"""A local X API v2: mentions timeline, tweets, media upload, X's own errors (OAuth: x_oauth, state: x_state).

Same paths, parameters, JSON shapes, problem bodies and x-rate-limit-* headers as api.x.com (see
shared/NETWORKS.md section 3). Deleted tweets stay as tombstones that are filtered out after paging, as the
real timeline does, so a page can come back empty and still carry a next_token.

Seed from Python (`add_user`, `add_mention`, `issue_token`...) or over HTTP: `POST /_fake/<action>` with
the same keyword arguments as JSON, e.g. `POST /_fake/seed_mention {"to": "100", "author": "200"}`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from networks.fakes.base import Fault, Request, Response
from networks.fakes.support import SeedableFake, multipart_fields
from networks.fakes.x_dm import XDirectMessageRoutes
from networks.fakes.x_moderation import XModerationRoutes
from networks.fakes.x_oauth import XOAuthRoutes
from networks.fakes.x_state import XState
from networks.fakes.x_text import too_long

MENTIONS_VISIBLE = 800  # X only serves the 800 most recent mentions
TIMELINE_VISIBLE = 3200  # and an account's 3,200 latest tweets
WINDOW_SECONDS = 15 * 60
DEFAULT_LIMITS = {
    "mentions": 300,
    "timeline": 900,
    "tweets": 100,
    "lookup": 900,
    "me": 75,
    "media": 500,
    "dm_read": 300,  # DM limits are tier-dependent; these leave a demo room to poll
    "dm_write": 200,
}
PROBLEM_BASE = "https://api.twitter.com/2/problems"


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> dict[str, Any]:
    return {"title": title, "type": type_, "status": status, "detail": detail, **extra}


def invalid_request(parameter: str, value: str, message: str) -> Response:
    body = {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEM_BASE}/invalid-request",
    }
    return Response(400, body)


class XFake(XDirectMessageRoutes, XModerationRoutes, XOAuthRoutes, XState, SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "cmhub-x-client",
        client_secret: str = "",
        limits: dict[str, int] | None = None,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self._configured_limits = {**DEFAULT_LIMITS, **(limits or {})}
        super().__init__(host, port)
        self.reset()

    def reset(self) -> None:
        """Forget everything: seeded data, tokens, counters, queued faults and recorded requests."""
        with self.lock:
            self.limits = dict(self._configured_limits)
            self.forget_traffic()
            self.reset_state()
            self.reset_dm_state()

    def setup_routes(self) -> None:
        self.route("GET", r"/2/users/me", self._me)
        self.route("GET", r"/2/users/(?P<user_id>\d+)/mentions", self._mentions)
        self.route("GET", r"/2/users/(?P<user_id>\d+)/tweets", self._timeline)
        self.route("GET", r"/2/tweets/(?P<tweet_id>\d+)", self._lookup)
        self.route("POST", r"/2/tweets", self._create_tweet)
        self.route("GET", r"/2/tweets", self._lookup_many)
        self.route("POST", r"/2/media/upload", self._upload)
        self.moderation_routes(self.route)
        self.dm_routes()
        self.oauth_routes()

    # --- faults in X's own words -----------------------------------------------------------------------

    def rate_limited(
        self,
        path_pattern: str,
        *,
        reset_in: int = 900,
        times: int = 1,
        limit: int = 300,
        daily_reset_in: int | None = None,
        daily_limit: int = 17,
    ) -> int:
        """The next matching call(s) answer 429 as X does; returns the announced reset (Unix seconds).

        With `daily_reset_in` the user's 24-hour cap is the one spent (`x-user-limit-24hour-*`, as on
        POST /2/tweets for the Free tier), and its reset is the one returned."""
        reset = int(time.time()) + reset_in
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": "0" if daily_reset_in is None else str(limit - 1),
            "x-rate-limit-reset": str(reset),
        }
        if daily_reset_in is not None:
            reset = int(time.time()) + daily_reset_in
            headers |= {
                "x-user-limit-24hour-limit": str(daily_limit),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(reset),
            }
        body = problem(429, "Too Many Requests", "Too Many Requests", f"{PROBLEM_BASE}/rate-limit-exceeded")
        self.inject(Fault(path_pattern, response=Response(429, body, headers), times=times))
        return reset

    def unauthorized(self, path_pattern: str, *, times: int = 1) -> None:
        self.inject(
            Fault(
                path_pattern,
                response=Response(401, problem(401, "Unauthorized", "Unauthorized")),
                times=times,
            )
        )

    def server_error(self, path_pattern: str, *, status: int = 503, times: int = 1) -> None:
        title = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
            status, "Error"
        )
        self.inject(
            Fault(path_pattern, response=Response(status, problem(status, title, title)), times=times)
        )

    def drop_after(self, path_pattern: str, *, method: str = "POST", times: int = 1) -> None:
        """Apply the matching write, then hang up without answering."""
        self.inject(Fault(path_pattern, kind="drop_after", method=method, times=times))

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "seed_user": self.add_user,
            "seed_tweet": self.add_tweet,
            "seed_mention": self.add_mention,
            "seed_dm": self.add_dm,
            "seed_raw_mention": self.add_raw_mention,
            "issue_token": self.issue_token,
            "expire_token": self.expire_token,
            "revoke_token": self.revoke_token,
            "delete_tweet": self.delete_tweet,
            "rate_limited": self.rate_limited,
            "unauthorized": self.unauthorized,
            "server_error": self.server_error,
            "drop_after": self.drop_after,
            "reset": self.reset,
        }

    # --- API -------------------------------------------------------------------------------------------

    def _authenticate(
        self, request: Request, bucket: str, scope: str = ""
    ) -> tuple[str, Response | None, dict[str, str]]:
        """(user id, refusal or None, rate-limit headers)."""
        token = request.bearer()
        with self.lock:
            grant = self.access_tokens.get(token)
            if grant is None or grant["expires_at"] < time.time():
                return "", Response(401, problem(401, "Unauthorized", "Unauthorized")), {}
            headers, exhausted = self._count(token, bucket)
            if exhausted:
                body = problem(
                    429, "Too Many Requests", "Too Many Requests", f"{PROBLEM_BASE}/rate-limit-exceeded"
                )
                return "", Response(429, body, headers), headers
            if scope and scope not in grant["scopes"]:
                body = problem(403, "Forbidden", "You are not permitted to perform this action.")
                return "", Response(403, body, headers), headers
            return grant["user_id"], None, headers

    def _count(self, token: str, bucket: str) -> tuple[dict[str, str], bool]:
        now = time.time()
        window = self.usage.setdefault((token, bucket), [now, 0])
        if now - window[0] >= WINDOW_SECONDS:
            window[:] = [now, 0]
        window[1] += 1
        limit = self.limits[bucket]
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(limit - window[1], 0)),
            "x-rate-limit-reset": str(int(window[0] + WINDOW_SECONDS)),
        }
        return headers, window[1] > limit

    def _me(self, request: Request) -> Response:
        user_id, refusal, headers = self._authenticate(request, "me", "users.read")
        if refusal:
            return refusal
        return Response(200, {"data": self.users[user_id]}, headers)

    def _mentions(self, request: Request) -> Response:
        _user, refusal, headers = self._authenticate(request, "mentions", "tweet.read")
        if refusal:
            return refusal
        size = request.arg("max_results", "10")
        if not size.isdigit() or not 5 <= int(size) <= 100:
            msg = f"The `max_results` query parameter value [{size}] is not between 5 and 100"
            return invalid_request("max_results", size, msg)
        until = _decode_token(request.arg("pagination_token")) if request.arg("pagination_token") else None
        if until is False:
            return invalid_request(
                "pagination_token", request.arg("pagination_token"), "Invalid pagination token"
            )
        since_arg = request.arg("since_id") or "0"
        if not since_arg.isdigit():
            return invalid_request("since_id", since_arg, "The `since_id` query parameter value is not valid")
        since = int(since_arg)
        target = request.match["user_id"] if request.match else ""
        with self.lock:
            recent = sorted((k for k, t in self.tweets.items() if target in t["_mentions"]), reverse=True)
            window = [k for k in recent[:MENTIONS_VISIBLE] if k > since and (until is None or k < until)]
            page, more = window[: int(size)], len(window) > int(size)
            visible = [self.tweets[k] for k in page if not self.tweets[k]["_deleted"]]
            body = self._render_page(visible, request)
        meta: dict[str, Any] = {"result_count": len(visible)}
        if visible:
            meta.update(newest_id=visible[0]["id"], oldest_id=visible[-1]["id"])
        if more:
            meta["next_token"] = _encode_token(page[-1])
        return Response(200, {**body, "meta": meta}, headers)

    def _timeline(self, request: Request) -> Response:
        """A user's own tweets, newest first, as GET /2/users/:id/tweets lists them
        (https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id): only the 3,200 latest,
        `start_time` (inclusive, second granularity) as the oldest time listed, paged with next_token."""
        _user, refusal, headers = self._authenticate(request, "timeline", "tweet.read")
        if refusal:
            return refusal
        size = request.arg("max_results", "10")
        if not size.isdigit() or not 5 <= int(size) <= 100:
            return invalid_request(
                "max_results", size, f"The `max_results` value [{size}] is not between 5 and 100"
            )
        until = _decode_token(request.arg("pagination_token")) if request.arg("pagination_token") else None
        if until is False:
            return invalid_request(
                "pagination_token", request.arg("pagination_token"), "Invalid pagination token"
            )
        start_time = None
        if request.arg("start_time"):
            try:
                start_time = dt.datetime.strptime(request.arg("start_time"), "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                return invalid_request("start_time", request.arg("start_time"), "Invalid start_time")
            start_time = start_time.replace(tzinfo=dt.UTC)
        author = request.match["user_id"] if request.match else ""
        with self.lock:
            own = [k for k, t in sorted(self.tweets.items(), reverse=True) if t.get("author_id") == author]
            window = [
                k
                for k in own[:TIMELINE_VISIBLE]
                if (until is None or k < until)
                and (start_time is None or _created(self.tweets[k]) >= start_time)
            ]
            page, more = window[: int(size)], len(window) > int(size)
            visible = [self.tweets[k] for k in page if not self.tweets[k]["_deleted"]]
            body = self._render_page(visible, request)
        meta: dict[str, Any] = {"result_count": len(visible)}
        if visible:
            meta.update(newest_id=visible[0]["id"], oldest_id=visible[-1]["id"])
        if more:
            meta["next_token"] = _encode_token(page[-1])
        return Response(200, {**body, "meta": meta}, headers)

    def _render_page(self, tweets: list[dict[str, Any]], request: Request) -> dict[str, Any]:
        fields = set(request.arg("tweet.fields").split(","))
        data = [t["_raw"] if t["_is_raw"] else _render(t, fields) for t in tweets]
        body: dict[str, Any] = {"data": data} if data else {}
        if "author_id" in request.arg("expansions").split(","):
            authors = dict.fromkeys(t["author_id"] for t in tweets if t.get("author_id") in self.users)
            if authors:
                body["includes"] = {"users": [self.users[a] for a in authors]}
        return body

    def _lookup(self, request: Request) -> Response:
        _user, refusal, headers = self._authenticate(request, "lookup", "tweet.read")
        if refusal:
            return refusal
        tweet_id = request.match["tweet_id"] if request.match else ""
        with self.lock:
            stored = self.tweets.get(int(tweet_id))
            if stored is None or stored["_deleted"] or stored["_is_raw"]:
                return Response(200, {"errors": [_not_found(tweet_id)]}, headers)
            body = self._render_page([stored], request)
        return Response(
            200, {"data": body["data"][0], **{k: v for k, v in body.items() if k != "data"}}, headers
        )

    def _lookup_many(self, request: Request) -> Response:
        """GET /2/tweets?ids=a,b: found tweets in data[], missing ones in errors[], status 200 either way."""
        _user, refusal, headers = self._authenticate(request, "lookup", "tweet.read")
        if refusal:
            return refusal
        ids = [i for i in request.arg("ids").split(",") if i]
        if not ids or len(ids) > 100:
            problem = {"title": "Invalid Request", "detail": "ids must hold 1 to 100 tweet ids."}
            return Response(400, {"errors": [problem], **problem}, headers)
        with self.lock:
            found, missing = [], []
            for tweet_id in ids:
                stored = self.tweets.get(int(tweet_id)) if tweet_id.isdigit() else None
                if stored is None or stored["_deleted"] or stored["_is_raw"]:
                    missing.append(_not_found(tweet_id, "ids"))
                else:
                    found.append(stored)
            body = self._render_page(found, request)
        if missing:
            body["errors"] = missing
        return Response(200, body, headers)

    def set_metrics(self, tweet_id: str, **counts: int) -> None:
        """Set a tweet's public_metrics counts (like_count=3, impression_count=40...) for a test."""
        with self.lock:
            self.tweets[int(tweet_id)].setdefault("_metrics", {}).update(counts)

    def _create_tweet(self, request: Request) -> Response:
        user_id, refusal, headers = self._authenticate(request, "tweets", "tweet.write")
        if refusal:
            return refusal
        payload = request.json() or {}
        text = payload.get("text", "")
        media_ids = (payload.get("media") or {}).get("media_ids") or []
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id", "")
        with self.lock:
            refused = self._refuse_tweet(user_id, text, media_ids, reply_to)
            if refused:
                return Response(refused.status, refused.body, headers)
            tweet_id = self.add_tweet(user_id, text, in_reply_to=reply_to)
            self.tweets[int(tweet_id)]["media_ids"] = list(media_ids)
        data = {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}
        return Response(201, {"data": data}, headers)

    def _refuse_tweet(self, user_id: str, text: str, media_ids: list[str], reply_to: str) -> Response | None:
        if not isinstance(text, str) or (not text and not media_ids):
            return invalid_request("text", str(text), "Your Tweet text is empty and no media was attached.")
        if too_long(text):
            return invalid_request("text", text[:40], "Your Tweet text is too long.")
        if len(media_ids) > 4 or any(self.media.get(m, {}).get("owner") != user_id for m in media_ids):
            return invalid_request("media.media_ids", ",".join(media_ids), "Your media IDs are invalid.")
        if reply_to:
            parent = self.tweets.get(int(reply_to)) if str(reply_to).isdigit() else None
            if parent is None or parent["_deleted"] or parent["_is_raw"]:
                detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
                return Response(403, problem(403, "Forbidden", detail))
        duplicate = any(
            t.get("author_id") == user_id and t.get("text") == text and not t["_deleted"] and text
            for t in self.tweets.values()
        )
        if duplicate:
            detail = "You are not allowed to create a Tweet with duplicate content."
            return Response(403, problem(403, "Forbidden", detail))
        return None

    def _upload(self, request: Request) -> Response:
        user_id, refusal, headers = self._authenticate(request, "media", "media.write")
        if refusal:
            return refusal
        fields = multipart_fields(request)
        content = fields.get("media")
        if content is None:
            return invalid_request("media", "", "A media field is required.")
        info = _image_info(content)
        if info is None:
            return invalid_request("media", "", "Unsupported media type.")
        if len(content) > 5 * 1024 * 1024:
            return invalid_request("media", str(len(content)), "File size exceeds 5242880 bytes.")
        with self.lock:
            media_id = str(self._new_id())
            self.media[media_id] = {"owner": user_id, "size": len(content), "mime": info[0]}
        data = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "size": len(content),
            "expires_after_secs": 86400,
            "image": {"image_type": info[0], "w": info[1], "h": info[2]},
        }
        return Response(200, {"data": data}, headers)


def _image_info(content: bytes) -> tuple[str, int, int] | None:
    """(MIME type, width, height) of an image X accepts (JPEG, PNG, WEBP, GIF), or None."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            mime = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}.get(
                image.format or ""
            )
            width, height = image.size
    except Exception:  # any Pillow failure means "not an image X would take"
        return None
    return (mime, width, height) if mime else None


# --- rendering helpers -----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """X returns &, < and > as HTML entities in a post's text (and nothing else escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown_text(text: str) -> str:
    """`text` of a long post (Premium accounts post up to 25,000): cut to what fits in 280, with "…";
    the whole of it is only in `note_tweet.text`."""
    if not too_long(text):
        return text
    cut = text
    while cut and too_long(cut + "…"):
        cut = cut[:-1]
    return cut + "…"


def _render(tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    rendered = {
        "id": tweet["id"],
        "text": _escape(_shown_text(tweet["text"])),
        "edit_history_tweet_ids": tweet["edit_history_tweet_ids"],
    }
    if "note_tweet" in fields and too_long(tweet["text"]):
        rendered["note_tweet"] = {"text": _escape(tweet["text"])}
    for name in ("created_at", "author_id", "conversation_id", "in_reply_to_user_id", "referenced_tweets"):
        if name in fields and name in tweet:
            rendered[name] = tweet[name]
    if "public_metrics" in fields:
        rendered["public_metrics"] = {name: tweet.get("_metrics", {}).get(name, 0) for name in PUBLIC_METRICS}
    return rendered


# X API v2 tweet object, public_metrics (docs.x.com/x-api/fundamentals/data-dictionary).
PUBLIC_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)


def _not_found(tweet_id: str, parameter: str = "id") -> dict[str, Any]:
    """X's partial error for a missing post; `parameter` names the query field that asked for it ("ids" for
    GET /2/tweets?ids=, as recorded in the academictwitteR fixtures)."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with {parameter}: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": parameter,
        "resource_id": tweet_id,
        "type": f"{PROBLEM_BASE}/resource-not-found",
    }


def _created(tweet: dict[str, Any]) -> dt.datetime:
    raw = tweet.get("_raw")
    value = str(tweet.get("created_at") or (raw.get("created_at") if isinstance(raw, dict) else "") or "")
    try:
        created = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(microsecond=0)
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return created if created.tzinfo else created.replace(tzinfo=dt.UTC)


def _encode_token(key: int) -> str:
    return base64.b32encode(f"u{key}".encode()).decode().rstrip("=").lower()


def _decode_token(token: str) -> int | bool:
    try:
        decoded = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
        return int(decoded[1:]) if decoded.startswith("u") else False
    except ValueError:
        return False
