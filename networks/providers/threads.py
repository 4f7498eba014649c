"""Threads profiles through the Threads API (graph.threads.net, v1.0): replies to our posts and mentions of
us in the inbox, answers and posts published through the two-step container, replies hidden.

Poll: our recent posts (`GET /{user-id}/threads`, newest first, inside the watch window) that have
replies are read through `GET /{media-id}/conversation` (every reply at every depth, flattened,
`reverse=true`: newest first) down to the post's mark only; each nested reply is filed under the reply that
heads its branch (one conversation per reply to our post, as comments elsewhere), found through the parents
read now and those kept from earlier polls; posts older than the recent window are swept
(post_sweep). Mentions come from `GET /{user-id}/mentions`. Each stream keeps a time mark (graph_scan),
never a paging cursor. No direct messages: the Threads API has none.

Poll cursor: {"v": 1, "posts": {post id: stream state + "up": {reply id: parent id}}, "mentions": stream
state, "sweep": ..., "resume": the post the last run ran out of budget in, "" when none}
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

import httpx
from django.utils.translation import gettext_lazy

from networks.providers import limits, post_sweep, threads_auth
from networks.providers import threads_wire as wire
from networks.providers.base import (
    Account,
    Capability,
    CommentState,
    Connectable,
    Consent,
    Credentials,
    EngagementItem,
    Invalid,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PollResult,
    Provider,
    PublishResult,
    RateLimitState,
    ReadBackIncomplete,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    ThreadListing,
    WatchWindows,
    reply_text_key,
)
from networks.providers.graph import (
    Clock,
    GraphClient,
    find_oldest_post,
    item_id_for_log,
    optional_str,
    parse_graph_time,
    utcnow,
)
from networks.providers.graph_scan import Run, Walk, fresh, walk_stream
from networks.providers.threads_publishing import POSTS, REPLIES, CacheMemo, DictMemo, Memo, Publisher
from networks.providers.threads_text import MAX_CHARACTERS, problems, text_length
from networks.providers.threads_webhooks import THREADS_WEBHOOKS

log = logging.getLogger(__name__)

#: From https://developers.facebook.com/docs/threads/overview#image-specifications: JPEG and PNG, 8 MB,
#: an aspect ratio up to 10:1 either way; narrower than 320 px or wider than 1440 px is rescaled by
#: Threads (not refused).
IMAGE_RULES = limits.ImageRules(
    formats=frozenset({"JPEG", "PNG"}), max_bytes=8 * 1024 * 1024, min_aspect=0.1, max_aspect=10.0
)
#: Our own replies and posts read back to settle an unclear publish (Threads allows 1,000 replies and 250
#: posts a day, so these bounds cover more than a day).
MAX_FIND_ITEMS = 1_200
#: Replies of one post read in one poll, at most (pages of PAGE_SIZE).
MAX_CONVERSATION_PAGES = 40
PAGE_SIZE = 100
#: Parents of a post's replies kept in its poll state, so a new nested reply finds its branch without
#: reading the conversation again (the newest ones: an answer mostly goes to a recent reply).
MAX_KNOWN_PARENTS = 1_000
#: Threads refuses a `since` before it existed ("greater than or equal to 1688540400",
#: https://developers.facebook.com/documentation/threads/threads-mentions).
EARLIEST_SINCE = 1_688_540_400


def since_param(moment: dt.datetime) -> int:
    return max(int(moment.timestamp()), EARLIEST_SINCE)


class ThreadsProvider(Provider):
    network = Network.THREADS
    image_rules = IMAGE_RULES
    image_max_width = 1440
    text_limits = {TextKind.POST: TextLimit(MAX_CHARACTERS, weighted=True)}
    counting_words = gettext_lazy(
        "%(network)s counts an emoji as the bytes it takes (most take 4), every other character as one."
    )
    reply_words = {TextKind.REPLY: "a Threads reply"}
    capabilities = frozenset({Capability.HIDE, Capability.DELETE_OWN})
    hides_nested_replies = False  # "Replies nested deeper than the top-level reply cannot be targeted"
    webhooks = THREADS_WEBHOOKS
    sweeps_older_posts = True
    poll_concurrency = 4

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        return threads_auth.consent(app, redirect_uri=redirect_uri, state=state, scopes=scopes)

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        return threads_auth.connectable(app, http=http, code=code, redirect_uri=redirect_uri)

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> ThreadsProvider:
        return cls(
            account,
            http=http,
            lookback=setup.lookback,
            windows=setup.windows,
            version=setup.api_version or threads_auth.API_VERSION,
            memo=CacheMemo(),
        )

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        lookback: dt.timedelta = dt.timedelta(days=14),
        windows: WatchWindows | None = None,
        version: str = threads_auth.API_VERSION,
        memo: Memo | None = None,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        container_check_interval: float = 2.0,
    ):
        super().__init__(account, http=http)
        self.clock = clock
        self.user_id = account.external_id
        self.lookback = lookback
        self.windows = windows or WatchWindows(
            recent_days=max(1, lookback.days), sweep_days=0, sweep_interval=dt.timedelta(0)
        )
        self.graph = GraphClient(
            http,
            base_url=account.api_base_url or threads_auth.API_BASE_URL,
            access_token=account.credentials.access_token,
            version=version,
            on_usage=self._note_usage,
            clock=clock,
        )
        self.publisher = Publisher(
            self.graph,
            user_id=self.user_id,
            memo=memo or DictMemo(),
            clock=clock,
            sleep=sleep,
            container_check_interval=container_check_interval,
        )

    def _note_usage(self, state: RateLimitState) -> None:
        self.rate_limit = state

    # --- Poll -------------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        now = self.clock()
        run = Run(max_items=max_items)
        self._listings: list[ThreadListing] = []
        cursor = cursor if isinstance(cursor, dict) else {}
        stored = found if isinstance(found := cursor.get("posts"), dict) else {}
        floor = now - max(self.lookback, self.windows.recent)
        mentions = self._poll_mentions(run, cursor.get("mentions"), floor, now)
        states: dict[str, Any] = {}
        resume = ""  # the first post this run left unread (or half read): the next run starts there
        for post in _starting_at(self._recent_posts(run, floor, now), cursor.get("resume")):
            state = stored.get(post.id)
            if run.interrupted or post.has_replies is False:
                # Out of budget, or nothing to read: the post keeps its state for the next run.
                if isinstance(state, dict):
                    states[post.id] = state
                elif post.has_replies is False:
                    states[post.id] = Walk(None, floor=post.created).finished()
                if run.interrupted and post.has_replies is not False:
                    resume = resume or post.id
                continue
            try:
                states[post.id] = self._walk_post(run, post, state, now=now)
            except NotFound:
                log.info("Threads post %s vanished while polling; skipping it", post.id)
            if run.interrupted:
                resume = resume or post.id
        handed_over = {pid: s for pid, s in stored.items() if pid not in states}
        swept = post_sweep.sweep(
            self._sweeper(run, floor=now - self.windows.recent, now=now),
            cursor.get("sweep"),
            now=now,
            windows=self.windows,
            watched=set(states),
            handed_over=handed_over,
        )
        return PollResult(
            items=run.items,
            cursor={"v": 1, "posts": states, "mentions": mentions, "sweep": swept, "resume": resume},
            has_more=run.interrupted,
            skipped=run.skipped,
            listings=tuple(self._listings),
        )

    def _posts_pages(self, run: Run, params: dict[str, Any], now: dt.datetime) -> Iterator[list[Any]]:
        for data, has_next in self.graph.pages(f"{self.user_id}/threads", params):
            posts = []
            for raw in data:
                try:
                    post = wire.parse_post(raw, now=now)
                except ValueError as exc:
                    log.warning("Skipping malformed Threads post (id=%s): %s", item_id_for_log(raw), exc)
                    run.skipped += 1
                    continue
                if not post.repost:  # a repost's replies belong to the reposted post
                    posts.append(post)
            yield posts
            if has_next and not run.take_page():
                run.interrupted = True
                return

    def _recent_posts(self, run: Run, floor: dt.datetime, now: dt.datetime) -> list[wire.PostSummary]:
        limit = max(1, self.windows.recent_posts)
        params = {"fields": wire.POST_FIELDS, "limit": min(limit, 100), "since": since_param(floor)}
        found: list[wire.PostSummary] = []
        for page in self._posts_pages(run, params, now):
            for post in page:
                if post.created < floor or len(found) >= limit:
                    return found
                found.append(post)
        return found

    def _sweeper(self, run: Run, *, floor: dt.datetime, now: dt.datetime) -> post_sweep.Sweeper:
        def pages() -> Iterator[list[post_sweep.Candidate]]:
            params = {"fields": wire.POST_FIELDS, "limit": 100}
            for page in self._posts_pages(run, params, now):
                yield [post_sweep.Candidate(p.id, p.created, p) for p in page if p.has_replies is not False]

        return post_sweep.Sweeper(
            pages=pages,
            # Meta does not document the order of a profile's threads: each pass reads the whole list.
            newest_first=False,
            walk=lambda candidate, state: self._walk_post(run, candidate.post, state, now=now, floor=floor),
            fresh=lambda state: fresh(state, floor),
            room=run.has_room,
            interrupted=lambda: run.interrupted,
        )

    def _walk_post(
        self,
        run: Run,
        post: wire.PostSummary,
        state: Any,
        *,
        now: dt.datetime,
        floor: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Deliver a post's new replies. The conversation comes newest first (`reverse=true`): paging stops
        at the first page that reaches below the post's mark, so a quiet post costs one page. A nested reply
        comes before (newer than) the replies it answers; the parents of replies read by earlier polls are
        kept in the post's state ("up"), so its branch is known without reading the branch again. A run out
        of pages delivers what it read and keeps the post pending: the next run goes on from there."""
        walk = Walk(state, floor=floor)
        params = {"fields": wire.REPLY_FIELDS, "reverse": "true", "limit": PAGE_SIZE}
        raws: list[Any] = []
        read_at = self.clock()
        whole = False  # read to the end of the conversation (a complete listing)
        cut = False  # the run's page budget ran out inside this post
        for number, (data, has_next) in enumerate(self.graph.pages(f"{post.id}/conversation", params), 1):
            raws.extend(data)
            if not has_next:
                whole = True
                break
            if _reaches_below(walk, data) or number >= MAX_CONVERSATION_PAGES:
                break  # the older replies were delivered before (or wait for a sweep)
            if not run.take_page():
                cut = True
                break
        # Oldest first, after the stored ones: the last learnt are the newest (the ones _kept_parents keeps).
        parents = {**_known_parents(walk.extra.get("up")), **wire.parents_of(raws[::-1])}
        items: list[EngagementItem] = []
        skipped = 0
        for raw in raws:
            try:
                items.append(wire.parse_reply(raw, account=self.account, post=post, parents=parents, now=now))
            except ValueError as exc:
                log.warning("Skipping malformed Threads reply (id=%s): %s", item_id_for_log(raw), exc)
                skipped += 1
        run.skipped += skipped
        items.sort(key=lambda item: (item.created_at, item.external_id), reverse=True)
        walk.extra["up"] = _kept_parents(parents)
        # A cut read ends as a page with more to follow: the run, out of pages, keeps the post pending.
        state_out = walk_stream(run, walk, iter([(items, cut)]), lambda item: item)
        if whole and not skipped and not run.interrupted:
            self._listings.append(ThreadListing(post.id, frozenset(i.external_id for i in items), read_at))
        return state_out

    def _poll_mentions(self, run: Run, state: Any, floor: dt.datetime, now: dt.datetime) -> dict[str, Any]:
        walk = Walk(state, floor=floor)
        params = {"fields": wire.MENTION_FIELDS, "limit": 50, "since": since_param(floor)}

        def parse(raw: Any) -> EngagementItem | None:
            try:
                return wire.parse_mention(raw, account=self.account, now=now)
            except ValueError as exc:
                log.warning("Skipping malformed Threads mention (id=%s): %s", item_id_for_log(raw), exc)
                return None

        return walk_stream(run, walk, self.graph.pages(f"{self.user_id}/mentions", params), parse)

    def post_context(self, post_id: str) -> tuple[str, str]:
        body = self.graph.get(post_id, {"fields": "text,permalink"})
        text, link = body.get("text"), body.get("permalink")
        return (text if isinstance(text, str) else "", wire.https(link) if isinstance(link, str) else "")

    # --- Answer and publish -----------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        _raise(limits.check_not_blank(text) + self.validate_text(text))
        # Threads threads an answer under any reply (or a mention) by its own id.
        params = {"media_type": "TEXT", "text": text, "reply_to_id": target.external_id}
        return self.publisher.publish(REPLIES, params, delivery_key=delivery_key)

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """Our answer to `target`, read back from our own replies (`GET /{user-id}/replies`, newest first)
        down to `since`; the oldest match wins (a later one is another answer with the same words)."""
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)
        params = {
            "fields": "id,text,timestamp,permalink,replied_to,root_post",
            "limit": 100,
            "since": since_param(floor - dt.timedelta(minutes=1)),
        }
        best: PublishResult | None = None
        read = 0
        for data, has_next in self.graph.pages(f"{self.user_id}/replies", params):
            for raw in data:
                read += 1
                try:
                    found, at = wire.media_id(raw), parse_graph_time(raw.get("timestamp"))
                    words, parent = optional_str(raw, "text"), wire.ref_id(raw, "replied_to")
                except ValueError:
                    continue
                if at < floor:
                    return best
                if found in exclude or reply_text_key(words) != wanted:
                    continue
                if parent != target.external_id:
                    continue  # a reply that does not say what it answers is no proof of ours
                link = wire.https(optional_str(raw, "permalink"))
                best = PublishResult(found, permalink=link, raw=raw)
            if has_next and read >= MAX_FIND_ITEMS:
                if best is not None:
                    return best
                raise ReadBackIncomplete("More replies were published since than CM Hub reads back.")
        return best

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        _raise(self.validate_text(text) + (self.validate_media(media) if media else []))
        if not media:
            _raise(limits.check_not_blank(text))
            params = {"media_type": "TEXT", "text": text}
        else:
            image = media[0]
            if not image.public_url:
                raise Invalid("Threads fetches images from a public address, and this image has none.")
            params = {"media_type": "IMAGE", "image_url": image.public_url, "text": text}
            if image.alt_text:
                params["alt_text"] = image.alt_text[:1000]
        return self.publisher.publish(POSTS, params, delivery_key=delivery_key)

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        params = {"fields": "id,text,timestamp,permalink", "limit": 100}
        return find_oldest_post(
            self.graph.pages(f"{self.user_id}/threads", params),
            text=text,
            since=since,
            exclude=exclude,
            fields=("timestamp", "text", "permalink"),
            max_items=MAX_FIND_ITEMS,
        )

    def refresh_credentials(self) -> Credentials:
        return threads_auth.refresh(
            self.http,
            api_base_url=self.account.api_base_url,
            credentials=self.account.credentials,
            clock=self.clock,
        )

    # --- Moderation -------------------------------------------------------------------------------------

    def hide_comment(self, *, comment_id: str, hidden: bool) -> None:
        """`POST /{reply-id}/manage_reply hide=true|false`; Threads hides a reply to our post with the
        answers under it, and refuses a deeper one on its own."""
        body = self.graph.post(f"{comment_id}/manage_reply", data={"hide": "true" if hidden else "false"})
        _require_success(body)

    def delete_comment(self, *, comment_id: str) -> None:
        """`DELETE /{media-id}`: only what the account itself published (Capability.DELETE_OWN)."""
        body = self.graph.request("DELETE", self.graph.url(comment_id))
        _require_success(body)

    def comment_state(self, *, comment_id: str) -> CommentState:
        try:
            body = self.graph.get(comment_id, {"fields": "id,hide_status"})
        except NotFound:
            return CommentState(exists=False)
        status = body.get("hide_status")
        return CommentState(
            exists=True, hidden=status in wire.HIDDEN_STATUSES if isinstance(status, str) else None
        )

    # --- Validation -------------------------------------------------------------------------------------

    @classmethod
    def text_length(cls, text: str) -> int:
        return text_length(text)

    def validate_text(self, text: str) -> list[str]:
        return problems(text)

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return limits.check_images(media, IMAGE_RULES, max_count=1, network="Threads")


def _starting_at(posts: list[wire.PostSummary], first: Any) -> list[wire.PostSummary]:
    """The posts newest first, rotated to start at `first` (where the last run ran out of budget), so
    a busy profile's older posts are read in the end."""
    at = next((n for n, post in enumerate(posts) if post.id == first), 0)
    return posts[at:] + posts[:at]


def _reaches_below(walk: Walk, data: list[Any]) -> bool:
    """A newest-first page whose oldest reply is older than the mark: what follows was delivered."""
    for raw in reversed(data):
        try:
            return walk.below_mark(parse_graph_time(raw.get("timestamp")))
        except (AttributeError, ValueError):
            continue
    return False


def _known_parents(stored: Any) -> dict[str, str]:
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)}


def _kept_parents(parents: dict[str, str]) -> dict[str, str]:
    """The MAX_KNOWN_PARENTS parents learnt last (a run adds the replies it read after the stored ones), to
    bound the poll cursor."""
    if len(parents) <= MAX_KNOWN_PARENTS:
        return parents
    return dict(list(parents.items())[-MAX_KNOWN_PARENTS:])


def _raise(found: list[str]) -> None:
    if found:
        raise Invalid(" ".join(found))


def _require_success(body: dict[str, Any]) -> None:
    if body.get("success") not in (True, "true"):
        raise Invalid("Threads did not confirm the change.")
