"""A local YouTube Data API v3: channels, comment threads and comments, moderation, and the daily quota.

Written from https://developers.google.com/youtube/v3/docs (commentThreads.list, comments.list, .insert,
.setModerationStatus, .delete, channels.list), https://developers.google.com/youtube/v3/docs/errors and
https://developers.google.com/youtube/v3/determine_quota_cost, never from the client:
- paths under `/youtube/v3/`, `part` filtering (a resource carries only the parts asked for), `maxResults`
  1..100 (default 20; refused beside `id`), opaque `pageToken`s, `order=time` newest first;
- `textDisplay` is HTML (escaped words, `<br>` for line breaks, links as `<a href>`) unless
  `textFormat=plainText`; `textOriginal` goes to the comment's author only; `moderationStatus` to the
  channel's owner only, and only the owner may list `moderationStatus=heldForReview|likelySpam`;
- a thread lists at most INLINE_REPLIES replies: the rest through `comments.list?parentId=`;
- `setModerationStatus` answers 204; a rejected comment is gone for the public and cannot be published or
  held again [the refusal's reason is not documented: operationNotSupported here]; `banAuthor` only with
  `rejected` (banWithoutReject), and a banned author's next comments are rejected as they come;
- `comments.delete` is for the comment's author (forbidden otherwise);
- every request costs its units (list 1, insert/update/setModerationStatus/delete 50) from the project's
  daily quota, refused calls included; the day ends at midnight America/Los_Angeles, and a spent quota
  answers 403 `quotaExceeded` in Google's envelope;
- Google sign-in from GoogleOAuthRoutes; 401 `authError` for a missing or expired token.

Seed from Python (`add_channel`, `add_video`, `add_comment`...) or over HTTP as `POST /_fake/<action>`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import re
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from networks.fakes.base import Request, Response
from networks.fakes.google_oauth import GoogleOAuthRoutes, google_error
from networks.fakes.support import SeedableFake

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_QUOTA = 10_000
#: https://developers.google.com/youtube/v3/determine_quota_cost
COSTS = {
    ("GET", "channels"): 1,
    ("GET", "commentThreads"): 1,
    ("GET", "comments"): 1,
    ("GET", "videos"): 1,
    ("POST", "comments"): 50,
    ("PUT", "comments"): 50,
    ("POST", "comments/setModerationStatus"): 50,
    ("DELETE", "comments"): 50,
}
INLINE_REPLIES = 5
#: Pictures (avatars, channel thumbnails): YouTube serves them from yt3.ggpht.com; the fake sends a
#: one-pixel image inline, so a browser showing them loads nothing from a host that does not exist.
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
MAX_TEXT = 10_000
_LINK = re.compile(r"https?://[^\s<>\"]+")


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


def _display_html(words: str) -> str:
    """textDisplay as YouTube renders it: escaped, line breaks as <br>, addresses as links."""
    escaped = html.escape(words, quote=False)
    linked = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return linked.replace("\n", "<br>")


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(raw[1:]) if raw.startswith("o") else None
    except (ValueError, UnicodeDecodeError):
        return None


def _bad(reason: str, message: str, code: int = 400) -> Response:
    status = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}.get(code, "")
    return google_error(code, message, status=status, reason=reason, domain="youtube.comment")


class YouTubeFake(GoogleOAuthRoutes, SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "yt-client.apps.googleusercontent.com",
        client_secret: str = "yt-secret",  # noqa: S107 - the fake's own, known to the tests
        account_email: str = "brand@example.com",
    ):
        self.channels: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.banned: set[tuple[str, str]] = set()
        self.quota_limit = DAILY_QUOTA
        self.quota_used: dict[tuple[str, dt.date], int] = {}
        self.inserts: list[dict[str, Any]] = []
        self.moderations: list[dict[str, str]] = []
        self._seq = itertools.count(1)
        super().__init__(host, port)
        self.google_oauth_setup(client_id=client_id, client_secret=client_secret, account_email=account_email)

    def setup_routes(self) -> None:
        self.google_oauth_routes()
        self.route("GET", r"/youtube/v3/channels", self._api(self._channels))
        self.route("GET", r"/youtube/v3/commentThreads", self._api(self._threads))
        self.route("GET", r"/youtube/v3/comments", self._api(self._comments_list))
        self.route("POST", r"/youtube/v3/comments", self._api(self._insert))
        self.route("POST", r"/youtube/v3/comments/setModerationStatus", self._api(self._moderate))
        self.route("DELETE", r"/youtube/v3/comments", self._api(self._delete))

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_channel": self.add_channel,
            "add_video": self.add_video,
            "add_comment": self.add_comment,
            "edit_comment": self.edit_comment,
            "moderate_on_youtube": self.moderate_on_youtube,
            "issue_token": self.issue_token,
            "set_quota_limit": self.set_quota_limit,
            "quota_spent": self.quota_spent,
        }

    # --- seeding -------------------------------------------------------------------------------------

    def add_channel(self, channel_id: str, title: str, *, handle: str = "", owner: str = "") -> str:
        with self.lock:
            self.channels[channel_id] = {
                "id": channel_id,
                "title": title,
                "customUrl": f"@{handle}" if handle else "",
                "owner": owner or self.google_account_email,
            }
        return channel_id

    def add_video(self, video_id: str, channel_id: str, title: str = "") -> str:
        with self.lock:
            self.videos[video_id] = {"id": video_id, "channelId": channel_id, "title": title or video_id}
        return video_id

    def add_comment(
        self,
        video_id: str,
        author_id: str,
        text: str,
        *,
        author_name: str = "",
        parent: str = "",
        status: str = "published",
        published_at: str = "",
    ) -> str:
        """A comment (or a reply, under `parent`) by `author_id` on `video_id`; `status` as the owner sees
        it (heldForReview, likelySpam, published)."""
        with self.lock:
            channel = self.videos[video_id]["channelId"]
            seq = next(self._seq)
            cid = f"{parent}.Ugr{seq:06d}" if parent else f"Ugx{seq:06d}AaABAg"
            when = published_at or _iso(_now())
            if (channel, author_id) in self.banned:
                status = "rejected"
            self.comments[cid] = {
                "id": cid,
                "videoId": video_id,
                "channelId": channel,
                "parentId": parent,
                "authorChannelId": author_id,
                "authorDisplayName": author_name or f"@{author_id.lower()}",
                "textOriginal": text,
                "publishedAt": when,
                "updatedAt": when,
                "moderationStatus": status,
                "seq": seq,
            }
        return cid

    def edit_comment(self, comment_id: str, text: str) -> None:
        """Its author edits it: new words, a later updatedAt."""
        with self.lock:
            comment = self.comments[comment_id]
            comment["textOriginal"] = text
            comment["updatedAt"] = _iso(max(_now(), _parse(comment["updatedAt"]) + dt.timedelta(seconds=1)))

    def moderate_on_youtube(self, comment_id: str, status: str) -> None:
        """The owner moderates in YouTube Studio, not through CM Hub."""
        with self.lock:
            self.comments[comment_id]["moderationStatus"] = status

    def issue_token(self, email: str = "", *, access: str = "", refresh: str = "") -> dict[str, Any]:
        """A token answer for `email`'s Google account; with `access` and `refresh`, those values (the
        demo's published ones), the access token valid for an hour as Google's are."""
        answer = self.google_issue((SCOPE,), subject=email)
        with self.lock:
            if access:
                self.google_access_tokens[access] = self.google_access_tokens.pop(answer["access_token"])
                answer["access_token"] = access
            if refresh:
                self.google_refresh_tokens[refresh] = self.google_refresh_tokens.pop(answer["refresh_token"])
                answer["refresh_token"] = refresh
        return answer

    def continue_ids_above(self, floor: int) -> None:
        """Ids handed out from now on are above `floor` (the demo: a floor growing with the clock, so a
        restarted fake never reuses an id an earlier run gave a live comment)."""
        with self.lock:
            self._seq = itertools.count(
                max(floor, max((c["seq"] for c in self.comments.values()), default=0) + 1)
            )

    def set_quota_limit(self, units: int) -> None:
        with self.lock:
            self.quota_limit = int(units)

    def quota_spent(self, project: str = "") -> int:
        with self.lock:
            return self.quota_used.get(
                (project or self.google_client_id, _now().astimezone(PACIFIC).date()), 0
            )

    def reset(self) -> None:
        with self.lock:
            self.comments.clear()
            self.inserts.clear()
            self.moderations.clear()
            self.banned.clear()
            self.quota_used.clear()
            self.forget_traffic()

    # --- plumbing: auth, quota, parts ---------------------------------------------------------------------

    def _api(self, handler: Callable[[Request, str], Response]) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            denied = self.google_authorized(request, SCOPE)
            if denied is not None:
                return denied
            resource = request.path.removeprefix("/youtube/v3/")
            cost = COSTS.get((request.method, resource), 1)
            # Every call of this app spends the same project's units (the OAuth client's project).
            key = (self.google_client_id, _now().astimezone(PACIFIC).date())
            with self.lock:
                if self.quota_used.get(key, 0) + cost > self.quota_limit:
                    return google_error(
                        403,
                        "The request cannot be completed because you have exceeded your "
                        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                        status="",
                        reason="quotaExceeded",
                        domain="youtube.quota",
                    )
                self.quota_used[key] = self.quota_used.get(key, 0) + cost
                subject = self.google_access_tokens[request.bearer()]["subject"]
            return handler(request, subject)

        return serve

    def _mine(self, subject: str) -> set[str]:
        return {cid for cid, channel in self.channels.items() if channel["owner"] == subject}

    @staticmethod
    def _parts(request: Request, allowed: set[str]) -> set[str] | Response:
        parts = {p.strip() for p in request.arg("part").split(",") if p.strip()}
        if not parts:
            return _bad("missingRequiredParameter", "No filter selected. Expected one of: part", 400)
        if parts - allowed:
            return _bad("unknownPart", f"'{','.join(sorted(parts - allowed))}'", 400)
        return parts

    @staticmethod
    def _page(request: Request, rows: list[Any]) -> tuple[list[Any], str] | Response:
        raw = request.arg("maxResults", "20")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return _bad("invalidParameter", f"Invalid value '{raw}' for parameter maxResults", 400)
        size = int(raw)
        token = request.arg("pageToken")
        start = _offset(token) if token else 0
        if start is None:
            return _bad("invalidPageToken", "The request specifies an invalid page token.", 400)
        page = rows[start : start + size]
        return page, (_token(start + size) if start + size < len(rows) else "")

    def _comment_view(self, comment: dict[str, Any], *, subject: str, fmt: str) -> dict[str, Any]:
        owner = comment["channelId"] in self._mine(subject)
        author_channels = self._mine(subject)
        snippet: dict[str, Any] = {
            "channelId": comment["channelId"],
            "videoId": comment["videoId"],
            "textDisplay": comment["textOriginal"]
            if fmt == "plainText"
            else _display_html(comment["textOriginal"]),
            "authorDisplayName": comment["authorDisplayName"],
            "authorProfileImageUrl": PIXEL,
            "authorChannelUrl": f"http://www.youtube.com/channel/{comment['authorChannelId']}",
            "authorChannelId": {"value": comment["authorChannelId"]},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": comment["publishedAt"],
            "updatedAt": comment["updatedAt"],
        }
        if comment["parentId"]:
            snippet["parentId"] = comment["parentId"]
        if comment["authorChannelId"] in author_channels:
            snippet["textOriginal"] = comment["textOriginal"]
        if owner:
            snippet["moderationStatus"] = comment["moderationStatus"]
        return {
            "kind": "youtube#comment",
            "etag": f"e{comment['seq']}",
            "id": comment["id"],
            "snippet": snippet,
        }

    def _visible(self, comment: dict[str, Any], subject: str) -> bool:
        if comment["moderationStatus"] == "published":
            return True
        return comment["moderationStatus"] != "rejected" and comment["channelId"] in self._mine(subject)

    # --- routes --------------------------------------------------------------------------------------

    def _channels(self, request: Request, subject: str) -> Response:
        parts = self._parts(request, {"id", "snippet", "contentDetails", "statistics"})
        if isinstance(parts, Response):
            return parts
        if request.arg("mine") != "true" and not request.arg("id"):
            return _bad("missingRequiredParameter", "No filter selected.", 400)
        with self.lock:
            ids = self._mine(subject) if request.arg("mine") == "true" else set(request.arg("id").split(","))
            found = [self.channels[c] for c in sorted(ids) if c in self.channels]
        out = []
        for channel in found:
            row: dict[str, Any] = {"kind": "youtube#channel", "etag": "c", "id": channel["id"]}
            if "snippet" in parts:
                row["snippet"] = {
                    "title": channel["title"],
                    "description": "",
                    "customUrl": channel["customUrl"],
                    "publishedAt": "2015-01-01T00:00:00Z",
                    "thumbnails": {
                        "default": {
                            "url": PIXEL,
                            "width": 88,
                            "height": 88,
                        }
                    },
                    "localized": {"title": channel["title"], "description": ""},
                    "country": "FR",
                }
            out.append(row)
        return Response(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": "l",
                "pageInfo": {"totalResults": len(out), "resultsPerPage": 5},
                "items": out,
            },
        )

    def _threads(self, request: Request, subject: str) -> Response:
        parts = self._parts(request, {"id", "snippet", "replies"})
        if isinstance(parts, Response):
            return parts
        filters = [
            f for f in ("allThreadsRelatedToChannelId", "channelId", "id", "videoId") if request.arg(f)
        ]
        if len(filters) != 1:
            return _bad("missingRequiredParameter", "Specify exactly one filter.", 400)
        status = request.arg("moderationStatus", "published")
        if status not in ("published", "heldForReview", "likelySpam"):
            return _bad("invalidParameter", f"Invalid value '{status}' for moderationStatus", 400)
        if request.arg("id") and (
            request.arg("maxResults") or request.arg("moderationStatus") or request.arg("order")
        ):
            return _bad(
                "incompatibleParameters",
                "The id filter cannot be combined with maxResults, order or moderationStatus.",
                400,
            )
        fmt = request.arg("textFormat", "html")
        with self.lock:
            mine = self._mine(subject)
            tops = [c for c in self.comments.values() if not c["parentId"]]
            if request.arg("id"):
                wanted = set(request.arg("id").split(","))
                tops = [c for c in tops if c["id"] in wanted and self._visible(c, subject)]
            else:
                if request.arg("videoId"):
                    tops = [c for c in tops if c["videoId"] == request.arg("videoId")]
                else:
                    channel = request.arg("allThreadsRelatedToChannelId") or request.arg("channelId")
                    tops = [c for c in tops if c["channelId"] == channel]
                if status != "published":
                    if not all(c["channelId"] in mine for c in tops) or (
                        request.arg("allThreadsRelatedToChannelId")
                        and request.arg("allThreadsRelatedToChannelId") not in mine
                    ):
                        return _bad(
                            "forbidden",
                            "The comment thread's moderation status cannot be listed by this account.",
                            403,
                        )
                    tops = [c for c in tops if self._thread_has(c, status)]
                else:
                    tops = [c for c in tops if c["moderationStatus"] == "published"]
            tops.sort(key=lambda c: (c["publishedAt"], c["seq"]), reverse=True)
            paged = (tops[:50], "") if request.arg("id") else self._page(request, tops)
            if isinstance(paged, Response):
                return paged
            page, next_token = paged
            rows = [self._thread_view(c, parts=parts, subject=subject, fmt=fmt, status=status) for c in page]
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "etag": "t",
            "pageInfo": {"totalResults": len(rows), "resultsPerPage": len(rows)},
            "items": rows,
        }
        if next_token:
            body["nextPageToken"] = next_token
        return Response(200, body)

    def _replies_of(self, top_id: str) -> list[dict[str, Any]]:
        return sorted((c for c in self.comments.values() if c["parentId"] == top_id), key=lambda c: c["seq"])

    def _thread_has(self, top: dict[str, Any], status: str) -> bool:
        return top["moderationStatus"] == status or any(
            r["moderationStatus"] == status for r in self._replies_of(top["id"])
        )

    def _thread_view(
        self, top: dict[str, Any], *, parts: set[str], subject: str, fmt: str, status: str
    ) -> dict[str, Any]:
        replies = [r for r in self._replies_of(top["id"]) if r["moderationStatus"] in ("published", status)]
        published = [r for r in replies if r["moderationStatus"] == "published"]
        row: dict[str, Any] = {"kind": "youtube#commentThread", "etag": f"t{top['seq']}", "id": top["id"]}
        if "snippet" in parts:
            row["snippet"] = {
                "channelId": top["channelId"],
                "videoId": top["videoId"],
                "topLevelComment": self._comment_view(top, subject=subject, fmt=fmt),
                "canReply": True,
                "totalReplyCount": len(published),
                "isPublic": True,
            }
        if "replies" in parts and replies:
            # The newest few; the rest through comments.list?parentId=.
            row["replies"] = {
                "comments": [
                    self._comment_view(r, subject=subject, fmt=fmt) for r in replies[-INLINE_REPLIES:]
                ]
            }
        return row

    def _comments_list(self, request: Request, subject: str) -> Response:
        parts = self._parts(request, {"id", "snippet"})
        if isinstance(parts, Response):
            return parts
        fmt = request.arg("textFormat", "html")
        if bool(request.arg("id")) == bool(request.arg("parentId")):
            return _bad("missingRequiredParameter", "Specify exactly one of id and parentId.", 400)
        with self.lock:
            if request.arg("id"):
                if request.arg("maxResults") or request.arg("pageToken"):
                    return _bad(
                        "incompatibleParameters", "The id filter cannot be combined with maxResults.", 400
                    )
                wanted = request.arg("id").split(",")
                mine = self._mine(subject)
                rows = [
                    self.comments[c]
                    for c in wanted
                    if c in self.comments
                    and (self._visible(self.comments[c], subject) or self.comments[c]["channelId"] in mine)
                ]
                next_token = ""
            else:
                replies = [r for r in self._replies_of(request.arg("parentId")) if self._visible(r, subject)]
                paged = self._page(request, replies)
                if isinstance(paged, Response):
                    return paged
                rows, next_token = paged
            views = [self._comment_view(c, subject=subject, fmt=fmt) for c in rows]
        body: dict[str, Any] = {
            "kind": "youtube#commentListResponse",
            "etag": "c",
            "pageInfo": {"totalResults": len(views), "resultsPerPage": len(views)},
            "items": views,
        }
        if next_token:
            body["nextPageToken"] = next_token
        return Response(200, body)

    def _insert(self, request: Request, subject: str) -> Response:
        try:
            snippet = (request.json() or {}).get("snippet") or {}
        except ValueError:
            return _bad("parseError", "Parse Error", 400)
        parent = snippet.get("parentId")
        words = snippet.get("textOriginal")
        if request.arg("part") != "snippet":
            return _bad("missingRequiredParameter", "No filter selected. Expected one of: part", 400)
        if not isinstance(words, str) or not words.strip():
            return _bad("commentTextRequired", "The comment resource must contain snippet.textOriginal.", 400)
        if len(words) > MAX_TEXT:
            return _bad(
                "commentTextTooLong",
                "The comment resource that is being inserted contains too many characters in the "
                "snippet.textOriginal property.",
                400,
            )
        with self.lock:
            target = self.comments.get(parent) if isinstance(parent, str) else None
            if target is None or not isinstance(parent, str) or target["moderationStatus"] == "rejected":
                return _bad("parentCommentNotFound", "The specified parent comment could not be found.", 404)
            if target["parentId"]:
                # YouTube threads one level deep: a reply goes under the top-level comment.
                return _bad("operationNotSupported", "The parent comment is a reply.", 400)
            mine = sorted(self._mine(subject))
            if not mine:
                return _bad("ineligibleAccount", "The account has no YouTube channel.", 403)
            author = next((c for c in mine if c == target["channelId"]), mine[0])
            cid = self.add_comment(
                target["videoId"], author, words, author_name=self.channels[author]["title"], parent=parent
            )
            self.inserts.append({"id": cid, "parentId": parent, "textOriginal": words})
            view = self._comment_view(self.comments[cid], subject=subject, fmt="html")
        return Response(200, view)

    def _moderate(self, request: Request, subject: str) -> Response:
        ids = [i for i in request.arg("id").split(",") if i]
        status = request.arg("moderationStatus")
        ban = request.arg("banAuthor") == "true"
        if not ids or status not in ("heldForReview", "published", "rejected"):
            return _bad("invalidParameter", "id and moderationStatus are required.", 400)
        if ban and status != "rejected":
            return _bad(
                "banWithoutReject",
                "The banAuthor parameter can only be used if the moderationStatus parameter value is "
                "rejected.",
                400,
            )
        with self.lock:
            mine = self._mine(subject)
            for cid in ids:
                comment = self.comments.get(cid)
                if comment is None:
                    return _bad("commentNotFound", "The specified comment could not be found.", 404)
                if comment["channelId"] not in mine:
                    return _bad(
                        "forbidden", "The comment's moderation status cannot be changed by this account.", 403
                    )
                if comment["moderationStatus"] == "rejected" and status != "rejected":
                    return _bad("operationNotSupported", "A rejected comment cannot be moderated again.", 400)
            for cid in ids:
                comment = self.comments[cid]
                comment["moderationStatus"] = status
                if ban:
                    self.banned.add((comment["channelId"], comment["authorChannelId"]))
                self.moderations.append(
                    {"id": cid, "moderationStatus": status, "banAuthor": str(ban).lower()}
                )
        return Response(204, None, {})

    def _delete(self, request: Request, subject: str) -> Response:
        cid = request.arg("id")
        with self.lock:
            comment = self.comments.get(cid)
            if comment is None:
                return _bad("commentNotFound", "The specified comment could not be found.", 404)
            if comment["authorChannelId"] not in self._mine(subject):
                return _bad("forbidden", "The comment cannot be deleted by this account.", 403)
            for reply in self._replies_of(cid):
                del self.comments[reply["id"]]
            del self.comments[cid]
        return Response(204, None, {})


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
