"""The fake X's state and its seeding API: users, tweets (deleted ones kept as tombstones), tokens.

A mixin for XFake; the seeding methods are also control actions (`POST /_fake/seed_mention`, ...).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from typing import Any

from networks.fakes.support import public
from networks.fakes.x_oauth import DEFAULT_SCOPES


class XState:
    lock: threading.RLock
    # Seeded, and changed by the API routes: the fake's whole world.
    users: dict[str, dict[str, Any]]
    tweets: dict[int, dict[str, Any]]  # by position id; "_mentions", "_deleted", "_is_raw" are bookkeeping

    def reset_state(self) -> None:
        with self.lock:
            self.users = {}
            self.tweets = {}
            self.access_tokens: dict[str, dict[str, Any]] = {}
            self.refresh_tokens: dict[str, dict[str, Any]] = {}
            self.codes: dict[str, dict[str, Any]] = {}
            self.media: dict[str, dict[str, Any]] = {}
            self.usage: dict[tuple[str, str], list[float]] = {}
            self._next_id = 1_860_000_000_000_000_000
            self._clock = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
            self.consent_user_id = ""

    def _new_id(self) -> int:
        self._next_id += 1000  # snowflake-like: increasing, not consecutive
        return self._next_id

    def skip_ids_to(self, floor: int) -> None:
        """Hand out ids above `floor` from now on (never lower them). Real X ids grow with time; a demo
        world restarted against a database that kept the old ids jumps ahead so no id means two tweets."""
        with self.lock:
            self._next_id = max(self._next_id, floor)

    def _tick(self, created_at: str | None) -> str:
        if created_at:
            return created_at
        self._clock += dt.timedelta(seconds=7)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def add_user(self, username: str, name: str = "", user_id: str = "") -> str:
        with self.lock:
            user_id = user_id or str(self._new_id())
            self.users[user_id] = {"id": user_id, "username": username, "name": name or username.title()}
            self.consent_user_id = self.consent_user_id or user_id
            return user_id

    def add_tweet(
        self,
        author: str,
        text: str,
        *,
        in_reply_to: str = "",
        created_at: str = "",
        mentions: tuple[str, ...] | list[str] = (),
    ) -> str:
        with self.lock:
            key = self._new_id()
            parent = self.tweets.get(int(in_reply_to)) if in_reply_to else None
            tweet: dict[str, Any] = {
                "id": str(key),
                "text": text,
                "author_id": author,
                "created_at": self._tick(created_at),
                "conversation_id": parent["conversation_id"] if parent else str(key),
                "edit_history_tweet_ids": [str(key)],
            }
            mentioned = set(mentions) | self.mention_handles(text)
            if parent:
                tweet["in_reply_to_user_id"] = parent["author_id"]
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
                mentioned.add(parent["author_id"])  # X counts the replied-to author as mentioned
            self.tweets[key] = {**tweet, "_mentions": mentioned, "_deleted": False, "_is_raw": False}
            return str(key)

    def add_mention(
        self, to: str, author: str, text: str = "", *, in_reply_to: str = "", created_at: str = ""
    ) -> str:
        text = text or f"@{self.users[to]['username']} hello from {self.users[author]['username']}"
        return self.add_tweet(author, text, in_reply_to=in_reply_to, created_at=created_at, mentions=[to])

    def add_raw_mention(self, to: str, payload: Any) -> str:
        """Put `payload` verbatim in `to`'s mentions (malformed-data tests); returns its position id.

        A string value "{id}" at the top level of a dict payload becomes that position id, so a test can
        build an item whose id is valid while another field is broken.
        """
        with self.lock:
            key = self._new_id()
            if isinstance(payload, dict):
                payload = {k: str(key) if v == "{id}" else v for k, v in payload.items()}
            self.tweets[key] = {
                "id": str(key),
                "_mentions": {to},
                "_deleted": False,
                "_is_raw": True,
                "_raw": payload,
            }
            if isinstance(payload, dict) and isinstance(payload.get("author_id"), str):
                self.tweets[key]["author_id"] = payload["author_id"]  # expanded into includes.users
            return str(key)

    def edit_tweet(self, tweet_id: str, text: str, *, created_at: str = "") -> str:
        """The author edits a post: X publishes a new version with an id of its own, and every version's
        `edit_history_tweet_ids` lists them all, oldest first
        (https://docs.x.com/x-api/fundamentals/edit-posts). Returns the new version's id."""
        with self.lock:
            old = self.tweets[int(tweet_id)]
            key = self._new_id()
            history = [*old["edit_history_tweet_ids"], str(key)]
            new = {**old, "id": str(key), "text": text, "created_at": self._tick(created_at)}
            new["edit_history_tweet_ids"] = history
            new["_mentions"] = set(old["_mentions"]) | self.mention_handles(text)
            self.tweets[key] = new
            for version in history[:-1]:
                self.tweets[int(version)]["edit_history_tweet_ids"] = list(history)
            return str(key)

    def delete_tweet(self, tweet_id: str) -> None:
        with self.lock:
            self.tweets[int(tweet_id)]["_deleted"] = True

    def tweet(self, tweet_id: str) -> dict[str, Any] | None:
        stored = self.tweets.get(int(tweet_id))
        return None if stored is None or stored["_deleted"] else public(stored)

    def tweets_by(self, author: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                public(t) for t in self.tweets.values() if t.get("author_id") == author and not t["_deleted"]
            ]

    def issue_token(
        self,
        user_id: str,
        scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
        expires_in: int = 7200,
        *,
        value: str = "",
    ) -> dict[str, Any]:
        """A new access token (and a refresh token with `offline.access`). `value` fixes the access token
        instead of drawing one (the demo publishes its tokens); issuing a known value again renews it."""
        with self.lock:
            access = value or secrets.token_urlsafe(24)
            self.access_tokens[access] = {
                "user_id": user_id,
                "scopes": set(scopes),
                "expires_at": time.time() + expires_in,
            }
            answer: dict[str, Any] = {
                "token_type": "bearer",
                "expires_in": expires_in,
                "access_token": access,
                "scope": " ".join(scopes),
            }
            if "offline.access" in scopes:
                refresh = secrets.token_urlsafe(24)
                self.refresh_tokens[refresh] = {"user_id": user_id, "scopes": tuple(scopes)}
                answer["refresh_token"] = refresh
            return answer

    def expire_token(self, access_token: str) -> None:
        with self.lock:
            self.access_tokens[access_token]["expires_at"] = time.time() - 1

    def revoke_token(self, access_token: str) -> None:
        with self.lock:
            user_id = self.access_tokens.pop(access_token)["user_id"]
            for refresh in [r for r, v in self.refresh_tokens.items() if v["user_id"] == user_id]:
                del self.refresh_tokens[refresh]

    def mention_handles(self, text: str) -> set[str]:
        """Ids of the known users @-mentioned in `text`."""
        handles = {h.lower() for h in re.findall(r"@(\w{1,15})", text)}
        return {uid for uid, u in self.users.items() if u["username"].lower() in handles}
