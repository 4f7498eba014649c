"""The slow sweep over a channel's older posts, for networks whose post list pages by position
(Instagram's media, LinkedIn's posts). Facebook's feed pages by time and has its own (facebook_watch).

Why: comments keep arriving on old, pinned and boosted posts, which the recent poll no longer reads.
How: every `sweep_interval` a pass lists the account's posts and walks each one created inside the sweep
window that the recent poll did not read this time, at most `sweep_posts` per poll. A pass stopped by its
bound resumes at the next poll. It remembers the ids it walked, not a paging cursor (Graph cursors die with
the object they point at) nor an offset (every new post shifts them): a resumed pass lists from the top
again, which costs list pages only, and skips what it walked.

A list whose order is documented newest first ends the pass at its first post older than the window. Any
other list is read to its end, bounded by MAX_PASS_PAGES: an undocumented order is no order.

A swept post's stream state is kept while `fresh` says so (interrupted, or its newest delivered comment
inside the recent window). Without one, the walk starts at the recent window's floor, so a sweep never
floods the inbox with a year of history; the posts the recent poll stops reading hand their state over.

Cursor part (plain JSON): {"next_at": iso or null, "walked": [post ids of the pass under way],
"posts": {post id: stream state}, "swept_at": iso}.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from networks.providers.base import NotFound, WatchWindows

logger = logging.getLogger(__name__)

#: List pages one pass may read in all its runs together (a page is 50-100 posts).
MAX_PASS_PAGES = 50


@dataclass(frozen=True, slots=True)
class Candidate:
    """A post as the list shows it: enough to decide whether to walk it, and what the walk needs."""

    id: str
    created: dt.datetime
    post: Any = None


@dataclass(frozen=True, slots=True)
class Sweeper:
    """How one network's sweep reads and walks (all callables are the provider's)."""

    #: The account's posts, page by page, lazily; the iterator stops early when the poll's page budget is
    #: spent, and `interrupted()` then says so.
    pages: Callable[[], Iterable[list[Candidate]]]
    newest_first: bool
    #: Walk one post from its state (None: from the recent window's floor); its next state.
    walk: Callable[[Candidate, Any], Any]
    #: A state worth keeping (see the module docstring).
    fresh: Callable[[Any], bool]
    #: The poll can take more items.
    room: Callable[[], bool]
    #: The poll stopped at its item or page budget.
    interrupted: Callable[[], bool]


def stored_time(value: Any) -> dt.datetime | None:
    """A time the cursor stored as ISO text; None for a missing or damaged one (never a failed poll)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    except ValueError:
        return None


def sweep(
    sweeper: Sweeper,
    stored: Any,
    *,
    now: dt.datetime,
    windows: WatchWindows,
    watched: Collection[str],
    handed_over: dict[str, Any] | None = None,
    hold: bool = False,
) -> dict[str, Any]:
    """One bounded run of the sweep when it is due (or a pass is under way); the sweep's next state.

    `watched` are the posts the recent poll read this run; `handed_over` the states of posts it read until
    now and no longer does; `hold` postpones the run (the network's budget is low: recent posts first)."""
    stored = stored if isinstance(stored, dict) else {}
    kept = found if isinstance(found := stored.get("posts"), dict) else {}
    states = {pid: s for pid, s in {**(handed_over or {}), **kept}.items() if sweeper.fresh(s)}
    raw_walked = stored.get("walked")
    under_way = isinstance(raw_walked, list)
    walked = {str(i) for i in raw_walked if isinstance(i, str)} if isinstance(raw_walked, list) else set()
    next_at = stored_time(stored.get("next_at"))
    state: dict[str, Any] = {k: v for k, v in stored.items() if k in {"next_at", "walked", "swept_at"}}
    due = under_way or next_at is None or now >= next_at
    if windows.sweep_days <= 0 or not due or hold or sweeper.interrupted():
        return {**state, "posts": states}

    oldest = now - dt.timedelta(days=windows.sweep_days)
    this_run, finished = 0, True
    pages = 0
    for page in sweeper.pages():
        pages += 1
        stop = False
        for candidate in page:
            if candidate.id in watched or candidate.id in walked:
                continue
            if candidate.created < oldest:
                if sweeper.newest_first:
                    stop = True
                    break
                continue
            if this_run >= windows.sweep_posts or not sweeper.room():
                finished, stop = False, True
                break
            try:
                states[candidate.id] = sweeper.walk(candidate, states.get(candidate.id))
            except NotFound:
                logger.info("post %s vanished while sweeping; skipping it", candidate.id)
            if sweeper.interrupted():  # this post's state holds where its walk stopped
                finished, stop = False, True
                break
            walked.add(candidate.id)
            this_run += 1
        if stop:
            break
        if pages >= MAX_PASS_PAGES:
            logger.warning("sweep: more than %s pages of posts; the pass ends there", MAX_PASS_PAGES)
            break
    else:
        finished = finished and not sweeper.interrupted()
    if finished:
        state = {"next_at": (now + windows.sweep_interval).isoformat()}
    else:
        state = {"next_at": stored.get("next_at"), "walked": sorted(walked)}
    state["swept_at"] = now.isoformat()
    return {**state, "posts": {pid: s for pid, s in states.items() if sweeper.fresh(s)}}
