"""Facebook Pages through the Graph API: comments on the Page's posts, Messenger conversations, posting.

Poll cursor (plain JSON, no Graph paging cursor in it):
    {"v": 1, "since": iso,                       # time of the last poll, for people reading the cursor
     "posts": {post_id: stream state},           # one stream per post still inside the look-back window
     "inbox": {"seen": mark, "threads": {conversation_id: stream state}}}
where a stream state is what `graph_scan.Walk` keeps (high-water mark, maybe an interrupted range).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Collection
from typing import Any

import httpx

from networks.providers import facebook_watch, limits
from networks.providers.base import (
    Account,
    Ambiguous,
    Attachment,
    Author,
    Capability,
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
    Transient,
    WatchWindows,
    reply_text_key,
)
from networks.providers.facebook_watch import FeedPost
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
from networks.providers.graph_scan import Mark, Run, Walk, poll_threads, walk_resumable, walk_stream
from networks.providers.meta_webhooks import META_WEBHOOKS

logger = logging.getLogger(__name__)

MAX_TEXT = 63_206
MAX_MESSENGER_TEXT = 2_000  # the Send API refuses longer messages
MAX_IMAGES = 10
IMAGE_RULES = limits.ImageRules(formats=frozenset({"JPEG", "PNG"}), max_bytes=4 * 1024 * 1024 - 1)

COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url,attachment"
MESSAGE_FIELDS = "id,message,created_time,from{id,name},to,attachments"
FIND_FIELDS = "id,message,created_time,from{id,name},permalink_url"
#: Reading back walks to the time the step began; past this bound it says it cannot tell
#: (ReadBackIncomplete) rather than answer "not there" and have the step done twice.
MAX_FIND_PAGES = 30
_ATTACHMENT_KINDS = {"photo": "image", "sticker": "sticker", "video_inline": "video", "share": "link"}


class FacebookProvider(GraphModeration, GraphProvider):
    network = Network.FACEBOOK
    image_rules = IMAGE_RULES
    image_max_width = 2048  # Facebook shows photos at most 2048 px wide
    connect_offers_pages = True
    text_limits = {
        TextKind.POST: TextLimit(MAX_TEXT),
        TextKind.DIRECT_MESSAGE: TextLimit(MAX_MESSENGER_TEXT),
        TextKind.PRIVATE_REPLY: TextLimit(MAX_MESSENGER_TEXT),
    }
    reply_words = {TextKind.DIRECT_MESSAGE: "Messenger"}
    capabilities = frozenset(
        {Capability.DIRECT_MESSAGES, Capability.HIDE, Capability.DELETE, Capability.PRIVATE_REPLY}
    )
    hide_param = "is_hidden"
    hidden_field = "is_hidden"
    can_reply_privately_field = "can_reply_privately"
    #: Messenger's standard messaging window (https://developers.facebook.com/docs/messenger-platform/policy/policy-overview).
    direct_message_window = dt.timedelta(hours=24)
    sweeps_older_posts = True
    webhooks = META_WEBHOOKS
    supports_webhook_subscribe = True

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> FacebookProvider:
        # The workspace's watch windows: how many recent posts, and the sweep and re-read (facebook_watch).
        windows = setup.windows
        return cls(
            account,
            http=http,
            app_secret=setup.client_secret,
            lookback=setup.lookback,
            page_size=100,  # Graph's largest page: fewer round trips per poll
            version=setup.api_version or GRAPH_VERSION,
            max_posts=windows.recent_posts if windows else 25,
            windows=windows,
        )

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        app_secret: str = "",
        page_size: int = 50,
        lookback: dt.timedelta = dt.timedelta(days=14),
        max_posts: int = 25,
        poll_messages: bool = True,
        clock: Clock = utcnow,
        version: str = GRAPH_VERSION,
        windows: WatchWindows | None = None,
    ):
        super().__init__(account, http=http, app_secret=app_secret, clock=clock, version=version)
        self.page_id = account.external_id
        self.page_size = page_size
        self.lookback = lookback
        self.max_posts = max_posts
        self.poll_messages = poll_messages
        # Without workspace settings: no sweep, no re-read (the historical behaviour, for callers that
        # build a provider for one-off calls).
        self.windows = windows or WatchWindows(
            recent_days=lookback.days, recent_posts=max_posts, sweep_days=0, sweep_interval=dt.timedelta(0)
        )
        self._rereading = windows is not None

    # --- Poll -------------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        now = self.clock()
        floor = now - self.lookback
        run = Run(max_items=max_items)
        cursor = cursor if isinstance(cursor, dict) else {}
        # Messages first: the 24-hour reply window makes them the most urgent, and a long comment
        # backlog must not starve them.
        inbox = cursor.get("inbox") or {}
        if self.poll_messages:
            inbox = self._poll_inbox(run, inbox, floor)
        stored_posts = found if isinstance(found := cursor.get("posts"), dict) else {}
        interrupted_in_inbox = run.interrupted
        recent = self._recent_posts(run, floor)
        posts, stopped_in = self._poll_posts(run, stored_posts, recent)
        # Older posts, and the re-read that finds edits and deletions (facebook_watch).
        watch = facebook_watch.Watch()
        handed_over = {pid: state for pid, state in stored_posts.items() if pid not in posts}
        swept = facebook_watch.sweep(
            self,
            run,
            cursor.get("sweep"),
            now=now,
            windows=self.windows,
            handed_over=handed_over,
            watched=set(posts),
            walk=self._walk_old_post,
        )
        if self._rereading:
            swept.update(
                facebook_watch.reread(
                    self,
                    run,
                    cursor.get("sweep"),
                    [post for post in recent if post.id in posts],
                    now=now,
                    windows=self.windows,
                    read=functools.partial(self._reread_post, run),
                    out=watch,
                )
            )
        new_cursor = {"v": 1, "since": now.isoformat(), "posts": posts, "inbox": inbox, "sweep": swept}
        # The history is read post by post, newest first: a run that stopped inside a post has read every
        # newer one. One that stopped in the Messenger inbox, before any post, has not begun on them.
        stopped_at = now if interrupted_in_inbox else stopped_in.created if stopped_in else None
        return PollResult(
            items=run.items,
            cursor=new_cursor,
            has_more=run.interrupted,
            stopped_at=stopped_at if run.interrupted else None,
            skipped=run.skipped,
            permission_missing=run.permission_missing,
            reread=tuple(watch.reread),
            listings=tuple(watch.listings),
        )

    def _poll_posts(
        self, run: Run, stored: dict[str, Any], recent: list[FeedPost]
    ) -> tuple[dict[str, Any], FeedPost | None]:
        """Each post's next state, and the post the run stopped in (None: it did not stop in one)."""
        states: dict[str, Any] = {}
        stopped_in = None
        for post in recent:
            if run.interrupted:  # out of budget: unvisited posts keep their state for the next run
                if post.id in stored:
                    states[post.id] = stored[post.id]
                continue
            try:
                states[post.id] = self._walk_post(run, post, stored.get(post.id))
            except NotFound:
                logger.info("Facebook post %s vanished while polling; skipping it", post.id)
            if run.interrupted:
                stopped_in = post
        return states, stopped_in

    def _recent_posts(self, run: Run, floor: dt.datetime) -> list[FeedPost]:
        """The posts on the Page's feed (its own and visitors') created inside the look-back window,
        newest first, at most `max_posts`."""
        params = {"fields": facebook_watch.FEED_FIELDS, "limit": min(self.max_posts, 100)}
        posts: list[FeedPost] = []
        for data, has_next in facebook_watch.feed_pages(self, params):
            for post in facebook_watch.parse_posts(run, data):
                if post.created < floor or len(posts) >= self.max_posts:
                    return posts
                posts.append(post)
            if has_next and not run.take_page():
                run.interrupted = True
                return posts
        return posts

    def _walk_post(
        self, run: Run, post: FeedPost, state: Any, *, floor: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Deliver the post's new comments, and a visitor's post itself the first time it is seen.

        In the sweep (`floor` set), an old visitor post is delivered only with a fresh comment under it:
        the thread it heads is what needs an answer, not years of the Page's history."""
        visitor = post.by_visitor(self.page_id)
        announced = isinstance(state, dict) and state.get("visitor") is True
        before = len(run.items)
        new_state = self._walk_comments(
            run, post.id, post.permalink, state, post.message, visitor=visitor, floor=floor
        )
        if visitor and not announced and (floor is None or len(run.items) > before):
            run.items.insert(before, facebook_watch.visitor_item(post))
            new_state["visitor"] = True
        elif announced:
            new_state["visitor"] = True
        return new_state

    def _walk_old_post(self, run: Run, post: FeedPost, state: Any) -> dict[str, Any]:
        return self._walk_post(run, post, state, floor=self.clock() - self.windows.recent)

    def _comment_parser(self, post: FeedPost) -> Callable[[Any], EngagementItem | None]:
        visitor = post.by_visitor(self.page_id)

        def parse(raw: Any) -> EngagementItem:
            item = parse_comment(raw, post_id=post.id, post_permalink=post.permalink, post_text=post.message)
            return facebook_watch.in_visitor_thread(item, post.id) if visitor else item

        return self._skipping(parse, "comment")

    def _reread_post(self, run: Run, post: FeedPost) -> tuple[list[EngagementItem], bool]:
        """The post's comments (and a visitor's post) as they are now, for edits and deletions."""
        params = {
            "filter": "stream",
            "order": "reverse_chronological",
            "fields": COMMENT_FIELDS,
            "limit": self.page_size,
        }
        parse = self._comment_parser(post)
        items, complete = facebook_watch.read_whole_stream(self, run, post, parse, params)
        if post.by_visitor(self.page_id):
            items.insert(0, facebook_watch.visitor_item(post))
        return items, complete

    def _walk_comments(
        self,
        run: Run,
        post_id: str,
        post_permalink: str,
        state: Any,
        post_text: str = "",
        *,
        visitor: bool = False,
        floor: dt.datetime | None = None,
    ) -> dict[str, Any]:
        # filter=stream: every comment and reply of the post in one flat list, which reverse
        # chronological order makes a stream we can stop reading at the high-water mark.
        params = {
            "filter": "stream",
            "order": "reverse_chronological",
            "fields": COMMENT_FIELDS,
            "limit": self.page_size,
        }

        def parse_one(raw: Any) -> EngagementItem:
            item = parse_comment(raw, post_id=post_id, post_permalink=post_permalink, post_text=post_text)
            return facebook_watch.in_visitor_thread(item, post_id) if visitor else item

        parse = self._skipping(parse_one, "comment")
        walk = Walk(state, floor=floor)
        path = f"{post_id}/comments"
        return walk_resumable(run, walk, lambda after: self.graph.pages_after(path, params, after), parse)

    def _poll_inbox(self, run: Run, cursor: Any, floor: dt.datetime) -> dict[str, Any]:
        # Comments still work without the Messenger permissions: they are stored, and the poll reports
        # the missing permission rather than passing for a successful one.
        return poll_threads(
            run, cursor, floor, lambda threads, seen: self._walk_conversations(run, threads, floor, seen)
        )

    def _walk_conversations(
        self, run: Run, threads: dict[str, Any], floor: dt.datetime, seen: Mark
    ) -> tuple[dt.datetime | None, bool]:
        """Walk every conversation updated since the last complete listing; (newest update, complete)."""
        stop_at = max(seen.at, floor) if seen.at else floor
        params = {
            "platform": "messenger",
            "fields": f"id,updated_time,link,messages.limit({self.page_size}){{{MESSAGE_FIELDS}}}",
            "limit": self.page_size,
        }
        newest: dt.datetime | None = None
        for data, has_next in self.graph.pages(f"{self.page_id}/conversations", params):
            for raw in data:
                try:
                    conversation_id = required_str(raw, "id")
                    updated = parse_graph_time(raw.get("updated_time"))
                    messages = optional_dict(raw, "messages") or {"data": []}
                except ValueError as exc:
                    logger.warning("Skipping malformed conversation (id=%s): %s", item_id_for_log(raw), exc)
                    run.skipped += 1
                    continue
                if updated < stop_at:  # listed by last update: everything below is already walked
                    return newest, True
                newest = max(newest, updated) if newest else updated
                link = _absolute_link(optional_str(raw, "link"))
                parse = self._skipping(
                    functools.partial(parse_message, conversation_id=conversation_id, link=link), "message"
                )
                walk = Walk(threads.get(conversation_id), floor=floor)
                threads[conversation_id] = walk_stream(run, walk, self.graph.pages_from(messages), parse)
                if run.interrupted:  # the listing resumes from `seen` next time, which stays put
                    return newest, False
            if has_next and not run.take_page():
                run.interrupted = True
                return newest, False
        return newest, True

    def _skipping(
        self, parse: Callable[[Any], EngagementItem], what: str
    ) -> Callable[[Any], EngagementItem | None]:
        def parse_or_skip(raw: Any) -> EngagementItem | None:
            try:
                return parse(raw)
            except ValueError as exc:
                logger.warning("Skipping malformed Facebook %s (id=%s): %s", what, item_id_for_log(raw), exc)
                return None

        return parse_or_skip

    # --- Reply and publish ------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        _raise_problems(limits.check_not_blank(text) + self.validate_text(text))
        if target.kind == ItemKind.DIRECT_MESSAGE:
            return self._send_message(target, text)
        # Facebook threads are two levels deep: an answer to a reply belongs under its top-level comment
        # (the reply's parent; in a visitor's thread the root is the visitor's post, not that comment).
        comment_id = target.external_id
        if target.kind == ItemKind.REPLY:
            comment_id = target.parent_external_id or target.thread_root_external_id or comment_id
        body = self.graph.post(f"{comment_id}/comments", data={"message": text})
        reply_id = _created_id(body, "id")
        return PublishResult(reply_id, permalink=self._permalink(reply_id), raw=body)

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The Page's answer read back where `reply` files it: under the thread's top-level comment, or
        in the Messenger thread. Newest first, so the walk stops at the first item older than `since`."""
        wanted = reply_text_key(text)
        floor = since.astimezone(dt.UTC).replace(microsecond=0)  # Graph times are whole seconds
        if target.kind == ItemKind.DIRECT_MESSAGE:
            path = f"{target.thread_root_external_id}/messages"
            params: dict[str, Any] = {"fields": "id,message,created_time,from", "limit": self.page_size}
        else:
            comment_id = target.external_id
            if target.kind == ItemKind.REPLY:
                comment_id = target.parent_external_id or target.thread_root_external_id or comment_id
            path = f"{comment_id}/comments"
            params = {"order": "reverse_chronological", "fields": FIND_FIELDS, "limit": self.page_size}
        for number, (data, has_next) in enumerate(self.graph.pages(path, params), start=1):
            for raw in data:
                try:
                    found_id, created = required_str(raw, "id"), parse_graph_time(raw.get("created_time"))
                    sender = optional_dict(raw, "from") or {}
                    words, link = optional_str(raw, "message"), optional_str(raw, "permalink_url")
                except ValueError:
                    continue
                if created < floor:
                    return None
                ours = sender.get("id") == self.page_id
                if ours and found_id not in exclude and reply_text_key(words) == wanted:
                    return PublishResult(found_id, permalink=link, raw=raw)
            if number >= MAX_FIND_PAGES and has_next:
                raise ReadBackIncomplete("The thread has more answers since than CM Hub reads back.")
        return None

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The Page's post with these words, read back from its published posts (newest first). The oldest
        match wins: a later one is another post with the same words, not the one being settled."""
        params = {"fields": "id,message,created_time,permalink_url", "limit": self.page_size}
        return find_oldest_post(
            self.graph.pages(f"{self.page_id}/published_posts", params),
            text=text,
            since=since,
            exclude=exclude,
            fields=("created_time", "message", "permalink_url"),
            max_pages=MAX_FIND_PAGES,
        )

    def _send_message(self, target: ReplyTarget, text: str) -> PublishResult:
        _raise_problems(limits.check_text_length(text, max_chars=MAX_MESSENGER_TEXT, network="Messenger"))
        recipient = target.author_external_id
        if not recipient or recipient == self.page_id:
            raise Invalid("This message has no customer to answer (it was sent by the Page itself).")
        payload = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}
        body = self.graph.post(f"{self.page_id}/messages", json_body=payload)
        return PublishResult(_created_id(body, "message_id"), raw=body)

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        problems = self.validate_text(text) + self.validate_media(media)
        if not media:
            problems = limits.check_not_blank(text) + problems
        _raise_problems(problems)
        data: dict[str, str] = {"message": text, "published": "true"}
        for index, item in enumerate(media):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": self._upload_photo(item)})
        body = self.graph.post(f"{self.page_id}/feed", data=data)
        post_id = _created_id(body, "id")
        return PublishResult(post_id, permalink=self._permalink(post_id), raw=body)

    def _upload_photo(self, media: MediaFile) -> str:
        """Stage an unpublished photo; it shows only once attached to the feed post."""
        if not media.public_url:
            raise Invalid("Facebook fetches images from a public URL, and this image has none.")
        data = {"url": media.public_url, "published": "false"}
        if media.alt_text:
            data["alt_text_custom"] = media.alt_text
        try:
            body = self.graph.post(f"{self.page_id}/photos", data=data)
        except Ambiguous as exc:
            # An unpublished photo is invisible and harmless: uploading it again is safe.
            raise Transient(str(exc), network_message=exc.network_message) from exc
        return _created_id(body, "id")

    def _permalink(self, object_id: str) -> str:
        """Best effort: the write already succeeded, so a failure here must not turn into an error."""
        try:
            body = self.graph.get(object_id, {"fields": "permalink_url"})
        except ProviderError as exc:
            logger.info("No permalink for Facebook object %s: %s", object_id, type(exc).__name__)
            return ""
        link = body.get("permalink_url")
        return link if isinstance(link, str) else ""

    # --- Validation -------------------------------------------------------------------------------------

    def validate_text(self, text: str) -> list[str]:
        return limits.check_text_length(text, max_chars=MAX_TEXT, network="Facebook")

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return limits.check_images(media, IMAGE_RULES, max_count=MAX_IMAGES, network="Facebook")

    # --- Webhooks ---------------------------------------------------------------------------------------

    def webhook_subscribe(self, fields: tuple[str, ...] = ("feed", "messages", "message_edits")) -> None:
        """Install the app on the Page for these webhook fields (`POST /{page-id}/subscribed_apps`):
        without it Meta sends the Page nothing, whatever the app's own subscription says."""
        body = self.graph.post(
            f"{self.page_id}/subscribed_apps", data={"subscribed_fields": ",".join(fields)}
        )
        if body.get("success") not in (True, "true"):
            raise Invalid("Facebook did not confirm the webhook subscription.")

    def conversation_with(self, customer_id: str) -> DmThread | None:
        """The Messenger conversation between the Page and one person (`GET /{page-id}/conversations
        ?user_id=PSID`), or None when Graph lists none. A webhook names only the sender; the poll files
        messages by conversation, and a delivery must land in the same one."""
        params = {"platform": "messenger", "user_id": customer_id, "fields": "id,link,participants"}
        for data, _has_next in self.graph.pages(f"{self.page_id}/conversations", params):
            for raw in data:
                try:
                    conversation_id = required_str(raw, "id")
                    link = _absolute_link(optional_str(raw, "link"))
                    people = (optional_dict(raw, "participants") or {}).get("data")
                except ValueError:
                    continue
                name = ""
                for person in people if isinstance(people, list) else []:
                    if isinstance(person, dict) and person.get("id") == customer_id:
                        name = found if isinstance(found := person.get("name"), str) else ""
                customer = Author(
                    external_id=customer_id,
                    name=name,
                    profile_url=f"https://www.facebook.com/{customer_id}",
                )
                return DmThread(conversation_id, link, customer if name else None)
            return None
        return None


# --- Parsing (pure functions: each raises ValueError on a malformed item) --------------------------------


def parse_comment(raw: Any, *, post_id: str, post_permalink: str = "", post_text: str = "") -> EngagementItem:
    comment_id = required_str(raw, "id")
    created = parse_graph_time(raw.get("created_time"))
    parent = optional_dict(raw, "parent")
    parent_id = required_str(parent, "id") if parent else ""
    is_reply = bool(parent_id) and parent_id != post_id
    return EngagementItem(
        network=Network.FACEBOOK,
        external_id=comment_id,
        kind=ItemKind.REPLY if is_reply else ItemKind.COMMENT,
        text=optional_str(raw, "message"),
        created_at=created,
        author=_author(optional_dict(raw, "from")),
        post_external_id=post_id,
        post_text=post_text,
        post_permalink=post_permalink,
        parent_external_id=parent_id if is_reply else "",
        # Two levels only: a reply's parent is the top-level comment that heads the thread.
        thread_root_external_id=parent_id if is_reply else comment_id,
        permalink=optional_str(raw, "permalink_url") or post_permalink,
        attachments=_comment_attachments(raw.get("attachment")),
        raw=raw,
    )


def parse_message(raw: Any, conversation_id: str, link: str) -> EngagementItem:
    message_id = required_str(raw, "id")
    return EngagementItem(
        network=Network.FACEBOOK,
        external_id=message_id,
        kind=ItemKind.DIRECT_MESSAGE,
        text=optional_str(raw, "message"),
        created_at=parse_graph_time(raw.get("created_time")),
        author=_author(optional_dict(raw, "from")),
        thread_root_external_id=conversation_id,
        permalink=link,
        attachments=_message_attachments(raw.get("attachments")),
        raw=raw,
    )


def _author(data: dict[str, Any] | None) -> Author | None:
    # `from` is missing when the commenter's privacy settings hide them from the app.
    if data is None:
        return None
    author_id = required_str(data, "id")
    return Author(
        external_id=author_id,
        name=optional_str(data, "name"),
        profile_url=f"https://www.facebook.com/{author_id}",
    )


def _comment_attachments(data: Any) -> tuple[Attachment, ...]:
    # Attachments are decoration: a strange one is dropped, the comment is kept.
    if not isinstance(data, dict):
        return ()
    kind = str(data.get("type") or "")
    media = found if isinstance(found := data.get("media"), dict) else {}
    image = found if isinstance(found := media.get("image"), dict) else {}
    url = found if isinstance(found := data.get("url"), str) else ""
    preview = found if isinstance(found := image.get("src"), str) else ""
    title = found if isinstance(found := data.get("title"), str) else ""
    return (
        Attachment(
            kind=_ATTACHMENT_KINDS.get(kind, kind or "link"), url=url, preview_url=preview, title=title
        ),
    )


def _message_attachments(data: Any) -> tuple[Attachment, ...]:
    entries = data.get("data") if isinstance(data, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        image = entry.get("image_data") if isinstance(entry, dict) else None
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            found.append(
                Attachment(kind="image", url=image["url"], preview_url=str(image.get("preview_url", "")))
            )
    return tuple(found)


def _absolute_link(link: str) -> str:
    return f"https://www.facebook.com{link}" if link.startswith("/") else link


def _created_id(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        # The network answered 2xx, so the write happened; without its id we cannot point at it.
        raise Ambiguous(f"Facebook accepted the write but returned no `{key}`")
    return value


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise Invalid(" ".join(problems))
