"""YouTube (Data API v3): comments on the channel's videos in, replies and moderation out.

Connect: Google sign-in (`google_auth`, scope youtube.force-ssl, offline access so a refresh token comes),
then `channels.list?mine=true&part=snippet`: the channel of the Google account or brand account the person
chose on Google's consent screen; each channel listed is one Connectable. Tokens live about an hour and
are renewed with the refresh token (registry: refreshable).

Read, each poll (the whole poll is paid from the project's daily quota, see networks.quota):
- `commentThreads.list?allThreadsRelatedToChannelId=…&order=time&part=snippet,replies&maxResults=100`,
  newest first with no "since": the walk pages back until a thread's top-level comment is older than the
  stored mark less OVERLAP (what the overlap reads again is one message already, by the unique
  constraint). The channel-wide listing covers every video of the channel for 1 unit a page, whatever the
  number of videos: listing per video (`videoId`) would cost 1 unit per video per poll and find nothing
  more, so CM Hub does not, recent uploads included.
- Replies: a thread carries a few replies inline; when `totalReplyCount` says there are more (or more than
  the cursor counted), `comments.list?parentId=` pages through all of them.
- Threads whose top-level comment is older than the mark are not in the walk any more, while replies under
  them may still come: the WATCHED most recent threads are read again every REREAD_EVERY by id (up to 50
  ids for 1 unit), which finds their new replies and their edits (`updatedAt` moved: PollResult.reread).
- Held comments: `moderationStatus=heldForReview` and `=likelySpam` (owner only), first page each; they
  come with EngagementItem.held, so they are stored hidden and can be approved. A comment the cursor knew
  as held and that left those listings is read again by id: published (stored hidden follows), or rejected
  and gone (marked deleted).
- Text: `textOriginal` is returned to the comment's author only, so the words are usually `textDisplay`
  (HTML) made plain by youtube_wire.plain_text.

Write: `comments.insert` (`snippet.parentId`, `snippet.textOriginal`): a reply to a reply goes under the
top-level comment (YouTube threads one level deep). YouTube takes no idempotency key: an unclear insert is
Ambiguous and settled by `find_reply`, which reads the thread's replies back.

Moderate: `comments.setModerationStatus` (204): heldForReview hides (Capability.HIDE), published approves
(shows again), rejected removes another person's comment (Capability.DELETE), with `banAuthor=true` to
block its author (Capability.BLOCK). Our own comments are deleted with `comments.delete`.
`comment_state` reads a comment back by id (its `moderationStatus`, to the owner) to settle an unclear step.

Cursor: {"mark": T, "walk"?: pageToken, "pending"?: T, "counts": {thread: replies}, "watch": [threads],
"reread_at": T, "held": [comment ids]}.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable
from typing import Any

import httpx
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.http import send_idempotent
from networks.providers import google_auth, limits
from networks.providers import youtube_wire as wire
from networks.providers.base import (
    Account,
    Ambiguous,
    Author,
    Capability,
    CommentState,
    Connectable,
    Credentials,
    EngagementItem,
    Invalid,
    ItemKind,
    MediaFile,
    ModerationWords,
    Network,
    NotFound,
    OAuthApp,
    PollResult,
    PublishResult,
    QuotaMeter,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, json_or_empty, raise_if, transport_error, utcnow

log = logging.getLogger(__name__)

DEFAULT_SCOPES = (wire.SCOPE,)
PAGE = 100  # maxResults 1..100
MAX_PAGES_PER_RUN = 10
REPLY_PAGES = 5  # comments.list pages per thread in one run (500 replies)
HELD_LISTINGS = ("heldForReview", "likelySpam")
#: Read again below the mark, for comments YouTube indexed a little after their publishedAt.
OVERLAP = dt.timedelta(minutes=5)
WATCHED = 50  # commentThreads.list takes up to 50 ids for one unit
REREAD_EVERY = dt.timedelta(minutes=10)
HELD_KEPT = 100
SEEN_KEPT = 200
FIND_PAGES = 5


class YouTubeProvider(google_auth.GoogleProvider):
    google_scopes = DEFAULT_SCOPES
    network = Network.YOUTUBE
    capabilities = frozenset({Capability.HIDE, Capability.DELETE, Capability.BLOCK})
    supports_text_posts = False
    supports_image_posts = False
    no_posts_words = gettext_lazy(
        "%(network)s does not let other apps publish: its API uploads videos and answers comments, it "
        "has no community posts. Post on %(network)s itself; CM Hub answers the comments."
    )
    # A poll spends units of a quota the whole deployment shares: few at once.
    poll_concurrency = 2
    text_limits = {TextKind.POST: TextLimit(wire.MAX_COMMENT_CHARS)}
    moderation_words = ModerationWords(
        # YouTube Studio's own words (its French says "Approuver", not the composer's "Valider").
        hide=pgettext_lazy("YouTube moderation", "Hold for review"),
        unhide=pgettext_lazy("YouTube moderation", "Approve"),
        hidden=pgettext_lazy("YouTube moderation", "Held for review"),
        hiding=gettext_lazy("Holding it for review on %(network)s…"),
        unhiding=gettext_lazy("Approving it on %(network)s…"),
        hid=pgettext_lazy("YouTube moderation", "Held for review"),
        unhid=pgettext_lazy("YouTube moderation", "Approved"),
        already_hidden=gettext_lazy("This comment is already held for review."),
        not_hidden=gettext_lazy("This comment is already approved."),
    )

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        app: OAuthApp | None = None,
        lookback: dt.timedelta = dt.timedelta(days=14),
        clock: Clock = utcnow,
        quota: QuotaMeter | None = None,
        page_size: int = PAGE,
    ):
        super().__init__(account, http=http)
        self.app = app
        self.lookback = lookback
        self.clock = clock
        self.quota = quota
        self.page_size = max(1, min(page_size, PAGE))

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> YouTubeProvider:
        app = OAuthApp(setup.client_id, setup.client_secret, account.api_base_url, setup.oauth_base_url)
        return cls(account, http=http, app=app, lookback=setup.lookback, quota=setup.quota)

    # --- connecting ----------------------------------------------------------------------------------

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        credentials = cls.signed_in(app, http=http, code=code, redirect_uri=redirect_uri, verifier=verifier)
        account = Account(Network.YOUTUBE, "", app.api_base_url, credentials)
        return cls(account, http=http, app=app).my_channels(credentials)

    def my_channels(self, credentials: Credentials) -> list[Connectable]:
        body = self._get("channels", {"part": "snippet", "mine": "true", "maxResults": 50})
        found = []
        for channel in wire.items(body.get("items")):
            channel_id = wire.optional_id(channel.get("id"))
            snippet = wire.obj(channel.get("snippet"))
            if not channel_id:
                continue
            title = wire.text(snippet.get("title")) or channel_id
            handle = wire.text(snippet.get("customUrl")).lstrip("@")
            thumbs = wire.obj(snippet.get("thumbnails"))
            avatar = wire.text(wire.obj(thumbs.get("default")).get("url"))
            found.append(
                Connectable(Network.YOUTUBE, channel_id, title, credentials, handle=handle, avatar_url=avatar)
            )
        if not found:
            raise Invalid(
                "This Google account has no YouTube channel. Create one on YouTube (or choose the brand "
                "account that owns it on Google's screen), then connect again."
            )
        return found

    # --- polling -------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        cursor = cursor if isinstance(cursor, dict) else {}
        if self.quota is not None:
            self.quota.poll_started()
        now = self.clock()
        state = _State.read(cursor, floor=now - self.lookback)
        found: dict[str, EngagementItem] = {}
        skipped = 0
        more, skipped = self._walk(state, found, max_items=max_items)
        reread: dict[str, EngagementItem] = {}
        gone: list[str] = []
        if not more:
            skipped += self._held(state, found, reread, gone)
            if state.reread_at is None or now - state.reread_at >= REREAD_EVERY:
                skipped += self._reread_watched(state, reread)
                state.reread_at = now
        # What the overlap below the mark and the held listings bring again was delivered before: read
        # again (its words and moderation status fold into the message), not fetched anew.
        for key in [key for key in found if key in state.seen]:
            reread.setdefault(key, found.pop(key))
        state.remember(found.values(), reread.values())
        fresh = sorted(found.values(), key=lambda item: item.created_at)
        again = tuple(reread.values())
        return PollResult(fresh, state.dump(), has_more=more, skipped=skipped, reread=again, gone=tuple(gone))

    def _walk(self, state: _State, found: dict[str, EngagementItem], *, max_items: int) -> tuple[bool, int]:
        """New threads, newest first, back to the mark; True when the run's budget stopped it."""
        stop_at = state.mark - OVERLAP
        skipped = pages = 0
        while True:
            if pages >= MAX_PAGES_PER_RUN or (pages and len(found) >= max_items):
                return True, skipped
            params = self._thread_params()
            params["allThreadsRelatedToChannelId"] = self.account.external_id
            if state.walk:
                params["pageToken"] = state.walk
            body = self._get("commentThreads", params)
            pages += 1
            reached = False
            for thread in wire.items(body.get("items")):
                try:
                    top = _top_level(thread)
                    published = wire.parse_time(top["snippet"]["publishedAt"])
                except (KeyError, TypeError, ValueError) as exc:
                    skipped += 1
                    log.warning("youtube: skipped a thread without a readable top-level comment: %s", exc)
                    continue
                if published > self.clock() + wire.MAX_AHEAD:
                    skipped += 1
                    log.warning("youtube: skipped a thread dated in the future: %s", published)
                    continue
                if published < stop_at:
                    reached = True
                    continue
                state.newest = max(state.newest, published)
                skipped += self._thread_items(thread, state, found, listing="published")
                state.watch_thread(str(thread.get("id") or top.get("id")), published)
            state.walk = wire.page_token(body.get("nextPageToken"))
            if reached or not state.walk:
                state.walk = ""
                state.mark = state.newest
                return False, skipped

    def _thread_params(self) -> dict[str, Any]:
        return {
            "part": "snippet,replies",
            "order": "time",
            "maxResults": self.page_size,
            "textFormat": "html",
        }

    def _thread_items(
        self, thread: dict[str, Any], state: _State, into: dict[str, EngagementItem], *, listing: str
    ) -> int:
        """The thread's top-level comment and its replies (all of them when the inline ones are not all),
        added to `into`; returns how many were skipped."""
        skipped = 0
        snippet = wire.obj(thread.get("snippet"))
        video_id = wire.optional_id(snippet.get("videoId"))
        try:
            top = self._item(_top_level(thread), video_id=video_id, root="", listing=listing)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("youtube: skipped a malformed comment: %s", exc)
            return 1
        into[top.external_id] = top
        inline = wire.items(wire.obj(thread.get("replies")).get("comments"))
        total = snippet.get("totalReplyCount")
        total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else 0
        known = state.counts.get(top.external_id, -1)
        replies = inline
        if total > len(inline) and total != known:
            replies = self._replies(top.external_id)
        for raw in replies:
            try:
                item = self._item(raw, video_id=video_id, root=top.external_id, listing=listing)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skipped += 1
                log.warning("youtube: skipped a malformed reply: %s", exc)
                continue
            into[item.external_id] = item
        state.counts[top.external_id] = total
        return skipped

    def _replies(self, parent_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token = ""
        for _page in range(REPLY_PAGES):
            params: dict[str, Any] = {
                "part": "snippet",
                "parentId": parent_id,
                "maxResults": self.page_size,
                "textFormat": "html",
            }
            if token:
                params["pageToken"] = token
            body = self._get("comments", params)
            out.extend(wire.items(body.get("items")))
            token = wire.page_token(body.get("nextPageToken"))
            if not token:
                break
        return out

    def _held(
        self,
        state: _State,
        found: dict[str, EngagementItem],
        reread: dict[str, EngagementItem],
        gone: list[str],
    ) -> int:
        """Comments held for review or likely spam (owner only), and what became of those held before."""
        skipped = 0
        held_now: dict[str, EngagementItem] = {}
        for status in HELD_LISTINGS:
            params = self._thread_params()
            params["allThreadsRelatedToChannelId"] = self.account.external_id
            params["moderationStatus"] = status
            body = self._get("commentThreads", params)
            for thread in wire.items(body.get("items")):
                skipped += self._thread_items(thread, state, held_now, listing=status)
        for key, item in held_now.items():
            if item.held:
                found.setdefault(key, item)
            else:
                # A published comment in a thread listed for another one's sake: read again, not new.
                reread.setdefault(key, item)
        still = {key for key, item in held_now.items() if item.held}
        left = [cid for cid in state.held if cid not in still][:WATCHED]
        if left:
            listed: dict[str, EngagementItem] = {}
            body = self._get("comments", {"part": "snippet", "id": ",".join(left), "textFormat": "html"})
            for raw in wire.items(body.get("items")):
                try:
                    item = self._item(raw, video_id="", root="", listing="")
                except (KeyError, TypeError, ValueError, AttributeError):
                    skipped += 1
                    continue
                listed[item.external_id] = item
            for cid in left:
                now_item = listed.get(cid)
                if now_item is None or now_item.raw.get("moderationStatus") == "rejected":
                    gone.append(cid)  # rejected on YouTube, or deleted by its author
                else:
                    reread[cid] = now_item
        state.held = sorted(still)[:HELD_KEPT]
        return skipped

    def _reread_watched(self, state: _State, reread: dict[str, EngagementItem]) -> int:
        ids = [tid for tid in state.watch if tid not in state.just_walked][:WATCHED]
        if not ids:
            return 0
        params = self._thread_params()
        del params["order"], params["maxResults"]  # neither goes with `id`
        params["id"] = ",".join(ids)
        body = self._get("commentThreads", params)
        skipped = 0
        for thread in wire.items(body.get("items")):
            skipped += self._thread_items(thread, state, reread, listing="published")
        return skipped

    def _item(self, raw: dict[str, Any], *, video_id: str, root: str, listing: str) -> EngagementItem:
        cid = wire.comment_id(raw["id"])
        snippet = raw["snippet"]
        if not isinstance(snippet, dict):
            raise ValueError("comment has no snippet")
        published = wire.parse_time(snippet["publishedAt"])
        try:
            updated = wire.parse_time(snippet.get("updatedAt"))
        except ValueError:
            updated = published
        parent = wire.optional_id(snippet.get("parentId"))
        root = root or parent
        video_id = video_id or wire.optional_id(snippet.get("videoId"))
        status = wire.status(snippet)
        known = bool(status) or listing == "published"
        author_id = wire.optional_id(wire.obj(snippet.get("authorChannelId")).get("value"))
        author = (
            Author(
                author_id,
                handle=wire.text(snippet.get("authorDisplayName")).lstrip("@"),
                name=wire.text(snippet.get("authorDisplayName")),
                avatar_url=wire.text(snippet.get("authorProfileImageUrl")),
                profile_url=wire.text(snippet.get("authorChannelUrl")),
            )
            if author_id
            else None
        )
        thread = root or cid
        return EngagementItem(
            network=Network.YOUTUBE,
            external_id=cid,
            kind=ItemKind.REPLY if root else ItemKind.COMMENT,
            text=wire.comment_text(snippet),
            created_at=min(published, self.clock() + wire.MAX_AHEAD),
            author=author,
            post_external_id=video_id or self.account.external_id,
            post_permalink=f"https://www.youtube.com/watch?v={video_id}" if video_id else "",
            parent_external_id=root,
            thread_root_external_id=thread,
            permalink=wire.permalink(video_id, cid),
            raw={"id": cid, "moderationStatus": status, "videoId": video_id},
            edited_at=updated if updated > published else None,
            held=status in wire.HELD_STATUSES,
            moderation_known=known,
        )

    # --- writing -------------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        raise_if(limits.check_not_blank(text) + self.validate_text(text))
        parent = _top_level_id(target)
        body = {"snippet": {"parentId": parent, "textOriginal": text}}
        response = self._call(
            "POST", "comments", params={"part": "snippet"}, json=body, write=True, may_apply=True
        )
        data = json_object(response, wire.NETWORK)
        cid = wire.optional_id(data.get("id"))
        if not cid:
            raise Ambiguous("YouTube accepted the reply but did not say its id; checking the thread.")
        video = wire.optional_id(wire.obj(data.get("snippet")).get("videoId"))
        return PublishResult(cid, permalink=wire.permalink(video, cid), raw={"id": cid, "parentId": parent})

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """Our reply with these words under the target's thread, published at or after `since` (the oldest
        such, when several): `textOriginal` comes back to us, its author."""
        wanted = reply_text_key(text)
        best: tuple[dt.datetime, PublishResult] | None = None
        parent = _top_level_id(target)
        for raw in self._replies(parent)[: FIND_PAGES * PAGE]:
            snippet = wire.obj(raw.get("snippet"))
            cid = wire.optional_id(raw.get("id"))
            author = wire.obj(snippet.get("authorChannelId")).get("value")
            if not cid or cid in exclude or author != self.account.external_id:
                continue
            if reply_text_key(wire.comment_text(snippet)) != wanted:
                continue
            try:
                published = wire.parse_time(snippet.get("publishedAt"))
            except ValueError:
                continue
            if published < since:
                continue
            if best is None or published < best[0]:
                video = wire.optional_id(snippet.get("videoId"))
                best = (published, PublishResult(cid, permalink=wire.permalink(video, cid), raw={"id": cid}))
        return best[1] if best else None

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        raise Invalid(str(self.no_posts_words) % {"network": wire.NETWORK})

    # --- moderation ----------------------------------------------------------------------------------

    def hide_comment(self, *, comment_id: str, hidden: bool) -> None:
        self._set_status(comment_id, "heldForReview" if hidden else "published")

    def delete_comment(self, *, comment_id: str) -> None:
        """Our own comment is deleted (comments.delete); another person's is rejected, which removes it
        from the public for good (comments.delete is for the author only)."""
        raw = self._comment(comment_id)
        if raw is None:
            raise NotFound("This comment no longer exists on YouTube.")
        author = wire.obj(wire.obj(raw.get("snippet")).get("authorChannelId")).get("value")
        if author == self.account.external_id:
            self._call("DELETE", "comments", params={"id": comment_id}, write=True, may_apply=True)
        else:
            self._set_status(comment_id, "rejected")

    def block_author(self, *, author_id: str, comment_id: str = "") -> None:
        """Ban the author from the channel: their comment is rejected with `banAuthor=true`, and YouTube
        rejects whatever they write next. Doing it twice is harmless."""
        if not comment_id:
            raise Invalid("YouTube bans a person through one of their comments; none was given.")
        if author_id and author_id == self.account.external_id:
            raise Invalid("A YouTube channel cannot ban itself.")
        self._set_status(comment_id, "rejected", ban=True)

    def comment_state(self, *, comment_id: str) -> CommentState:
        raw = self._comment(comment_id)
        if raw is None:
            return CommentState(exists=False)
        status = wire.status(wire.obj(raw.get("snippet")))
        if status == "rejected":
            return CommentState(exists=False)
        return CommentState(exists=True, hidden=(status in wire.HELD_STATUSES) if status else None)

    def _comment(self, comment_id: str) -> dict[str, Any] | None:
        wire.comment_id(comment_id)
        body = self._get("comments", {"part": "snippet", "id": comment_id, "textFormat": "html"})
        return next((c for c in wire.items(body.get("items")) if c.get("id") == comment_id), None)

    def _set_status(self, comment_id: str, status: str, *, ban: bool = False) -> None:
        try:
            wire.comment_id(comment_id)
        except ValueError as exc:
            raise Invalid("This is not a YouTube comment id.") from exc
        params = {"id": comment_id, "moderationStatus": status}
        if ban:
            params["banAuthor"] = "true"
        self._call("POST", "comments/setModerationStatus", params=params, write=True, may_apply=True)

    # --- limits --------------------------------------------------------------------------------------

    def validate_text(self, text: str) -> list[str]:
        return limits.check_text_length(text, max_chars=wire.MAX_COMMENT_CHARS, network=wire.NETWORK)

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return ["YouTube comments cannot carry images."] if media else []

    # --- plumbing ------------------------------------------------------------------------------------

    def _get(self, resource: str, params: dict[str, Any]) -> dict[str, Any]:
        return json_object(self._call("GET", resource, params=params), wire.NETWORK)

    def _call(
        self,
        method: str,
        resource: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        write: bool = False,
        may_apply: bool = False,
    ) -> httpx.Response:
        if self.quota is not None:
            # Paid before it leaves: Google counts every request, refused and failed ones included.
            self.quota.charge(wire.WRITE_COST if write else wire.LIST_COST, write=write)
        url = f"{self.account.api_base_url.rstrip('/')}/youtube/v3/{resource}"
        headers = {"Authorization": f"Bearer {self.account.credentials.access_token}"}
        try:
            if method == "GET":
                # One attempt: a second would be paid again from the quota; the next poll retries.
                response = send_idempotent(self.http, "GET", url, headers=headers, params=params, attempts=1)
            else:
                response = self.http.request(method, url, headers=headers, params=params, json=json)
        except httpx.TransportError as exc:
            raise transport_error(wire.NETWORK, exc, may_apply=may_apply and method != "GET") from exc
        if response.status_code >= 500 and may_apply and method != "GET":
            raise Ambiguous(
                f"YouTube answered {response.status_code} to a change; it may have been applied: "
                "checking before trying again."
            )
        if response.status_code == 403 and self.quota is not None:
            _message, _status, reasons = google_auth.error_reasons(json_or_empty(response))
            if reasons & wire.DAILY_QUOTA_REASONS:
                self.quota.exhausted()  # whatever the ledger counted, Google's word stops every channel
        google_auth.raise_for_google(
            response,
            network=wire.NETWORK,
            daily_quota_reset=lambda: wire.quota_resets_at(self.clock()),
            now=self.clock(),
        )
        return response


class _State:
    """The cursor, read defensively and written back."""

    def __init__(self) -> None:
        self.mark = self.newest = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.walk = ""
        self.counts: dict[str, int] = {}
        self.watch: list[str] = []
        self.watched_at: dict[str, dt.datetime] = {}
        self.just_walked: set[str] = set()
        self.reread_at: dt.datetime | None = None
        self.held: list[str] = []
        #: Ids delivered that a later poll may bring again: those within OVERLAP of the mark, and the
        #: held ones (listed at every poll until approved or rejected).
        self.seen: set[str] = set()

    @classmethod
    def read(cls, cursor: dict[str, Any], *, floor: dt.datetime) -> _State:
        state = cls()
        state.mark = _time_or(cursor.get("mark"), floor)
        state.walk = wire.page_token(cursor.get("walk"))
        state.newest = _time_or(cursor.get("pending"), state.mark) if state.walk else state.mark
        counts = wire.obj(cursor.get("counts"))
        state.counts = {
            k: v for k, v in counts.items() if wire.optional_id(k) and isinstance(v, int) and v >= 0
        }
        raw_watch = cursor.get("watch")
        state.watch = (
            [t for t in raw_watch if wire.optional_id(t)][:WATCHED] if isinstance(raw_watch, list) else []
        )
        reread = cursor.get("reread_at")
        state.reread_at = _time_or(reread, floor) if reread else None
        raw_held = cursor.get("held")
        state.held = (
            [c for c in raw_held if wire.optional_id(c)][:HELD_KEPT] if isinstance(raw_held, list) else []
        )
        raw_seen = cursor.get("seen")
        seen = [c for c in raw_seen if wire.optional_id(c)][:SEEN_KEPT] if isinstance(raw_seen, list) else []
        state.seen = set(seen) | set(state.held)
        return state

    def remember(self, *batches: Iterable[EngagementItem]) -> None:
        """Keep, for the next poll, the ids it may bring again: at the mark's edge, or held."""
        edge = self.mark - OVERLAP
        near = [item for batch in batches for item in batch if item.created_at >= edge]
        near.sort(key=lambda item: item.created_at, reverse=True)
        self.seen = {item.external_id for item in near[:SEEN_KEPT]} | set(self.held)

    def watch_thread(self, thread_id: str, published: dt.datetime) -> None:
        if not wire.optional_id(thread_id):
            return
        if thread_id in self.just_walked:
            return
        self.just_walked.add(thread_id)
        # The walk reads newest first: what it walks goes ahead of what was watched before, in its order.
        walked = [t for t in self.watch if t in self.just_walked and t != thread_id]
        older = [t for t in self.watch if t not in self.just_walked]
        self.watch = [*walked, thread_id, *older][:WATCHED]

    def dump(self) -> dict[str, Any]:
        watched = set(self.watch)
        out: dict[str, Any] = {
            "mark": wire.format_time(self.mark),
            "counts": {k: v for k, v in self.counts.items() if k in watched or k in self.held},
            "watch": self.watch,
            "held": self.held,
            "seen": sorted(self.seen - set(self.held)),
        }
        if self.reread_at is not None:
            out["reread_at"] = wire.format_time(self.reread_at)
        if self.walk:
            out["walk"] = self.walk
            out["pending"] = wire.format_time(self.newest)
        return out


def _top_level(thread: dict[str, Any]) -> dict[str, Any]:
    top = wire.obj(wire.obj(thread.get("snippet")).get("topLevelComment"))
    if not top:
        raise ValueError("thread has no top-level comment")
    return top


def _top_level_id(target: ReplyTarget) -> str:
    """A reply goes under the thread's top-level comment, whatever it answers (a reply to a reply too)."""
    for candidate in (target.thread_root_external_id, target.parent_external_id, target.external_id):
        cid = wire.optional_id(candidate)
        if cid:
            # A reply's id is "<top-level id>.<reply id>".
            return cid.split(".", 1)[0]
    raise Invalid("YouTube did not say which comment this answers.")


def _time_or(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return wire.parse_time(value)
    except (TypeError, ValueError):
        return default
