"""A local graph.threads.net (v1.0) for tests and the demo, in the real wire format.

Paths and parameters from Meta's Threads documentation and its Postman collection
(https://github.com/fbsamples/threads_api, postman/threads-api.postman_collection.json):

- `GET /oauth/authorize` (consent page) on the authorization host; `POST /oauth/access_token`,
  `GET /access_token?grant_type=th_exchange_token`, `GET /refresh_access_token?grant_type=th_refresh_token`;
- `GET /v1.0/me`, `GET|POST /v1.0/{user-id}/threads`, `POST /v1.0/{user-id}/threads_publish`,
  `GET /v1.0/{user-id}/threads_publishing_limit`, `GET /v1.0/{user-id}/replies` and `/mentions`,
  `GET /v1.0/{media-id}/replies` and `/conversation` (`reverse`), `POST /v1.0/{reply-id}/manage_reply`,
  `GET /v1.0/{id}` (a media object or a container's `status`), `DELETE /v1.0/{media-id}`;
- lists page with `paging.cursors.before/after` and `paging.next`; `since`/`until` (Unix seconds) where
  documented; errors in Meta's envelope `{"error": {"message", "type", "code", "error_subcode",
  "fbtrace_id"}}`; webhooks signed `X-Hub-Signature-256`.

The consent page serves both hosts: point the app's OAuth base URL and API base URL at the same fake.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from typing import Any
from urllib.parse import urlencode

import httpx

from networks.fakes import consent
from networks.fakes.base import Request, Response
from networks.fakes.graph_state import decode_cursor, encode_cursor, error_response, parse_fields, select
from networks.fakes.support import SeedableFake, public
from networks.fakes.threads_state import (
    ALL_SCOPES,
    CONTAINER_LIFETIME,
    LINK_LIMIT,
    REFRESH_MIN_AGE,
    TEXT_LIMIT,
    Container,
    Media,
    Token,
    User,
    World,
    counted_length,
    unique_links,
)
from networks.fakes.webhook_outbox import Subscription, WebhookOutbox

WORDS = consent.ConsentWords(
    network="Threads",
    allow="Allow",
    denied={
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "Permissions error",
    },
)
V = r"/v1\.0"
SINCE_FLOOR = 1_688_540_400  # the day Threads opened
ID = r"(?P<id>[0-9]+)"


def _reject(
    code: int, message: str, *, status: int = 400, subcode: int | None = None, **extra: Any
) -> Response:
    return error_response(code, message, subcode=subcode, status=status, **extra)


def _bad_token() -> Response:
    return _reject(190, "Invalid OAuth access token - Cannot parse access token", status=400)


def _missing(permission: str) -> Response:
    return _reject(10, f"(#10) Application does not have permission for this action: {permission}")


def _unknown(object_id: str) -> Response:
    return _reject(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation.",
        subcode=33,
    )


class ThreadsFake(SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "threads-app-id",
        client_secret: str = "threads-app-secret",  # noqa: S107 - the fake app's, for tests
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.world = World()
        self.offset = dt.timedelta(0)  # the fake's clock runs ahead by this much (shift_clock)
        self.image_reads_until_ready = 1
        self.signed_in = ""  # the user id the consent page acts for
        self.webhook_subscription: Subscription | None = None
        self.webhooks = WebhookOutbox()
        self.hosted: dict[str, tuple[bytes, str]] = {}
        self.fetch_media = True
        self._lock = threading.RLock()
        super().__init__(host, port)

    def stop(self) -> None:
        super().stop()
        self.webhooks.close()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    # --- Seeding ----------------------------------------------------------------------------------------

    def add_user(self, username: str, name: str = "", *, picture: str = "", private: bool = False) -> str:
        with self._lock:
            user = User(self.world.next_id(), username, name or username, picture, private)
            self.world.users[user.id] = user
            if not self.signed_in:
                self.signed_in = user.id
            return user.id

    def sign_in(self, user_id: str) -> None:
        self.signed_in = user_id

    def issue_token(
        self,
        user_id: str,
        *,
        scopes: tuple[str, ...] = ALL_SCOPES,
        age: float = 0.0,
        long_lived: bool = True,
        value: str = "",
        lifetime: dt.timedelta | None = None,
    ) -> str:
        """A token for `user_id`, issued `age` seconds ago (`value` and `lifetime` for the demo's own)."""
        now = self.now() - dt.timedelta(seconds=age)
        token = self.world.new_token(user_id, frozenset(scopes), now=now, long_lived=long_lived)
        if value or lifetime:
            del self.world.tokens[token.value]
            token.value = value or token.value
            token.expires = now + lifetime if lifetime else token.expires
            self.world.tokens[token.value] = token
        return token.value

    def add_post(
        self,
        user_id: str,
        text: str,
        *,
        media_type: str = "TEXT_POST",
        media_url: str = "",
        ago: float = 0.0,
        at: dt.datetime | None = None,
    ) -> str:
        with self._lock:
            post = Media(
                self.world.next_id(),
                user_id,
                text,
                at or self.now() - dt.timedelta(seconds=ago),
                media_type=media_type,
                media_url=media_url,
            )
            self.world.media[post.id] = post
        self._push_mentions(post)
        return post.id

    def add_reply(
        self,
        parent_id: str,
        user_id: str,
        text: str,
        *,
        ago: float = 0.0,
        hidden: bool = False,
        at: dt.datetime | None = None,
    ) -> str:
        """A reply by `user_id` to a post or a reply (its thread's root is found from the parent)."""
        with self._lock:
            parent = self.world.media[parent_id]
            reply = Media(
                self.world.next_id(),
                user_id,
                text,
                at or self.now() - dt.timedelta(seconds=ago),
                root_post=parent.root_post or parent.id,
                replied_to=parent.id,
                hide_status="HIDDEN" if hidden else "NOT_HUSHED",
            )
            self.world.media[reply.id] = reply
        self._push_reply(reply)
        self._push_mentions(reply)
        return reply.id

    def set_quota(self, *, posts: int | None = None, replies: int | None = None) -> None:
        if posts is not None:
            self.world.post_quota = posts
        if replies is not None:
            self.world.reply_quota = replies

    def shift_clock(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)

    def host_image(self, content: bytes, content_type: str = "image/jpeg") -> str:
        """A public address serving `content`, for publishing images in tests."""
        name = secrets.token_hex(6)
        self.hosted[name] = (content, content_type)
        return f"{self.base_url}/_media/{name}"

    def subscribe_webhooks(
        self, callback_url: str, *, verify_token: str, fields: tuple[str, ...] = ("replies", "mentions")
    ) -> None:
        """The App Dashboard's Threads webhooks: deliveries signed with the app secret."""
        self.webhook_subscription = Subscription(
            "meta", callback_url, self.client_secret, verify_token=verify_token, fields=frozenset(fields)
        )

    def published(self, user_id: str = "") -> list[Media]:
        """What the API published (posts and replies), oldest first."""
        return sorted(
            (m for m in self.world.media.values() if m.via_api and (not user_id or m.owner == user_id)),
            key=lambda m: (m.created, m.id),
        )

    def reset(self) -> None:
        with self._lock:
            self.world = World()
            self.offset = dt.timedelta(0)
            self.signed_in = ""
        self.forget_traffic()

    def control_actions(self) -> dict[str, Any]:
        return {
            "add_user": self.add_user,
            "sign_in": self.sign_in,
            "issue_token": self.issue_token,
            "add_post": self.add_post,
            "add_reply": self.add_reply,
            "set_quota": self.set_quota,
            "shift_clock": self.shift_clock,
            "subscribe_webhooks": self.subscribe_webhooks,
            "published": lambda user_id="": [
                public(vars(m)) | {"created": m.created.isoformat()} for m in self.published(user_id)
            ],
            "reset": self.reset,
        }

    # --- Webhooks (https://developers.facebook.com/docs/threads/webhooks) --------------------------------

    def _envelope(self, field: str, target: str, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "app_id": self.client_id,
            "topic": "moderate" if field == "replies" else "mentions",
            "target_id": target,
            "time": int(self.now().timestamp()),
            "subscription_id": "1" + secrets.token_hex(4),
            "has_uid_field": False,
            "values": {"value": value, "field": field},
        }

    def _push(self, field: str, target: str, media: Media) -> None:
        subscription = self.webhook_subscription
        if subscription is None or field not in subscription.fields:
            return
        owner = self.world.users.get(media.owner)
        value: dict[str, Any] = {
            "id": media.id,
            "username": owner.username if owner else "",
            "text": media.text,
            "media_type": media.media_type,
            "permalink": self.world.permalink(media),
            "shortcode": media.shortcode,
            "timestamp": media.created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }
        if media.is_reply:
            root = self.world.media.get(media.root_post)
            root_owner = self.world.users.get(root.owner) if root else None
            value["replied_to"] = {"id": media.replied_to}
            value["root_post"] = {
                "id": media.root_post,
                "owner_id": root.owner if root else "",
                "username": root_owner.username if root_owner else "",
            }
        self.webhooks.send(subscription, self._envelope(field, target, value))

    def _push_reply(self, reply: Media) -> None:
        root = self.world.media.get(reply.root_post)
        if root is not None and root.owner != reply.owner:
            self._push("replies", root.owner, reply)

    def _push_mentions(self, media: Media) -> None:
        for user in list(self.world.users.values()):
            if user.id != media.owner and f"@{user.username}".lower() in media.text.lower():
                self._push("mentions", user.id, media)

    # --- Routes -----------------------------------------------------------------------------------------

    def setup_routes(self) -> None:
        self.route("GET", r"/oauth/authorize", self._authorize)
        self.route("POST", r"/oauth/authorize", self._authorize_answer)
        self.route("POST", r"/oauth/access_token", self._code_exchange)
        self.route("GET", r"/access_token", self._long_lived)
        self.route("GET", r"/refresh_access_token", self._refresh)
        self.route("GET", r"/_media/(?P<name>[0-9a-f]+)", self._hosted)
        self.route("GET", rf"{V}/me", self._me)
        self.route("GET", rf"{V}/{ID}/threads", self._user_threads)
        self.route("POST", rf"{V}/{ID}/threads", self._create_container)
        self.route("POST", rf"{V}/{ID}/threads_publish", self._publish)
        self.route("GET", rf"{V}/{ID}/threads_publishing_limit", self._publishing_limit)
        self.route("GET", rf"{V}/{ID}/replies", self._replies)
        self.route("GET", rf"{V}/{ID}/conversation", self._conversation)
        self.route("GET", rf"{V}/{ID}/mentions", self._mentions)
        self.route("POST", rf"{V}/{ID}/manage_reply", self._manage_reply)
        self.route("GET", rf"{V}/{ID}", self._object)
        self.route("DELETE", rf"{V}/{ID}", self._delete)

    def _params(self, request: Request) -> dict[str, str]:
        params = {k: v[0] for k, v in request.query.items()}
        if request.method in ("POST", "DELETE") and request.body:
            params.update(request.form())
        return params

    def _token(self, request: Request) -> Token | Response:
        value = request.bearer() or self._params(request).get("access_token", "")
        token = self.world.tokens.get(value)
        if token is None:
            return _bad_token()
        if token.expires <= self.now():
            return _reject(
                190,
                "Error validating access token: Session has expired.",
                subcode=463,
                error_user_title="Session expired",
            )
        return token

    def _as(self, request: Request, *needs: str) -> Token | Response:
        token = self._token(request)
        if isinstance(token, Response):
            return token
        for permission in ("threads_basic", *needs):
            if permission not in token.scopes:
                return _missing(permission)
        return token

    # OAuth -------------------------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        params = consent.params_of(request)
        if params.get("client_id") != self.client_id:
            return _reject(101, "Error validating application. Invalid application ID.")
        user = self.world.users.get(self.signed_in)
        scopes = [s for s in params.get("scope", "").split(",") if s]
        return consent.page(request, WORDS, account=user.username if user else "?", scopes=scopes)

    def _authorize_answer(self, request: Request) -> Response:
        def issue(params: dict[str, str]) -> str:
            code = secrets.token_urlsafe(16)
            self.world.codes[code] = {**params, "user_id": self.signed_in}
            return code

        response = consent.answer(request, WORDS, issue)
        # Threads appends `#_` to the redirect, which a browser does not send back.
        if "code=" in response.headers.get("location", ""):
            response.headers["location"] += "#_"
        return response

    def _code_exchange(self, request: Request) -> Response:
        params = self._params(request)
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return _reject(101, "Error validating client secret.")
        grant = self.world.codes.pop(params.get("code", ""), None)
        if grant is None or params.get("grant_type") != "authorization_code":
            return _reject(100, "Invalid verification code format.", subcode=36008)
        if grant.get("redirect_uri") != params.get("redirect_uri"):
            return _reject(
                100,
                "Error validating verification code. Please make sure your redirect_uri is identical to "
                "the one you used in the OAuth dialog request",
                subcode=36008,
            )
        scopes = frozenset(s for s in grant.get("scope", "").split(",") if s in ALL_SCOPES)
        token = self.world.new_token(grant["user_id"], scopes, now=self.now(), long_lived=False)
        return Response(200, {"access_token": token.value, "user_id": int(token.user_id)})

    def _long_lived(self, request: Request) -> Response:
        params = self._params(request)
        if (
            params.get("grant_type") != "th_exchange_token"
            or params.get("client_secret") != self.client_secret
        ):
            return _reject(101, "Error validating client secret.")
        short = self._token(request)
        if isinstance(short, Response):
            return short
        token = self.world.new_token(short.user_id, short.scopes, now=self.now(), long_lived=True)
        left = int((token.expires - self.now()).total_seconds())
        return Response(200, {"access_token": token.value, "token_type": "bearer", "expires_in": left})

    def _refresh(self, request: Request) -> Response:
        if self._params(request).get("grant_type") != "th_refresh_token":
            return _reject(100, "Unsupported grant_type")
        current = self._token(request)
        if isinstance(current, Response):
            return current
        if not current.long_lived or self.now() - current.issued < REFRESH_MIN_AGE:
            return _reject(
                190,
                "The access token cannot be refreshed: it must be a long-lived token at least 24 hours old.",
            )
        token = self.world.new_token(current.user_id, current.scopes, now=self.now(), long_lived=True)
        left = int((token.expires - self.now()).total_seconds())
        return Response(200, {"access_token": token.value, "token_type": "bearer", "expires_in": left})

    def _hosted(self, request: Request) -> Response:
        found = self.hosted.get(request.match["name"] if request.match else "")
        if found is None:
            return Response(404, b"", {"content-type": "text/plain"})
        return Response(200, found[0], {"content-type": found[1]})

    # Reading -----------------------------------------------------------------------------------------

    def _me(self, request: Request) -> Response:
        token = self._as(request)
        if isinstance(token, Response):
            return token
        user = self.world.users[token.user_id]
        rendered = {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "threads_profile_picture_url": user.picture or f"https://scontent.cdninstagram.com/{user.id}.jpg",
        }
        return Response(200, select(rendered, parse_fields(request.arg("fields")), ("id",)))

    def _page(self, request: Request, found: list[Media], viewer: str) -> Response:
        """A list in Threads' envelope: `limit` (default 25, at most 100), `before`/`after` cursors,
        `since`/`until` in Unix seconds, and `paging.next` while more follow."""
        since, until = request.arg("since"), request.arg("until")
        try:
            if since:
                found = [m for m in found if m.created.timestamp() >= int(since)]
            if until:
                found = [m for m in found if m.created.timestamp() <= int(until)]
            limit = min(max(int(request.arg("limit", "25")), 1), 100)
        except ValueError:
            return _reject(100, "(#100) Param since, until or limit must be a number")
        if request.arg("before") and request.arg("after"):
            return _reject(100, "(#100) Both before and after cannot be passed at the same time")
        start = decode_cursor(request.arg("after")) + 1 if request.arg("after") else 0
        if request.arg("before"):
            start = max(0, decode_cursor(request.arg("before")) - limit)
        chunk = found[start : start + limit]
        fields = parse_fields(request.arg("fields"))
        body: dict[str, Any] = {
            "data": [select(self.world.render(m, viewer=viewer), fields, ("id",)) for m in chunk]
        }
        if chunk:
            body["paging"] = {
                "cursors": {"before": encode_cursor(start), "after": encode_cursor(start + len(chunk) - 1)}
            }
            if start + len(chunk) < len(found):
                query = {
                    k: v[0] for k, v in request.query.items() if k not in ("before", "after", "access_token")
                }
                query["after"] = encode_cursor(start + len(chunk) - 1)
                body["paging"]["next"] = f"{self.base_url}{request.path}?{urlencode(query)}"
        return Response(200, body)

    def _owned(self, request: Request, *needs: str) -> tuple[Token, str] | Response:
        token = self._as(request, *needs)
        if isinstance(token, Response):
            return token
        user_id = request.match["id"] if request.match else ""
        if user_id != token.user_id:
            return _unknown(user_id)
        return token, user_id

    @staticmethod
    def _newest_first(items: list[Media]) -> list[Media]:
        return sorted(items, key=lambda m: (m.created, int(m.id)), reverse=True)

    def _user_threads(self, request: Request) -> Response:
        owned = self._owned(request)
        if isinstance(owned, Response):
            return owned
        _token, user_id = owned
        posts = [m for m in self.world.visible() if m.owner == user_id and not m.is_reply]
        return self._page(request, self._newest_first(posts), user_id)

    def _replies(self, request: Request) -> Response:
        object_id = request.match["id"] if request.match else ""
        if object_id in self.world.users:  # a profile's own replies
            owned = self._owned(request, "threads_read_replies")
            if isinstance(owned, Response):
                return owned
            mine = [m for m in self.world.visible() if m.owner == object_id and m.is_reply]
            return self._page(request, self._newest_first(mine), object_id)
        return self._thread_edge(request, top_level_only=True)

    def _conversation(self, request: Request) -> Response:
        return self._thread_edge(request, top_level_only=False)

    def _media_as(self, request: Request, *needs: str) -> tuple[Token, Media] | Response:
        """The token (with these permissions) and the live media object the path names."""
        token = self._as(request, *needs)
        if isinstance(token, Response):
            return token
        media_id = request.match["id"] if request.match else ""
        media = self.world.media.get(media_id)
        if media is None or media.deleted:
            return _unknown(media_id)
        return token, media

    def _thread_edge(self, request: Request, *, top_level_only: bool) -> Response:
        found_media = self._media_as(request, "threads_read_replies")
        if isinstance(found_media, Response):
            return found_media
        token, media = found_media
        media_id = media.id
        if top_level_only:
            found = [m for m in self.world.visible() if m.replied_to == media_id]
        else:
            root = media.root_post or media.id
            found = [m for m in self.world.visible() if m.root_post == root and m.id != media_id]
        reverse = request.arg("reverse", "true").lower() != "false"
        ordered = self._newest_first(found) if reverse else list(reversed(self._newest_first(found)))
        return self._page(request, ordered, token.user_id)

    def _mentions(self, request: Request) -> Response:
        owned = self._owned(request, "threads_manage_mentions")
        if isinstance(owned, Response):
            return owned
        _token, user_id = owned
        if (
            request.arg("since")
            and request.arg("since").isdigit()
            and int(request.arg("since")) < SINCE_FLOOR
        ):
            # "The since parameter's timestamp must be greater than or equal to 1688540400"
            # (https://developers.facebook.com/documentation/threads/threads-mentions).
            return _reject(100, "(#100) Param since must be greater than or equal to 1688540400")
        handle = f"@{self.world.users[user_id].username}".lower()
        found = [m for m in self.world.visible() if m.owner != user_id and handle in m.text.lower()]
        return self._page(request, self._newest_first(found), user_id)

    def _object(self, request: Request) -> Response:
        token = self._as(request)
        if isinstance(token, Response):
            return token
        object_id = request.match["id"] if request.match else ""
        fields = parse_fields(request.arg("fields"))
        container = self.world.containers.get(object_id)
        if container is not None and container.owner == token.user_id:
            return Response(200, select(self._container_view(container), fields, ("id",)))
        media = self.world.media.get(object_id)
        if media is None or media.deleted:
            return _unknown(object_id)
        return Response(200, select(self.world.render(media, viewer=token.user_id), fields, ("id",)))

    def _container_view(self, container: Container) -> dict[str, Any]:
        if (
            container.status in ("IN_PROGRESS", "FINISHED")
            and self.now() - container.created > CONTAINER_LIFETIME
        ):
            container.status = "EXPIRED"
        if container.status == "IN_PROGRESS":
            if container.reads_until_ready <= 0:
                container.status = "FINISHED"
            container.reads_until_ready -= 1
        view = {"id": container.id, "status": container.status}
        if container.error_message:
            view["error_message"] = container.error_message
        return view

    # Writing -----------------------------------------------------------------------------------------

    def _create_container(self, request: Request) -> Response:
        params = self._params(request)
        reply_to = params.get("reply_to_id", "")
        owned = self._owned(
            request, "threads_content_publish", *(("threads_manage_replies",) if reply_to else ())
        )
        if isinstance(owned, Response):
            return owned
        _token, user_id = owned
        media_type = params.get("media_type", "")
        text = params.get("text", "")
        if media_type not in ("TEXT", "IMAGE"):
            return _reject(100, "(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
        if media_type == "TEXT" and not text:
            return _reject(100, "(#100) The parameter text is required for text posts")
        if counted_length(text) > TEXT_LIMIT:
            return _reject(
                100,
                "(#100) Param text must be at most 500 characters long",
                error_user_msg="The text is too long.",
            )
        if unique_links(text) > LINK_LIMIT:
            return _reject(
                100, "THREADS_API__LINK_LIMIT_EXCEEDED", error_user_msg="Posts can contain at most 5 links."
            )
        if reply_to and (reply_to not in self.world.media or self.world.media[reply_to].deleted):
            return _unknown(reply_to)
        container = Container(self.world.next_id(), user_id, params, self.now(), status="FINISHED")
        if media_type == "IMAGE":
            container.status, container.reads_until_ready = "IN_PROGRESS", self.image_reads_until_ready
            if not self._image_fetches(params.get("image_url", "")):
                container.status, container.error_message = "ERROR", "FAILED_DOWNLOADING_IMAGE"
        self.world.containers[container.id] = container
        return Response(200, {"id": container.id})

    def _image_fetches(self, url: str) -> bool:
        """Threads downloads the image from its public address when the container is made."""
        if not self.fetch_media:
            return bool(url)
        if not url.startswith(("http://", "https://")):
            return False
        try:
            answer = httpx.get(url, timeout=5, follow_redirects=False)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and answer.headers.get("content-type", "").startswith(
            ("image/jpeg", "image/png")
        )

    def _publish(self, request: Request) -> Response:
        owned = self._owned(request, "threads_content_publish")
        if isinstance(owned, Response):
            return owned
        _token, user_id = owned
        container = self.world.containers.get(self._params(request).get("creation_id", ""))
        if container is None or container.owner != user_id:
            return _reject(100, "(#100) Param creation_id must be a valid media container", subcode=4279009)
        status = self._container_view(container)["status"]
        if status == "PUBLISHED":
            return _reject(100, "(#100) The media has already been published", subcode=4279007)
        if status != "FINISHED":
            return _reject(
                9007,
                "The media is not ready to be published, please wait a moment.",
                subcode=2207027,
                is_transient=True,
            )
        kind = "reply" if container.params.get("reply_to_id") else "post"
        now = self.now()
        if self.world.used(user_id, kind, now=now) >= self.world.quota_total(kind):
            # Meta documents no body for this; Instagram's publishing limit answers 9/2207042.
            return _reject(
                9,
                "The maximum number of posts that can be published has been reached.",
                subcode=2207042,
                status=400,
            )
        params = container.params
        media = Media(
            self.world.next_id(),
            user_id,
            params.get("text", ""),
            now,
            media_type="IMAGE" if params.get("media_type") == "IMAGE" else "TEXT_POST",
            media_url=params.get("image_url", ""),
            via_api=True,
        )
        reply_to = params.get("reply_to_id", "")
        if reply_to:
            parent = self.world.media[reply_to]
            media.root_post, media.replied_to = parent.root_post or parent.id, parent.id
        with self._lock:
            self.world.media[media.id] = media
            container.status, container.published_id = "PUBLISHED", media.id
            self.world.publishes.append((now, user_id, kind))
        if media.is_reply:
            self._push_reply(media)
        return Response(200, {"id": media.id})

    def _publishing_limit(self, request: Request) -> Response:
        owned = self._owned(request)
        if isinstance(owned, Response):
            return owned
        _token, user_id = owned
        now = self.now()
        rendered = {
            "quota_usage": self.world.used(user_id, "post", now=now),
            "config": {"quota_total": self.world.post_quota, "quota_duration": 86400},
            "reply_quota_usage": self.world.used(user_id, "reply", now=now),
            "reply_config": {"quota_total": self.world.reply_quota, "quota_duration": 86400},
        }
        fields = parse_fields(request.arg("fields"))
        return Response(200, {"data": [{k: v for k, v in rendered.items() if not fields or k in fields}]})

    def _manage_reply(self, request: Request) -> Response:
        found_media = self._media_as(request, "threads_manage_replies")
        if isinstance(found_media, Response):
            return found_media
        token, reply = found_media
        if not reply.is_reply:
            return _unknown(reply.id)
        root = self.world.media.get(reply.root_post)
        if root is None or root.owner != token.user_id:
            return _missing("threads_manage_replies")
        if reply.replied_to != reply.root_post:
            return _reject(100, "(#100) Only top-level replies can be hidden or unhidden.")
        hide = self._params(request).get("hide", "").lower()
        if hide not in ("true", "false"):
            return _reject(100, "(#100) Param hide must be a boolean")
        nested = [
            m for m in self.world.visible() if m.root_post == reply.root_post and self._under(m, reply.id)
        ]
        for media in (reply, *nested):
            media.hide_status = "HIDDEN" if hide == "true" else "UNHUSHED"
        return Response(200, {"success": True})

    def _under(self, media: Media, ancestor: str) -> bool:
        current = media
        for _step in range(200):
            if current.replied_to == ancestor:
                return True
            parent = self.world.media.get(current.replied_to)
            if parent is None:
                return False
            current = parent
        return False

    def _delete(self, request: Request) -> Response:
        found_media = self._media_as(request, "threads_delete")
        if isinstance(found_media, Response):
            return found_media
        token, media = found_media
        if media.owner != token.user_id:
            return _missing("threads_delete")
        media.deleted = True
        return Response(200, {"success": True, "deleted_id": media.id})
