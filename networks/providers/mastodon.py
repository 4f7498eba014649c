"""Mastodon (any instance): mentions and direct messages in, replies and posts out, our statuses deleted.

`Account.api_base_url` is the channel's instance (`https://mastodon.social`), `Account.external_id` the
account's id there, `Account.server_limits` what that instance allows (mastodon_auth.limits_from_instance).
The connect flow is in `mastodon_auth`, the reading of statuses in `mastodon_items`, the wire format in
`mastodon_wire`, the streaming connection in `mastodon_stream`.

Polling cursor (JSON, stored by the caller):
- `{"min_id": M}`: every notification up to M was delivered. Each run walks FORWARD from M (`min_id`
  returns the page immediately newer, https://docs.joinmastodon.org/api/guidelines/#pagination), page by
  page through the Link header's rel="prev", so a run cut by its budget resumes exactly where it stopped:
  no gap, whatever arrives meanwhile. `since_id` would return the newest page above M and skip the gap.
  A first run (no M) reads back from the newest to `Setup.lookback` with max_id, then keeps the newest id.
- `{"dm": {"mark": S}}`: the newest direct status delivered. Conversations are listed by their last status,
  newest first (https://docs.joinmastodon.org/methods/conversations/); a walk stops at the first one whose
  last status is not newer than S, and reads each changed conversation's thread through its root's
  `/api/v1/statuses/:id/context`. A walk cut by its page budget keeps S and resumes below the last page
  read (`resume`, `top`, `floor`: see `_poll_conversations`).
- `{"limits_read_at": T}`: the instance's limits are read again once a day (PollResult.server_limits).

Exactly once: every write carries an `Idempotency-Key` (https://docs.joinmastodon.org/methods/statuses/#create:
"Idempotency keys are stored for up to 1 hour"): the delivery's own key (`delivery_key`, core.delivery:
the same at every attempt of one reply or one post target, unlike any other delivery's), so a retry within
the hour gets the first status back instead of a second one, and two deliveries of the same words are two
statuses. Called without one (a script, a test), the key is derived from what a retry sends again: the
account, the status answered, the visibility, the final text and the images' bytes.

After the hour the instance has forgotten the key: a retry would post again. That is why the delivery
engine never retries an unclear send blindly: it first reads back (`find_reply` reads the thread through
`/context`, `find_post` the account's statuses) and sends again only when our status is not there, so
the key covers the hour in which a read-back might miss a status not yet indexed, and the read-back covers
everything after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from django.utils.translation import gettext_lazy

from core.http import send_idempotent
from networks.providers import limits, mastodon_auth
from networks.providers import mastodon_items as items_
from networks.providers import mastodon_wire as wire
from networks.providers.base import (
    Account,
    Ambiguous,
    Capability,
    CommentState,
    Connectable,
    ConnectStyle,
    Consent,
    EngagementItem,
    Invalid,
    ItemKind,
    ListedPost,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    PollResult,
    Provider,
    PublishResult,
    RegisteredApp,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    Transient,
    oldest_match,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, json_or_empty, raise_if, transport_error, utcnow

if TYPE_CHECKING:
    from networks.providers.streaming import StreamSource, StreamTarget

log = logging.getLogger(__name__)

PAGE = 40  # notifications: default 40, max 80; conversations: max 40
MAX_PAGES_PER_RUN = 25
MAX_DM_PAGES = 5
MAX_FIND_PAGES = 10
ROOTS_KEPT = 1000
LIMITS_EVERY = dt.timedelta(days=1)
MEDIA_WAIT = 60.0  # seconds an image may take to process before the publish is retried later
NOTIFICATION_TYPES = ("mention", "update")
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
# configuration.media_attachments of GET /api/v2/instance (https://docs.joinmastodon.org/entities/Instance/):
# image_size_limit 16 MB and image_matrix_limit 33,177,600 pixels by default; the instance downsizes
# larger pictures itself, so 3,840 px wide (4K) is the widest rendition worth sending.
IMAGE_RULES = limits.ImageRules(
    formats=IMAGE_FORMATS,
    max_bytes=wire.DEFAULT_IMAGE_SIZE_LIMIT,
    max_pixels=wire.DEFAULT_IMAGE_MATRIX_LIMIT,
)
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.-]+(?:@[\w.-]+)?\s+)+")


class MastodonProvider(Provider):
    network = Network.MASTODON
    connect_style: ClassVar[ConnectStyle] = ConnectStyle.SERVER_OAUTH
    #: Any instance may be connected: an https address is enough (networks.registry.allowed_url).
    any_server: ClassVar[bool] = True
    image_rules = IMAGE_RULES
    image_max_width = 3840
    capabilities = frozenset({Capability.DIRECT_MESSAGES, Capability.DELETE_OWN, Capability.BLOCK})
    counting_words = gettext_lazy(
        "%(network)s counts every link as 23 characters, and a mention of someone on another server "
        "(@name@server) as @name only."
    )
    text_limits = {TextKind.POST: TextLimit(wire.DEFAULT_MAX_CHARACTERS, weighted=True)}

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        lookback: dt.timedelta = dt.timedelta(days=14),
        clock: Clock = utcnow,
        get_attempts: int = 2,
        media_poll_seconds: float = 0.5,
    ):
        super().__init__(account, http=http)
        self.lookback = lookback
        self.clock = clock
        self.get_attempts = get_attempts
        self.media_poll_seconds = media_poll_seconds
        # Thread roots already read, by parent status: a stream's provider lives as long as its
        # connection, so the oldest are forgotten past ROOTS_KEPT.
        self._roots: OrderedDict[str, tuple[str, dict[str, Any] | None]] = OrderedDict()

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> MastodonProvider:
        return cls(account, http=http, lookback=setup.lookback)

    @property
    def base_url(self) -> str:
        return mastodon_auth.server_origin(self.account.api_base_url)

    @property
    def account_id(self) -> str:
        """Our account's id on its instance (the channel keeps it qualified, "<id>@<host>")."""
        return self.local_id(self.account.external_id)

    def local_id(self, value: str) -> str:
        """The instance's id of an account CM Hub stores qualified (ours, an author's), for the API."""
        return mastodon_auth.local_id(value, self.account.api_base_url)

    # --- connect -------------------------------------------------------------------------------------

    @classmethod
    def register_app(
        cls,
        *,
        http: httpx.Client,
        server_url: str,
        redirect_uri: str,
        scopes: Sequence[str],
        client_name: str,
        website: str,
    ) -> RegisteredApp:
        return mastodon_auth.register_app(
            http,
            server_url=server_url,
            redirect_uri=redirect_uri,
            scopes=scopes,
            client_name=client_name,
            website=website,
        )

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        return mastodon_auth.consent(app, redirect_uri=redirect_uri, state=state, scopes=scopes)

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        return mastodon_auth.connectable(http, app, code=code, redirect_uri=redirect_uri, verifier=verifier)

    @classmethod
    def stream_sources(cls, targets: Sequence[StreamTarget]) -> list[StreamSource]:
        from networks.providers.mastodon_stream import MastodonStream

        return [MastodonStream(target) for target in targets]

    # --- limits --------------------------------------------------------------------------------------

    @classmethod
    def text_limit(cls, kind: TextKind = TextKind.POST, *, server_limits: Any = None) -> TextLimit:
        limit = (server_limits or {}).get("max_characters")
        ok = isinstance(limit, int) and not isinstance(limit, bool) and limit > 0
        return TextLimit(
            limit if ok and isinstance(limit, int) else wire.DEFAULT_MAX_CHARACTERS, weighted=True
        )

    @classmethod
    def text_length(cls, text: str) -> int:
        return wire.text_length(text)

    def _url_length(self) -> int:
        value = self.account.server_limits.get("characters_reserved_per_url")
        return value if isinstance(value, int) and 0 < value < 1000 else wire.DEFAULT_URL_LENGTH

    def validate_text(self, text: str) -> list[str]:
        limit = self.text_limit(server_limits=self.account.server_limits).max_length
        length = wire.text_length(text, url_length=self._url_length())
        if length > limit:
            return [f"The text has {length:,} characters; this Mastodon server allows {limit:,}."]
        return []

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        server = self.account.server_limits
        size = server.get("image_size_limit")
        count = server.get("max_media_attachments")
        rules = limits.ImageRules(
            formats=IMAGE_FORMATS,
            max_bytes=size if isinstance(size, int) and size > 0 else wire.DEFAULT_IMAGE_SIZE_LIMIT,
            max_pixels=wire.DEFAULT_IMAGE_MATRIX_LIMIT,
        )
        max_count = count if isinstance(count, int) and count > 0 else wire.DEFAULT_MAX_MEDIA
        return limits.check_images(media, rules, max_count=max_count, network="this Mastodon server")

    # --- polling -------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        cursor = cursor if isinstance(cursor, dict) else {}
        now = self.clock()
        found_dm = cursor.get("dm")
        dm_part: dict[str, Any] = found_dm if isinstance(found_dm, dict) else {}
        try:
            dms, dm_cursor, dm_skipped, dm_more = self._poll_conversations(dm_part, now=now)
        except (Transient, NotFound, PermissionMissing, Invalid) as exc:
            # Mentions still come in: the direct messages are read from the same mark next time. (A rate
            # limit is the account's, every endpoint's: it stops the poll, the engine waits for the reset.)
            log.warning("mastodon: direct messages not read this time: %s", exc)
            dms, dm_cursor, dm_skipped, dm_more = [], dm_part, 0, False
        found, edits, min_id, more, skipped = self._poll_notifications(
            wire.status_id(cursor.get("min_id")), max(max_items - len(dms), 1), now=now
        )
        next_cursor: dict[str, Any] = {}
        if min_id:
            next_cursor["min_id"] = min_id
        if dm_cursor:
            next_cursor["dm"] = dm_cursor
        server_limits = None
        read_at = wire.optional_time(cursor.get("limits_read_at"))
        if read_at is None or now - read_at >= LIMITS_EVERY:
            try:
                server_limits = mastodon_auth.limits_from_instance(
                    json_object(self._call("GET", "/api/v2/instance"), "Mastodon"), now=now
                )
                read_at = now
            except Transient as exc:
                log.info("mastodon: instance limits not read this time: %s", exc)
        if read_at is not None:
            next_cursor["limits_read_at"] = read_at.isoformat()
        return PollResult(
            items=dms + found,
            cursor=next_cursor,
            has_more=more or dm_more,
            skipped=skipped + dm_skipped,
            reread=tuple(edits),
            server_limits=server_limits,
        )

    def _notifications_page(self, params: dict[str, str]) -> tuple[list[Any], dict[str, dict[str, str]]]:
        query: list[tuple[str, str]] = [("limit", str(PAGE)), *params.items()]
        query += [("types[]", kind) for kind in NOTIFICATION_TYPES]
        response = self._call("GET", "/api/v1/notifications", params=query)
        return _json_list(response, "notifications"), wire.link_params(response)

    def _poll_notifications(
        self, min_id: str | None, budget: int, *, now: dt.datetime
    ) -> tuple[list[EngagementItem], list[EngagementItem], str | None, bool, int]:
        found: list[EngagementItem] = []
        edits: list[EngagementItem] = []
        skipped = 0
        if min_id is None:
            # First run: newest first, back to the lookback; the newest id becomes the cursor.
            cutoff = now - self.lookback
            newest: str | None = None
            params: dict[str, str] = {}
            for _page in range(MAX_PAGES_PER_RUN):
                page, links = self._notifications_page(params)
                old = False
                for raw in page:
                    newest = wire.newer(
                        newest, wire.status_id(raw.get("id")) if isinstance(raw, dict) else None
                    )
                    if isinstance(raw, dict) and items_.is_older(raw, cutoff):
                        old = True
                        continue
                    skipped += self._take(raw, found, edits)
                older = links.get("next", {}).get("max_id")
                if old or not page or not older or len(found) >= budget:
                    break
                params = {"max_id": older}
            return _oldest_first(found), edits, newest, False, skipped
        cursor: str = min_id
        for _page in range(MAX_PAGES_PER_RUN):
            if len(found) >= budget:
                return _oldest_first(found), edits, cursor, True, skipped
            page, links = self._notifications_page({"min_id": cursor})
            if not page:
                break
            for raw in page:
                # A malformed notification still moves the cursor: it must not be read again and again.
                cursor = (
                    wire.newer(cursor, wire.status_id(raw.get("id")) if isinstance(raw, dict) else None)
                    or cursor
                )
                skipped += self._take(raw, found, edits)
            cursor = wire.newer(cursor, wire.status_id(links.get("prev", {}).get("min_id"))) or cursor
            if len(page) < PAGE:
                break
        else:
            return _oldest_first(found), edits, cursor, True, skipped
        return _oldest_first(found), edits, cursor, False, skipped

    def _take(self, raw: Any, found: list[EngagementItem], edits: list[EngagementItem]) -> int:
        """File one notification; 1 when it was malformed (logged and skipped), else 0."""
        try:
            kind = raw["type"]
            if kind not in NOTIFICATION_TYPES:
                return 0  # asked for with types[], but an instance may send others (a favourite...)
            status = raw.get("status")
            if not isinstance(status, dict):
                raise TypeError("status is not an object")
            if status.get("visibility") == "direct":
                return 0  # a direct message: read with its conversation (_poll_conversations)
            if kind == "update":
                if items_.mentions_us(status, self.account_id):
                    edits.append(self.mention_item(status))
                return 0
            found.append(self.mention_item(status))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            note = raw.get("id") if isinstance(raw, dict) else "?"
            log.warning("mastodon: skipped a malformed notification (id=%s): %s", note, exc)
            return 1
        return 0

    def mention_item(self, status: dict[str, Any]) -> EngagementItem:
        """A public mention (or a reply to us), filed under the first status of its thread."""
        root, root_status = self._thread_root(status)
        return items_.status_item(
            status,
            account_id=self.account_id,
            server=self.account.api_base_url,
            kind=ItemKind.MENTION,
            thread_root=root,
            root_status=root_status,
        )

    def _thread_root(self, status: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """The first status of the thread `status` belongs to (its own id when it answers nothing), so
        every reply in a thread lands in one conversation. Read through /context; a parent that is gone
        or hidden makes the parent the root."""
        own = wire.require_id(status.get("id"), "id")
        parent = wire.status_id(status.get("in_reply_to_id"))
        if parent is None:
            return own, status
        if parent in self._roots:
            self._roots.move_to_end(parent)
            return self._roots[parent]
        try:
            context = json_object(self._call("GET", f"/api/v1/statuses/{own}/context"), "Mastodon")
        except NotFound:
            return parent, None
        ancestors = [a for a in context.get("ancestors") or [] if isinstance(a, dict)]
        first = ancestors[0] if ancestors else None
        root = wire.status_id(first.get("id")) if first else None
        answer = (root, first) if root else (parent, None)
        self._roots[parent] = answer
        while len(self._roots) > ROOTS_KEPT:
            self._roots.popitem(last=False)
        return answer

    def _poll_conversations(
        self, cursor: dict[str, Any], *, now: dt.datetime
    ) -> tuple[list[EngagementItem], dict[str, Any], int, bool]:
        """The changed conversations, newest first, down to the mark; (items, cursor, skipped, more).

        A walk cut by MAX_DM_PAGES keeps the old mark (what lies below the last page read is not read
        yet) and resumes below that page next time (`resume`, with `top` the newest seen); a walk that
        reaches the mark moves it to `top`. While cut, and for one more walk from the top after, the
        statuses older than the OLD mark only are left out (`floor`): a conversation not yet reached that
        moved to the top meanwhile is read whole."""
        mark = wire.status_id(cursor.get("mark"))
        floor = wire.status_id(cursor.get("floor")) or mark
        resume = wire.status_id(cursor.get("resume"))
        cutoff = None if mark else now - self.lookback
        newest = wire.newer(mark, wire.status_id(cursor.get("top")) if resume else None)
        found: list[EngagementItem] = []
        skipped = 0
        params: dict[str, str] = {"limit": str(PAGE), **({"max_id": resume} if resume else {})}
        reached = False
        older: str | None = None
        for _page in range(MAX_DM_PAGES):
            response = self._call("GET", "/api/v1/conversations", params=params)
            page = _json_list(response, "conversations")
            for conversation in page:
                try:
                    last = conversation["last_status"]
                    last_id = wire.require_id(last["id"], "last_status.id")
                    conversation_id = str(conversation["id"])
                except (KeyError, TypeError, ValueError) as exc:
                    skipped += 1
                    log.warning("mastodon: skipped a malformed conversation: %s", exc)
                    continue
                if (mark and not wire.is_newer(last_id, mark)) or items_.is_older(last, cutoff):
                    reached = True
                    break
                newest = wire.newer(newest, last_id)
                try:
                    thread, bad = self._conversation_thread(conversation_id, last, mark=floor, cutoff=cutoff)
                except (NotFound, PermissionMissing) as exc:
                    # Its statuses are gone or hidden (an author suspended, a server defederated): one
                    # conversation must not stop every other one, nor the mentions.
                    log.warning("mastodon: skipped conversation %s: %s", conversation_id, exc)
                    skipped += 1
                    continue
                found += thread
                skipped += bad
            older = wire.status_id(wire.link_params(response).get("next", {}).get("max_id"))
            if reached or not page or not older:
                reached = True
                break
            params = {"limit": str(PAGE), "max_id": older}
        unique = _oldest_first(list({item.external_id: item for item in found}.values()))
        if not reached and older:  # cut short: the mark stays, the next run goes on below this page
            kept = {"mark": mark, "floor": floor, "resume": older, "top": newest}
            return unique, {k: v for k, v in kept.items() if v}, skipped, True
        done = {"mark": newest, "floor": floor if resume and floor != newest else None}
        return unique, {k: v for k, v in done.items() if v}, skipped, False

    def _conversation_thread(
        self, conversation_id: str, last: dict[str, Any], *, mark: str | None, cutoff: dt.datetime | None
    ) -> tuple[list[EngagementItem], int]:
        # The context of the last status holds its ancestors and its own replies only: a sibling (two
        # answers to one status) is in neither. The root's descendants are the whole conversation.
        context = json_object(self._call("GET", f"/api/v1/statuses/{last['id']}/context"), "Mastodon")
        ancestors = [a for a in context.get("ancestors") or [] if isinstance(a, dict)]
        root_id = wire.status_id(ancestors[0].get("id")) if ancestors else None
        statuses = [*ancestors, last, *(context.get("descendants") or [])]
        if root_id:
            tree = json_object(self._call("GET", f"/api/v1/statuses/{root_id}/context"), "Mastodon")
            statuses = [ancestors[0], *(tree.get("descendants") or []), last]
        found: list[EngagementItem] = []
        skipped = 0
        for status in statuses:
            try:
                if not isinstance(status, dict) or status.get("visibility") != "direct":
                    continue
                status_id = wire.require_id(status.get("id"), "id")
                if (mark and not wire.is_newer(status_id, mark)) or items_.is_older(status, cutoff):
                    continue
                found.append(
                    items_.status_item(
                        status,
                        account_id=self.account_id,
                        server=self.account.api_base_url,
                        kind=ItemKind.DIRECT_MESSAGE,
                        thread_root=f"conversation:{conversation_id}",
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skipped += 1
                log.warning("mastodon: skipped a malformed direct message: %s", exc)
        return found, skipped

    # --- writing -------------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        """Answer a status, keeping its visibility (a direct message stays direct, followers-only stays
        followers-only), addressed to its author (and, for direct and followers-only, to everyone it
        addressed): remote accounts as @user@instance, as `acct` gives them."""
        raise_if(limits.check_not_blank(text))
        parent = json_object(self._call("GET", f"/api/v1/statuses/{target.external_id}"), "Mastodon")
        visibility = str(parent.get("visibility") or "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            visibility = "unlisted"
        words = addressed(
            text, parent, account_id=self.account_id, everyone=visibility in ("private", "direct")
        )
        raise_if(self.validate_text(words))
        body = {"status": words, "in_reply_to_id": target.external_id, "visibility": visibility}
        key = delivery_key or idempotency_key(self.account_id, target.external_id, visibility, words)
        return self._create_status(body, key)

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        raise_if(self.validate_text(text) + self.validate_media(media))
        if not media:
            raise_if(limits.check_not_blank(text))
        digests = [hashlib.sha256(item.content).hexdigest() for item in media]
        body: dict[str, Any] = {"status": text, "visibility": "public"}
        if media:
            body["media_ids"] = [self._upload(item) for item in media]
        key = delivery_key or idempotency_key(self.account_id, "", "public", text, *digests)
        return self._create_status(body, key)

    def _create_status(self, body: dict[str, Any], key: str) -> PublishResult:
        response = self._call(
            "POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": key}, may_apply=True
        )
        status = json_or_empty(response)
        status_id = wire.status_id(status.get("id"))
        if not status_id:
            raise Ambiguous("The Mastodon server accepted the status but sent no id; check the account.")
        permalink = status.get("url") if isinstance(status.get("url"), str) else ""
        return PublishResult(
            external_id=status_id,
            permalink=permalink or "",
            raw={"visibility": str(status.get("visibility") or ""), "idempotency_key": key},
        )

    def _upload(self, item: MediaFile) -> str:
        """POST /api/v2/media: 200 when processed, 202 while processing, then GET /api/v1/media/:id answers
        206 until it is ready (https://docs.joinmastodon.org/methods/media/#v2). An upload that may have
        landed only leaves an unused attachment behind: safe to try again."""
        info = limits.inspect_image(item.content)
        mime = info.mime if info else item.content_type
        data = {"description": item.alt_text} if item.alt_text else {}
        response = self._call(
            "POST", "/api/v2/media", files={"file": ("image", item.content, mime)}, data=data
        )
        media_id = wire.status_id(json_or_empty(response).get("id"))
        if not media_id:
            raise Transient("The Mastodon server accepted the image but sent no id.")
        if response.status_code == 200:
            return media_id
        deadline = time.monotonic() + MEDIA_WAIT
        while time.monotonic() < deadline:
            time.sleep(self.media_poll_seconds)
            check = self._call("GET", f"/api/v1/media/{media_id}")
            if check.status_code == 200 and json_or_empty(check).get("url"):
                return media_id
        raise Transient("The Mastodon server is still processing the image; the post will be tried again.")

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        context = json_object(self._call("GET", f"/api/v1/statuses/{target.external_id}/context"), "Mastodon")
        ours = [
            status
            for status in context.get("descendants") or []
            if isinstance(status, dict)
            and str((status.get("account") or {}).get("id") or "") == self.account_id
            and str(status.get("in_reply_to_id") or "") == target.external_id
        ]
        return oldest_match(_listed(ours), text=_comparable(text), since=since, exclude=exclude)

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        listed: list[dict[str, Any]] = []
        params = {"limit": str(PAGE), "exclude_replies": "true", "exclude_reblogs": "true"}
        path = f"/api/v1/accounts/{self.account_id}/statuses"
        for _page in range(MAX_FIND_PAGES):
            response = self._call("GET", path, params=params)
            page = [s for s in _json_list(response, "statuses") if isinstance(s, dict)]
            listed += page
            older = wire.link_params(response).get("next", {}).get("max_id")
            if not page or not older or items_.is_older(page[-1], since):
                break
            params = {**params, "max_id": older}
        return oldest_match(_listed(listed), text=_comparable(text), since=since, exclude=exclude)

    # --- moderation ----------------------------------------------------------------------------------

    def delete_comment(self, *, comment_id: str) -> None:
        """Delete one of our own statuses (Capability.DELETE_OWN; the instance refuses others')."""
        self._call("DELETE", f"/api/v1/statuses/{comment_id}")

    def comment_state(self, *, comment_id: str) -> CommentState:
        try:
            self._call("GET", f"/api/v1/statuses/{comment_id}")
        except NotFound:
            return CommentState(exists=False)
        return CommentState(exists=True)

    def mute_account(self, *, account_id: str, muted: bool = True) -> None:
        """Mute (or unmute) an author: their statuses and notifications no longer reach the account
        (https://docs.joinmastodon.org/methods/accounts/#mute). Scope write:mutes. Repeating it is
        harmless."""
        self._call("POST", f"/api/v1/accounts/{self.local_id(account_id)}/{'mute' if muted else 'unmute'}")

    def block_author(self, *, author_id: str, comment_id: str = "") -> None:
        """Capability.BLOCK, from the inbox: blocking an account already blocked is no error."""
        self.block_account(account_id=author_id)

    def block_account(self, *, account_id: str, blocked: bool = True) -> None:
        """Block (or unblock) an author (https://docs.joinmastodon.org/methods/accounts/#block). Scope
        write:blocks. Repeating it is harmless."""
        action = "block" if blocked else "unblock"
        self._call("POST", f"/api/v1/accounts/{self.local_id(account_id)}/{action}")

    # --- plumbing ------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, may_apply: bool = False, **kwargs: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        headers = {
            "Authorization": f"Bearer {self.account.credentials.access_token}",
            **kwargs.pop("headers", {}),
        }
        try:
            if method in ("GET", "DELETE"):
                response = send_idempotent(
                    self.http, method, url, headers=headers, attempts=self.get_attempts, **kwargs
                )
            else:
                response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error("Mastodon", exc, may_apply=may_apply) from exc
        self.rate_limit = wire.rate_limit_state(response, now=self.clock()) or self.rate_limit
        if response.status_code >= 400:
            error = wire.status_error(response, self.clock)
            if may_apply and response.status_code >= 500:
                # A 5xx to a write does not say the status was not created (a proxy timing out while the
                # instance goes on): the engine reads back before sending again, whenever that is, as
                # the Idempotency-Key is forgotten after an hour.
                raise Ambiguous(
                    "The Mastodon server answered with an error; the status may have been created.",
                    network_message=error.network_message,
                    status=response.status_code,
                ) from error
            raise error
        return response


def idempotency_key(account_id: str, *parts: str) -> str:
    """The same key for the same write, whoever retries it (see the module's docstring)."""
    digest = hashlib.sha256("\x1f".join(("cmhub-mastodon", account_id, *parts)).encode()).hexdigest()
    return f"cmhub-{digest[:40]}"


def addressed(text: str, parent: dict[str, Any], *, account_id: str, everyone: bool) -> str:
    """`text` led by the @acct of whom it answers, unless the text already names them."""
    wanted: list[str] = []
    found = parent.get("account")
    author: dict[str, Any] = found if isinstance(found, dict) else {}
    if str(author.get("id") or "") != account_id and author.get("acct"):
        wanted.append(str(author["acct"]))
    if everyone:
        for mention in parent.get("mentions") or []:
            if (
                isinstance(mention, dict)
                and str(mention.get("id") or "") != account_id
                and mention.get("acct")
            ):
                wanted.append(str(mention["acct"]))
    present = {m.lower() for m in re.findall(r"@([\w.-]+(?:@[\w.-]+)?)", text)}
    missing = [acct for acct in dict.fromkeys(wanted) if acct.lower() not in present]
    return f"{' '.join('@' + acct for acct in missing)} {text}" if missing else text


def _comparable(text: str) -> str:
    """A status's words whatever mentions lead it: what we sent and what the instance shows agree on it."""
    return _LEADING_MENTIONS.sub("", reply_text_key(text))


def _listed(statuses: list[dict[str, Any]]) -> list[ListedPost]:
    listed = []
    for status in statuses:
        try:
            listed.append(
                ListedPost(
                    external_id=wire.require_id(status.get("id"), "id"),
                    created_at=wire.parse_time(status.get("created_at")),
                    text=_comparable(wire.plain_text(str(status.get("content") or ""))),
                    permalink=str(status.get("url") or ""),
                )
            )
        except (TypeError, ValueError) as exc:
            log.warning("mastodon: skipped an unreadable status of ours: %s", exc)
    listed.sort(key=lambda post: post.created_at, reverse=True)  # oldest_match reads newest first
    return listed


def _json_list(response: httpx.Response, what: str) -> list[Any]:
    """A listing's body; garbage from the instance is a passing fault, not our bug."""
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(f"The Mastodon server sent {what} that are not JSON.") from exc
    if not isinstance(body, list):
        raise Transient(f"The Mastodon server sent {what} that are not a list.")
    return body


def _oldest_first(found: list[EngagementItem]) -> list[EngagementItem]:
    return sorted(found, key=lambda item: wire.id_order(item.external_id))
