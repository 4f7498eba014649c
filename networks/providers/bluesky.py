"""Bluesky (AT Protocol): replies, mentions, quotes and DMs in; replies, posts and DMs out.

Connect: an app password (`connect_with_password`, see `bluesky_auth`); the channel's `api_base_url` is
the account's PDS and `external_id` its DID. Next step: OAuth with DPoP (https://docs.bsky.app/docs/
advanced-guides/oauth-client), which needs a public client-metadata document and per-request DPoP proofs;
app passwords are what the documentation offers tools today.

Read: `app.bsky.notification.listNotifications?reasons=mention&reasons=reply&reasons=quote`, newest first
with no "since": the walk pages back with `cursor` until it meets the stored mark (`indexedAt` of the
newest notification delivered, and the URIs at that instant). Replies are grouped by `reply.root.uri`; a
mention or a quote heads its own thread. DMs: `bluesky_dm`. Real time: Jetstream (`bluesky_stream`).

Cursor: `{"mark": T, "at_mark": [uris]}` between runs; `{"mark", "at_mark", "walk": C, "pending": {...}}`
when a run stopped at its budget mid-walk (the next run continues from C, bounded by the same mark, and
only then does the pending mark become the mark); DMs under "dm".

Write: `com.atproto.repo.putRecord` with `swapRecord: null` (create only: the PDS answers `InvalidSwap`
when a record has that key) and a record key derived from what is being sent (`_record_key`): a retry
writes to the same key, is refused, and the record already there is read back instead of written twice.

Moderation: our own posts are deleted (`deleteRecord`); an author is blocked with an app.bsky.graph.block
record in our repo, under a key derived from their DID (`block_author`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from core.http import send_idempotent
from networks.providers import bluesky_auth, bluesky_dm, limits
from networks.providers import bluesky_text as text_rules
from networks.providers import bluesky_wire as wire
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Author,
    Capability,
    Connectable,
    ConnectStyle,
    Consent,
    Credentials,
    EngagementItem,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    PollResult,
    Provider,
    PublishResult,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    Transient,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, json_or_empty, raise_if, transport_error, utcnow

if TYPE_CHECKING:
    from networks.providers.streaming import StreamSource, StreamTarget

log = logging.getLogger(__name__)

REASONS = ("mention", "reply", "quote")
PAGE = 100  # listNotifications limit 1..100
MAX_PAGES_PER_RUN = 20
FEED_PAGES = 10  # getAuthorFeed pages read back when settling an unclear publish
MAX_IMAGES = 4
IMAGE_RULES = limits.ImageRules(formats=frozenset({"JPEG", "PNG", "WEBP", "GIF"}), max_bytes=2_000_000)
#: A record at our key written this recently is this delivery's earlier attempt; an older one is an
#: earlier answer with the same words (the next key in the sequence is then used). A day covers every
#: retry and rate-limit wait of the delivery engine (RESET_CEILING).
SAME_DELIVERY = dt.timedelta(hours=24)
MAX_KEY_STEPS = 8


class BlueskyProvider(Provider):
    network = Network.BLUESKY
    image_rules = IMAGE_RULES
    image_max_width = 2000  # what the Bluesky app itself sends (it resizes to fit 2000×2000)
    connect_style: ClassVar[ConnectStyle] = ConnectStyle.APP_PASSWORD
    capabilities = frozenset({Capability.DELETE_OWN, Capability.DIRECT_MESSAGES, Capability.BLOCK})
    text_limits = {
        TextKind.POST: TextLimit(text_rules.MAX_GRAPHEMES),
        TextKind.DIRECT_MESSAGE: TextLimit(text_rules.MAX_DM_GRAPHEMES),
    }
    reply_words = {TextKind.DIRECT_MESSAGE: "a Bluesky direct message"}

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        lookback: dt.timedelta = dt.timedelta(days=14),
        clock: Clock = utcnow,
        on_credentials: Callable[[Credentials], None] | None = None,
        page_size: int = PAGE,
    ):
        super().__init__(account, http=http)
        self.lookback = lookback
        self.clock = clock
        self.on_credentials = on_credentials
        self.page_size = max(1, min(page_size, PAGE))
        self.dms = bluesky_dm.BlueskyDirectMessages(self._call, did=account.external_id, clock=clock)

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> BlueskyProvider:
        return cls(account, http=http, lookback=setup.lookback, on_credentials=setup.on_credentials)

    @classmethod
    def text_length(cls, text: str) -> int:
        return text_rules.grapheme_count(text)

    # --- connecting ----------------------------------------------------------------------------------

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        raise NotImplementedError("Bluesky connects with an app password (connect_with_password)")

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        raise NotImplementedError("Bluesky connects with an app password (connect_with_password)")

    @classmethod
    def connect_with_password(
        cls, *, http: httpx.Client, identifier: str, password: str, service_url: str
    ) -> list[Connectable]:
        if not identifier.strip() or not password:
            raise Invalid("Type the account's handle and an app password.")
        session, credentials = bluesky_auth.create_session(
            http, service_url=service_url, identifier=identifier, password=password, now=utcnow()
        )
        did = str(session["did"])
        pds = bluesky_auth.pds_from_did_doc(session.get("didDoc")) or bluesky_auth.resolve_pds(http, did)
        if pds:
            bluesky_auth.refuse_unusable_pds(pds)  # the DID document's word, not the operator's
        pds = pds or service_url.rstrip("/")
        account = Account(Network.BLUESKY, did, pds, credentials, handle=wire.handle(session.get("handle")))
        profile = cls(account, http=http).profile(did)
        handle = profile.handle or account.handle
        return [
            Connectable(
                Network.BLUESKY,
                did,
                profile.name or handle,
                credentials,
                handle=handle,
                avatar_url=profile.avatar_url,
                api_base_url=pds,
            )
        ]

    def profile(self, actor: str) -> Author:
        body = self._get("app.bsky.actor.getProfile", {"actor": actor})
        did = body.get("did")
        if not wire.is_did(did):
            raise Transient("Bluesky returned a profile without a DID.")
        handle = wire.handle(body.get("handle"))
        return Author(
            str(did),
            handle=handle,
            name=wire.text(body.get("displayName")),
            avatar_url=wire.text(body.get("avatar")),
            profile_url=f"https://bsky.app/profile/{handle or did}",
        )

    def refresh_credentials(self) -> Credentials:
        """A new session for the refresh JWT. Bluesky rotates it: the caller stores the answer at once."""
        new = bluesky_auth.refresh_session(
            self.http,
            pds_url=self.account.api_base_url,
            credentials=self.account.credentials,
            now=self.clock(),
        )
        self.account = replace(self.account, credentials=new)
        return new

    # --- polling -------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        cursor = cursor if isinstance(cursor, dict) else {}
        floor = self.clock() - self.lookback
        missing = ""
        dms: list[EngagementItem] = []
        dm_cursor = wire.obj(cursor.get("dm"))
        dm_skipped = 0
        dm_more = False
        try:
            dms, dm_cursor, dm_skipped, dm_more = self.dms.poll(dm_cursor, floor=floor, max_items=max_items)
        except PermissionMissing as exc:
            missing = (
                "The app password this channel was connected with does not allow direct messages: "
                "replies and mentions still arrive. To read and answer messages, create an app password "
                "with “Allow access to your direct messages” ticked and reconnect the channel."
            )
            log.info("bluesky: DMs refused for %s: %s", self.account.external_id, exc.network_message)
        notes = self._poll_notifications(cursor, floor=floor, max_items=max(max_items - len(dms), 1))
        return PollResult(
            items=dms + notes.items,
            cursor={**notes.cursor, **({"dm": dm_cursor} if dm_cursor else {})},
            has_more=notes.has_more or dm_more,
            skipped=notes.skipped + dm_skipped,
            permission_missing=missing,
        )

    def _poll_notifications(
        self, cursor: dict[str, Any], *, floor: dt.datetime, max_items: int
    ) -> PollResult:
        mark = _time_or(cursor.get("mark"), floor)
        at_mark = {u for u in cursor.get("at_mark") or [] if isinstance(u, str)}
        walk = wire.text(cursor.get("walk"))
        pending = wire.obj(cursor.get("pending"))
        newest = _time_or(pending.get("mark"), mark)
        newest_uris = (
            {u for u in pending.get("at_mark") or [] if isinstance(u, str)} if pending else set(at_mark)
        )
        items: list[EngagementItem] = []
        skipped = pages = 0
        while True:
            if pages >= MAX_PAGES_PER_RUN or (pages and len(items) >= max_items):
                state = {
                    "mark": wire.format_time(mark),
                    "at_mark": sorted(at_mark),
                    "walk": walk,
                    "pending": {"mark": wire.format_time(newest), "at_mark": sorted(newest_uris)},
                }
                return PollResult(_oldest_first(items), state, True, skipped)
            params: dict[str, Any] = {"limit": self.page_size, "reasons": list(REASONS)}
            if walk:
                params["cursor"] = walk
            body = self._get("app.bsky.notification.listNotifications", params)
            pages += 1
            reached = False
            raw_list = body.get("notifications")
            for raw in raw_list if isinstance(raw_list, list) else []:
                try:
                    indexed = wire.parse_time(raw["indexedAt"])
                    uri = str(wire.at_uri(raw["uri"]))
                except (KeyError, TypeError, ValueError) as exc:
                    skipped += 1
                    log.warning("bluesky: skipped a notification without a readable time or uri: %s", exc)
                    continue
                if indexed > self.clock() + wire.MAX_AHEAD:
                    skipped += 1  # it would carry the mark past every notification to come
                    log.warning(
                        "bluesky: skipped a notification indexed in the future (%s): %s", uri, indexed
                    )
                    continue
                if indexed < mark or (indexed == mark and uri in at_mark):
                    reached = True
                    continue
                if indexed > newest:
                    newest, newest_uris = indexed, {uri}
                elif indexed == newest:
                    newest_uris.add(uri)
                if raw.get("reason") not in REASONS:
                    continue  # a server that ignores `reasons` sends likes and follows too
                try:
                    items.append(self._item(raw, reason=str(raw["reason"])))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    skipped += 1
                    log.warning("bluesky: skipped a malformed notification (%s): %s", uri, exc)
            walk = wire.text(body.get("cursor"))
            if reached or not walk:
                done = {"mark": wire.format_time(newest), "at_mark": sorted(newest_uris)}
                return PollResult(_oldest_first(items), done, False, skipped)

    def _item(self, raw: Mapping[str, Any], *, reason: str) -> EngagementItem:
        """One post (a notification, or a post view read back) as the inbox stores it."""
        uri = str(wire.at_uri(raw["uri"]))
        record = raw["record"]
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValueError("record has no text")
        author = raw["author"]
        did = author["did"]
        if not wire.is_did(did):
            raise ValueError("author has no DID")
        handle = wire.handle(author.get("handle"))
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
        parent = root = ""
        if reply:
            parent = str(wire.at_uri(reply["parent"]["uri"]))
            root = str(wire.at_uri(reply["root"]["uri"]))
        ours = f"at://{self.account.external_id}/"
        quoted = _quoted_uri(record)
        if reason == "reply" and reply:
            kind, thread, post = ItemKind.REPLY, root, root
        else:
            # A mention or a quote heads its own thread (answers to it come back as replies to it).
            kind, thread = ItemKind.MENTION, uri
            post = quoted if quoted.startswith(ours) else uri
        return EngagementItem(
            network=Network.BLUESKY,
            external_id=uri,
            kind=kind,
            text=text_rules.plain_text(record["text"], record.get("facets")),
            created_at=wire.created_time(record.get("createdAt"), raw.get("indexedAt")),
            author=Author(
                did,
                handle=handle,
                name=wire.text(author.get("displayName")),
                avatar_url=wire.text(author.get("avatar")),
                profile_url=f"https://bsky.app/profile/{handle or did}",
            ),
            post_external_id=post,
            parent_external_id=parent if kind == ItemKind.REPLY else "",
            thread_root_external_id=thread,
            permalink=wire.permalink(handle, uri),
            raw={"uri": uri, "cid": raw.get("cid"), "reason": reason, "record": record},
        )

    def read_pushed(self, what: str, refs: Mapping[str, str]) -> EngagementItem | None:
        """A post Jetstream announced (refs: its `uri`), read through the API so it carries its author's
        handle like the poll's copy."""
        uri = refs.get("uri", "")
        view = self._post_view(uri)
        if view is None:
            return None
        record = wire.obj(view.get("record"))
        reply = wire.obj(record.get("reply"))
        ours = f"at://{self.account.external_id}/"
        in_our_thread = any(
            isinstance(reply.get(k), dict) and str(reply[k].get("uri", "")).startswith(ours)
            for k in ("parent", "root")
        )
        reason = "reply" if in_our_thread else "mention"
        try:
            return self._item(view, reason=reason)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("bluesky: pushed post %s unreadable: %s", uri, exc)
            return None

    def post_context(self, post_id: str) -> tuple[str, str]:
        view = self._post_view(post_id)
        if view is None:
            return ("", "")
        record = wire.obj(view.get("record"))
        words = text_rules.plain_text(str(record.get("text") or ""), record.get("facets"))
        author = wire.obj(view.get("author"))
        return words, wire.permalink(wire.handle(author.get("handle")), post_id)

    def _post_view(self, uri: str) -> dict[str, Any] | None:
        try:
            wire.at_uri(uri)
        except ValueError:
            return None
        posts = self._get("app.bsky.feed.getPosts", {"uris": [uri]}).get("posts")
        for view in posts if isinstance(posts, list) else []:
            if isinstance(view, dict) and view.get("uri") == uri:
                return view
        return None

    def thread(self, uri: str, *, depth: int = 6) -> list[dict[str, Any]]:
        """Every readable post view of the thread under `uri` (getPostThread), the post itself first;
        `#notFoundPost` and `#blockedPost` entries are skipped with what hangs under them."""
        body = self._get("app.bsky.feed.getPostThread", {"uri": uri, "depth": depth, "parentHeight": 0})
        out: list[dict[str, Any]] = []
        stack = [body.get("thread")]
        while stack:
            node = stack.pop()
            if not isinstance(node, dict) or node.get("$type") not in (
                None,
                "app.bsky.feed.defs#threadViewPost",
            ):
                continue
            post = node.get("post")
            if not isinstance(post, dict) or "uri" not in post:
                continue
            out.append(post)
            replies = node.get("replies")
            stack.extend(reversed(replies) if isinstance(replies, list) else [])
        return out

    # --- writing -------------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        if target.kind == ItemKind.DIRECT_MESSAGE:
            raise_if(limits.check_not_blank(text))
            return self.dms.send(target, text)
        raise_if(limits.check_not_blank(text) + self.validate_text(text))
        parent = self._post_view(target.external_id)
        if parent is None:
            raise NotFound("The post to answer is deleted or not visible any more.")
        parent_ref = _strong_ref(parent)
        parent_record = wire.obj(parent.get("record"))
        parent_reply = parent_record.get("reply") if isinstance(parent_record.get("reply"), dict) else None
        root_ref = (
            _strong_ref(parent_reply["root"])
            if parent_reply and isinstance(parent_reply.get("root"), dict)
            else parent_ref
        )
        record = self._post_record(text, reply={"root": root_ref, "parent": parent_ref})
        seed = f"reply|{target.external_id}|{reply_text_key(text)}"
        return self._create(record, seed=seed, delivery_key=delivery_key)

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        raise_if(self.validate_text(text) + self.validate_media(media))
        if not media:
            raise_if(limits.check_not_blank(text))
        digests = ",".join(hashlib.sha256(m.content).hexdigest() for m in media)
        seed = f"post|{reply_text_key(text)}|{digests}"
        embed = self._images_embed(media) if media else None
        return self._create(self._post_record(text, embed=embed), seed=seed, delivery_key=delivery_key)

    def _post_record(
        self, text: str, *, reply: dict[str, Any] | None = None, embed: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": wire.POST,
            "text": text,
            "createdAt": wire.format_time(self.clock()),
        }
        found = text_rules.facets(text, resolve=self._resolve_handle)
        if found:
            record["facets"] = found
        if reply:
            record["reply"] = reply
        if embed:
            record["embed"] = embed
        return record

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            did = self._get("com.atproto.identity.resolveHandle", {"handle": handle}).get("did")
        except (Invalid, NotFound):
            return None  # an unknown handle stays plain text
        return did if wire.is_did(did) else None

    def _images_embed(self, media: list[MediaFile]) -> dict[str, Any]:
        images = []
        for item in media:
            info = limits.inspect_image(item.content)
            mime = info.mime if info else item.content_type
            # An upload that may have landed only leaves an unreferenced blob, which the PDS deletes.
            response = self._call(
                "POST", "com.atproto.repo.uploadBlob", content=item.content, content_type=mime
            )
            blob = json_object(response, wire.NETWORK).get("blob")
            if not isinstance(blob, dict) or not isinstance(blob.get("ref"), dict):
                raise Transient("Bluesky accepted the image but returned no blob.")
            image: dict[str, Any] = {"image": blob, "alt": item.alt_text or ""}
            if info:
                image["aspectRatio"] = {"width": info.width, "height": info.height}
            images.append(image)
        return {"$type": "app.bsky.embed.images", "images": images}

    def _create(self, record: dict[str, Any], *, seed: str, delivery_key: str = "") -> PublishResult:
        """Write `record` under a key derived from `seed`, exactly once (see the module docstring). With
        the delivery's own key (core.delivery.delivery_key), the record key comes from it alone: a record
        already under it is this delivery's earlier attempt, whatever its words, and nothing is written."""
        did = self.account.external_id
        if delivery_key:
            seed = f"delivery|{delivery_key}"
        for step in range(1 if delivery_key else MAX_KEY_STEPS):
            rkey = _record_key(did, seed, step)
            body = {"repo": did, "collection": wire.POST, "rkey": rkey, "record": record, "swapRecord": None}
            try:
                response = self._call("POST", "com.atproto.repo.putRecord", json=body, may_apply=True)
            except Invalid as exc:
                if "InvalidSwap" not in (exc.network_message or ""):
                    raise
                existing = self._own_record(rkey)
                if existing is None:
                    raise Ambiguous("Bluesky says a post has this key but it cannot be read back.") from exc
                if delivery_key or self._same_delivery(existing, record):
                    return existing
                continue  # an earlier answer with the same words: the next key is this one's
            data = json_or_empty(response)
            uri, cid = data.get("uri"), data.get("cid")
            if not isinstance(uri, str) or not isinstance(cid, str):
                raise Ambiguous("Bluesky accepted the post but its answer had no uri; check the profile.")
            return PublishResult(
                uri,
                permalink=wire.permalink(self.account.handle, uri),
                raw={"uri": uri, "cid": cid, "rkey": rkey},
            )
        raise Invalid(
            "This exact text was already sent here several times today; change it to send it again."
        )

    def _own_record(self, rkey: str) -> PublishResult | None:
        params = {"repo": self.account.external_id, "collection": wire.POST, "rkey": rkey}
        try:
            body = self._get("com.atproto.repo.getRecord", params)
        except NotFound:
            return None
        uri = body.get("uri")
        if not isinstance(uri, str):
            return None
        value = wire.obj(body.get("value"))
        raw = {"uri": uri, "cid": body.get("cid"), "rkey": rkey, "record": value}
        return PublishResult(uri, permalink=wire.permalink(self.account.handle, uri), raw=raw)

    def _same_delivery(self, existing: PublishResult, record: dict[str, Any]) -> bool:
        value = existing.raw.get("record") or {}
        try:
            written = wire.parse_time(value.get("createdAt"))
        except (TypeError, ValueError):
            return False
        same_words = reply_text_key(str(value.get("text") or "")) == reply_text_key(record["text"])
        return same_words and self.clock() - written <= SAME_DELIVERY

    def delete_comment(self, *, comment_id: str) -> None:
        """Delete one of our own posts (DELETE_OWN: nobody can delete another account's record)."""
        uri = wire.at_uri(comment_id)
        if uri.did != self.account.external_id:
            raise Invalid("Only this account's own posts can be deleted on Bluesky.")
        body = {"repo": uri.did, "collection": uri.collection, "rkey": uri.rkey}
        self._call("POST", "com.atproto.repo.deleteRecord", json=body, may_apply=True)

    def block_author(self, *, author_id: str, comment_id: str = "") -> None:
        """Block the account `author_id` (a DID): an app.bsky.graph.block record in the brand's repo
        (https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/graph/block.json).

        Already blocked is done: the AppView's profile says so in `viewer.blocking` (the block record's
        uri, whoever wrote it). Otherwise the record goes under a key derived from the blocked DID with
        `swapRecord: null`, so a retry after a lost answer finds the key taken (InvalidSwap) and stops
        there instead of writing a second block."""
        did = self.account.external_id
        if not wire.is_did(author_id):
            raise Invalid("Bluesky did not say which account wrote this message.")
        if author_id == did:
            raise Invalid("A Bluesky account cannot block itself.")
        try:
            profile = self._get("app.bsky.actor.getProfile", {"actor": author_id})
        except (Invalid, NotFound):
            profile = {}  # an account the AppView no longer shows can still be blocked in our repo
        if isinstance(wire.obj(profile.get("viewer")).get("blocking"), str):
            return
        record = {"$type": wire.BLOCK, "subject": author_id, "createdAt": wire.format_time(self.clock())}
        rkey = _record_key(did, f"block|{author_id}", 0)
        body = {"repo": did, "collection": wire.BLOCK, "rkey": rkey, "record": record, "swapRecord": None}
        try:
            self._call("POST", "com.atproto.repo.putRecord", json=body, may_apply=True)
        except Invalid as exc:
            if "InvalidSwap" not in (exc.network_message or ""):
                raise
            log.info("bluesky: %s already holds our block of %s", did, author_id)

    # --- reading back --------------------------------------------------------------------------------

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        if target.kind == ItemKind.DIRECT_MESSAGE:
            return self.dms.find(target, text, since, exclude)
        wanted = reply_text_key(text)
        best: tuple[dt.datetime, PublishResult] | None = None
        for view in self.thread(target.external_id, depth=1)[1:]:
            found = self._ours(view, wanted, since, exclude)
            if found and (best is None or found[0] <= best[0]):
                best = found
        return best[1] if best else None

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        wanted = reply_text_key(text)
        best: tuple[dt.datetime, PublishResult] | None = None
        cursor = ""
        for _page in range(FEED_PAGES):
            params: dict[str, Any] = {
                "actor": self.account.external_id,
                "limit": 100,
                "filter": "posts_no_replies",
            }
            if cursor:
                params["cursor"] = cursor
            body = self._get("app.bsky.feed.getAuthorFeed", params)
            older = False
            for entry in wire.items(body.get("feed")):
                view = entry.get("post") if isinstance(entry, dict) else None
                if not isinstance(view, dict) or entry.get("reason"):
                    continue  # reposts are not our posts
                record = wire.obj(view.get("record"))
                if record.get("reply"):
                    continue
                found = self._ours(view, wanted, since, exclude)
                if found and (best is None or found[0] <= best[0]):
                    best = found
                if _time_or(record.get("createdAt"), since) < since:
                    older = True
            cursor = wire.text(body.get("cursor"))
            if older or not cursor:
                break
        return best[1] if best else None

    def _ours(
        self, view: dict[str, Any], wanted: str, since: dt.datetime, exclude: Collection[str]
    ) -> tuple[dt.datetime, PublishResult] | None:
        author = wire.obj(view.get("author"))
        record = wire.obj(view.get("record"))
        uri = view.get("uri")
        if author.get("did") != self.account.external_id or not isinstance(uri, str) or uri in exclude:
            return None
        if reply_text_key(str(record.get("text") or "")) != wanted:
            return None
        created = _time_or(record.get("createdAt"), since - dt.timedelta(seconds=1))
        if created < since:
            return None
        return created, PublishResult(
            uri, permalink=wire.permalink(self.account.handle, uri), raw={"uri": uri, "cid": view.get("cid")}
        )

    # --- limits --------------------------------------------------------------------------------------

    def validate_text(self, text: str) -> list[str]:
        return text_rules.check_length(
            text,
            max_graphemes=text_rules.MAX_GRAPHEMES,
            max_bytes=text_rules.MAX_BYTES,
            what="a Bluesky post",
        )

    def validate_reply(self, text: str, *, kind: TextKind = TextKind.REPLY) -> list[str]:
        if kind == TextKind.DIRECT_MESSAGE:  # messages are not posts: 1,000 graphemes, 10,000 bytes
            return text_rules.check_length(
                text,
                max_graphemes=text_rules.MAX_DM_GRAPHEMES,
                max_bytes=text_rules.MAX_DM_BYTES,
                what="a Bluesky direct message",
            )
        return super().validate_reply(text, kind=kind)

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return limits.check_images(media, IMAGE_RULES, max_count=MAX_IMAGES, network="Bluesky")

    # --- real time -----------------------------------------------------------------------------------

    @classmethod
    def stream_sources(cls, targets: Sequence[StreamTarget]) -> list[StreamSource]:
        from networks.providers.bluesky_stream import JetstreamSource

        return [JetstreamSource(targets)] if targets else []

    # --- plumbing ------------------------------------------------------------------------------------

    def _get(self, nsid: str, params: dict[str, Any]) -> dict[str, Any]:
        return json_object(self._call("GET", nsid, params=params), wire.NETWORK)

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str = "",
        proxy: str = "",
        may_apply: bool = False,
        _retried: bool = False,
    ) -> httpx.Response:
        bluesky_auth.refuse_unusable_pds(self.account.api_base_url)  # a channel stored before the rule
        url = f"{self.account.api_base_url.rstrip('/')}/xrpc/{nsid}"
        headers = {"Authorization": f"Bearer {self.account.credentials.access_token}"}
        if proxy:
            headers["atproto-proxy"] = proxy
        if content_type:
            headers["Content-Type"] = content_type
        try:
            if method == "GET":
                response = send_idempotent(self.http, "GET", url, headers=headers, params=params, attempts=2)
            elif content is not None:
                response = self.http.post(url, headers=headers, content=content)
            else:
                response = self.http.post(url, headers=headers, json=json)
        except httpx.TransportError as exc:
            raise transport_error(wire.NETWORK, exc, may_apply=may_apply and method != "GET") from exc
        self.rate_limit = wire.rate_limit_state(response, now=self.clock()) or self.rate_limit
        if response.status_code < 400:
            return response
        name, _message = wire.error_name(response)
        if name == "ExpiredToken" and not _retried:
            # An expired access token was refused before anything applied: renew it once, store the
            # rotated refresh token through the caller's hook, and ask again.
            try:
                new = self.refresh_credentials()
            except AuthExpired:
                raise
            if self.on_credentials is not None:
                self.on_credentials(new)
            return self._call(
                method,
                nsid,
                params=params,
                json=json,
                content=content,
                content_type=content_type,
                proxy=proxy,
                may_apply=may_apply,
                _retried=True,
            )
        raise wire.status_error(response, now=self.clock())


def _record_key(did: str, seed: str, step: int) -> str:
    return wire.stable_record_key(f"{did}|{seed}|{step}")


def _strong_ref(view: Mapping[str, Any]) -> dict[str, str]:
    uri, cid = view.get("uri"), view.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str):
        raise Invalid("Bluesky did not say which version of the post to answer.")
    return {"uri": uri, "cid": cid}


def _quoted_uri(record: Mapping[str, Any]) -> str:
    embed = wire.obj(record.get("embed"))
    inner = wire.obj(embed.get("record"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        inner = wire.obj(inner.get("record"))
    uri = inner.get("uri")
    return uri if isinstance(uri, str) else ""


def _time_or(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return wire.parse_time(value)
    except (TypeError, ValueError):
        return default


def _oldest_first(items: list[EngagementItem]) -> list[EngagementItem]:
    """Read newest first: reversed, then sorted stably, so posts of the same instant keep their order."""
    return sorted(reversed(items), key=lambda item: item.created_at)
