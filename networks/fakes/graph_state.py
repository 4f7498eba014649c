"""State, wire helpers and ready-made faults for the Graph fake (`networks.fakes.graph.GraphFake`).

Everything here speaks graph.facebook.com's wire format: timestamps like 2025-03-22T18:20:04+0000,
error bodies {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}, usage headers.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from networks.fakes.base import Fault, Response

# --- Objects -----------------------------------------------------------------------------------------


#: The permissions a Page admin grants in the fake unless a test says otherwise (names from Meta's
#: permissions reference, https://developers.facebook.com/docs/permissions).
GRANTED_BY_DEFAULT = frozenset(
    {
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_manage_metadata",
        "pages_manage_posts",
        "pages_messaging",
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_content_publish",
        "instagram_manage_messages",
    }
)
#: Messenger's Conversations API refuses a token without all of these
#: (https://developers.facebook.com/docs/messenger-platform/conversations).
CONVERSATIONS_NEED = ("pages_manage_metadata", "pages_read_engagement", "pages_messaging")


@dataclass
class Token:
    value: str
    kind: str  # "user", "page" or "instagram" (Instagram Login)
    subject: str  # the user, Page or IG user the token acts as
    expired_subcode: int = 0  # 0 while valid; 463 expired, 460 password changed, 458 app removed...
    permissions: frozenset[str] = GRANTED_BY_DEFAULT


def missing_permission(token: Token, needed: tuple[str, ...]) -> Response | None:
    """Graph's answer to a token lacking one of `needed`: (#230) for pages_messaging, (#10) otherwise."""
    for permission in needed:
        if permission not in token.permissions:
            if permission == "pages_messaging":
                return error_response(230, "(#230) Requires pages_messaging permission to manage the object")
            return error_response(
                10, f"(#10) This endpoint requires the '{permission}' permission to be granted to the app."
            )
    return None


@dataclass
class User:
    id: str
    name: str
    token: str
    page_ids: list[str] = field(default_factory=list)


@dataclass
class Page:
    id: str
    name: str
    token: str
    ig_user_id: str = ""


@dataclass
class Post:
    id: str
    page_id: str
    message: str
    created: dt.datetime
    published: bool = True
    attached_media: list[str] = field(default_factory=list)
    link: str = ""
    author: dict[str, str] | None = None  # a visitor's post: who wrote it (None: the Page itself)
    edited: dt.datetime | None = None


@dataclass
class Photo:
    id: str
    page_id: str
    url: str
    published: bool


@dataclass
class Comment:
    id: str
    post_id: str
    message: str
    created: dt.datetime
    author: dict[str, str] | None
    parent_id: str = ""  # a top-level comment's id for a reply
    attachment: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None  # sent as is instead of the rendering (malformed-data tests)
    hidden: bool = False  # hidden by the Page: still listed to it, with is_hidden true
    edited: dt.datetime | None = None


@dataclass
class Message:
    id: str
    conversation_id: str
    text: str
    created: dt.datetime
    sender: dict[str, str]
    recipient: dict[str, str]
    raw: dict[str, Any] | None = None
    edits: int = 0  # Messenger lets a person edit a message (five times at most, says Meta)


@dataclass
class Conversation:
    id: str
    page_id: str
    user: dict[str, str]  # the customer: {"id": PSID, "name"}
    messages: list[Message] = field(default_factory=list)

    @property
    def updated(self) -> dt.datetime:
        return max((m.created for m in self.messages), default=EPOCH)


@dataclass
class IgUser:
    id: str
    username: str
    page_id: str = ""
    token: str = ""  # an Instagram Login token, when seeded with one


@dataclass
class Media:
    id: str
    ig_user_id: str
    caption: str
    created: dt.datetime
    media_type: str = "IMAGE"
    media_url: str = ""


@dataclass
class IgComment:
    id: str
    media_id: str
    text: str
    created: dt.datetime
    username: str
    from_id: str
    parent_id: str = ""
    hidden: bool = False
    raw: dict[str, Any] | None = None


@dataclass
class Container:
    id: str
    ig_user_id: str
    image_url: str
    caption: str
    statuses: list[str]  # what successive status reads answer; the last one sticks
    published_media_id: str = ""

    def read_status(self) -> str:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Reject(Exception):
    """Raised by a handler to answer with a Graph error right away."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


# --- Wire helpers ------------------------------------------------------------------------------------


def graph_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(value: Any) -> dt.datetime | None:
    """Seed payloads over HTTP carry ISO strings; Python callers pass datetimes."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("+0000", "+00:00"))


class Ids:
    """Graph-looking ids: numeric strings, unique per fake."""

    def __init__(self, start: int = 100_000_000_000_000):
        self._counter = itertools.count(start)

    def next(self) -> str:
        return str(next(self._counter))


def oldest_first(item: Any) -> tuple[dt.datetime, str]:
    return (item.created, item.id)


def newest_first(item: Any) -> tuple[float, str]:
    """Sorting ascending on this puts the newest first, ties in a stable id order as Graph does."""
    return (-item.created.timestamp(), item.id)


def encode_cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return max(0, int(base64.b64decode(cursor.encode()).decode()))
    except (ValueError, UnicodeDecodeError):
        return 0


@dataclass(frozen=True)
class FieldSpec:
    modifiers: dict[str, str]
    sub: str  # the nested field list inside {...}


def parse_fields(spec: str) -> dict[str, FieldSpec]:
    """`id,from{id,name},messages.limit(5){id,message}` -> {"id": ..., "from": ..., "messages": ...}."""
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in spec:
        depth += (char == "{") - (char == "}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    fields = {}
    for part in filter(None, (p.strip() for p in parts)):
        head, _, sub = part.partition("{")
        name, *mods = head.split(".")
        modifiers = {}
        for mod in mods:
            key, _, value = mod.partition("(")
            modifiers[key] = value.rstrip(")")
        fields[name] = FieldSpec(modifiers, sub[:-1] if sub.endswith("}") else sub)
    return fields


def select(
    rendered: dict[str, Any], fields: dict[str, FieldSpec], default: tuple[str, ...]
) -> dict[str, Any]:
    """Only the requested fields (Graph answers a default set when none is asked), `id` always."""
    wanted = set(fields) if fields else set(default)
    return {k: v for k, v in rendered.items() if k in wanted or k == "id"}


def trace_id() -> str:
    return secrets.token_urlsafe(8)


def error_response(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    status: int = 400,
    error_type: str = "OAuthException",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = trace_id()
    return Response(status, {"error": error}, dict(headers or {}))


def not_found(object_id: str, method: str = "GET") -> Response:
    verb = "get" if method == "GET" else "post"
    return error_response(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )


_EXPIRY_MESSAGES = {
    463: "Error validating access token: Session has expired on Friday, 21-Mar-25 10:00:00 PDT.",
    460: "Error validating access token: The session has been invalidated because the user changed their "
    "password or Facebook has changed the session for security reasons.",
    458: "Error validating access token: The user has not authorized application.",
    459: "Error validating access token: The user is enrolled in a blocking, logged-in checkpoint",
}


def token_error(subcode: int | None) -> Response:
    if subcode is None:
        message = "Invalid OAuth access token - Cannot parse access token"
    else:
        message = _EXPIRY_MESSAGES.get(subcode, "Error validating access token.")
    headers = {"www-authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}
    return error_response(190, message, subcode=subcode, headers=headers)


# --- Ready-made faults in the network's own format ---------------------------------------------------

_RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
}


def buc_header(owner_id: str, *, usage: int = 100, minutes: int = 0, kind: str = "pages") -> dict[str, str]:
    entry = {
        "type": kind,
        "call_count": usage,
        "total_cputime": max(1, usage // 4),
        "total_time": max(1, usage // 3),
        "estimated_time_to_regain_access": minutes,
    }
    return {"x-business-use-case-usage": json.dumps({owner_id: [entry]})}


def rate_limit_fault(
    path_pattern: str,
    *,
    code: int = 32,
    minutes: int = 7,
    owner_id: str = "0",
    method: str = "",
    times: int = 1,
) -> Fault:
    """The answer Graph gives once a limit is hit: HTTP 400, the code, and the BUC estimate (minutes)."""
    kind = "instagram" if code == 80002 else "pages"
    headers = buc_header(owner_id, minutes=minutes, kind=kind) if minutes else {}
    message = _RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached")
    response = error_response(code, message, headers=headers, is_transient=True)
    return Fault(path_pattern, response=response, method=method, times=times)


def expired_token_fault(path_pattern: str, *, subcode: int = 463, method: str = "", times: int = 1) -> Fault:
    return Fault(path_pattern, response=token_error(subcode), method=method, times=times)


def server_error_fault(path_pattern: str, *, status: int = 500, method: str = "", times: int = 1) -> Fault:
    response = error_response(
        2,
        "An unexpected error has occurred. Please retry your request later.",
        status=status,
        is_transient=True,
    )
    return Fault(path_pattern, response=response, method=method, times=times)


def graph_error_fault(
    path_pattern: str,
    *,
    code: int,
    message: str = "(#100) Invalid parameter",
    subcode: int | None = None,
    status: int = 400,
    error_type: str = "OAuthException",
    method: str = "",
    times: int = 1,
) -> Fault:
    """Any other Graph error: permission (10, 200), duplicate (506), media (1366046, 2207009)..."""
    response = error_response(code, message, subcode=subcode, status=status, error_type=error_type)
    return Fault(path_pattern, response=response, method=method, times=times)


def drop_after_fault(path_pattern: str, *, method: str = "POST", times: int = 1) -> Fault:
    """Apply the request, then hang up without answering: the client cannot know it worked."""
    return Fault(path_pattern, kind="drop_after", method=method, times=times)


class GraphHost:
    """What the Facebook and Instagram route mixins use of the GraphFake they are mixed into: declared for
    readers and type checkers (GraphFake defines each; this class adds nothing at run time)."""

    ids: Ids
    tokens: dict[str, Token]
    comments_by_post: dict[str, list[Any]]
    now: Callable[[], dt.datetime]
    issue_token: Callable[..., str]
    objects_of: Callable[[type], list[Any]]
    owner_of: Callable[[Any], str]
    envelope: Callable[..., dict[str, Any]]
    nested: Callable[..., dict[str, Any]]
