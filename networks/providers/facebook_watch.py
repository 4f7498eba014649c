"""Which Facebook posts a poll watches: the Page's feed (its own posts and visitors' posts), a slower sweep
over older posts, and a re-read of recent threads that finds edited and deleted comments.

Why the feed: `/{page-id}/published_posts` lists only the Page's own posts; `/{page-id}/feed` also holds
the posts visitors write on the Page and public posts that tag it
(https://developers.facebook.com/docs/graph-api/reference/page/feed/). A visitor post is a message of its
own, heading the thread of its comments.

Why a sweep: comments keep arriving on old, pinned and boosted posts. Posts older than the recent window
are listed again every `sweep_interval` (time-based paging with `until`, so a run stopped at its bound
resumes where it stopped) and their comments walked down to the recent window's floor.

Why a re-read: a walk stops at the newest comment it delivered, so it never sees a comment edited or
deleted below that mark. Graph comments carry no edit time; the only way to see an edit is to read the
comment again, and a comment gone from a complete listing of its post was deleted. Each recent post's
stream is read top to bottom once per interval.

Cursor part (plain JSON): {"next_at": iso, "until": unix seconds or null, "posts": {post id: stream
state}, "reread_at": iso, "reread_done": [post ids]}.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from networks.providers.base import (
    Author,
    EngagementItem,
    ItemKind,
    Network,
    NotFound,
    ThreadListing,
    WatchWindows,
)
from networks.providers.graph import (
    item_id_for_log,
    optional_dict,
    optional_str,
    parse_graph_time,
    required_str,
)
from networks.providers.graph_scan import Run, fresh
from networks.providers.post_sweep import stored_time

if TYPE_CHECKING:
    from networks.providers.facebook import FacebookProvider

logger = logging.getLogger(__name__)

FEED_FIELDS = "id,message,created_time,updated_time,permalink_url,from{id,name}"
#: A re-read reads a post's whole stream; past this many pages the listing is not complete, and nothing
#: is marked deleted from it.
MAX_REREAD_PAGES = 10


@dataclass(frozen=True, slots=True)
class FeedPost:
    id: str
    created: dt.datetime
    permalink: str
    message: str
    author: Author | None
    updated: dt.datetime | None
    raw: dict[str, Any]

    def by_visitor(self, page_id: str) -> bool:
        """Written by someone else than the Page (a post without `from` is not taken for one)."""
        return self.author is not None and self.author.external_id != page_id


def parse_feed_post(raw: Any) -> FeedPost:
    post_id = required_str(raw, "id")
    created = parse_graph_time(raw.get("created_time"))
    updated_raw = raw.get("updated_time")
    updated = parse_graph_time(updated_raw) if updated_raw is not None else None
    sender = optional_dict(raw, "from")
    author = None
    if sender is not None:
        author_id = required_str(sender, "id")
        author = Author(
            external_id=author_id,
            name=optional_str(sender, "name"),
            profile_url=f"https://www.facebook.com/{author_id}",
        )
    return FeedPost(
        id=post_id,
        created=created,
        permalink=optional_str(raw, "permalink_url"),
        message=optional_str(raw, "message"),
        author=author,
        updated=updated,
        raw=raw,
    )


def visitor_item(post: FeedPost) -> EngagementItem:
    """A visitor's post on the Page, as the message heading its thread."""
    return EngagementItem(
        network=Network.FACEBOOK,
        external_id=post.id,
        kind=ItemKind.VISITOR_POST,
        text=post.message,
        created_at=post.created,
        author=post.author,
        post_external_id=post.id,
        post_text=post.message,
        post_permalink=post.permalink,
        thread_root_external_id=post.id,
        permalink=post.permalink,
        raw=post.raw,
        # Graph's post `updated_time` moves with edits and new comments alike: not an edit time.
    )


def in_visitor_thread(item: EngagementItem, post_id: str) -> EngagementItem:
    """Comments on a visitor post belong to the visitor's thread, not to threads of their own."""
    return replace(item, thread_root_external_id=post_id)


@dataclass(slots=True)
class Watch:
    """What the sweep and the re-read of one poll add to it."""

    reread: list[EngagementItem] = field(default_factory=list)
    listings: list[ThreadListing] = field(default_factory=list)


def feed_pages(provider: FacebookProvider, params: dict[str, Any]) -> Iterator[tuple[list[Any], bool]]:
    return provider.graph.pages(f"{provider.page_id}/feed", params)


def parse_posts(run: Run, data: list[Any]) -> Iterator[FeedPost]:
    for raw in data:
        try:
            yield parse_feed_post(raw)
        except ValueError as exc:
            logger.warning("Skipping malformed Facebook post (id=%s): %s", item_id_for_log(raw), exc)
            run.skipped += 1


# --- The sweep over older posts -----------------------------------------------------------------------


def sweep(
    provider: FacebookProvider,
    run: Run,
    stored: Any,
    *,
    now: dt.datetime,
    windows: WatchWindows,
    handed_over: dict[str, Any],
    watched: Collection[str],
    walk: Callable[[Run, FeedPost, Any], dict[str, Any]],
) -> dict[str, Any]:
    """One bounded run of the sweep when it is due (or a pass is under way); the sweep's next state.

    `handed_over` holds the stream states of posts the recent poll watched until now: a post leaving the
    recent window keeps its high-water mark instead of being walked again from the window's floor.
    `watched` are the posts the recent poll read this time: every other post is the sweep's, a recent one
    beyond the recent poll's count included."""
    stored = stored if isinstance(stored, dict) else {}
    floor = now - windows.recent
    kept = found if isinstance(found := stored.get("posts"), dict) else {}
    states = {pid: s for pid, s in {**handed_over, **kept}.items() if fresh(s, floor)}
    state: dict[str, Any] = {k: v for k, v in stored.items() if k != "posts"}
    until = stored.get("until") if isinstance(stored.get("until"), int) else None
    next_at = stored_time(stored.get("next_at"))
    due = until is not None or next_at is None or now >= next_at
    if windows.sweep_days <= 0 or not due or run.interrupted or provider.budget_low():
        return {**state, "posts": states}

    oldest = now - dt.timedelta(days=windows.sweep_days)
    params: dict[str, Any] = {"fields": FEED_FIELDS, "limit": min(100, max(1, windows.sweep_posts))}
    if until is not None:
        params["until"] = until
    # Posts of the resume second the last run walked already (`until` includes its second).
    edge = {str(i) for i in stored.get("edge", []) if isinstance(i, str)} if until is not None else set()
    walked, last, finished, stop = 0, None, True, False
    at_last: list[str] = []
    for data, has_next in feed_pages(provider, params):
        for post in parse_posts(run, data):
            if post.id in watched or post.id in edge:
                continue  # the recent poll watches it, or the last run walked it
            if post.created < oldest:
                stop = True
                break
            if walked >= windows.sweep_posts or not run.has_room():
                finished, stop = False, True
                break
            try:
                states[post.id] = walk(run, post, states.get(post.id))
            except NotFound:
                logger.info("Facebook post %s vanished while sweeping; skipping it", post.id)
            if last is None or post.created != last:
                at_last = []
            last = post.created
            if run.interrupted:
                finished, stop = False, True
                break
            at_last.append(post.id)
            walked += 1
        if stop:
            break
        if has_next and not run.take_page():
            run.interrupted = True
            finished = False
            break
    if finished:
        state.update(until=None, edge=[], next_at=(now + windows.sweep_interval).isoformat())
    else:
        resume = int(last.timestamp()) if last is not None else until
        # `until` includes its second: the posts of that second walked already are remembered and
        # skipped next time (an interrupted one is walked again; its state skips what was delivered).
        if resume is None:  # stopped before walking any post: the next run starts this pass again
            state.update(until=None, edge=[])
        else:
            state["edge"] = sorted(set(at_last) | (edge if resume == until else set()))
            state["until"] = resume
    state["swept_at"] = now.isoformat()
    return {**state, "posts": {pid: s for pid, s in states.items() if fresh(s, floor)}}


# --- The re-read of recent threads --------------------------------------------------------------------


def reread(
    provider: FacebookProvider,
    run: Run,
    stored: Any,
    posts: list[FeedPost],
    *,
    now: dt.datetime,
    windows: WatchWindows,
    read: Callable[[FeedPost], tuple[list[EngagementItem], bool]],
    out: Watch,
) -> dict[str, Any]:
    """Read the comment streams of recent posts again, a bounded number per poll, once per interval."""
    stored = stored if isinstance(stored, dict) else {}
    next_at = stored_time(stored.get("reread_at"))
    done = [str(i) for i in stored.get("reread_done", []) if isinstance(i, str)]
    if next_at is None and not done:
        # The first poll has just read every thread: the first re-read is one interval away.
        return {"reread_at": (now + windows.sweep_interval).isoformat(), "reread_done": []}
    if (next_at is not None and now < next_at and not done) or run.interrupted or provider.budget_low():
        return {"reread_at": stored.get("reread_at"), "reread_done": done}
    todo = [post for post in posts if post.id not in set(done)]
    for post in todo[: max(1, windows.sweep_posts)]:
        read_at = now
        try:
            items, complete = read(post)
        except NotFound:
            done.append(post.id)
            continue
        out.reread.extend(items)
        if complete:
            ids = frozenset(item.external_id for item in items)
            out.listings.append(ThreadListing(post.id, ids, read_at))
        done.append(post.id)
    if len(todo) <= max(1, windows.sweep_posts):
        return {"reread_at": (now + windows.sweep_interval).isoformat(), "reread_done": []}
    return {"reread_at": stored.get("reread_at"), "reread_done": done}


def read_whole_stream(
    provider: FacebookProvider,
    run: Run,
    post: FeedPost,
    parse: Callable[[Any], EngagementItem | None],
    params: dict[str, Any],
) -> tuple[list[EngagementItem], bool]:
    """Every comment of the post as it is now; complete unless the page bound cut it."""
    items: list[EngagementItem] = []
    for number, (data, has_next) in enumerate(provider.graph.pages(f"{post.id}/comments", params), start=1):
        for raw in data:
            item = parse(raw)
            if item is not None:
                items.append(item)
            else:
                # An item we cannot read is not an item we know is gone: no deletion from this listing.
                return items, False
        if has_next and (number >= MAX_REREAD_PAGES or not run.take_page()):
            return items, False
    return items, True
