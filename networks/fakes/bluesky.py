"""A local Bluesky: entryway/PDS/AppView XRPC and the chat service behind `atproto-proxy`, plus Jetstream.

Written from the lexicons (github.com/bluesky-social/atproto `lexicons/`), docs.bsky.app and the PDS's
own behaviour (packages/pds): createSession / refreshSession (the refresh JWT rotates; an expired access
JWT answers 400 `ExpiredToken`), getProfile, resolveHandle, listNotifications (newest first, `cursor`
paging, `reasons` filter), getPosts, getPostThread (with `#notFoundPost` / `#blockedPost` entries),
getAuthorFeed, putRecord (`swapRecord: null` answers `InvalidSwap` when the key is taken), createRecord,
getRecord, deleteRecord, uploadBlob, the chat.bsky.convo.* calls (400 `InvalidToken` "Bad token method"
for an app password without DM access), `RateLimit-*` headers and 429 `RateLimitExceeded`.
Jetstream (`JetstreamFake`, its own port) sends each new post as a commit event, honouring `cursor` and
`wantedCollections`.

Seed from Python (`add_account`, `add_post`, `add_reply`, `add_mention`, `add_quote`, `add_dm`...) or over
HTTP: `POST /_fake/<action>` with the same keyword arguments as JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import regex
from websockets.sync.server import ServerConnection, serve

from networks.fakes.base import Request, Response
from networks.fakes.support import SeedableFake

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"
ACCESS_LIFETIME = 2 * 3600
_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.{secrets.token_urlsafe(16)}"


def _error(status: int, name: str, message: str) -> Response:
    return Response(status, {"error": name, "message": message})


class BlueskyFake(SeedableFake):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, write_limit: int = 5000):
        self.write_limit = write_limit
        self.jetstream: JetstreamFake | None = None
        super().__init__(host, port)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, dict[str, Any]] = {}  # did -> account
            self.passwords: dict[tuple[str, str], bool] = {}  # (did, password) -> DMs allowed
            self.access: dict[str, dict[str, Any]] = {}  # token -> {did, exp, dms}
            self.refresh: dict[str, dict[str, Any]] = {}  # live refresh tokens
            self.posts: dict[str, dict[str, Any]] = {}  # uri -> {uri, cid, record, indexedAt, did}
            self.notifications: list[dict[str, Any]] = []  # newest last
            self.convos: dict[str, dict[str, Any]] = {}
            self.blobs: dict[str, dict[str, Any]] = {}
            self.blocked: set[str] = set()  # uris shown as #blockedPost
            self.records: dict[str, dict[str, Any]] = {}  # uri -> {uri, cid, value}: other collections
            self.two_factor: set[str] = set()
            self.pds_endpoints: dict[str, str] = {}  # did -> the PDS its DID document names (default: us)
            self.main_passwords: set[tuple[str, str]] = set()
            self.writes = 0
            self._seq = itertools.count(1)
            self.forget_traffic()

    # --- seeding -------------------------------------------------------------------------------------

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_account": self.add_account,
            "add_post": self.add_post,
            "add_reply": self.add_reply,
            "add_mention": self.add_mention,
            "add_quote": self.add_quote,
            "add_dm": self.add_dm,
            "expire_access": self.expire_access,
            "add_block": self.add_block,
        }

    def add_account(
        self,
        did: str,
        handle: str,
        *,
        display_name: str = "",
        password: str = "",
        dms: bool = True,
        avatar: str = "",
        main_password: str = "",
    ) -> dict[str, Any]:
        """An account; `password` is an app password (with DM access or not), `main_password` the account's
        own (which alone asks for the e-mail code when the DID is in `two_factor`, as on the PDS)."""
        with self.lock:
            self.accounts[did] = {
                "did": did,
                "handle": handle,
                "displayName": display_name,
                "avatar": avatar,
                "createdAt": _iso(_now()),
            }
            if password:
                self.passwords[(did, password)] = dms
            if main_password:
                self.passwords[(did, main_password)] = True
                self.main_passwords.add((did, main_password))
            return self.accounts[did]

    def _tid(self) -> str:
        value = (time.time_ns() // 1000 << 10) | (next(self._seq) & 1023)
        return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))

    def _store(
        self, did: str, rkey: str, record: dict[str, Any], *, at: dt.datetime | None = None
    ) -> dict[str, Any]:
        uri = f"at://{did}/{POST}/{rkey}"
        cid = _cid(record)
        post = {"uri": uri, "cid": cid, "record": record, "indexedAt": _iso(at or _now()), "did": did}
        self.posts[uri] = post
        self._notify(post)
        if self.jetstream is not None:
            self.jetstream.publish(did, rkey, cid, record)
        return post

    def _notify(self, post: dict[str, Any]) -> None:
        record = post["record"]
        targets: dict[str, str] = {}
        reply = record.get("reply") or {}
        for part in ("parent", "root"):
            owner = _repo(reply.get(part, {}).get("uri"))
            if owner and owner != post["did"]:
                targets.setdefault(owner, "reply")
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if (
                    feature.get("$type") == "app.bsky.richtext.facet#mention"
                    and feature.get("did") != post["did"]
                ):
                    targets.setdefault(feature["did"], "mention")
        embed = record.get("embed") or {}
        quoted = _repo((embed.get("record") or {}).get("uri"))
        if quoted and quoted != post["did"]:
            targets.setdefault(quoted, "quote")
        subjects = {
            "reply": (reply.get("parent") or {}).get("uri"),
            "quote": (embed.get("record") or {}).get("uri"),
        }
        for did, reason in targets.items():
            note = {"to": did, "uri": post["uri"], "reason": reason, "seq": next(self._seq)}
            if subjects.get(reason):
                note["reasonSubject"] = subjects[reason]
            self.notifications.append(note)

    def add_post(
        self,
        did: str,
        text: str,
        *,
        reply_to: str = "",
        facets: list[dict[str, Any]] | None = None,
        embed: dict[str, Any] | None = None,
        at: str = "",
        langs: list[str] | None = None,
        rkey: str = "",
    ) -> dict[str, Any]:
        """A post by `did`; `rkey` (a TID) fixes its key, else one is drawn from the clock."""
        with self.lock:
            when = dt.datetime.fromisoformat(at) if at else _now()
            record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _iso(when)}
            if langs:
                record["langs"] = langs
            if reply_to:
                parent = self.posts[reply_to]
                root = (parent["record"].get("reply") or {}).get("root") or {
                    "uri": parent["uri"],
                    "cid": parent["cid"],
                }
                record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
            if facets:
                record["facets"] = facets
            if embed:
                record["embed"] = embed
            return self._public_post(self._store(did, rkey or self._tid(), record, at=when))

    def add_reply(
        self, did: str, to: str, text: str, at: str = "", langs: list[str] | None = None, rkey: str = ""
    ) -> dict[str, Any]:
        return self.add_post(did, text, reply_to=to, at=at, langs=langs, rkey=rkey)

    def add_mention(
        self, did: str, brand: str, text: str, at: str = "", langs: list[str] | None = None, rkey: str = ""
    ) -> dict[str, Any]:
        """A post naming the brand: `text` gets "@<brand handle> " in front, with its mention facet."""
        handle = self.accounts[brand]["handle"]
        prefix = f"@{handle} "
        facet = {
            "index": {"byteStart": 0, "byteEnd": len(prefix.encode()) - 1},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": brand}],
        }
        return self.add_post(did, prefix + text, facets=[facet], at=at, langs=langs, rkey=rkey)

    def add_quote(
        self, did: str, quoted: str, text: str, langs: list[str] | None = None, at: str = "", rkey: str = ""
    ) -> dict[str, Any]:
        post = self.posts[quoted]
        return self.add_post(
            did,
            text,
            embed={"$type": "app.bsky.embed.record", "record": {"uri": post["uri"], "cid": post["cid"]}},
            langs=langs,
            at=at,
            rkey=rkey,
        )

    def add_dm(self, sender: str, to: str, text: str, at: str = "", message_id: str = "") -> dict[str, Any]:
        with self.lock:
            convo = self._convo_between(sender, to)
            message = {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": message_id or self._tid(),
                "rev": self._tid(),
                "text": text,
                "sender": {"did": sender},
                "sentAt": _iso(dt.datetime.fromisoformat(at) if at else _now()),
            }
            convo["messages"].append(message)
            return message

    def _convo_between(self, a: str, b: str) -> dict[str, Any]:
        for convo in self.convos.values():
            if set(convo["dids"]) == {a, b}:
                return convo
        convo_id = "convo" + hashlib.sha256(f"{min(a, b)}|{max(a, b)}".encode()).hexdigest()[:12]
        self.convos[convo_id] = {"id": convo_id, "dids": [a, b], "messages": []}
        return self.convos[convo_id]

    def add_block(self, did: str, subject: str) -> str:
        """`did` blocks `subject` (an app.bsky.graph.block record in `did`'s repo, as the app writes it)."""
        with self.lock:
            record = {"$type": BLOCK, "subject": subject, "createdAt": _iso(_now())}
            uri = f"at://{did}/{BLOCK}/{self._tid()}"
            self.records[uri] = {"uri": uri, "cid": _cid(record), "value": record}
            return uri

    def blocks(self, did: str) -> list[str]:
        """The DIDs `did`'s repo holds a block record of, one entry per record."""
        with self.lock:
            return [
                r["value"]["subject"] for u, r in self.records.items() if u.startswith(f"at://{did}/{BLOCK}/")
            ]

    def issue_session(
        self, did: str, *, access: str, refresh: str, dms: bool = True, lifetime: int = ACCESS_LIFETIME
    ) -> None:
        """A session with tokens chosen by the caller (the demo seeds its channel with published ones)."""
        with self.lock:
            self.access[access] = {"did": did, "exp": int(time.time()) + lifetime, "dms": dms}
            self.refresh[refresh] = {"did": did, "dms": dms}

    def expire_access(self) -> None:
        with self.lock:
            for session in self.access.values():
                session["exp"] = int(time.time()) - 1

    # --- routes --------------------------------------------------------------------------------------

    def setup_routes(self) -> None:
        routes = {
            ("POST", "com.atproto.server.createSession"): self._create_session,
            ("POST", "com.atproto.server.refreshSession"): self._refresh_session,
            ("GET", "app.bsky.actor.getProfile"): self._authed(self._get_profile),
            ("GET", "com.atproto.identity.resolveHandle"): self._resolve_handle,
            ("GET", "app.bsky.notification.listNotifications"): self._authed(self._list_notifications),
            ("GET", "app.bsky.feed.getPosts"): self._authed(self._get_posts),
            ("GET", "app.bsky.feed.getPostThread"): self._authed(self._get_post_thread),
            ("GET", "app.bsky.feed.getAuthorFeed"): self._authed(self._get_author_feed),
            ("POST", "com.atproto.repo.putRecord"): self._authed(self._put_record, write=True),
            ("POST", "com.atproto.repo.createRecord"): self._authed(self._create_record, write=True),
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("POST", "com.atproto.repo.deleteRecord"): self._authed(self._delete_record, write=True),
            ("POST", "com.atproto.repo.uploadBlob"): self._authed(self._upload_blob),
            ("GET", "chat.bsky.convo.listConvos"): self._authed(self._list_convos, chat=True),
            ("GET", "chat.bsky.convo.getMessages"): self._authed(self._get_messages, chat=True),
            ("POST", "chat.bsky.convo.sendMessage"): self._authed(self._send_message, chat=True),
        }
        for (method, nsid), handler in routes.items():
            self.route(method, f"/xrpc/{nsid.replace('.', r'\.')}", handler)

    def _headers(self) -> dict[str, str]:
        reset = int(time.time()) + 300
        return {
            "RateLimit-Limit": str(self.write_limit),
            "RateLimit-Remaining": str(max(self.write_limit - self.writes, 0)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{self.write_limit};w=3600",
        }

    def _authed(
        self,
        handler: Callable[[Request, dict[str, Any]], Response],
        *,
        write: bool = False,
        chat: bool = False,
    ) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            with self.lock:
                session = self.access.get(request.bearer())
                if session is None:
                    return _error(401, "AuthenticationRequired", "Authentication Required")
                if session["exp"] <= time.time():
                    return _error(400, "ExpiredToken", "Token has expired")
                if chat and request.headers.get("atproto-proxy") != CHAT_PROXY:
                    return _error(400, "InvalidRequest", "Method not found on the PDS")
                if chat and not session["dms"]:
                    return _error(400, "InvalidToken", "Bad token method")
                if write:
                    if self.writes >= self.write_limit:
                        response = _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
                        response.headers.update(self._headers())
                        return response
                    self.writes += 3  # a create costs 3 points of the hourly write budget
                response = handler(request, session)
                response.headers.update(self._headers())
                return response

        return wrapped

    def _session_body(self, did: str, dms: bool) -> dict[str, Any]:
        account = self.accounts[did]
        access = _jwt(
            {
                "scope": "com.atproto.appPassPrivileged" if dms else "com.atproto.appPass",
                "sub": did,
                "exp": int(time.time()) + ACCESS_LIFETIME,
            }
        )
        refresh = _jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": did,
                "jti": secrets.token_hex(8),
                "exp": int(time.time()) + 90 * 86400,
            }
        )
        self.access[access] = {"did": did, "exp": int(time.time()) + ACCESS_LIFETIME, "dms": dms}
        self.refresh[refresh] = {"did": did, "dms": dms}
        did_doc = {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": did,
            "alsoKnownAs": [f"at://{account['handle']}"],
            "verificationMethod": [
                {
                    "id": f"{did}#atproto",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": "zQ3sh" + hashlib.sha256(did.encode()).hexdigest()[:44],
                }
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.pds_endpoints.get(did, self.base_url),
                }
            ],
        }
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": account["handle"],
            "did": did,
            "didDoc": did_doc,
            "email": f"{account['handle']}@example.com",
            "emailConfirmed": True,
            "emailAuthFactor": did in self.two_factor,
            "active": True,
        }

    def _create_session(self, request: Request) -> Response:
        body = request.json() or {}
        identifier, password = str(body.get("identifier", "")).lower(), str(body.get("password") or "")
        with self.lock:
            did = next((d for d, a in self.accounts.items() if identifier in (d, a["handle"].lower())), None)
            if did is None or (did, password) not in self.passwords:
                return _error(401, "AuthenticationRequired", "Invalid identifier or password")
            main = (did, password) in self.main_passwords
            if main and did in self.two_factor and not body.get("authFactorToken"):
                return _error(
                    401, "AuthFactorTokenRequired", "A sign in code has been sent to your email address"
                )
            return Response(200, self._session_body(did, self.passwords[(did, password)]))

    def _refresh_session(self, request: Request) -> Response:
        with self.lock:
            session = self.refresh.pop(request.bearer(), None)  # rotated: the old one is spent
            if session is None:
                return _error(400, "ExpiredToken", "Token has been revoked")
            return Response(200, self._session_body(session["did"], session["dms"]))

    def _profile(self, did: str, viewer: str = "") -> dict[str, Any]:
        """app.bsky.actor.defs#profileView of `did` as `viewer` sees it (viewer.blocking: the block
        record's uri)."""
        account = self.accounts.get(did) or {"did": did, "handle": "handle.invalid"}
        profile = {k: v for k, v in account.items() if v}
        profile["associated"] = {"activitySubscription": {"allowSubscriptions": "followers"}}
        profile["labels"] = []
        blocked_by = bool(viewer) and self._blocking(did, viewer) != ""
        state: dict[str, Any] = {"muted": False, "blockedBy": blocked_by}
        blocking = self._blocking(viewer, did) if viewer else ""
        if blocking:
            state["blocking"] = blocking
        profile["viewer"] = state
        return profile

    def _blocking(self, blocker: str, subject: str) -> str:
        """The uri of `blocker`'s block record of `subject`, "" when there is none."""
        for uri, record in self.records.items():
            if uri.startswith(f"at://{blocker}/{BLOCK}/") and record["value"].get("subject") == subject:
                return uri
        return ""

    def _get_profile(self, request: Request, session: dict[str, Any]) -> Response:
        actor = request.arg("actor")
        did = next((d for d, a in self.accounts.items() if actor in (d, a["handle"])), None)
        if did is None:
            return _error(400, "InvalidRequest", "Profile not found")
        posts = sum(1 for p in self.posts.values() if p["did"] == did)
        detailed = {
            **self._profile(did, session["did"]),
            "description": "",
            "indexedAt": self.accounts[did]["createdAt"],
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": posts,
        }
        return Response(200, detailed)

    def _resolve_handle(self, request: Request) -> Response:
        handle = request.arg("handle").lower()
        did = next((d for d, a in self.accounts.items() if a["handle"].lower() == handle), None)
        if did is None:
            return _error(400, "InvalidRequest", "Unable to resolve handle")
        return Response(200, {"did": did})

    def _view(self, post: dict[str, Any], viewer: str = "") -> dict[str, Any]:
        replies = sum(
            1
            for p in self.posts.values()
            if ((p["record"].get("reply") or {}).get("parent") or {}).get("uri") == post["uri"]
        )
        return {
            "uri": post["uri"],
            "cid": post["cid"],
            "author": self._profile(post["did"], viewer),
            "record": post["record"],
            "bookmarkCount": 0,
            "replyCount": replies,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": post["indexedAt"],
            "labels": [],
            "viewer": {"bookmarked": False, "threadMuted": False, "embeddingDisabled": False},
        }

    def _public_post(self, post: dict[str, Any]) -> dict[str, Any]:
        return {"uri": post["uri"], "cid": post["cid"], "indexedAt": post["indexedAt"]}

    def _list_notifications(self, request: Request, session: dict[str, Any]) -> Response:
        reasons = set(request.query.get("reasons") or [])
        limit = max(1, min(int(request.arg("limit", "50")), 100))
        # The cursor names the last notification served (like the AppView's, which is a position in
        # time, not an offset): what arrives meanwhile never shifts the pages still to read.
        before = int(request.arg("cursor", "0") or 0) or None
        # Nobody is notified of the posts of an account they block (the AppView hides them).
        mine = [
            n
            for n in reversed(self.notifications)
            if n["to"] == session["did"]
            and n["uri"] in self.posts
            and not self._blocking(session["did"], self.posts[n["uri"]]["did"])
        ]
        mine = [
            n
            for n in mine
            if (not reasons or n["reason"] in reasons) and (before is None or n["seq"] < before)
        ]
        page = mine[:limit]
        out = []
        for note in page:
            post = self.posts[note["uri"]]
            out.append(
                {
                    "uri": post["uri"],
                    "cid": post["cid"],
                    "author": self._profile(post["did"], session["did"]),
                    "reason": note["reason"],
                    **({"reasonSubject": note["reasonSubject"]} if "reasonSubject" in note else {}),
                    "record": post["record"],
                    "isRead": False,
                    "indexedAt": post["indexedAt"],
                    "labels": [],
                }
            )
        body: dict[str, Any] = {"notifications": out, "priority": False, "seenAt": _iso(_now())}
        if len(mine) > limit:
            body["cursor"] = str(page[-1]["seq"])
        return Response(200, body)

    def _get_posts(self, request: Request, session: dict[str, Any]) -> Response:
        uris = request.query.get("uris") or []
        return Response(200, {"posts": [self._view(self.posts[u]) for u in uris if u in self.posts]})

    def _thread_node(self, uri: str, depth: int, viewer: str = "") -> dict[str, Any]:
        author = _repo(uri)
        blocking = self._blocking(viewer, author) if viewer else ""
        if uri in self.blocked or blocking:
            state = {"blockedBy": False, **({"blocking": blocking} if blocking else {})}
            return {
                "$type": "app.bsky.feed.defs#blockedPost",
                "uri": uri,
                "blocked": True,
                "author": {"did": author, "viewer": state},
            }
        if uri not in self.posts:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self._view(self.posts[uri], viewer),
        }
        if depth > 0:
            children = [
                p["uri"]
                for p in self.posts.values()
                if ((p["record"].get("reply") or {}).get("parent") or {}).get("uri") == uri
            ]
            children += [u for u in self.blocked if u not in self.posts]
            node["replies"] = [self._thread_node(c, depth - 1, viewer) for c in children]
        node["threadContext"] = {}
        return node

    def _get_post_thread(self, request: Request, session: dict[str, Any]) -> Response:
        uri = request.arg("uri")
        if uri not in self.posts:
            return _error(400, "NotFound", f"Post not found: {uri}")
        depth = int(request.arg("depth", "6"))
        return Response(200, {"thread": self._thread_node(uri, depth, session["did"])})

    def _get_author_feed(self, request: Request, session: dict[str, Any]) -> Response:
        actor = request.arg("actor")
        limit = max(1, min(int(request.arg("limit", "50")), 100))
        start = int(request.arg("cursor", "0") or 0)
        posts = sorted(
            (p for p in self.posts.values() if p["did"] == actor), key=lambda p: p["indexedAt"], reverse=True
        )
        if request.arg("filter") == "posts_no_replies":
            posts = [p for p in posts if not p["record"].get("reply")]
        page = posts[start : start + limit]
        body: dict[str, Any] = {"feed": [{"post": self._view(p)} for p in page]}
        if start + limit < len(posts):
            body["cursor"] = str(start + limit)
        return Response(200, body)

    def _check_record(self, collection: str, record: Any) -> Response | None:
        """The record's lexicon checks: app.bsky.feed.post (text, its limits, blobs it names) and
        app.bsky.graph.block (subject DID, createdAt); other collections are refused."""
        if not isinstance(record, dict) or record.get("$type") != collection:
            return _error(
                400,
                "InvalidRequest",
                f"Invalid {collection} record: Record/$type must be {collection}",
            )
        if collection == BLOCK:
            if not str(record.get("subject") or "").startswith("did:") or not record.get("createdAt"):
                return _error(400, "InvalidRequest", "Invalid app.bsky.graph.block record")
            return None
        if collection != POST:
            return _error(400, "InvalidRequest", f"Unsupported collection: {collection}")
        if not isinstance(record.get("text"), str):
            return _error(400, "InvalidRequest", "Invalid app.bsky.feed.post record")
        text = record["text"]
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode()) > 3000:
            return _error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
            )
        for image in (record.get("embed") or {}).get("images") or []:
            ref = ((image.get("image") or {}).get("ref") or {}).get("$link")
            if ref not in self.blobs:
                return _error(400, "InvalidRequest", "Could not find blob")
        return None

    def _current(self, uri: str) -> dict[str, Any] | None:
        """{uri, cid, value} of the record at `uri`, whatever its collection."""
        post = self.posts.get(uri)
        if post is not None:
            return {"uri": uri, "cid": post["cid"], "value": post["record"]}
        return self.records.get(uri)

    def _write(self, did: str, collection: str, rkey: str, record: dict[str, Any]) -> Response:
        if collection == POST:
            post = self._store(did, rkey, record)
            uri, cid = post["uri"], post["cid"]
        else:
            uri = f"at://{did}/{collection}/{rkey}"
            cid = _cid(record)
            self.records[uri] = {"uri": uri, "cid": cid, "value": record}
        commit = {"cid": _cid({"commit": uri, "at": time.time_ns()}), "rev": self._tid()}
        return Response(200, {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"})

    def _put_record(self, request: Request, session: dict[str, Any]) -> Response:
        body = request.json() or {}
        if body.get("repo") != session["did"]:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        collection, rkey = str(body.get("collection") or ""), str(body.get("rkey") or "")
        if not regex.match(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$", rkey):
            return _error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        problem = self._check_record(collection, body.get("record"))
        if problem:
            return problem
        uri = f"at://{session['did']}/{collection}/{rkey}"
        current = self._current(uri)
        if current is not None and current["cid"] == _cid(body["record"]):
            # The same record again: the PDS answers without writing (putRecord.ts: "no-op").
            return Response(200, {"uri": uri, "cid": current["cid"], "validationStatus": "valid"})
        if "swapRecord" in body and body["swapRecord"] is None and current is not None:
            return _error(400, "InvalidSwap", f"Record was at {current['cid']}")
        return self._write(session["did"], collection, rkey, body["record"])

    def _create_record(self, request: Request, session: dict[str, Any]) -> Response:
        body = request.json() or {}
        if body.get("repo") != session["did"]:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        collection = str(body.get("collection") or "")
        problem = self._check_record(collection, body.get("record"))
        if problem:
            return problem
        rkey = str(body.get("rkey") or self._tid())
        if self._current(f"at://{session['did']}/{collection}/{rkey}") is not None:
            return _error(500, "InternalServerError", "Internal Server Error")  # the PDS's MST refuses
        return self._write(session["did"], collection, rkey, body["record"])

    def _get_record(self, request: Request) -> Response:
        uri = f"at://{request.arg('repo')}/{request.arg('collection')}/{request.arg('rkey')}"
        with self.lock:
            current = self._current(uri)
            if current is None:
                return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
            return Response(200, dict(current))

    def _delete_record(self, request: Request, session: dict[str, Any]) -> Response:
        body = request.json() or {}
        if body.get("repo") != session["did"]:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        uri = f"at://{body['repo']}/{body['collection']}/{body['rkey']}"
        self.posts.pop(uri, None)
        self.records.pop(uri, None)
        return Response(200, {"commit": {"cid": _cid({"delete": uri}), "rev": self._tid()}})

    def _upload_blob(self, request: Request, session: dict[str, Any]) -> Response:
        if len(request.body) > 50_000_000:
            return _error(413, "PayloadTooLarge", "request entity too large")
        link = "bafkrei" + hashlib.sha256(request.body).hexdigest()[:52]
        blob = {
            "$type": "blob",
            "ref": {"$link": link},
            "mimeType": request.headers.get("content-type", "*/*"),
            "size": len(request.body),
        }
        self.blobs[link] = blob
        return Response(200, {"blob": blob})

    def _list_convos(self, request: Request, session: dict[str, Any]) -> Response:
        did = session["did"]
        convos = [c for c in self.convos.values() if did in c["dids"]]
        convos.sort(key=lambda c: c["messages"][-1]["sentAt"] if c["messages"] else "", reverse=True)
        out = [
            {
                "id": c["id"],
                "rev": c["messages"][-1]["rev"] if c["messages"] else "2222222222222",
                "members": [self._chat_member(m, did) for m in c["dids"]],
                "muted": False,
                "status": "accepted",
                "unreadCount": 0,
                **({"lastMessage": c["messages"][-1]} if c["messages"] else {}),
            }
            for c in convos
        ]
        # chat.bsky.convo.listConvos: limit 1..100 (default 50), an opaque cursor for the next page.
        limit = max(1, min(int(request.arg("limit", "50") or 50), 100))
        start = int(request.arg("cursor", "0") or 0)
        body: dict[str, Any] = {"convos": out[start : start + limit]}
        if start + limit < len(out):
            body["cursor"] = str(start + limit)
        return Response(200, body)

    def _chat_member(self, did: str, viewer: str) -> dict[str, Any]:
        """chat.bsky.actor.defs#profileViewBasic."""
        profile = self._profile(did, viewer)
        profile["associated"] = {"chat": {"allowIncoming": "all"}}
        profile["chatDisabled"] = False
        profile.pop("createdAt", None)
        return profile

    def _get_messages(self, request: Request, session: dict[str, Any]) -> Response:
        convo = self.convos.get(request.arg("convoId"))
        if convo is None or session["did"] not in convo["dids"]:
            return _error(400, "InvalidRequest", "Convo not found")
        limit = max(1, min(int(request.arg("limit", "50")), 100))
        start = int(request.arg("cursor", "0") or 0)
        newest_first = list(reversed(convo["messages"]))
        body: dict[str, Any] = {"messages": newest_first[start : start + limit]}
        if start + limit < len(newest_first):
            body["cursor"] = str(start + limit)
        return Response(200, body)

    def _send_message(self, request: Request, session: dict[str, Any]) -> Response:
        body = request.json() or {}
        convo = self.convos.get(str(body.get("convoId")))
        text = (body.get("message") or {}).get("text")
        if convo is None or session["did"] not in convo["dids"]:
            return _error(400, "InvalidRequest", "Convo not found")
        if not isinstance(text, str) or len(regex.findall(r"\X", text)) > 1000 or len(text.encode()) > 10000:
            return _error(400, "InvalidRequest", "Invalid message text")
        message = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": self._tid(),
            "rev": self._tid(),
            "text": text,
            "sender": {"did": session["did"]},
            "sentAt": _iso(_now()),
        }
        convo["messages"].append(message)
        return Response(200, message)


def _cid(value: Any) -> str:
    """A CID-shaped name of `value` (dag-cbor sha-256 in the real PDS: the same record, the same cid)."""
    return "bafyrei" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:52]


def _repo(uri: Any) -> str:
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return ""
    return uri[5:].split("/", 1)[0]


class JetstreamFake:
    """Jetstream on its own port: `/subscribe?wantedCollections=...&cursor=<time_us>` replays what it has
    from the cursor, then sends each new commit as it happens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.connections = 0
        self._tails: dict[int, int] = {}  # id(connection) -> events at its handshake (the live tip)
        self._server = serve(self._handle, host, port, process_request=self._handshake)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/subscribe"

    def start(self) -> JetstreamFake:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def publish(self, did: str, rkey: str, cid: str, record: dict[str, Any], collection: str = POST) -> None:
        with self.cond:
            time_us = max(time.time_ns() // 1000, (self.events[-1]["time_us"] + 1) if self.events else 0)
            self.events.append(
                {
                    "did": did,
                    "time_us": time_us,
                    "cursor": len(self.events) + 1,  # Jetstream's own sequence number
                    "kind": "commit",
                    "commit": {
                        "rev": rkey,
                        "operation": "create",
                        "collection": collection,
                        "rkey": rkey,
                        "record": record,
                        "cid": cid,
                    },
                }
            )
            self.cond.notify_all()

    def _handshake(self, ws: ServerConnection, request: Any) -> None:
        """Note the live tip while the handshake is answered, so a post made as soon as the client is
        connected is sent (the handler itself may start a moment later)."""
        with self.cond:
            self._tails[id(ws)] = len(self.events)

    def _handle(self, ws: ServerConnection) -> None:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        wanted = set(query.get("wantedCollections") or [])
        cursor = int((query.get("cursor") or ["0"])[0] or 0)
        self.connections += 1
        sent = 0
        with self.cond:
            tip = self._tails.pop(id(ws), len(self.events))
            sent = (
                next((i for i, e in enumerate(self.events) if e["time_us"] >= cursor), len(self.events))
                if cursor
                else tip
            )
        try:
            while True:
                with self.cond:
                    seen = sent
                    self.cond.wait_for(lambda: len(self.events) > seen, timeout=0.5)  # noqa: B023
                    fresh = self.events[sent:]
                sent += len(fresh)
                for event in fresh:
                    if not wanted or event["commit"]["collection"] in wanted:
                        ws.send(json.dumps(event))
                ws.ping()
        except Exception:  # the client went away
            return
