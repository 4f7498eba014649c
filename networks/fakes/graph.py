"""A fake graph.facebook.com serving Facebook Pages and Instagram with the real paths and JSON shapes.

This module holds the shared machinery (tokens, routing, paging, usage headers, control API); the
Facebook and Instagram objects live in the `graph_facebook` and `graph_instagram` mixins.

Seed it from Python (`add_page`, `add_post`, `add_comment`, `add_ig_user`, ...) or over HTTP
(`POST /_fake/seed_page` with the same keyword arguments as JSON). Writes made through the API land in
the state, so a poll after a reply sees the reply, as on the real network. Faults in Graph's own format
come from `graph_state` (`rate_limit_fault`, `expired_token_fault`, ...) or `POST /_fake/<name>_fault`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from networks.fakes import graph_state as gs
from networks.fakes.base import FakeServer, Request, Response
from networks.fakes.graph_facebook import FacebookRoutes
from networks.fakes.graph_instagram import InstagramRoutes
from networks.fakes.graph_instagram_inbox import InstagramInboxRoutes
from networks.fakes.graph_moderation import ModerationRoutes
from networks.fakes.graph_state import (
    Comment,
    Conversation,
    FieldSpec,
    Message,
    Page,
    Photo,
    Post,
    Reject,
    Token,
    User,
    drop_after_fault,
    error_response,
    expired_token_fault,
    graph_error_fault,
    not_found,
    parse_fields,
    rate_limit_fault,
    server_error_fault,
)
from networks.fakes.graph_webhooks import GraphWebhooks

# The fault helpers are re-exported so callers find everything about this fake in one import.
__all__ = [
    "GraphFake",
    "drop_after_fault",
    "expired_token_fault",
    "graph_error_fault",
    "rate_limit_fault",
    "server_error_fault",
]

V = r"(?:/v\d+\.\d+)?"
ID = r"(?P<id>(?!_fake/)[A-Za-z0-9_.:-]+)"
#: Meta serves each version about two years, then silently upgrades calls to the oldest one still served
#: (https://developers.facebook.com/docs/graph-api/changelog/versions/): the fake answers every
#: version, and writes the one a request used into the paging links it returns.
API_VERSION = "v25.0"


class GraphFake(
    GraphWebhooks, InstagramInboxRoutes, FacebookRoutes, InstagramRoutes, ModerationRoutes, FakeServer
):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, page_size: int = 25):
        self._init_state(page_size)
        super().__init__(host, port)

    def reset(self, page_size: int | None = None) -> None:
        """Back to an empty graph with no faults, keeping the server (and its port) running."""
        with self.lock:
            self._init_state(page_size or self.page_size)
            self._faults.clear()
            self.requests.clear()

    def _init_state(self, page_size: int) -> None:
        self.page_size = page_size
        self.ig_comment_order = "newest"  # or "oldest": Instagram documents no order for a media's comments
        self.ig_media_order = "newest"  # or "oldest": nor for an account's media
        self.ids = gs.Ids()
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.tokens: dict[str, Token] = {}
        self.objects: dict[str, Any] = {}  # every node by id: pages, posts, comments, media...
        self.comments_by_post: dict[str, list[Any]] = {}  # Facebook comments, in creation order
        self.deleted: set[str] = set()
        self.private_replies: dict[str, str] = {}  # comment id -> the one private reply it allows
        self.apps: dict[str, str] = {}  # app id -> secret
        self.codes: dict[str, dict[str, Any]] = {}  # OAuth codes issued by the consent endpoint
        self.empty_pages: dict[str, int] = {}  # path regex -> how many empty pages (with `next`) to serve
        self.app_usage = {"call_count": 1, "total_cputime": 1, "total_time": 1}
        self.buc_usage: dict[str, Any] | None = None  # extra BUC entry fields, sent once set
        self.container_statuses = ["FINISHED"]
        self.ig_tags: dict[str, set[str]] = {}  # media id -> IG accounts tagged in it
        self._init_webhooks()

    def setup_routes(self) -> None:
        api = self._api
        self.route("GET", f"{V}/dialog/oauth", self._consent)
        self.route("POST", f"{V}/dialog/oauth", self._consent)
        self.route("GET", f"{V}/oauth/access_token", api(self._access_token, auth=False))
        self.route("GET", f"{V}/refresh_access_token", api(self._refresh_ig_token))
        self.route("GET", f"{V}/me/accounts", api(self._me_accounts))
        self.route("GET", f"{V}/me", api(self._me))
        self.route("GET", f"{V}/{ID}/(?P<edge>[a-z_]+)", api(self._get_edge))
        self.route("POST", f"{V}/{ID}/(?P<edge>[a-z_]+)", api(self._post_edge))
        self.route("GET", f"{V}/{ID}", api(self._get_node))
        self.route("POST", f"{V}/{ID}", api(self._post_node))
        self.route("DELETE", f"{V}/{ID}", api(self._delete_node))

    # --- Seeding ----------------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock()

    def issue_token(self, kind: str, subject: str, value: str = "") -> str:
        value = value or f"EAA{kind[:2].upper()}{secrets.token_urlsafe(24)}"
        self.tokens[value] = Token(value, kind, subject)
        return value

    def add_app(self, app_id: str = "1234567890", secret: str = "app-secret") -> dict[str, str]:  # noqa: S107
        self.apps[app_id] = secret
        return {"app_id": app_id, "secret": secret}

    def add_user(self, name: str = "Camille Manager", user_id: str = "", token: str = "") -> User:
        user_id = user_id or self.ids.next()
        user = User(user_id, name, self.issue_token("user", user_id, token))
        self.objects[user_id] = user
        return user

    def add_page(
        self, name: str = "Acme Bakery", page_id: str = "", token: str = "", user_id: str = ""
    ) -> Page:
        page_id = page_id or self.ids.next()
        page = Page(page_id, name, self.issue_token("page", page_id, token))
        self.objects[page_id] = page
        if user_id:
            self.objects[user_id].page_ids.append(page_id)
        return page

    def set_permissions(self, token: str, permissions: list[str] | tuple[str, ...]) -> None:
        """What the person granted with this token (the fake grants every Page permission by default)."""
        self.tokens[token].permissions = frozenset(permissions)

    def expire_token(self, token: str, subcode: int = 463) -> None:
        self.tokens[token].expired_subcode = subcode

    def delete_object(self, object_id: str) -> None:
        self.deleted.add(object_id)

    def add_empty_page(self, path_pattern: str, times: int = 1) -> None:
        """The next `times` list answers on matching paths are empty but still have a `next` link."""
        self.empty_pages[path_pattern] = self.empty_pages.get(path_pattern, 0) + times

    def set_usage(self, app: dict[str, int] | None = None, buc: dict[str, Any] | None = None) -> None:
        self.app_usage = app or self.app_usage
        self.buc_usage = buc

    def objects_of(self, kind: type) -> list[Any]:
        return [o for o in self.objects.values() if isinstance(o, kind) and o.id not in self.deleted]

    # --- Control over HTTP ------------------------------------------------------------------------------

    _CONTROL = {
        "seed_app": "add_app",
        "seed_user": "add_user",
        "seed_page": "add_page",
        "seed_post": "add_post",
        "seed_comment": "add_comment",
        "seed_raw_comment": "add_raw_comment",
        "seed_conversation_message": "add_conversation_message",
        "seed_ig_user": "add_ig_user",
        "seed_media": "add_media",
        "seed_ig_comment": "add_ig_comment",
        "seed_raw_ig_comment": "add_raw_ig_comment",
        "seed_ig_message": "add_ig_message",
        "seed_ig_tag": "add_ig_tag",
        "seed_ig_mention_comment": "add_ig_mention_comment",
        "expire_token": "expire_token",
        "set_permissions": "set_permissions",
        "delete": "delete_object",
        "empty_page": "add_empty_page",
        "set_usage": "set_usage",
        "container_statuses": "set_container_statuses",
        "reset": "reset",
    }
    _FAULTS = ("rate_limit_fault", "expired_token_fault", "server_error_fault", "graph_error_fault")

    def control(self, action: str, payload: dict[str, Any]) -> Response:
        with self.lock:
            if action in self._FAULTS or action == "drop_after_fault":
                self.inject(getattr(gs, action)(**payload))
                return Response(200, {"ok": True})
            if action not in self._CONTROL:
                return Response(404, {"error": f"unknown control action {action}"})
            result = getattr(self, self._CONTROL[action])(**payload)
        body = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result
        return Response(200, json.loads(json.dumps(body or {"ok": True}, default=str)))

    # --- Request plumbing -------------------------------------------------------------------------------

    def _api(self, handler: Callable[..., Response], *, auth: bool = True) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            token = None
            with self.lock:
                try:
                    token = self._authenticate(request) if auth else None
                    response = handler(request, token)
                except Reject as rejection:
                    response = rejection.response
                response.headers.update(self._usage_headers(token))
            return response

        return serve

    def _authenticate(self, request: Request) -> Token:
        value = request.arg("access_token") or request.bearer()
        if not value:
            raise Reject(error_response(104, "An access token is required to request this resource."))
        token = self.tokens.get(value)
        if token is None:
            raise Reject(gs.token_error(None))
        if token.expired_subcode:
            raise Reject(gs.token_error(token.expired_subcode))
        return token

    def _usage_headers(self, token: Token | None) -> dict[str, str]:
        headers = {"x-app-usage": json.dumps(self.app_usage)}
        if self.buc_usage is not None and token is not None:
            entry = {"type": "pages", "call_count": 1, "total_cputime": 1, "total_time": 1}
            entry |= {"estimated_time_to_regain_access": 0} | self.buc_usage
            headers["x-business-use-case-usage"] = json.dumps({token.subject: [entry]})
        return headers

    def params(self, request: Request) -> dict[str, Any]:
        """Query, form and JSON parameters merged, as Graph accepts them anywhere."""
        merged: dict[str, Any] = {k: v[0] for k, v in request.query.items()}
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            merged.update(request.json() or {})
        elif request.body:
            merged.update(request.form())
        return merged

    def visible(self, token: Token, object_id: str, method: str = "GET") -> Any:
        """The object, if it exists, is not deleted and the token may see it; 100/33 otherwise."""
        obj = self.objects.get(object_id)
        if obj is None or object_id in self.deleted or self.owner_of(obj) not in self._reach(token):
            raise Reject(not_found(object_id, method))
        return obj

    def _reach(self, token: Token) -> set[str]:
        """Every Page and IG account the token can act for."""
        reach = {token.subject}
        if token.kind == "user":
            reach |= set(self.objects[token.subject].page_ids)
        for page_id in list(reach):
            page = self.objects.get(page_id)
            if isinstance(page, Page) and page.ig_user_id:
                reach.add(page.ig_user_id)
        return reach

    def owner_of(self, obj: Any) -> str:
        if isinstance(obj, Page | User):
            return obj.id
        if isinstance(obj, Post | Photo | Conversation):
            return obj.page_id
        if isinstance(obj, Comment):
            return self.objects[obj.post_id].page_id
        if isinstance(obj, Message):
            return self.objects[obj.conversation_id].page_id
        inbox_owner = self.ig_inbox_owner_of(obj)
        return inbox_owner if inbox_owner is not None else self.ig_owner_of(obj)

    def envelope(
        self,
        request: Request,
        items: list[Any],
        render: Callable[[Any], dict[str, Any]],
        *,
        path: str = "",
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A Graph list page: {"data": [...], "paging": {"cursors": {...}, "next": ...}}."""
        nested = bool(path)
        path = path or request.path
        query = dict(query) if query is not None else {k: v[0] for k, v in request.query.items()}
        try:
            limit = max(1, min(100, int(query.get("limit") or self.page_size)))
        except ValueError:
            raise Reject(error_response(100, "(#100) Param limit must be a number")) from None
        offset = gs.decode_cursor(query.get("after", ""))
        host = request.headers.get("host", "127.0.0.1")

        def link(after: int) -> str:
            page_query = {**query, "limit": limit, "after": gs.encode_cursor(after)}
            return f"http://{host}{path}?{urlencode(page_query)}"

        cursors = {"before": gs.encode_cursor(offset), "after": gs.encode_cursor(offset)}
        if not nested and self._take_empty_page(path):
            return {"data": [], "paging": {"cursors": cursors, "next": link(offset)}}
        chunk = items[offset : offset + limit]
        if not chunk and offset == 0:
            return {"data": []}
        cursors["after"] = gs.encode_cursor(offset + len(chunk))
        paging: dict[str, Any] = {"cursors": cursors}
        if offset + limit < len(items):
            paging["next"] = link(offset + limit)
        return {"data": [render(item) for item in chunk], "paging": paging}

    def nested(
        self, request: Request, owner_id: str, edge: str, items: list[Any], render: Callable, spec: FieldSpec
    ) -> dict[str, Any]:
        """An edge inlined in a node (`messages.limit(5){...}`): its next page lives at /{owner}/{edge}."""
        query = {"fields": spec.sub, "limit": spec.modifiers.get("limit", str(self.page_size))}
        query["access_token"] = request.arg("access_token")
        used = re.match(r"/(v\d+\.\d+)/", request.path)
        version = used.group(1) if used else API_VERSION
        return self.envelope(request, items, render, path=f"/{version}/{owner_id}/{edge}", query=query)

    def _take_empty_page(self, path: str) -> bool:
        for pattern, left in self.empty_pages.items():
            if left > 0 and re.search(pattern, path):
                self.empty_pages[pattern] = left - 1
                return True
        return False

    # --- Dispatch ---------------------------------------------------------------------------------------

    def _get_node(self, request: Request, token: Token) -> Response:
        obj = self.visible(token, request.match["id"])
        fields = parse_fields(request.arg("fields"))
        body = self.ig_inbox_node(request, obj, fields)
        if body is not None:
            return Response(200, body)
        body = self.fb_node_json(obj, fields)
        return Response(200, body if body is not None else self.ig_node_json(request, obj, fields))

    def _get_edge(self, request: Request, token: Token) -> Response:
        obj = self.visible(token, request.match["id"])
        edge, fields = request.match["edge"], parse_fields(request.arg("fields"))
        listed = self.ig_inbox_edge(request, obj, edge, fields)
        if listed is None:
            listed = self.fb_edge(request, obj, edge, fields)
        if listed is None:
            listed = self.ig_edge(request, obj, edge, fields)
        if listed is None:
            raise Reject(error_response(100, f"(#100) Tried accessing nonexisting field ({edge})"))
        return Response(200, listed)

    def _post_edge(self, request: Request, token: Token) -> Response:
        obj = self.visible(token, request.match["id"], "POST")
        edge, params = request.match["edge"], self.params(request)
        written = self.moderation_write(token, obj, edge, params)
        if written is None:
            written = self.ig_inbox_write(obj, edge, params)
        if written is None:
            written = self.fb_write(obj, edge, params)
        if written is None:
            written = self.ig_write(obj, edge, params)
        if written is None:
            raise Reject(error_response(100, f"(#100) Unsupported post request on edge ({edge})"))
        return Response(200, written)
