"""A local Mastodon instance: apps, OAuth with PKCE, notifications, conversations, threads, statuses with
Idempotency-Key, media processing, deletes, mutes and blocks, rate-limit headers and the SSE stream.

Written from docs.joinmastodon.org (methods/apps, oauth, accounts, instance, notifications, conversations,
statuses, media, streaming; api/rate-limits, api/guidelines#pagination; entities/Error). Seed from Python
(`add_account`, `issue_token`, `add_mention`, `add_dm`...) or over HTTP: `POST /_fake/<action>` with the
same keyword arguments as JSON, e.g. `POST /_fake/add_mention {"to": "1", "author": "2", "text": "hi"}`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import queue
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from networks.fakes import consent
from networks.fakes.base import Fault, Request, Response
from networks.fakes.mastodon_state import MastodonState
from networks.fakes.support import SeedableFake, multipart_fields

WORDS = consent.ConsentWords("Mastodon", allow="Authorize", denied={"error": "access_denied"})
WINDOW = 300  # 300 requests per 5 minutes per account (https://docs.joinmastodon.org/api/rate-limits/)
IDEMPOTENCY_SECONDS = 3600  # "Idempotency keys are stored for up to 1 hour"
NOT_FOUND = {"error": "Record not found"}


class MastodonFake(MastodonState, SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        domain: str = "mastodon.example",
        max_characters: int = 500,
        media_processing_seconds: float = 0.3,
        heartbeat_seconds: float = 1.0,
    ):
        self.domain = domain
        self.max_characters = max_characters
        self.media_processing_seconds = media_processing_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._stopping = threading.Event()
        super().__init__(host, port)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.forget_traffic()
            self.reset_state()
            self.hits: dict[str, list[float]] = {}

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_account": self.add_account,
            "issue_token": self.issue_token,
            "add_mention": self.add_mention,
            "add_dm": self.add_dm,
            "edit_status": self.edit_status,
            "delete_status": self.delete_status,
            "add_app": self.add_app,
            "rate_limited": self.rate_limited,
            "unauthorized": self.unauthorized,
            "server_error": self.server_error,
        }

    # --- seeding ---------------------------------------------------------------------------------

    def add_mention(
        self,
        to: str,
        author: str,
        text: str = "",
        *,
        in_reply_to: str = "",
        visibility: str = "public",
        spoiler_text: str = "",
        created_at: str = "",
    ) -> str:
        """A status by `author` naming `to` (or answering `in_reply_to`, a status in `to`'s thread)."""
        with self.lock:
            handle = self.accounts[to]["acct"]
            words = text or "Hello!"
            if f"@{handle}".lower() not in words.lower():
                words = f"@{handle} {words}"
            when = dt.datetime.fromisoformat(created_at) if created_at else None
            return self.create_status(
                author,
                words,
                in_reply_to=in_reply_to,
                visibility=visibility,
                spoiler_text=spoiler_text,
                created_at=when,
            )

    def add_dm(
        self, to: str, author: str, text: str = "", *, in_reply_to: str = "", created_at: str = ""
    ) -> str:
        return self.add_mention(
            to, author, text, in_reply_to=in_reply_to, visibility="direct", created_at=created_at
        )

    # --- faults in Mastodon's own words ------------------------------------------------------------

    def add_app(
        self, client_id: str, client_secret: str, redirect_uris: list[str], scopes: str = "read"
    ) -> str:
        """An app registered beforehand (the demo's), as POST /api/v1/apps would have."""
        with self.lock:
            self.apps[client_id] = {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": list(redirect_uris),
                "scopes": scopes.split(),
            }
        return client_id

    def server_error(self, path_pattern: str, *, status: int = 503, times: int = 1) -> None:
        body = {"error": "We're sorry, but something went wrong on our end."}
        self.inject(Fault(path_pattern, response=Response(status, body), times=times))

    def rate_limited(self, path_pattern: str, *, reset_in: float = 120, times: int = 1) -> str:
        """The next matching call(s) answer 429 as an instance does; returns the announced reset."""
        reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=reset_in)
        headers = {
            "x-ratelimit-limit": str(WINDOW),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        self.inject(
            Fault(path_pattern, response=Response(429, {"error": "Too many requests"}, headers), times=times)
        )
        return headers["x-ratelimit-reset"]

    def unauthorized(self, path_pattern: str, *, times: int = 1) -> None:
        body = {"error": "The access token is invalid"}
        self.inject(Fault(path_pattern, response=Response(401, body), times=times))

    # --- routes ----------------------------------------------------------------------------------

    def setup_routes(self) -> None:
        self.route("POST", r"/api/v1/apps", self._apps)
        self.route("GET", r"/oauth/authorize", self._authorize)
        self.route("POST", r"/oauth/authorize", self._authorize)
        self.route("POST", r"/oauth/token", self._token)
        self.route("GET", r"/api/v1/accounts/verify_credentials", self._authed(self._me, "read:accounts"))
        self.route(
            "GET", r"/api/v1/accounts/relationships", self._authed(self._relationships, "read:follows")
        )
        self.route("GET", r"/api/v2/instance", self._instance)
        self.route("GET", r"/api/v1/notifications", self._authed(self._notifications, "read:notifications"))
        self.route("GET", r"/api/v1/conversations", self._authed(self._conversations, "read:statuses"))
        self.route("GET", r"/api/v1/statuses/(?P<id>\d+)/context", self._authed(self._context))
        self.route("GET", r"/api/v1/statuses/(?P<id>\d+)", self._authed(self._status))
        self.route("DELETE", r"/api/v1/statuses/(?P<id>\d+)", self._authed(self._delete))
        self.route("POST", r"/api/v1/statuses", self._authed(self._create, "write:statuses"))
        self.route("POST", r"/api/v2/media", self._authed(self._upload, "write:media"))
        self.route("GET", r"/api/v1/media/(?P<id>\d+)", self._authed(self._media))
        self.route("GET", r"/api/v1/accounts/(?P<id>\d+)/statuses", self._authed(self._account_statuses))
        self.route(
            "POST",
            r"/api/v1/accounts/(?P<id>\d+)/(?P<what>mute|unmute|block|unblock)",
            self._authed(self._relate),
        )
        self.route(
            "GET", r"/api/v1/streaming/health", lambda r: Response(200, "OK", {"content-type": "text/plain"})
        )
        self.route("GET", r"/api/v1/streaming/user/notification", self._authed(self._stream))

    def _authed(
        self, handler: Callable[[Request, str], Response], scope: str = ""
    ) -> Callable[[Request], Response]:
        """The token's account, or 401; 403 when the token lacks `scope` (https://docs.joinmastodon.org/
        api/oauth-scopes/: "read" grants every "read:..." scope, "write" every "write:...")."""

        def guarded(request: Request) -> Response:
            with self.lock:
                grant = self.tokens.get(request.bearer())
            if grant is None:
                return Response(401, {"error": "The access token is invalid"})
            granted = set(grant["scopes"])
            if scope and scope not in granted and scope.split(":")[0] not in granted:
                return Response(403, {"error": "This action is outside the authorized scopes"})
            account_id = grant["account_id"]
            headers = self._rate_headers(account_id)
            if headers["x-ratelimit-remaining"] == "-1":
                headers["x-ratelimit-remaining"] = "0"
                return Response(429, {"error": "Too many requests"}, headers)
            response = handler(request, account_id)
            response.headers = {**headers, **response.headers}
            return response

        return guarded

    def _rate_headers(self, account_id: str) -> dict[str, str]:
        now = time.time()
        with self.lock:
            window_start = now - now % WINDOW
            hits = [t for t in self.hits.get(account_id, []) if t >= window_start]
            hits.append(now)
            self.hits[account_id] = hits
        reset = dt.datetime.fromtimestamp(window_start + WINDOW, dt.UTC)
        return {
            "x-ratelimit-limit": str(WINDOW),
            "x-ratelimit-remaining": str(WINDOW - len(hits)),
            "x-ratelimit-reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    # OAuth (https://docs.joinmastodon.org/methods/apps/, https://docs.joinmastodon.org/methods/oauth/)

    def _params(self, request: Request) -> dict[str, str]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return {k: str(v) for k, v in (request.json() or {}).items()}
        return request.form()

    def _apps(self, request: Request) -> Response:
        form = self._params(request)
        if not form.get("client_name") or not form.get("redirect_uris"):
            return Response(
                422,
                {"error": "Validation failed: Application name can't be blank, Redirect URI can't be blank"},
            )
        client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        uris = form["redirect_uris"].split()
        scopes = form.get("scopes", "read")
        with self.lock:
            app = {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": uris,
                "scopes": scopes.split(),
            }
            self.apps[client_id] = app
        return Response(
            200,
            {
                "id": self.next_id(),
                "name": form["client_name"],
                "website": form.get("website") or None,
                "scopes": scopes.split(),
                "redirect_uris": uris,
                "redirect_uri": " ".join(uris),
                "vapid_key": base64.urlsafe_b64encode(secrets.token_bytes(65)).decode(),
                "client_id": client_id,
                "client_secret": secret,
                "client_secret_expires_at": 0,
            },
        )

    #: Who "clicks Authorize" on the consent page.
    consent_account_id: str = ""

    def _authorize(self, request: Request) -> Response:
        params = consent.params_of(request)
        with self.lock:
            app = self.apps.get(params.get("client_id", ""))
        if app is None or params.get("redirect_uri") not in app["redirect_uris"]:
            return Response(400, "The redirect uri included is not valid.", {"content-type": "text/plain"})
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return Response(400, "Invalid code challenge method.", {"content-type": "text/plain"})
        scopes = params.get("scope", "read").split()
        if request.method == "GET":
            account = self.accounts.get(self.consent_account_id, {})
            return consent.page(request, WORDS, account=f"@{account.get('acct', '?')}", scopes=scopes)

        def issue_code(params: dict[str, str]) -> str:
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = {
                    "client_id": params["client_id"],
                    "redirect_uri": params["redirect_uri"],
                    "challenge": params.get("code_challenge", ""),
                    "account_id": self.consent_account_id,
                    "scopes": scopes,
                }
            return code

        return consent.answer(request, WORDS, issue_code)

    def _token(self, request: Request) -> Response:
        form = self._params(request)
        refusal = Response(
            400,
            {
                "error": "invalid_grant",
                "error_description": (
                    "The provided authorization grant is invalid, expired, revoked, does not match the "
                    "redirection URI used in the authorization request, or was issued to another client."
                ),
            },
        )
        with self.lock:
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app["client_secret"] != form.get("client_secret"):
                return Response(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": (
                            "Client authentication failed due to unknown client, no client authentication "
                            "included, or unsupported authentication method."
                        ),
                    },
                )
            grant = self.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant["client_id"] != app["client_id"]
            or grant["redirect_uri"] != form.get("redirect_uri")
        ):
            return refusal
        if grant["challenge"]:
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge != grant["challenge"]:
                return refusal
        return Response(200, self.issue_token(grant["account_id"], grant["scopes"]))

    # Accounts and instance

    def _me(self, request: Request, me: str) -> Response:
        account = dict(self.accounts[me])
        account["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "",
            "note": "",
            "fields": [],
        }
        return Response(200, account)

    def _instance(self, request: Request) -> Response:
        return Response(
            200,
            {
                "domain": self.domain,
                "title": "Mastodon (fake)",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A local stand-in for a Mastodon server.",
                "usage": {"users": {"active_month": len(self.accounts)}},
                "thumbnail": {"url": f"https://{self.domain}/packs/media/images/preview.png"},
                "languages": ["en", "fr"],
                "configuration": {
                    "urls": {"streaming": self.base_url.replace("http", "ws", 1)},
                    "accounts": {"max_featured_tags": 10},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": 23,
                    },
                    "media_attachments": {
                        "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                        "image_size_limit": 16777216,
                        "image_matrix_limit": 33177600,
                        "video_size_limit": 103809024,
                        "video_frame_rate_limit": 120,
                        "video_matrix_limit": 8294400,
                    },
                    "polls": {
                        "max_options": 4,
                        "max_characters_per_option": 50,
                        "min_expiration": 300,
                        "max_expiration": 2629746,
                    },
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": f"admin@{self.domain}", "account": None},
                "rules": [],
            },
        )

    # Paging (https://docs.joinmastodon.org/api/guidelines/#pagination)

    def _page(
        self, request: Request, rows: list[tuple[str, Any]], *, path: str, default: int, most: int
    ) -> tuple[list[Any], dict[str, str]]:
        """`rows` (id, entity) newest first, cut by max_id / since_id / min_id and limit, with the Link
        header: rel="next" (older, max_id) and rel="prev" (newer, min_id)."""
        try:
            limit = max(1, min(int(request.arg("limit", str(default))), most))
        except ValueError:
            limit = default
        max_id, since_id, min_id = request.arg("max_id"), request.arg("since_id"), request.arg("min_id")
        chosen = [(i, e) for i, e in rows if (not max_id or int(i) < int(max_id))]
        chosen = [(i, e) for i, e in chosen if (not since_id or int(i) > int(since_id))]
        if min_id:
            chosen = [(i, e) for i, e in chosen if int(i) > int(min_id)]
            chosen = list(reversed(list(reversed(chosen))[:limit]))  # immediately newer than min_id
        else:
            chosen = chosen[:limit]
        headers = {}
        if chosen:
            base = f"https://{self.domain}{path}"
            keep = [
                (k, v)
                for k, vs in request.query.items()
                for v in vs
                if k not in ("max_id", "min_id", "since_id")
            ]
            older = urlencode([*keep, ("max_id", chosen[-1][0])])
            newer = urlencode([*keep, ("min_id", chosen[0][0])])
            headers["link"] = f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'
        return [e for _i, e in chosen], headers

    def _notifications(self, request: Request, me: str) -> Response:
        types = request.query.get("types[]") or []
        excluded = request.query.get("exclude_types[]") or []
        with self.lock:
            rows = [
                (n["id"], self.notification_entity(n))
                for n in reversed(self.notifications.get(me, []))
                if (not types or n["type"] in types)
                and n["type"] not in excluded
                and (self.statuses.get(n["_status"]) is None or not self.statuses[n["_status"]]["_deleted"])
            ]
        body, headers = self._page(request, rows, path="/api/v1/notifications", default=40, most=80)
        return Response(200, body, headers)

    def _conversations(self, request: Request, me: str) -> Response:
        with self.lock:
            mine = sorted(
                self.conversations.get(me, {}).values(), key=lambda c: int(c["_last"]), reverse=True
            )
            rows = [
                (
                    c["_last"],
                    {
                        "id": c["id"],
                        "unread": c["unread"],
                        "accounts": [self.accounts[a] for a in c["_people"]],
                        "last_status": self.status_entity(self.statuses[c["_last"]]),
                    },
                )
                for c in mine
            ]
        body, headers = self._page(request, rows, path="/api/v1/conversations", default=20, most=40)
        return Response(200, body, headers)

    # Statuses (https://docs.joinmastodon.org/methods/statuses/)

    def _can_see(self, status: dict[str, Any], me: str) -> bool:
        if status["visibility"] != "direct":
            return True
        return status["account"]["id"] == me or any(m["id"] == me for m in status["mentions"])

    def _status(self, request: Request, me: str) -> Response:
        with self.lock:
            status = self.visible(request.match["id"] if request.match else "")
            if status is None or not self._can_see(status, me):
                return Response(404, NOT_FOUND)
            return Response(200, self.status_entity(status))

    def _context(self, request: Request, me: str) -> Response:
        with self.lock:
            status_id = request.match["id"] if request.match else ""
            status = self.visible(status_id)
            if status is None or not self._can_see(status, me):
                return Response(404, NOT_FOUND)
            ancestors, descendants = self.thread_of(status_id)
            return Response(
                200,
                {
                    "ancestors": [self.status_entity(s) for s in ancestors if self._can_see(s, me)],
                    "descendants": [self.status_entity(s) for s in descendants if self._can_see(s, me)],
                },
            )

    def _create(self, request: Request, me: str) -> Response:
        try:
            form: dict[str, Any] = (
                request.json()
                if request.headers.get("content-type", "").startswith("application/json")
                else request.form()
            )
        except ValueError:
            return Response(400, {"error": "Invalid JSON"})
        key = request.headers.get("idempotency-key", "")
        with self.lock:
            if key:
                seen = self.idempotency.get((me, key))
                if seen and time.time() - seen[1] < IDEMPOTENCY_SECONDS and seen[0] in self.statuses:
                    return Response(200, self.status_entity(self.statuses[seen[0]]))
            text = str(form.get("status") or "")
            media_ids = [str(m) for m in form.get("media_ids") or form.get("media_ids[]") or []]
            if not text.strip() and not media_ids:
                return Response(422, {"error": "Validation failed: Text can't be blank"})
            if (
                len(text) > 100_000  # a guard against a pasted book before counting graphemes
                or self._length(text, str(form.get("spoiler_text") or "")) > self.max_characters
            ):
                return Response(
                    422,
                    {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"},
                )
            if any(m not in self.media for m in media_ids):
                return Response(422, {"error": "Validation failed: Media attachments are invalid"})
            if any(self.media[m]["ready_at"] > time.time() for m in media_ids):
                return Response(
                    422,
                    {
                        "error": (
                            "Cannot attach files that have not finished processing. Try again in a moment!"
                        )
                    },
                )
            reply_to = str(form.get("in_reply_to_id") or "")
            if reply_to and self.visible(reply_to) is None:
                return Response(404, NOT_FOUND)
            visibility = str(form.get("visibility") or "public")
            if visibility not in ("public", "unlisted", "private", "direct"):
                return Response(422, {"error": "Validation failed: Visibility is not included in the list"})
            status_id = self.create_status(
                me,
                text,
                in_reply_to=reply_to,
                visibility=visibility,
                spoiler_text=str(form.get("spoiler_text") or ""),
                media_ids=media_ids,
                language=str(form.get("language") or "en"),
            )
            if key:
                self.idempotency[(me, key)] = (status_id, time.time())
            return Response(200, self.status_entity(self.statuses[status_id]))

    def _length(self, text: str, spoiler: str) -> int:
        """Mastodon's count as its documentation and its validator state it: URLs 23 characters each, a
        remote mention as its local part (https://docs.joinmastodon.org/api/guidelines/#links), in grapheme
        clusters (StatusLengthValidator uses `grapheme_length`: an emoji family is one)."""
        import re

        import regex

        counted = re.sub(r"https?://\S+", "x" * 23, text)
        counted = re.sub(r"@(\w+)@[\w.-]+\w", r"@\1", counted)
        return len(regex.findall(r"\X", spoiler)) + len(regex.findall(r"\X", counted))

    def _delete(self, request: Request, me: str) -> Response:
        with self.lock:
            status = self.visible(request.match["id"] if request.match else "")
            if status is None:
                return Response(404, NOT_FOUND)
            if status["account"]["id"] != me:
                return Response(403, {"error": "This action is not allowed"})
            status["_deleted"] = True
            entity = self.status_entity(status)
            entity["text"] = status["_text"]
            return Response(200, entity)

    def _account_statuses(self, request: Request, me: str) -> Response:
        account_id = request.match["id"] if request.match else ""
        exclude_replies = request.arg("exclude_replies") in ("true", "1")
        with self.lock:
            if account_id not in self.accounts:
                return Response(404, NOT_FOUND)
            rows = [
                (s["id"], self.status_entity(s))
                for s in sorted(self.statuses.values(), key=lambda s: int(s["id"]), reverse=True)
                if s["account"]["id"] == account_id
                and not s["_deleted"]
                and s["visibility"] != "direct"
                and not (exclude_replies and s["in_reply_to_id"])
            ]
        body, headers = self._page(
            request, rows, path=f"/api/v1/accounts/{account_id}/statuses", default=20, most=40
        )
        return Response(200, body, headers)

    # Media (https://docs.joinmastodon.org/methods/media/#v2)

    def _upload(self, request: Request, me: str) -> Response:
        fields = multipart_fields(request)
        data = fields.get("file")
        if not data:
            return Response(422, {"error": "Validation failed: File can't be blank"})
        media_id = self.next_id()
        entity: dict[str, Any] = {
            "id": media_id,
            "type": "image",
            "url": None,
            "preview_url": f"https://files.{self.domain}/media_attachments/files/{media_id}/small/image.png",
            "remote_url": None,
            "text_url": f"https://{self.domain}/media/{media_id}",
            "meta": {},
            "description": (fields.get("description") or b"").decode() or None,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }
        with self.lock:
            self.media[media_id] = {
                "entity": entity,
                "ready_at": time.time() + self.media_processing_seconds,
                "bytes": len(data),
            }
        return Response(202, entity)

    def _media(self, request: Request, me: str) -> Response:
        with self.lock:
            media = self.media.get(request.match["id"] if request.match else "")
            if media is None:
                return Response(404, NOT_FOUND)
            if media["ready_at"] > time.time():
                return Response(206, media["entity"])
            media["entity"]["url"] = (
                f"https://files.{self.domain}/media_attachments/files/{media['entity']['id']}/original/image.png"
            )
            return Response(200, media["entity"])

    # Mutes and blocks (https://docs.joinmastodon.org/methods/accounts/#mute)

    def _relation(self, me: str, other: str) -> dict[str, Any]:
        state = self.relationships.setdefault((me, other), {"muting": False, "blocking": False})
        return {
            "id": other,
            "following": False,
            "showing_reblogs": False,
            "notifying": False,
            "followed_by": False,
            "blocking": state["blocking"],
            "blocked_by": False,
            "muting": state["muting"],
            "muting_notifications": state["muting"],
            "requested": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }

    def _relate(self, request: Request, me: str) -> Response:
        other, what = (request.match["id"], request.match["what"]) if request.match else ("", "")
        with self.lock:
            if other not in self.accounts:
                return Response(404, NOT_FOUND)
            state = self.relationships.setdefault((me, other), {"muting": False, "blocking": False})
            state["muting" if "mute" in what else "blocking"] = not what.startswith("un")
            return Response(200, self._relation(me, other))

    def _relationships(self, request: Request, me: str) -> Response:
        with self.lock:
            return Response(
                200, [self._relation(me, i) for i in request.query.get("id[]", []) if i in self.accounts]
            )

    # Streaming (https://docs.joinmastodon.org/methods/streaming/#notification)

    def _stream(self, request: Request, me: str) -> Response:
        inbox: queue.Queue[tuple[str, str]] = queue.Queue()
        # Subscribed before the answer's headers leave: a client that saw them connected misses nothing.
        with self.lock:
            self.subscribers.setdefault(me, []).append(inbox)

        def run(write: Callable[[bytes], bool]) -> None:
            try:
                if not write(b":)\n"):
                    return
                while not self._stopping.is_set():
                    try:
                        event, payload = inbox.get(timeout=self.heartbeat_seconds)
                    except queue.Empty:
                        if not write(b":thump\n"):
                            return
                        continue
                    if not write(f"event: {event}\ndata: {payload}\n\n".encode()):
                        return
            finally:
                with self.lock:
                    self.subscribers.get(me, []).remove(inbox)

        return Response(
            200, headers={"content-type": "text/event-stream", "cache-control": "no-store"}, stream=run
        )

    def streams_open(self, account_id: str) -> int:
        with self.lock:
            return len(self.subscribers.get(account_id, []))
