"""Mentions of an organization in the LinkedIn fake, from the Organization Social Action Notifications
documentation (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/
organization-social-action-notifications) and the Posts API (`GET /rest/posts/{encoded URN}`):

- `GET /rest/organizationalEntityNotifications?q=criteria&organizationalEntity=<org>&actions=List(...)
  &timeRange=(start:<ms>,end:<ms>)`, start/count paging, `rw_organization_admin`, the member an
  administrator of the organization, notifications kept 60 days;
- a SHARE_MENTION notification for each post that mentions the organization, naming it in
  `generatedActivity` (and `sourcePost`).

A mixin of `LinkedInFake`; its rules are the fake's own.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import unquote

from networks.fakes.base import Request, Response
from networks.fakes.linkedin_connect import ADMIN_SCOPE, READ_SCOPE, error, page
from networks.fakes.support import public

RETENTION_MS = 60 * 24 * 3600 * 1000
_LIST = re.compile(r"^List\(([A-Z_,]*)\)$")
_RANGE = re.compile(r"^\(start:(\d+),end:(\d+)\)$")


class LinkedInMentionRoutes:
    lock: threading.RLock
    posts: dict[str, dict[str, Any]]
    organizations: dict[str, dict[str, Any]]
    # From LinkedInFake.
    _check: Any
    _administers: Any
    add_post: Any
    route: Any
    now_ms: Any  # a property of LinkedInFake

    def reset_mentions_state(self) -> None:
        with self.lock:
            self.notifications: list[dict[str, Any]] = []

    def mention_routes(self) -> None:
        self.route("GET", r"/rest/organizationalEntityNotifications", self._notifications)
        self.route("GET", r"/rest/posts/(?P<urn>[^/]+)", self._get_post)

    def add_mention_post(
        self, org: str, author: str, text: str = "", *, created_ms: int | None = None
    ) -> str:
        """A member's post that @mentions the organization, and the notification LinkedIn keeps for it."""
        with self.lock:
            name = self.organizations[org]["localizedName"]
            urn = self.add_post(author, text or f"Lovely morning at {name}!", created_ms=created_ms)
            post = self.posts[urn]
            self.notifications.append(
                {
                    "notificationId": len(self.notifications) + 91_000,
                    "organizationalEntity": org,
                    "action": "SHARE_MENTION",
                    "sourcePost": urn,
                    "generatedActivity": urn,
                    "lastModifiedAt": post["lastModifiedAt"],
                }
            )
            return urn

    def _notifications(self, request: Request) -> Response:
        member, refusal = self._check(request, ADMIN_SCOPE)
        if refusal:
            return refusal
        if request.arg("q") != "criteria":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder")
        org = request.arg("organizationalEntity")
        if not org.startswith("urn:li:organization:"):
            return error(400, "ILLEGAL_ARGUMENT", "organizationalEntity is required")
        if not self._administers(member, org):
            return error(403, "ACCESS_DENIED", "Member is not an administrator of the organization", 100)
        actions = _LIST.match(request.arg("actions", "List()"))
        window = _RANGE.match(request.arg("timeRange")) if request.arg("timeRange") else None
        if actions is None or (request.arg("timeRange") and window is None):
            return error(400, "ILLEGAL_ARGUMENT", "Malformed actions or timeRange")
        wanted = set(filter(None, actions.group(1).split(",")))
        start_ms, end_ms = (int(window.group(1)), int(window.group(2))) if window else (0, 2**62)
        start_ms = max(start_ms, self.now_ms - RETENTION_MS)
        start, count = int(request.arg("start", "0")), int(request.arg("count", "10"))
        with self.lock:
            found = [
                dict(n)
                for n in self.notifications
                if n["organizationalEntity"] == org
                and (not wanted or n["action"] in wanted)
                and start_ms <= n["lastModifiedAt"] <= end_ms
                and not self.posts.get(n["generatedActivity"], {}).get("_deleted")
            ]
        return Response(200, page(found[start : start + count], start, count, len(found)))

    def _get_post(self, request: Request) -> Response:
        _member, refusal = self._check(request, READ_SCOPE)
        if refusal:
            return refusal
        raw = request.match["urn"] if request.match else ""
        if ":" in raw:  # URNs must be encoded in paths
            return error(400, "ILLEGAL_ARGUMENT", "Invalid URN in path")
        with self.lock:
            post = self.posts.get(unquote(raw))
            if post is None or post["_deleted"]:
                return error(404, "NOT_FOUND", "Post not found", 0)
            return Response(200, public(post))
