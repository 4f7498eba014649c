"""A local LinkedIn versioned REST API: posts, comments, images, organization ACLs, OAuth, its own errors.

Same paths (URNs percent-encoded in them, or 400), headers (`LinkedIn-Version` must name an active version,
or 426; `X-Restli-Protocol-Version: 2.0.0`), JSON shapes, start/count paging and error bodies
(`{"status","serviceErrorCode","code","message"}`) as api.linkedin.com (shared/NETWORKS.md section 4).
Deleted comments stay as tombstones filtered out after paging, so a page can be empty while `paging.total`
says there is more.
The posts author finder (`GET /rest/posts?q=author&author=<urn>`) lists newest first by `lastModifiedAt`,
or by `createdAt` with `sortBy=CREATED`. Objects are dated by the fake's own clock (one second apart from
2026-01-01, or from `start_clock_at`).

Seed from Python (`add_organization`, `add_post`, `add_comment`...) or over HTTP with
`POST /_fake/<action>` and the same keyword arguments as JSON, e.g. `POST /_fake/seed_comment`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from networks.fakes.base import Fault, Request, Response
from networks.fakes.linkedin_connect import (
    DEFAULT_SCOPES,
    READ_SCOPE,
    WRITE_SCOPE,
    LinkedInConnectRoutes,
    error,
    page,
)
from networks.fakes.linkedin_mentions import LinkedInMentionRoutes
from networks.fakes.linkedin_webhooks import LinkedInWebhooks
from networks.fakes.support import SeedableFake, public

TOKEN_LIFETIME = 60 * 24 * 3600
FAKE_CLIENT_SECRET = "fake-linkedin-secret"  # noqa: S105 - the fake's own test credential
MAX_COMMENTARY, MAX_COMMENT = 3000, 1250
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
_POST_SORT_KEYS = {"LAST_MODIFIED": "lastModifiedAt", "CREATED": "createdAt"}
#: LinkedIn releases a version each month (`YYYYMM`, sometimes `YYYYMM.RR` for a patch release) and
#: supports each for a minimum of one year, then sunsets it and answers 426
#: (https://learn.microsoft.com/en-us/linkedin/marketing/versioning, and the sunset table at
#: https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations: 202411 sunset 2025-11-17).
SUPPORT_MONTHS = 12
_VERSION = re.compile(r"(?P<year>20\d\d)(?P<month>0[1-9]|1[0-2])(?:\.\d\d)?")


def active_versions_on(today: dt.date, *, months: int = SUPPORT_MONTHS) -> frozenset[str]:
    """The monthly versions LinkedIn serves on `today`: this month's and the `months` before it."""
    versions = set()
    year, month = today.year, today.month
    for _ in range(months + 1):
        versions.add(f"{year}{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return frozenset(versions)


def version_active(version: str, active: frozenset[str]) -> bool:
    match = _VERSION.fullmatch(version)
    return match is not None and f"{match['year']}{match['month']}" in active


class LinkedInFake(LinkedInWebhooks, LinkedInMentionRoutes, LinkedInConnectRoutes, SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "cmhub-linkedin-client",
        client_secret: str = FAKE_CLIENT_SECRET,
        active_versions: frozenset[str] | None = None,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        # Today's window unless a test pins one: a client left on a sunset version fails against the fake
        # as it would against LinkedIn.
        self.active_versions = active_versions or active_versions_on(dt.datetime.now(dt.UTC).date())
        super().__init__(host, port)
        self.reset()

    def reset(self) -> None:
        """Forget everything: seeded data, tokens, queued faults and recorded requests."""
        with self.lock:
            self.forget_traffic()
            self.comment_order = "newest"  # or "oldest": LinkedIn documents no order for comment lists
            self.members: dict[str, dict[str, Any]] = {}
            self.organizations: dict[str, dict[str, Any]] = {}
            self.acls: list[dict[str, str]] = []
            self.posts: dict[str, dict[str, Any]] = {}
            self.comments: dict[str, list[dict[str, Any]]] = {}
            self.images: dict[str, dict[str, Any]] = {}
            self.tokens: dict[str, dict[str, Any]] = {}
            self.refresh_tokens: dict[str, dict[str, Any]] = {}
            self.codes: dict[str, dict[str, Any]] = {}
            self.consent_member = ""
            self._seq = 7_100_000_000_000_000_000
            self._now_ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z; advances one second per object
            self.reset_mentions_state()

    def skip_ids_to(self, floor: int) -> None:
        """Hand out ids above `floor` from now on (never lower them), so a demo world restarted against a
        database that kept the old ids never reuses one for another comment."""
        with self.lock:
            self._seq = max(self._seq, floor)

    def start_clock_at(self, moment: dt.datetime) -> None:
        """Date objects created from now on from `moment` (the fake's clock otherwise starts on
        2026-01-01): for tests that compare the network's times with ours, as reading a post back does."""
        with self.lock:
            self._now_ms = int(moment.timestamp() * 1000)

    @property
    def now_ms(self) -> int:
        """The time given to the last object created (pass it as `created_ms` for a same-ms comment)."""
        return self._now_ms

    def setup_routes(self) -> None:
        self.route("GET", r"/rest/posts", self._list_posts)
        self.route("POST", r"/rest/posts", self._create_post)
        self.route("GET", r"/rest/socialActions/(?P<urn>[^/]+)/comments", self._list_comments)
        self.route("POST", r"/rest/socialActions/(?P<urn>[^/]+)/comments", self._create_comment)
        self.route("POST", r"/rest/images", self._initialize_upload)
        self.route("PUT", r"/dms-uploads/(?P<token>[\w-]+)", self._receive_upload)
        self.mention_routes()
        self.connect_routes()

    # --- seeding ---------------------------------------------------------------------------------------

    def _next(self, time_ms: int | None = None) -> tuple[int, int]:
        self._seq += 1
        if time_ms is not None:
            return self._seq, time_ms
        self._now_ms += 1000
        return self._seq, self._now_ms

    def add_member(self, name: str, member_id: str = "") -> str:
        with self.lock:
            urn = f"urn:li:person:{member_id or secrets.token_hex(5)}"
            self.members[urn] = {"name": name}
            self.consent_member = self.consent_member or urn
            return urn

    def add_organization(
        self, name: str, *, admins: list[str] | tuple[str, ...] = (), org_id: int = 0
    ) -> str:
        with self.lock:
            org_id = org_id or 90_000 + len(self.organizations)
            urn = f"urn:li:organization:{org_id}"
            self.organizations[urn] = {
                "id": org_id,
                "localizedName": name,
                "vanityName": name.lower().replace(" ", "-"),
            }
            for member in admins:
                self.acls.append(
                    {
                        "roleAssignee": member,
                        "organization": urn,
                        "role": "ADMINISTRATOR",
                        "state": "APPROVED",
                    }
                )
            return urn

    def add_post(
        self, author: str, text: str = "", *, created_ms: int | None = None, content: Any = None
    ) -> str:
        with self.lock:
            seq, time_ms = self._next(created_ms)
            urn = f"urn:li:share:{seq}"
            self.posts[urn] = {
                "id": urn,
                "author": author,
                "commentary": text or f"Post {seq}",
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": time_ms,
                "publishedAt": time_ms,
                "lastModifiedAt": time_ms,
                **({"content": content} if content else {}),
                "_activity": f"urn:li:activity:{seq + 1}",
                "_deleted": False,
            }
            self.comments[urn] = []
            return urn

    def add_comment(
        self,
        post: str,
        actor: str,
        text: str = "",
        *,
        parent: str = "",
        created_ms: int | None = None,
        without_actor: bool = False,
    ) -> str:
        """A comment on `post`, or with `parent` a reply listed under that comment (never inline in the
        post's list). `without_actor` leaves `actor` out, as LinkedIn does for some authors."""
        with self.lock:
            seq, time_ms = self._next(created_ms)
            urn = f"urn:li:comment:({self.posts[post]['_activity']},{seq})"
            comment = {
                "id": str(seq),
                "commentUrn": urn,
                "actor": actor,
                "object": post,
                "message": {"text": text or f"Comment {seq}", "attributes": []},
                "created": {"actor": actor, "time": time_ms},
                "lastModified": {"actor": actor, "time": time_ms},
                **({"parentComment": parent} if parent else {}),
            }
            self.comments[post].append(
                {**comment, "_deleted": False, "_raw": None, "_time": time_ms, "_no_actor": without_actor}
            )
            self.push_comment(post, urn, actor)
            return urn

    def add_raw_comment(self, post: str, payload: Any, *, created_ms: int | None = None) -> None:
        """Put `payload` verbatim among `post`'s comments (malformed-data tests)."""
        with self.lock:
            _seq, time_ms = self._next(created_ms)
            self.comments[post].append(
                {"_deleted": False, "_raw": payload, "_is_raw": True, "_time": time_ms}
            )

    def delete_post(self, post: str) -> None:
        with self.lock:
            self.posts[post]["_deleted"] = True

    def edit_comment(self, comment_urn: str, text: str, *, modified_ms: int | None = None) -> None:
        """The author changed their words: same URN, new `message.text`, `lastModified.time` moved
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api)."""
        with self.lock:
            _seq, time_ms = self._next(modified_ms)
            for comment in self._all_comments():
                if comment.get("commentUrn") == comment_urn:
                    comment["message"] = {**comment["message"], "text": text}
                    comment["lastModified"] = {**comment["lastModified"], "time": time_ms}

    def delete_comment(self, comment_urn: str) -> None:
        with self.lock:
            for comment in self._all_comments():
                if comment.get("commentUrn") == comment_urn:
                    comment["_deleted"] = True

    def comments_on(self, post: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                public(c) for c in self.comments.get(post, []) if not c["_deleted"] and not c.get("_is_raw")
            ]

    def post(self, post: str) -> dict[str, Any] | None:
        stored = self.posts.get(post)
        return None if stored is None or stored["_deleted"] else public(stored)

    def issue_token(
        self,
        member: str,
        scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
        expires_in: int = TOKEN_LIFETIME,
        *,
        value: str = "",
    ) -> dict[str, Any]:
        """A new access token. `value` fixes it instead of drawing one (the demo publishes its tokens);
        issuing a known value again renews it."""
        with self.lock:
            token = value or secrets.token_urlsafe(32)
            self.tokens[token] = {
                "member": member,
                "scopes": set(scopes),
                "expires_at": time.time() + expires_in,
            }
            return {"access_token": token, "expires_in": expires_in, "scope": ",".join(scopes)}

    def issue_refresh_token(
        self,
        member: str,
        scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
        *,
        expires_in: int = 365 * 86400,
    ) -> str:
        """A refresh token, as LinkedIn gives approved Community Management apps (365 days)."""
        with self.lock:
            token = secrets.token_urlsafe(32)
            self.refresh_tokens[token] = {
                "member": member,
                "scopes": tuple(scopes),
                "expires_at": time.time() + expires_in,
            }
            return token

    def expire_token(self, access_token: str) -> None:
        with self.lock:
            self.tokens[access_token]["expires_at"] = time.time() - 1

    def revoke_token(self, access_token: str) -> None:
        with self.lock:
            self.tokens[access_token]["revoked"] = True

    # --- faults in LinkedIn's own words ----------------------------------------------------------------

    def throttled(self, path_pattern: str, *, times: int = 1) -> None:
        body = error(
            429,
            "TOO_MANY_REQUESTS",
            "Resource level throttle limit for calls to this resource is reached.",
            101,
        )
        self.inject(Fault(path_pattern, response=body, times=times))

    def unauthorized(self, path_pattern: str, *, revoked: bool = True, times: int = 1) -> None:
        if revoked:
            body = error(
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
                65601,
            )
        else:
            body = error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        self.inject(Fault(path_pattern, response=body, times=times))

    def server_error(self, path_pattern: str, *, status: int = 500, times: int = 1) -> None:
        self.inject(
            Fault(
                path_pattern,
                response=error(status, "INTERNAL_SERVER_ERROR", "Internal Server Error"),
                times=times,
            )
        )

    def drop_after(self, path_pattern: str, *, method: str = "POST", times: int = 1) -> None:
        """Apply the matching write, then hang up without answering."""
        self.inject(Fault(path_pattern, kind="drop_after", method=method, times=times))

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "seed_member": self.add_member,
            "seed_organization": self.add_organization,
            "seed_post": self.add_post,
            "seed_comment": self.add_comment,
            "seed_raw_comment": self.add_raw_comment,
            "delete_post": self.delete_post,
            "delete_comment": self.delete_comment,
            "issue_token": self.issue_token,
            "issue_refresh_token": self.issue_refresh_token,
            "expire_token": self.expire_token,
            "revoke_token": self.revoke_token,
            "throttled": self.throttled,
            "unauthorized": self.unauthorized,
            "server_error": self.server_error,
            "drop_after": self.drop_after,
            "seed_mention_post": self.add_mention_post,
            "reset": self.reset,
        }

    # --- request checks --------------------------------------------------------------------------------

    def _check(self, request: Request, scope: str) -> tuple[str, Response | None]:
        """(member URN, refusal or None): version, protocol, token and scope, in LinkedIn's order."""
        version = request.headers.get("linkedin-version", "")
        if not version:
            return "", error(426, "VERSION_MISSING", "A version must be present. Please specify a version.")
        if not version_active(version, self.active_versions):
            return "", error(426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return "", error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required")
        grant = self.tokens.get(request.bearer())
        if grant is None or grant["expires_at"] < time.time():
            return "", error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if grant.get("revoked"):
            return "", error(
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
                65601,
            )
        if scope not in grant["scopes"]:
            return "", error(
                403,
                "ACCESS_DENIED",
                f"Not enough permissions to access: {request.method} {request.path}",
                100,
            )
        return grant["member"], None

    def _administers(self, member: str, org: str) -> bool:
        return any(a["roleAssignee"] == member and a["organization"] == org for a in self.acls)

    def _path_urn(self, request: Request) -> str | None:
        raw = request.match["urn"] if request.match else ""
        return None if ":" in raw else unquote(raw)  # LinkedIn refuses URNs left unencoded in paths

    def _all_comments(self) -> list[dict[str, Any]]:
        return [c for comments in self.comments.values() for c in comments]

    # --- API -------------------------------------------------------------------------------------------

    def _list_posts(self, request: Request) -> Response:
        _member, refusal = self._check(request, READ_SCOPE)
        if refusal:
            return refusal
        if request.arg("q") != "author":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder")
        if not request.arg("author"):
            return error(400, "ILLEGAL_ARGUMENT", "author is required for the author finder")
        # The author finder lists newest first by last modification unless asked to sort by creation.
        sort_key = _POST_SORT_KEYS.get(request.arg("sortBy", "LAST_MODIFIED"))
        if sort_key is None:
            return error(400, "ILLEGAL_ARGUMENT", f"Invalid sortBy value: {request.arg('sortBy')}")
        start, count = int(request.arg("start", "0")), int(request.arg("count", "10"))
        with self.lock:
            posts = [
                p for p in self.posts.values() if p["author"] == request.arg("author") and not p["_deleted"]
            ]
            posts.sort(key=lambda p: (p[sort_key], p["id"]), reverse=True)
            return Response(
                200, page([public(p) for p in posts[start : start + count]], start, count, len(posts))
            )

    def _list_comments(self, request: Request) -> Response:
        _member, refusal = self._check(request, READ_SCOPE)
        if refusal:
            return refusal
        target = self._path_urn(request)
        if target is None:
            return error(400, "ILLEGAL_ARGUMENT", "Syntax exception in path variables")
        start, count = int(request.arg("start", "0")), int(request.arg("count", "10"))
        with self.lock:
            listed = self._listed_under(target)
            if listed is None:
                return error(404, "NOT_FOUND", f"Not Found: {target}")
            # LinkedIn documents no order: the fake lists newest first unless told otherwise, and tests
            # run both orders.
            ordered = sorted(
                enumerate(listed),
                key=lambda ic: (ic[1]["_time"], ic[0]),
                reverse=self.comment_order == "newest",
            )
            window = [c for _i, c in ordered[start : start + count]]
            visible = [
                c["_raw"] if c.get("_is_raw") else self._render_comment(c)
                for c in window
                if not c["_deleted"]
            ]
            return Response(200, page(visible, start, count, len(ordered)))

    def _listed_under(self, target: str) -> list[dict[str, Any]] | None:
        """A post's first-level comments, or a comment's replies (the comment list of `target`)."""
        if target in self.posts:
            if self.posts[target]["_deleted"]:
                return None
            return [c for c in self.comments[target] if not c.get("parentComment")]
        parent = self._comment(target)
        if parent is None:
            return None
        return [c for c in self._all_comments() if c.get("parentComment") == target]

    def _comment(self, urn: str) -> dict[str, Any] | None:
        return next(
            (c for c in self._all_comments() if c.get("commentUrn") == urn and not c["_deleted"]), None
        )

    def _render_comment(self, comment: dict[str, Any]) -> dict[str, Any]:
        replies = [
            c
            for c in self._all_comments()
            if c.get("parentComment") == comment["commentUrn"] and not c["_deleted"]
        ]
        rendered = public(comment)
        if comment.get("_no_actor"):
            rendered.pop("actor", None)
        rendered["commentsSummary"] = {
            "selectedComments": [c["commentUrn"] for c in replies[-1:]],
            "totalFirstLevelComments": len(replies),
            "aggregatedTotalComments": len(replies),
        }
        return rendered

    def _create_comment(self, request: Request) -> Response:
        member, refusal = self._check(request, WRITE_SCOPE)
        if refusal:
            return refusal
        target, body = self._path_urn(request), request.json() or {}
        if target is None:
            return error(400, "ILLEGAL_ARGUMENT", "Syntax exception in path variables")
        actor, text = body.get("actor", ""), (body.get("message") or {}).get("text", "")
        parent = body.get("parentComment", "")
        with self.lock:
            if target.startswith("urn:li:comment:"):
                # A nested comment is created under its parent comment's URN, with parentComment set.
                found = self._comment(target)
                if found is None or found.get("parentComment"):
                    return error(404, "NOT_FOUND", f"Parent comment {target} not found")
                if parent != target:
                    return error(400, "ILLEGAL_ARGUMENT", "parentComment must be the comment in the path")
                post = found["object"]
            else:
                post = target
                if parent:
                    return error(
                        400, "ILLEGAL_ARGUMENT", "A nested comment is created under its parent comment"
                    )
            if post not in self.posts or self.posts[post]["_deleted"]:
                return error(404, "NOT_FOUND", f"Not Found: {post}")
            if not (actor == member or self._administers(member, actor)):
                return error(403, "ACCESS_DENIED", f"Not enough permissions to comment as {actor}", 100)
            if body.get("object") != post or not isinstance(text, str) or not text.strip():
                return error(
                    400,
                    "ILLEGAL_ARGUMENT",
                    "object must be the post commented on and message.text is required",
                )
            if len(text) > MAX_COMMENT:
                return error(
                    422, "UNPROCESSABLE_ENTITY", f"Comment text is longer than {MAX_COMMENT} characters"
                )
            urn = self.add_comment(post, actor, text, parent=parent)
            created = self._render_comment(self._comment(urn) or {})
        return Response(201, created, {"x-restli-id": urn})

    def _create_post(self, request: Request) -> Response:
        member, refusal = self._check(request, WRITE_SCOPE)
        if refusal:
            return refusal
        body = request.json() or {}
        author, commentary = body.get("author", ""), body.get("commentary", "")
        plain = _UNESCAPE.sub(r"\1", commentary) if isinstance(commentary, str) else ""
        with self.lock:
            if not self._administers(member, author):
                return error(403, "ACCESS_DENIED", f"Not enough permissions to post as {author}", 100)
            if not plain.strip() or body.get("lifecycleState") != "PUBLISHED" or "distribution" not in body:
                return error(
                    422, "UNPROCESSABLE_ENTITY", "commentary, distribution and lifecycleState are required"
                )
            if len(plain) > MAX_COMMENTARY:
                return error(
                    422, "UNPROCESSABLE_ENTITY", f"commentary is longer than {MAX_COMMENTARY} characters"
                )
            duplicate = next(
                (p["id"] for p in self.posts.values() if p["commentary"] == commentary and not p["_deleted"]),
                "",
            )
            if duplicate:
                return error(422, "DUPLICATE_POST", f"Content is a duplicate of {duplicate}")
            content = body.get("content")
            if not self._images_ready(content, author):
                return error(422, "UNPROCESSABLE_ENTITY", "content refers to an image that is not uploaded")
            urn = self.add_post(author, commentary, content=content)
        return Response(201, None, {"x-restli-id": urn})

    def _images_ready(self, content: Any, owner: str) -> bool:
        if not content:
            return True
        images = (
            [content["media"]] if "media" in content else (content.get("multiImage") or {}).get("images", [])
        )
        return bool(images) and all(
            self.images.get(i.get("id"), {}).get("owner") == owner and self.images[i["id"]]["bytes"]
            for i in images
        )

    def _initialize_upload(self, request: Request) -> Response:
        member, refusal = self._check(request, WRITE_SCOPE)
        if refusal:
            return refusal
        if request.arg("action") != "initializeUpload":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported action")
        owner = ((request.json() or {}).get("initializeUploadRequest") or {}).get("owner", "")
        with self.lock:
            if not self._administers(member, owner):
                return error(403, "ACCESS_DENIED", f"Not enough permissions to upload for {owner}", 100)
            seq, time_ms = self._next()
            urn, upload = f"urn:li:image:C4D{seq}", secrets.token_urlsafe(12)
            self.images[urn] = {"owner": owner, "upload": upload, "bytes": b""}
        value = {
            "uploadUrlExpiresAt": time_ms + 3_600_000,
            "uploadUrl": f"{self.base_url}/dms-uploads/{upload}",
            "image": urn,
        }
        return Response(200, {"value": value})

    def _receive_upload(self, request: Request) -> Response:
        if request.bearer() not in self.tokens:
            return error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        upload = request.match["token"] if request.match else ""
        with self.lock:
            image = next((i for i in self.images.values() if i["upload"] == upload), None)
            if image is None:
                return error(404, "NOT_FOUND", "Upload not found")
            image["bytes"] = request.body
        return Response(201, None)
