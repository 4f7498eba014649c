"""Instagram professional accounts through the Graph API: comments and replies on recent media, answering
comments, publishing single images.

Instagram has no flat comment stream: every recent media's top-level comments are walked, with their
replies inlined, each run. `comments_count` counts the comments that exist now, so one deleted and one new
comment leave it unchanged: it can never say a media has nothing new, and is not used to skip one.
Media older than the recent window (or past its count) are walked by the slower sweep (post_sweep), from
the recent window's floor down.
Poll cursor:
    {"v": 1, "since": iso, "media": {media_id: stream state}, "inbox": ..., "tags": ..., "sweep": ...}
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from networks.providers import limits, post_sweep
from networks.providers.base import (
    Account,
    Ambiguous,
    Author,
    Capability,
    Credentials,
    DmThread,
    EngagementItem,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    PollResult,
    ProviderError,
    PublishResult,
    ReadBackIncomplete,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    ThreadListing,
    Transient,
    WatchWindows,
    reply_text_key,
)
from networks.providers.graph import (
    GRAPH_VERSION,
    Clock,
    GraphProvider,
    find_oldest_post,
    item_id_for_log,
    optional_dict,
    optional_str,
    parse_graph_time,
    required_str,
    utcnow,
)
from networks.providers.graph_moderation import GraphModeration
from networks.providers.graph_scan import Run, Walk, fresh
from networks.providers.instagram_inbox import DM_WINDOW, MAX_DM_BYTES, InstagramInbox
from networks.providers.meta_webhooks import META_WEBHOOKS

logger = logging.getLogger(__name__)

MAX_CAPTION = 2_200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_MESSAGE_TEXT = 1_000  # the Instagram Messaging Send API's limit (UTF-8, 1,000 bytes at most)
IMAGE_RULES = limits.ImageRules(
    formats=frozenset({"JPEG"}),
    max_bytes=8 * 1024 * 1024,
    min_width=320,
    max_width=1440,
    min_aspect=4 / 5,
    max_aspect=1.91,
)
_HASHTAG = re.compile(r"(?<![\w&])#\w+")
_MENTION = re.compile(r"(?<![\w.])@[\w.]+")
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},parent_id,hidden"
MEDIA_FIELDS = "id,caption,permalink,timestamp,comments_count"
#: Reading back walks to the time the step began; past this bound it says it cannot tell
#: (ReadBackIncomplete) rather than answer "not there" and have the step done twice.
MAX_FIND_PAGES = 30
#: Likewise for our own media (the API publishes at most 100 a day per account).
MAX_FIND_MEDIA = 500
FIND_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp"


@dataclass(frozen=True, slots=True)
class MediaSummary:
    id: str
    permalink: str
    comments_count: int | None  # None when Graph did not say: walk it to be safe
    caption: str = ""


class InstagramProvider(GraphModeration, GraphProvider):
    network = Network.INSTAGRAM
    image_rules = IMAGE_RULES

    text_limits = {
        TextKind.POST: TextLimit(MAX_CAPTION),
        TextKind.PRIVATE_REPLY: TextLimit(MAX_MESSAGE_TEXT),
        TextKind.DIRECT_MESSAGE: TextLimit(MAX_DM_BYTES),
    }
    reply_words = {TextKind.DIRECT_MESSAGE: "an Instagram direct message"}
    supports_text_posts = False
    capabilities = frozenset(
        {Capability.DIRECT_MESSAGES, Capability.HIDE, Capability.DELETE, Capability.PRIVATE_REPLY}
    )
    hide_param = "hide"
    hidden_field = "hidden"
    direct_message_window = DM_WINDOW
    webhooks = META_WEBHOOKS
    supports_webhook_subscribe = True
    sweeps_older_posts = True

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> InstagramProvider:
        return cls(
            account,
            http=http,
            app_secret=setup.client_secret,
            lookback=setup.lookback,
            page_size=100,  # Graph's largest page: fewer round trips per poll
            version=setup.api_version or GRAPH_VERSION,
            # The workspace's watch windows: how many recent media, and the sweep over older ones.
            max_media=setup.windows.recent_posts if setup.windows else 25,
            windows=setup.windows,
        )

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        app_secret: str = "",
        page_size: int = 50,
        lookback: dt.timedelta = dt.timedelta(days=30),
        max_media: int = 25,
        container_checks: int = 10,
        container_check_interval: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = utcnow,
        version: str = GRAPH_VERSION,
        poll_messages: bool = True,
        poll_mentions: bool = True,
        windows: WatchWindows | None = None,
    ):
        super().__init__(account, http=http, app_secret=app_secret, clock=clock, version=version)
        self.ig_user_id = account.external_id
        self.poll_messages = poll_messages
        self.poll_mentions = poll_mentions
        self.inbox = InstagramInbox(
            self.graph,
            ig_user_id=account.external_id,
            handle=account.handle,
            page_size=page_size,
            clock=clock,
        )
        self.page_size = page_size
        self.lookback = lookback
        self.max_media = max_media
        # Without workspace settings: no sweep (the historical behaviour, for one-off providers).
        self.windows = windows or WatchWindows(
            recent_days=lookback.days, recent_posts=max_media, sweep_days=0, sweep_interval=dt.timedelta(0)
        )
        self.container_checks = container_checks
        self.container_check_interval = container_check_interval
        self.sleep = sleep

    # --- Poll -------------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        now = self.clock()
        run = Run(max_items=max_items)
        # Every poll reads each recent media's comments and replies to the end: a media read whole is a
        # listing, and a comment we hold that it lacks was deleted (Instagram comments cannot be edited).
        self._listings: list[ThreadListing] = []
        cursor = cursor if isinstance(cursor, dict) else {}
        stored = found if isinstance(found := cursor.get("media"), dict) else {}
        extra = self._poll_inbox_and_tags(run, cursor, now - self.lookback)
        states: dict[str, Any] = {}
        for media in self._recent_media(run, now - self.lookback):
            state = stored.get(media.id)
            if run.interrupted:  # out of budget: unvisited media keep their state for the next run
                if isinstance(state, dict):
                    states[media.id] = state
                continue
            try:
                states[media.id] = self._walk_media(run, media, state)
            except NotFound:
                logger.info("Instagram media %s vanished while polling; skipping it", media.id)
        # Older media (and recent ones past the recent count): the slower sweep (post_sweep).
        handed_over = {mid: state for mid, state in stored.items() if mid not in states}
        swept = post_sweep.sweep(
            self._sweeper(run, floor=now - self.windows.recent),
            cursor.get("sweep"),
            now=now,
            windows=self.windows,
            watched=set(states),
            handed_over=handed_over,
            hold=self.budget_low(),
        )
        new_cursor = {"v": 1, "since": now.isoformat(), "media": states, **extra, "sweep": swept}
        return PollResult(
            items=run.items,
            cursor=new_cursor,
            has_more=run.interrupted,
            skipped=run.skipped,
            permission_missing=run.permission_missing,
            listings=tuple(self._listings),
        )

    def _poll_inbox_and_tags(self, run: Run, cursor: dict[str, Any], floor: dt.datetime) -> dict[str, Any]:
        """Direct messages first (the 24-hour window makes them the most urgent), then the media the
        account is tagged in; each keeps its own part of the cursor."""
        extra: dict[str, Any] = {}
        if self.poll_messages:
            extra["inbox"] = self.inbox.poll_messages(run, cursor.get("inbox"), floor)
        elif "inbox" in cursor:
            extra["inbox"] = cursor["inbox"]
        if self.poll_mentions and not run.interrupted:
            extra["tags"] = self.inbox.poll_tags(run, cursor.get("tags"), floor)
        elif "tags" in cursor:
            extra["tags"] = cursor["tags"]
        return extra

    def read_pushed(self, what: str, refs: Mapping[str, str]) -> EngagementItem | None:
        if what != "mention" or not refs.get("media_id"):
            return None
        return self.read_mention(media_id=refs["media_id"], comment_id=refs.get("comment_id", ""))

    def conversation_with(self, customer_id: str) -> DmThread | None:
        return self.inbox.conversation_with(customer_id)

    def read_mention(self, *, media_id: str, comment_id: str = "") -> EngagementItem:
        """A caption or comment @mentioning the account, by the ids the `mentions` webhook carries."""
        return self.inbox.read_mention(media_id=media_id, comment_id=comment_id)

    def _sweeper(self, run: Run, *, floor: dt.datetime) -> post_sweep.Sweeper:
        def pages() -> Iterator[list[post_sweep.Candidate]]:
            params = {"fields": MEDIA_FIELDS, "limit": 100}
            for data, has_next in self.graph.pages(f"{self.ig_user_id}/media", params):
                listed = (self._media_summary(run, raw) for raw in data)
                yield [post_sweep.Candidate(m.id, created, m) for m, created in filter(None, listed)]
                if has_next and not run.take_page():
                    run.interrupted = True
                    return

        return post_sweep.Sweeper(
            pages=pages,
            # Meta documents no order for an account's media: each pass reads the whole list.
            newest_first=False,
            walk=lambda candidate, state: self._walk_media(run, candidate.post, state, floor=floor),
            fresh=lambda state: fresh(state, floor),
            room=run.has_room,
            interrupted=lambda: run.interrupted,
        )

    def _media_summary(self, run: Run, raw: Any) -> tuple[MediaSummary, dt.datetime] | None:
        try:
            media_id, created = required_str(raw, "id"), parse_graph_time(raw.get("timestamp"))
            permalink = optional_str(raw, "permalink")
        except ValueError as exc:
            logger.warning("Skipping malformed Instagram media (id=%s): %s", item_id_for_log(raw), exc)
            run.skipped += 1
            return None
        count, caption = raw.get("comments_count"), raw.get("caption")
        summary = MediaSummary(
            media_id,
            permalink,
            count if isinstance(count, int) else None,
            caption if isinstance(caption, str) else "",
        )
        return summary, created

    def _recent_media(self, run: Run, floor: dt.datetime) -> list[MediaSummary]:
        params = {"fields": MEDIA_FIELDS, "limit": min(self.max_media, 100)}
        found: list[MediaSummary] = []
        for data, has_next in self.graph.pages(f"{self.ig_user_id}/media", params):
            for raw in data:
                listed = self._media_summary(run, raw)
                if listed is None:
                    continue
                media, created = listed
                if created < floor or len(found) >= self.max_media:
                    return found
                found.append(media)
            if has_next and not run.take_page():
                run.interrupted = True
                return found
        return found

    def _walk_media(
        self, run: Run, media: MediaSummary, state: Any, *, floor: dt.datetime | None = None
    ) -> dict[str, Any]:
        # `floor`: an old media the sweep walks without a state delivers only what is newer than it.
        walk = Walk(state, floor=floor)
        walk.extra.pop("n", None)  # the comment count older cursors kept: never a reason to stop
        params = {
            "fields": f"{COMMENT_FIELDS},replies.limit({self.page_size}){{{COMMENT_FIELDS}}}",
            "limit": self.page_size,
        }
        tops: list[tuple[EngagementItem, dict[str, Any]]] = []
        read_at, skipped_before = self.clock(), run.skipped
        self._listed: set[str] = set()
        for data, has_next in self.graph.pages(f"{media.id}/comments", params):
            for raw in data:
                top = self._parse(raw, media)
                if top is None:
                    run.skipped += 1
                    continue
                tops.append((top, raw))
            if has_next and not run.take_page():
                # Nothing of this media was delivered yet: the next run reads it again from the start.
                run.interrupted = True
                return walk.interrupted()
        # Meta documents no order for a media's comments: walk them newest first, as the marks expect,
        # whatever order they came in.
        tops.sort(key=lambda pair: (pair[0].created_at, pair[0].external_id), reverse=True)
        for top, raw in tops:
            partial = self._walk_thread(run, walk, top, raw, media)
            if partial is not None:
                return walk.interrupted(thread_ids=[*walk.thread_ids, *partial])
            walk.passed(top.created_at, top.external_id)
        if run.skipped == skipped_before:  # an item we could not read is not an item we know is gone
            ids = self._listed | {top.external_id for top, _raw in tops}
            self._listings.append(ThreadListing(media.id, frozenset(ids), read_at))
        return walk.finished()

    def _walk_thread(
        self, run: Run, walk: Walk, top: EngagementItem, raw: dict[str, Any], media: MediaSummary
    ) -> list[str] | None:
        """Deliver a top-level comment and its new replies; the ids delivered if the budget ran out."""
        delivered: list[str] = []
        # The thread's position is passed only once its replies are done too (the caller does it).
        if not walk.delivered(top.created_at, top.external_id) and not self._deliver(
            run, walk, top, delivered
        ):
            return delivered
        # A thread finished by an interrupted run: only replies newer than what that run saw are new.
        done_range = walk.range_of(top.created_at, top.external_id)
        for reply in self._replies(run, raw, top, media):
            at, reply_id = reply.created_at, reply.external_id
            seen = walk.mark.covers(at, reply_id) or reply_id in walk.thread_ids
            seen = seen or (done_range is not None and done_range[1].covers(at, reply_id))
            if not seen and not self._deliver(run, walk, reply, delivered):
                return delivered
        return None

    def _deliver(self, run: Run, walk: Walk, item: EngagementItem, delivered: list[str]) -> bool:
        if not run.has_room():
            run.interrupted = True
            return False
        walk.emit(item.created_at, item.external_id)
        run.items.append(item)
        delivered.append(item.external_id)
        return True

    def _replies(
        self, run: Run, raw: dict[str, Any], top: EngagementItem, media: MediaSummary
    ) -> Iterator[EngagementItem]:
        envelope = raw.get("replies")
        if envelope is None:
            return
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
            logger.warning("Instagram comment %s: unreadable replies list, replies skipped", top.external_id)
            run.skipped += 1
            return
        for data, _has_next in self.graph.pages_from(envelope):
            for reply_raw in data:
                reply = self._parse(reply_raw, media, thread_root=top.external_id)
                if reply is None:
                    run.skipped += 1
                else:
                    self._listed.add(reply.external_id)
                    yield reply

    def _parse(self, raw: Any, media: MediaSummary, thread_root: str = "") -> EngagementItem | None:
        try:
            return parse_comment(
                raw,
                media_id=media.id,
                permalink=media.permalink,
                thread_root=thread_root,
                post_text=media.caption,
            )
        except ValueError as exc:
            logger.warning("Skipping malformed Instagram comment (id=%s): %s", item_id_for_log(raw), exc)
            return None

    # --- Reply and publish ------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        _raise_problems(limits.check_not_blank(text) + self.validate_text(text))
        if target.kind == ItemKind.DIRECT_MESSAGE:
            return self.inbox.send_message(target, text)
        if target.kind == ItemKind.MENTION:
            return self.inbox.reply_to_mention(target, text)
        # Only top-level comments take replies; Instagram files an answer to a reply under its parent.
        comment_id = target.external_id
        if target.kind == ItemKind.REPLY:
            comment_id = target.thread_root_external_id or target.parent_external_id or comment_id
        body = self.graph.post(f"{comment_id}/replies", data={"message": text})
        return PublishResult(_created_id(body), raw=body)

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The account's answer read back from the replies of the comment `reply` answered. Instagram does
        not promise an order for replies, so every page (up to a bound) is read and the newest match wins."""
        if target.kind == ItemKind.DIRECT_MESSAGE:
            return self.inbox.find_message(target, text, since, exclude)
        if target.kind == ItemKind.MENTION:
            return self.inbox.find_mention_reply(target, text, since, exclude)
        comment_id = target.external_id
        if target.kind == ItemKind.REPLY:
            comment_id = target.thread_root_external_id or target.parent_external_id or comment_id
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)  # Graph times are whole seconds
        params = {"fields": "id,text,timestamp,username,from{id,username}", "limit": self.page_size}
        best: tuple[dt.datetime, PublishResult] | None = None
        pages = self.graph.pages(f"{comment_id}/replies", params)
        for number, (data, has_next) in enumerate(pages, start=1):
            for raw in data:
                try:
                    found_id, created = required_str(raw, "id"), parse_graph_time(raw.get("timestamp"))
                    sender = optional_dict(raw, "from") or {}
                    words, username = optional_str(raw, "text"), optional_str(raw, "username")
                except ValueError:
                    continue
                ours = sender.get("id") == self.ig_user_id or (
                    not sender and bool(self.account.handle) and username == self.account.handle
                )
                if not ours or created < floor or found_id in exclude or reply_text_key(words) != wanted:
                    continue
                if best is None or created > best[0]:
                    best = (created, PublishResult(found_id, raw=raw))
            if number >= MAX_FIND_PAGES and has_next:
                if best is not None:
                    break  # it landed: the rest could only hold a later copy
                raise ReadBackIncomplete("The thread has more answers since than CM Hub reads back.")
        return best[1] if best else None

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The account's media with this caption, read back from its media list (newest first, so the
        walk stops at the first media older than `since`). The oldest match wins: a later one is another
        post with the same words, not the one being settled."""
        params = {"fields": FIND_MEDIA_FIELDS, "limit": min(self.page_size, MAX_FIND_MEDIA)}
        return find_oldest_post(
            self.graph.pages(f"{self.ig_user_id}/media", params),
            text=text,
            since=since,
            exclude=exclude,
            fields=("timestamp", "caption", "permalink"),
            max_items=MAX_FIND_MEDIA,
        )

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        if not media:
            raise Invalid("Instagram posts need an image: text-only posts are not possible.")
        _raise_problems(self.validate_text(text) + self.validate_media(media))
        image = media[0]
        if not image.public_url:
            raise Invalid("Instagram fetches images from a public URL, and this image has none.")
        container_id = self._create_container(image, text)
        self._wait_until_ready(container_id)
        body = self.graph.post(f"{self.ig_user_id}/media_publish", data={"creation_id": container_id})
        media_id = _created_id(body)
        return PublishResult(media_id, permalink=self._permalink(media_id), raw=body)

    def _create_container(self, image: MediaFile, caption: str) -> str:
        data = {"image_url": image.public_url, "caption": caption}
        if image.alt_text:
            data["alt_text"] = image.alt_text
        try:
            return _created_id(self.graph.post(f"{self.ig_user_id}/media", data=data))
        except Ambiguous as exc:
            # A container is invisible until published and expires in 24 h: making another is safe.
            raise Transient(str(exc), network_message=exc.network_message) from exc

    def _wait_until_ready(self, container_id: str) -> None:
        """Instagram downloads and processes the image before it can be published."""
        for check in range(self.container_checks):
            body = self.graph.get(container_id, {"fields": "status_code,status"})
            status = body.get("status_code")
            if status == "FINISHED":
                return
            if status in {"ERROR", "EXPIRED", "PUBLISHED"}:
                raise Invalid(
                    f"Instagram could not use this image ({status})",
                    network_message=str(body.get("status") or status),
                )
            if check + 1 < self.container_checks:
                self.sleep(self.container_check_interval)
        raise Transient("Instagram is still processing the image; nothing was published, try again later.")

    def _permalink(self, media_id: str) -> str:
        """Best effort: the media is published, so a failure here must not turn into an error."""
        try:
            link = self.graph.get(media_id, {"fields": "permalink"}).get("permalink")
        except ProviderError as exc:
            logger.info("No permalink for Instagram media %s: %s", media_id, type(exc).__name__)
            return ""
        return link if isinstance(link, str) else ""

    def refresh_credentials(self) -> Credentials:
        """Instagram Login tokens last 60 days and can be renewed (once at least a day old)."""
        body = self.graph.get("refresh_access_token", {"grant_type": "ig_refresh_token"}, versioned=False)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token:
            raise Transient("Instagram answered the refresh without a token")
        current = self.account.credentials
        expires_at = self.clock() + dt.timedelta(seconds=expires_in) if isinstance(expires_in, int) else None
        return Credentials(
            access_token=token,
            refresh_token=current.refresh_token,
            expires_at=expires_at,
            scopes=current.scopes,
            extra=dict(current.extra),
        )

    # --- Validation -------------------------------------------------------------------------------------

    def validate_text(self, text: str) -> list[str]:
        problems = limits.check_text_length(text, max_chars=MAX_CAPTION, network="Instagram")
        hashtags, mentions = len(_HASHTAG.findall(text)), len(_MENTION.findall(text))
        if hashtags > MAX_HASHTAGS:
            problems.append(f"The text has {hashtags} hashtags; Instagram allows {MAX_HASHTAGS}.")
        if mentions > MAX_MENTIONS:
            problems.append(f"The text mentions {mentions} accounts; Instagram allows {MAX_MENTIONS}.")
        return problems

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return limits.check_images(media, IMAGE_RULES, max_count=1, network="Instagram")

    post_fields = ("caption", "permalink")  # what post_context reads of a media

    def webhook_subscribe(self) -> None:
        """Meta sends an Instagram account's webhooks once its Page has installed the app (Facebook Login:
        `POST /{page-id}/subscribed_apps`; the Page is whoever the token is), or, with an Instagram Login
        token, once the account subscribed itself (`POST /{ig-user-id}/subscribed_apps`)."""
        me = required_str(self.graph.get("me", {"fields": "id"}), "id")
        fields = "comments,messages" if me == self.ig_user_id else "feed"
        body = self.graph.post(f"{me}/subscribed_apps", data={"subscribed_fields": fields})
        if body.get("success") not in (True, "true"):
            raise Invalid("Instagram did not confirm the webhook subscription.")


def parse_comment(
    raw: Any, *, media_id: str, permalink: str, thread_root: str = "", post_text: str = ""
) -> EngagementItem:
    """An IG comment or reply; ValueError when malformed. `thread_root` is set for inlined replies."""
    comment_id = required_str(raw, "id")
    created = parse_graph_time(raw.get("timestamp"))
    parent_id = optional_str(raw, "parent_id") or thread_root
    return EngagementItem(
        network=Network.INSTAGRAM,
        external_id=comment_id,
        kind=ItemKind.REPLY if parent_id else ItemKind.COMMENT,
        text=optional_str(raw, "text"),
        created_at=created,
        author=_author(optional_dict(raw, "from"), optional_str(raw, "username")),
        post_external_id=media_id,
        post_text=post_text,
        post_permalink=permalink,
        parent_external_id=parent_id,
        # Instagram threads are one level deep: a reply's parent heads the thread.
        thread_root_external_id=parent_id or comment_id,
        permalink=permalink,  # comments have no link of their own; the media's is the closest
        raw=raw,
    )


def _author(sender: dict[str, Any] | None, username: str) -> Author | None:
    handle = (optional_str(sender, "username") if sender else "") or username
    if sender is None and not handle:
        return None
    return Author(
        external_id=required_str(sender, "id") if sender else "",
        handle=handle,
        profile_url=f"https://www.instagram.com/{handle}/" if handle else "",
    )


def _created_id(body: dict[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise Ambiguous("Instagram accepted the write but returned no id")
    return value


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise Invalid(" ".join(problems))
