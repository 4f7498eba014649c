"""Direct messages in the X fake, from https://docs.x.com/x-api/direct-messages (lookup and manage):

- `GET /2/dm_events`: the user's DM events of the last 30 days, newest first, `max_results` 1..100
  (default 100), `pagination_token` / `meta.next_token`, `event_types` filter, `expansions=sender_id`;
- `GET /2/dm_conversations/with/:participant_id/dm_events` and `/2/dm_conversations/:id/dm_events`;
- `POST /2/dm_conversations/with/:participant_id/messages` and `/2/dm_conversations/:id/messages`
  -> 201 `{"data": {"dm_conversation_id", "dm_event_id"}}`.
Reading needs `dm.read` with `tweet.read` and `users.read`; sending needs `dm.write` as well. One-to-one
conversation ids are `{smaller user id}-{larger user id}`. A mixin of `XFake`.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from networks.fakes.base import Request, Response

VISIBLE_DAYS = 30
READ_NEEDS = ("dm.read", "tweet.read", "users.read")
WRITE_NEEDS = ("dm.write", "dm.read", "tweet.read", "users.read")
MAX_TEXT = 10_000


class XDirectMessageRoutes:
    lock: threading.RLock
    users: dict[str, dict[str, Any]]
    access_tokens: dict[str, dict[str, Any]]
    # From XFake / XState.
    _authenticate: Any
    _new_id: Any
    route: Any

    def reset_dm_state(self) -> None:
        with self.lock:
            self.dm_events: list[dict[str, Any]] = []

    def dm_routes(self) -> None:
        self.route("GET", r"/2/dm_events", self._dm_events)
        self.route("GET", r"/2/dm_conversations/with/(?P<participant>\d+)/dm_events", self._dm_events)
        self.route("GET", r"/2/dm_conversations/(?P<conversation>[\d-]+)/dm_events", self._dm_events)
        self.route("POST", r"/2/dm_conversations/with/(?P<participant>\d+)/messages", self._dm_send)
        self.route("POST", r"/2/dm_conversations/(?P<conversation>[\d-]+)/messages", self._dm_send)

    # --- Seeding ---------------------------------------------------------------------------------------

    def add_dm(self, sender: str, recipient: str, text: str = "Hello!", *, created_at: str = "") -> str:
        """A one-to-one message from `sender` to `recipient` (user ids); returns the event id."""
        with self.lock:
            key = self._new_id()
            self.dm_events.append(
                {
                    "id": str(key),
                    "event_type": "MessageCreate",
                    "text": text,
                    "sender_id": sender,
                    "dm_conversation_id": one_to_one(sender, recipient),
                    "created_at": created_at or _stamp(_now()),
                    "_participants": {sender, recipient},
                }
            )
            return str(key)

    def add_dm_join(self, conversation: str, sender: str, joined: str) -> str:
        """A group bookkeeping event (not a message)."""
        with self.lock:
            key = self._new_id()
            self.dm_events.append(
                {
                    "id": str(key),
                    "event_type": "ParticipantsJoin",
                    "participant_ids": [joined],
                    "sender_id": sender,
                    "dm_conversation_id": conversation,
                    "created_at": _stamp(_now()),
                    "_participants": {sender, joined},
                }
            )
            return str(key)

    # --- API -------------------------------------------------------------------------------------------

    def _dm_scopes(self, request: Request, needed: tuple[str, ...]) -> Response | None:
        grant = self.access_tokens.get(request.bearer())
        if grant is not None and not set(needed) <= grant["scopes"]:
            detail = "You are not permitted to perform this action."
            return Response(
                403, {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail}
            )
        return None

    def _dm_events(self, request: Request) -> Response:
        user_id, refusal, headers = self._authenticate(request, "dm_read")
        refusal = refusal or self._dm_scopes(request, READ_NEEDS)
        if refusal:
            return refusal
        size = request.arg("max_results", "100")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            return _invalid(
                "max_results",
                size,
                f"The `max_results` query parameter value [{size}] is not between 1 and 100",
            )
        token = request.arg("pagination_token")
        until = _decode(token) if token else None
        if until is False:
            return _invalid("pagination_token", token, "Invalid pagination token")
        types = set(filter(None, request.arg("event_types").split(","))) or {
            "MessageCreate",
            "ParticipantsJoin",
            "ParticipantsLeave",
        }
        groups = request.match.groupdict() if request.match else {}
        conversation, participant = groups.get("conversation"), groups.get("participant")
        if participant:
            conversation = one_to_one(user_id, participant)
        oldest = _now() - dt.timedelta(days=VISIBLE_DAYS)
        with self.lock:
            mine = [
                e
                for e in self.dm_events
                if user_id in e["_participants"]
                and e["event_type"] in types
                and (conversation is None or e["dm_conversation_id"] == conversation)
                and _time(e) >= oldest
            ]
            mine.sort(key=lambda e: int(e["id"]), reverse=True)
            window = [e for e in mine if until is None or int(e["id"]) < until]
            page, more = window[: int(size)], len(window) > int(size)
            fields = set(request.arg("dm_event.fields").split(","))
            data = [_render(e, fields) for e in page]
            body: dict[str, Any] = {"data": data} if data else {}
            if "sender_id" in request.arg("expansions").split(","):
                senders = dict.fromkeys(e["sender_id"] for e in page if e["sender_id"] in self.users)
                if senders:
                    body["includes"] = {"users": [self.users[s] for s in senders]}
        meta: dict[str, Any] = {"result_count": len(data)}
        if more:
            meta["next_token"] = _encode(int(page[-1]["id"]))
        return Response(200, {**body, "meta": meta}, headers)

    def _dm_send(self, request: Request) -> Response:
        user_id, refusal, headers = self._authenticate(request, "dm_write")
        refusal = refusal or self._dm_scopes(request, WRITE_NEEDS)
        if refusal:
            return refusal
        payload = request.json() or {}
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _invalid("text", str(text), "The text of a message is required.")
        if len(text) > MAX_TEXT:
            return _invalid("text", text[:40], "The text of a message is too long.")
        groups = request.match.groupdict() if request.match else {}
        with self.lock:
            participant = groups.get("participant")
            if participant:
                if participant == user_id or participant not in self.users:
                    detail = "You cannot send messages to this user."
                    return Response(
                        403, {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail}
                    )
                conversation = one_to_one(user_id, participant)
                members = {user_id, participant}
            else:
                conversation = groups.get("conversation") or ""
                known = [e for e in self.dm_events if e["dm_conversation_id"] == conversation]
                members = set().union(*(e["_participants"] for e in known)) if known else set()
                if user_id not in members:
                    return Response(
                        404,
                        {
                            "title": "Not Found Error",
                            "type": "about:blank",
                            "status": 404,
                            "detail": f"Could not find dm_conversation with id: [{conversation}].",
                        },
                    )
            key = self._new_id()
            self.dm_events.append(
                {
                    "id": str(key),
                    "event_type": "MessageCreate",
                    "text": text,
                    "sender_id": user_id,
                    "dm_conversation_id": conversation,
                    "created_at": _stamp(_now()),
                    "_participants": members,
                }
            )
        return Response(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": str(key)}}, headers)


def one_to_one(a: str, b: str) -> str:
    low, high = sorted((a, b), key=int)
    return f"{low}-{high}"


def _render(event: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    # id, event_type and text are always returned (the documented defaults).
    rendered = {"id": event["id"], "event_type": event["event_type"]}
    if event["event_type"] == "MessageCreate":
        rendered["text"] = event["text"]
    for name in ("created_at", "sender_id", "dm_conversation_id", "participant_ids"):
        if name in fields and name in event:
            rendered[name] = event[name]
    return rendered


def _time(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _encode(key: int) -> str:
    return format(key, "x")


def _decode(token: str) -> int | bool:
    try:
        return int(token, 16)
    except ValueError:
        return False


def _invalid(parameter: str, value: str, message: str) -> Response:
    body = {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return Response(400, body)
