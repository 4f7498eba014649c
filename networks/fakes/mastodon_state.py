"""What the fake Mastodon instance knows: accounts, statuses, notifications, conversations, tokens, media,
and how it renders them as the entities of https://docs.joinmastodon.org/entities/.

Written from the documentation only (the fakes never import the client): a status's `content` is HTML as
Mastodon writes it (paragraphs, <br>, links with hidden `invisible` spans, mentions as h-cards), ids are
growing 18-digit strings, times ISO 8601 with milliseconds.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import queue
import re
import threading
from typing import Any

ID_BASE = 113_000_000_000_000_000
#: A real instance serves avatars from its own host (`/avatars/original/missing.png` by default); a page
#: showing the fake's would reach for a host that does not resolve, so the fake's pictures are inline.
PICTURE = "data:image/gif;base64,R0lGODlhAQABAAAAACw="


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


_URL = re.compile(r"https?://[^\s<]+[^\s<.,;:!?)]")
_MENTION = re.compile(r"(?<![\w/])@(\w+)(?:@([\w.-]+\w))?")


def render_html(text: str, *, domain: str) -> str:
    """Plain words as Mastodon renders a local status: escaped, paragraphs, <br>, linked URLs and mentions."""

    def inline(line: str) -> str:
        out, last = [], 0
        for match in re.finditer(f"{_URL.pattern}|{_MENTION.pattern}", line):
            out.append(html.escape(line[last : match.start()], quote=False))
            token = match.group(0)
            if token.startswith("@"):
                user, host = match.group(1), match.group(2) or domain
                href = f"https://{host}/@{user}"
                out.append(
                    f'<span class="h-card" translate="no">'
                    f'<a href="{html.escape(href)}" class="u-url mention">'
                    f"@<span>{html.escape(user)}</span></a></span>"
                )
            else:
                scheme, _, rest = token.partition("://")
                shown, hidden = rest[:30], rest[30:]
                out.append(
                    f'<a href="{html.escape(token)}" target="_blank" rel="nofollow noopener" translate="no">'
                    f'<span class="invisible">{scheme}://</span><span class="{"ellipsis" if hidden else ""}">'
                    f'{html.escape(shown)}</span><span class="invisible">{html.escape(hidden)}</span></a>'
                )
            last = match.end()
        out.append(html.escape(line[last:], quote=False))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + "<br />".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


class MastodonState:
    lock: threading.RLock
    domain: str

    def reset_state(self) -> None:
        self._ids = itertools.count(ID_BASE + 1)
        self.accounts: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.notifications: dict[str, list[dict[str, Any]]] = {}  # account id -> oldest first
        self.conversations: dict[str, dict[str, dict[str, Any]]] = {}  # account id -> conversation id ->
        self.tokens: dict[str, dict[str, Any]] = {}
        self.apps: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self.relationships: dict[tuple[str, str], dict[str, bool]] = {}
        self.subscribers: dict[str, list[queue.Queue[tuple[str, str]]]] = {}

    def next_id(self) -> str:
        return str(next(self._ids))

    def skip_ids_to(self, value: int) -> None:
        with self.lock:
            self._ids = itertools.count(max(value, ID_BASE) + 1)

    # --- accounts and tokens ---------------------------------------------------------------------

    def add_account(
        self, username: str, display_name: str = "", *, domain: str = "", account_id: str = ""
    ) -> str:
        with self.lock:
            account_id = account_id or self.next_id()
            host = domain or self.domain
            acct = username if host == self.domain else f"{username}@{host}"
            self.accounts[account_id] = {
                "id": account_id,
                "username": username,
                "acct": acct,
                "display_name": display_name or username,
                "locked": False,
                "bot": False,
                "discoverable": True,
                "group": False,
                "created_at": iso(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
                "note": "",
                "url": f"https://{host}/@{username}",
                "uri": f"https://{host}/users/{username}",
                "avatar": PICTURE,
                "avatar_static": PICTURE,
                "header": PICTURE,
                "header_static": PICTURE,
                "followers_count": 0,
                "following_count": 0,
                "statuses_count": 0,
                "last_status_at": None,
                "emojis": [],
                "fields": [{"name": "Website", "value": f"https://{host}", "verified_at": None}],
                "avatar_description": "",
                "header_description": "",
                "indexable": True,
                "show_media": True,
                "show_media_replies": True,
                "show_featured": True,
                "roles": [],
                "feature_approval": {"automatic": ["public"], "manual": [], "current_user": "automatic"},
            }
            return account_id

    def issue_token(
        self, account_id: str, scopes: list[str] | None = None, *, value: str = ""
    ) -> dict[str, Any]:
        import secrets

        with self.lock:
            token = value or secrets.token_urlsafe(32)
            granted = scopes or ["read", "write"]
            self.tokens[token] = {"account_id": account_id, "scopes": granted}
            return {
                "access_token": token,
                "token_type": "Bearer",
                "scope": " ".join(granted),
                "created_at": int(dt.datetime.now(dt.UTC).timestamp()),
            }

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    # --- statuses ---------------------------------------------------------------------------------

    def create_status(
        self,
        author: str,
        text: str,
        *,
        in_reply_to: str = "",
        visibility: str = "public",
        spoiler_text: str = "",
        media_ids: list[str] | None = None,
        language: str = "en",
        created_at: dt.datetime | None = None,
        content_html: str = "",
    ) -> str:
        """A status by `author`, with mention notifications for every local account it names (and for
        the author of the status it answers), pushed to their streams."""
        with self.lock:
            status_id = self.next_id()
            parent = self.statuses.get(in_reply_to) if in_reply_to else None
            named = self._mentioned(text)
            if parent and parent["account"]["id"] != author and parent["account"]["id"] not in named:
                named.insert(0, parent["account"]["id"])
            when = created_at or dt.datetime.now(dt.UTC)
            account = self.accounts[author]
            mentions = [self._mention(a) for a in named if a in self.accounts and a != author]
            status: dict[str, Any] = {
                "id": status_id,
                "created_at": iso(when),
                "in_reply_to_id": in_reply_to or None,
                "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                "sensitive": bool(spoiler_text),
                "spoiler_text": spoiler_text,
                "visibility": visibility,
                "language": language,
                "uri": f"{account['uri']}/statuses/{status_id}",
                "url": f"{account['url']}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "quotes_count": 0,
                "quote": None,
                "quote_approval": {"automatic": [], "manual": [], "current_user": "automatic"},
                "edited_at": None,
                "favourited": False,
                "reblogged": False,
                "muted": False,
                "bookmarked": False,
                "content": content_html or render_html(text, domain=self.domain),
                "filtered": [],
                "reblog": None,
                "application": {"name": "Web", "website": None},
                "account": account,
                "media_attachments": [self.media[m]["entity"] for m in media_ids or [] if m in self.media],
                "mentions": mentions,
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
                "_text": text,
                "_deleted": False,
            }
            self.statuses[status_id] = status
            account["statuses_count"] += 1
            account["last_status_at"] = when.date().isoformat()
            if parent:
                parent["replies_count"] += 1
            for mentioned in mentions:
                self.notify(mentioned["id"], "mention", author, status_id, when)
            if visibility == "direct":
                self._file_conversation(status)
            return status_id

    def _mentioned(self, text: str) -> list[str]:
        found = []
        for match in _MENTION.finditer(text):
            user, host = match.group(1), match.group(2) or self.domain
            for account in self.accounts.values():
                if account["username"].lower() == user.lower() and account["url"].startswith(
                    f"https://{host}/"
                ):
                    found.append(account["id"])
        return list(dict.fromkeys(found))

    def _mention(self, account_id: str) -> dict[str, Any]:
        account = self.accounts[account_id]
        return {k: account[k] for k in ("id", "username", "url", "acct")}

    def edit_status(self, status_id: str, text: str) -> str:
        with self.lock:
            status = self.statuses[status_id]
            status["content"] = render_html(text, domain=self.domain)
            status["_text"] = text
            status["edited_at"] = iso(dt.datetime.now(dt.UTC))
            for mentioned in status["mentions"]:
                self.notify(
                    mentioned["id"], "update", status["account"]["id"], status_id, dt.datetime.now(dt.UTC)
                )
            return status_id

    def delete_status(self, status_id: str) -> None:
        with self.lock:
            self.statuses[status_id]["_deleted"] = True

    def visible(self, status_id: str) -> dict[str, Any] | None:
        status = self.statuses.get(status_id)
        return status if status and not status["_deleted"] else None

    def thread_of(self, status_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(ancestors oldest first, descendants in thread order) of a status."""
        ancestors: list[dict[str, Any]] = []
        current = self.statuses[status_id]
        while current["in_reply_to_id"] and (parent := self.visible(current["in_reply_to_id"])):
            ancestors.insert(0, parent)
            current = parent
        descendants: list[dict[str, Any]] = []

        def walk(parent_id: str) -> None:
            for child in sorted(self.statuses.values(), key=lambda s: int(s["id"])):
                if child["in_reply_to_id"] == parent_id and not child["_deleted"]:
                    descendants.append(child)
                    walk(child["id"])

        walk(status_id)
        return ancestors, descendants

    # --- notifications and conversations ----------------------------------------------------------

    def notify(self, account_id: str, kind: str, from_id: str, status_id: str, when: dt.datetime) -> str:
        with self.lock:
            note = {
                "id": self.next_id(),
                "type": kind,
                "created_at": iso(when),
                "_from": from_id,
                "_status": status_id,
            }
            self.notifications.setdefault(account_id, []).append(note)
            self.push(account_id, "notification", note)
            return note["id"]

    def push(self, account_id: str, event: str, note: dict[str, Any]) -> None:
        import json

        payload = json.dumps(self.notification_entity(note))
        for subscriber in self.subscribers.get(account_id, []):
            subscriber.put((event, payload))

    def notification_entity(self, note: dict[str, Any]) -> dict[str, Any]:
        status = self.statuses.get(note["_status"])
        return {
            "id": note["id"],
            "type": note["type"],
            "created_at": note["created_at"],
            "group_key": f"ungrouped-{note['id']}",
            "account": self.accounts[note["_from"]],
            "status": self.status_entity(status) if status else None,
        }

    def status_entity(self, status: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in status.items() if not k.startswith("_")}

    def _file_conversation(self, status: dict[str, Any]) -> None:
        people = {status["account"]["id"], *(m["id"] for m in status["mentions"])}
        root = status
        while root["in_reply_to_id"] and root["in_reply_to_id"] in self.statuses:
            root = self.statuses[root["in_reply_to_id"]]
        for member in people:
            if member not in self.accounts:
                continue
            mine = self.conversations.setdefault(member, {})
            existing = next((c for c in mine.values() if c["_root"] == root["id"]), None)
            if existing is None:
                existing = {"id": self.next_id(), "_root": root["id"]}
                mine[existing["id"]] = existing
            existing["_last"] = status["id"]
            existing["_people"] = sorted(people - {member})
            existing["unread"] = member != status["account"]["id"]
