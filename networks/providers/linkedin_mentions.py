"""LinkedIn mentions of the organization, for `LinkedInProvider`.

LinkedIn lists no "posts mentioning X" feed to a Community Management app. What it documents is the
organization social action notifications finder (https://learn.microsoft.com/en-us/linkedin/marketing/
community-management/organizations/organization-social-action-notifications):
    GET /rest/organizationalEntityNotifications?q=criteria&organizationalEntity=<org URN>
        &actions=List(SHARE_MENTION)&timeRange=(start:<ms>,end:<ms>)
kept 60 days, needing `rw_organization_admin` (the member must administer the page). A SHARE_MENTION
notification names the post that mentions the organization in `generatedActivity`; its words and author
are read with `GET /rest/posts/{encoded URN}`. Each becomes a MENTION, answered with a comment of the
organization on that post. Mentions inside comments on other members' posts are not announced by this
finder (only comments on the organization's own posts are), so they cannot be read.

The walk asks for the notifications since the last one delivered (inclusive: the unique constraint
absorbs the overlap) and pages with start/count; no order is documented, so every page is read.
Cursor part (under "mentions"): `{"since_ms": <lastModifiedAt of the newest delivered>, "ids": [the posts
delivered at exactly that millisecond]}`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from networks.providers.base import Author, EngagementItem, ItemKind, Network, NotFound

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(days=60)  # notifications are kept 60 days
PAGE_SIZE = 50
MAX_PAGES = 20

Call = Callable[..., httpx.Response]
Read = Callable[[httpx.Response], dict[str, Any]]


def _urn_query(urn: str) -> str:
    return quote(urn, safe="")


class LinkedInMentions:
    def __init__(
        self,
        call: Call,
        read: Read,
        *,
        org_urn: str,
        clock: Callable[[], dt.datetime],
        text_of: Callable[[Any], str],
        permalink: Callable[[str], str],
    ):
        self.call, self.read = call, read
        self.org_urn = org_urn
        self.clock = clock
        self.text_of = text_of
        self.permalink = permalink

    def poll(self, stored: Any, max_items: int) -> tuple[list[EngagementItem], dict[str, Any], bool, int]:
        """(mentions oldest first, next cursor part, stopped at the budget, skipped)."""
        stored = stored if isinstance(stored, dict) else {}
        now_ms = int(self.clock().timestamp() * 1000)
        floor_ms = now_ms - int(WINDOW.total_seconds() * 1000)
        since = stored.get("since_ms")
        since_ms = max(since, floor_ms) if isinstance(since, int) else floor_ms
        notices: list[tuple[int, str, str]] = []  # (lastModifiedAt, post URN, notification id)
        skipped = 0
        start = 0
        for _page in range(MAX_PAGES):
            body = self.read(self.call("GET", self._finder_url(since_ms, now_ms, start)))
            elements = body.get("elements")
            elements = elements if isinstance(elements, list) else []
            for raw in elements:
                found = _notice(raw)
                if found is None:
                    skipped += 1
                else:
                    notices.append(found)
            start += PAGE_SIZE
            total = (body.get("paging") or {}).get("total") if isinstance(body.get("paging"), dict) else None
            if len(elements) < PAGE_SIZE or (isinstance(total, int) and start >= total):
                break
        seen_ids = stored.get("ids") if isinstance(stored.get("ids"), list) else []
        seen = {str(i) for i in seen_ids} if isinstance(since, int) else set()
        # Asked inclusively (nothing sharing the mark's millisecond is lost); what the mark already
        # delivered at that millisecond is skipped here, and anything else the unique constraint absorbs.
        notices = sorted(n for n in notices if not (n[0] == since and n[1] in seen))
        items: list[EngagementItem] = []
        newest = since if isinstance(since, int) else None
        at_newest = set(seen)
        more = False
        for modified_ms, post, _notification in notices:
            if len(items) >= max_items:
                more = True
                break
            try:
                items.append(self._post_item(post))
            except NotFound:
                log.info("linkedin: the post %s that mentioned the organization is gone", post)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skipped += 1
                log.warning("linkedin: skipped an unreadable mentioning post %s: %s", post, exc)
            if newest is None or modified_ms > newest:
                newest, at_newest = modified_ms, set()
            at_newest.add(post)
        part = {"since_ms": newest, "ids": sorted(at_newest)} if newest is not None else {}
        return items, part, more, skipped

    def _finder_url(self, since_ms: int, now_ms: int, start: int) -> str:
        # Rest.li 2.0 syntax: the List(...) and (start:..,end:..) structures stay literal, URNs encoded.
        return (
            "/rest/organizationalEntityNotifications?q=criteria"
            f"&organizationalEntity={_urn_query(self.org_urn)}"
            "&actions=List(SHARE_MENTION)"
            f"&timeRange=(start:{since_ms},end:{now_ms})"
            f"&start={start}&count={PAGE_SIZE}"
        )

    def _post_item(self, urn: str) -> EngagementItem:
        body = self.read(self.call("GET", f"/rest/posts/{_urn_query(urn)}"))
        author = body["author"]
        if not isinstance(author, str) or not author.startswith("urn:li:"):
            raise ValueError("author missing")
        created = body.get("publishedAt") or body.get("createdAt")
        if not isinstance(created, int):
            raise ValueError("no time")
        text = self.text_of(body.get("commentary"))
        return EngagementItem(
            network=Network.LINKEDIN,
            external_id=urn,
            kind=ItemKind.MENTION,
            text=text,
            created_at=dt.datetime.fromtimestamp(created / 1000, dt.UTC),
            author=Author(author),
            post_external_id=urn,
            post_text=text[:500],
            post_permalink=self.permalink(urn),
            thread_root_external_id=urn,
            permalink=self.permalink(urn),
            raw=body,
        )


def _notice(raw: Any) -> tuple[int, str, str] | None:
    if not isinstance(raw, dict) or raw.get("action") != "SHARE_MENTION":
        return None
    post = raw.get("generatedActivity") or raw.get("sourcePost")
    modified = raw.get("lastModifiedAt")
    if not isinstance(post, str) or not post.startswith("urn:li:") or not isinstance(modified, int):
        return None
    return modified, post, str(raw.get("notificationId") or "")
