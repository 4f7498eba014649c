"""Resumable "only what's new" walks over Graph lists that come newest first.

Graph paging cursors die with the object they point at, so the stored poll cursor keeps timestamps
instead: per stream (a post's comments, a conversation's messages, a media's comments), a high-water
`mark` = the newest time delivered plus the ids delivered at exactly that second (Graph times have one-second
resolution, so a later item may share the mark's second).

A run stops at its item budget. The stream then keeps `pending`: the newest item delivered so far and the
ranges [low, top] this walk has delivered. The next run walks from the top again, skips what those ranges
hold, delivers the rest, and when it reaches the old mark the newest item becomes the mark. Nothing is
stored that Graph can invalidate. Items sharing a second come in no useful order, so a position is a time
plus ids, and a range is only merged into a later one once the later walk has gone all the way through it.
Property tests (tests/networks/test_facebook.py, test_instagram.py) check that any schedule of arrivals
and budgets delivers every item exactly once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from networks.providers.base import EngagementItem, Invalid, NotFound, PermissionMissing


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a newest-first stream: a time and the ids seen at exactly that time."""

    at: dt.datetime | None = None
    ids: frozenset[str] = frozenset()

    def covers(self, at: dt.datetime, item_id: str) -> bool:
        """The item sits at or below this mark (delivered, when this is a high-water mark)."""
        return self.at is not None and (at < self.at or (at == self.at and item_id in self.ids))

    def reaches_down_to(self, at: dt.datetime, item_id: str) -> bool:
        """The item sits at or above this mark (the mark is the low end of a range containing it)."""
        return self.at is not None and (at > self.at or (at == self.at and item_id in self.ids))

    def raised(self, at: dt.datetime, item_id: str) -> Mark:
        if self.at is None or at > self.at:
            return Mark(at, frozenset({item_id}))
        if at == self.at:
            return Mark(at, self.ids | {item_id})
        return self

    def lowered(self, other: Mark) -> Mark:
        if other.at is None:
            return self
        if self.at is None or other.at < self.at:
            return other
        if other.at == self.at:
            return Mark(self.at, self.ids | other.ids)
        return self

    def dump(self) -> dict[str, Any]:
        return {"t": self.at.isoformat() if self.at else None, "ids": sorted(self.ids)}

    @classmethod
    def load(cls, data: Any, *, default: Mark | None = None) -> Mark:
        """Tolerant: a damaged stored value falls back to `default` rather than failing the poll."""
        if not isinstance(data, dict) or not isinstance(data.get("t"), str):
            return default or cls()
        try:
            at = dt.datetime.fromisoformat(data["t"]).astimezone(dt.UTC)
        except ValueError:
            return default or cls()
        ids = data.get("ids")
        return cls(at, frozenset(str(i) for i in ids) if isinstance(ids, list) else frozenset())


def fresh(state: Any, floor: dt.datetime) -> bool:
    """A stream state worth keeping once its post has left the recent window: interrupted, or its newest
    delivered item inside the window (older states are dropped: a later walk starts at the floor)."""
    mark = Mark.load(state)
    return isinstance(state, dict) and ("pending" in state or (mark.at is not None and mark.at >= floor))


class Walk:
    """One stream's walk in one run. State in and out is plain JSON for the poll cursor.

    Invariant of a run: every item above `low` has been walked in this run and is delivered (emitted now,
    or inside a range delivered by an earlier, interrupted run).
    """

    def __init__(self, state: Any, *, floor: dt.datetime | None = None):
        state = state if isinstance(state, dict) else {}
        # A stream we have no state for is taken as delivered up to `floor` (history we chose to skip).
        self.mark = Mark.load(state, default=Mark(floor) if floor else Mark())
        pending = found if isinstance(found := state.get("pending"), dict) else {}
        self.ranges = _load_ranges(pending.get("ranges"))
        # The newest item delivered so far: the mark once the walk completes.
        self.new = _higher(self.mark, Mark.load(pending.get("new")))
        self.low = Mark()
        self.thread_ids = frozenset(str(i) for i in pending.get("thread", []) if isinstance(i, str | int))
        found = pending.get("found")
        self.found: int = found if isinstance(found, int) else 0
        #: The paging cursor of the page the interrupted run stopped on, where the list has such cursors
        #: (see walk_resumable): "" when there is none.
        self.resume = found if isinstance(found := pending.get("resume"), str) else ""
        self.extra = {k: v for k, v in state.items() if k not in {"t", "ids", "pending"}}

    def below_mark(self, at: dt.datetime) -> bool:
        """Strictly older than the mark: a newest-first walk can stop here."""
        return self.mark.at is not None and at < self.mark.at

    def range_of(self, at: dt.datetime, item_id: str) -> tuple[Mark, Mark] | None:
        """The range delivered by an interrupted run that holds this position, if any; the most recent
        one when ranges overlap (its run saw the newest replies of the threads it walked)."""
        holding = [
            (low, top)
            for low, top in self.ranges
            if top.covers(at, item_id) and low.reaches_down_to(at, item_id)
        ]
        return max(holding, key=lambda r: (r[1].at, len(r[1].ids)), default=None)

    def delivered(self, at: dt.datetime, item_id: str) -> bool:
        return (
            self.mark.covers(at, item_id)
            or self.range_of(at, item_id) is not None
            or item_id in self.thread_ids
        )

    def skip(self, at: dt.datetime, item_id: str) -> None:
        """The item was delivered before; walking past it extends this run's delivered segment."""
        self.passed(at, item_id)

    def emit(self, at: dt.datetime, item_id: str) -> None:
        self.new = _higher(self.new, Mark(at, frozenset({item_id})))
        self.found += 1

    def passed(self, at: dt.datetime, item_id: str) -> None:
        """Everything down to this position (inclusive) is now delivered."""
        self.low = self.low.lowered(Mark(at, frozenset({item_id})))

    def finished(self) -> dict[str, Any]:
        """The walk reached the old mark (or the end of the list): `new` becomes the mark."""
        return {**self.extra, **self.new.dump()}

    def interrupted(self, *, thread_ids: Iterable[str] = (), resume: str = "") -> dict[str, Any]:
        """The run stopped inside this stream: keep what is delivered, to skip it next time, and `resume`,
        the paging cursor of the page it stopped on (walk_resumable)."""
        ranges = list(self.ranges)
        if self.low.at is not None:
            # This run delivered everything from the top down to `low`: one range, swallowing the
            # older ranges it walked through; the others stay as they are.
            low = self.low
            kept = []
            for old_low, old_top in ranges:
                if _walked_past(low, old_low):
                    low = low.lowered(old_low)
                else:
                    kept.append((old_low, old_top))
            ranges = [(low, self.new), *kept]
        thread = sorted(set(thread_ids))
        if not ranges and not thread:
            return {**self.extra, **self.mark.dump()}
        pending: dict[str, Any] = {
            "new": self.new.dump(),
            "ranges": [{"low": low.dump(), "top": top.dump()} for low, top in ranges],
            "found": self.found,
        }
        if thread:
            # Items of a thread cut in the middle (Instagram): no range can describe them.
            pending["thread"] = thread
        if resume and ranges:
            pending["resume"] = resume
        return {**self.extra, **self.mark.dump(), "pending": pending}


def _walked_past(low: Mark, old_low: Mark) -> bool:
    """This run walked the whole of an older range (so what it saw supersedes it).

    Merely overlapping is not enough: threads in the part not walked again only have the replies that
    older run saw. And within one second items come in no useful order, so only the ids tell.
    """
    if low.at is None or old_low.at is None:
        return False
    return low.at < old_low.at or (low.at == old_low.at and old_low.ids <= low.ids)


def _higher(a: Mark, b: Mark) -> Mark:
    if b.at is None:
        return a
    if a.at is None or b.at > a.at:
        return b
    if a.at == b.at:
        return Mark(a.at, a.ids | b.ids)
    return a


def _load_ranges(data: Any) -> list[tuple[Mark, Mark]]:
    ranges = []
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, dict):
            low, top = Mark.load(entry.get("low")), Mark.load(entry.get("top"))
            if top.at is not None:
                ranges.append((low, top))
    return ranges


@dataclass(slots=True)
class Run:
    """The budget of one poll across all its streams."""

    max_items: int
    max_pages: int = 200
    items: list[EngagementItem] = field(default_factory=list)
    skipped: int = 0
    pages: int = 0
    interrupted: bool = False
    permission_missing: str = ""  # a part of the poll the token may not read (see PollResult)

    def has_room(self) -> bool:
        return len(self.items) < self.max_items

    def take_page(self) -> bool:
        """Count a fetched page; False once the run has read as many pages as it may."""
        self.pages += 1
        return self.pages < self.max_pages


#: A list's pages, each as (items, whether another page follows, the paging cursor that asks for it).
Pages = Iterator[tuple[list[Any], bool, str]]


def walk_stream(
    run: Run,
    walk: Walk,
    pages: Iterator[tuple[list[Any], bool]],
    parse: Callable[[Any], EngagementItem | None],
) -> dict[str, Any]:
    """Deliver a flat newest-first stream's new items into `run`; returns the stream's next state.

    `parse` returns None for a malformed item (after logging it): it is counted and skipped, and the
    rest of the page still counts.
    """
    return _walk(run, walk, ((data, more, "") for data, more in pages), parse, reopen=None)


def walk_resumable(
    run: Run,
    walk: Walk,
    reopen: Callable[[str], Pages],
    parse: Callable[[Any], EngagementItem | None],
) -> dict[str, Any]:
    """`walk_stream` over a list whose pages can be asked for again from a paging cursor (Graph's
    `after`): `reopen(cursor)` answers the pages from there on ("" : from the top).

    A run that stops keeps the cursor of the page it stopped on. The next run walks from the top as
    always, delivering what arrived meanwhile, and once it reaches what the stopped run delivered it goes
    straight back to that page instead of reading every delivered page again: a backfill of a post with
    100,000 comments reads each page about once, where walking from the top made it quadratic, and stuck
    for good once the delivered part alone outgrew a run's page budget. The cursor is only a shortcut:
    when it no longer leads inside what was delivered (the network refused it, or deletions moved it),
    the walk carries on page by page."""
    return _walk(run, walk, reopen(""), parse, reopen=reopen, jump_to=walk.resume)


def _walk(
    run: Run,
    walk: Walk,
    pages: Pages,
    parse: Callable[[Any], EngagementItem | None],
    *,
    reopen: Callable[[str], Pages] | None,
    jump_to: str = "",
) -> dict[str, Any]:
    on_page = ""  # the cursor of the last page this run walked an item on: where the next run resumes
    for data, has_next, cursor in pages:
        for raw in data:
            item = parse(raw)
            if item is None:
                run.skipped += 1
                continue
            at, item_id = item.created_at, item.external_id
            if walk.below_mark(at):
                return walk.finished()
            if walk.delivered(at, item_id):
                walk.skip(at, item_id)
                on_page = cursor
                held_by = walk.range_of(at, item_id)
                if jump_to and reopen is not None and held_by is not None:
                    ahead = _pages_inside(run, walk, reopen, jump_to, held_by, parse)
                    jump_to = ""
                    if ahead is not None:
                        return _walk(run, walk, ahead, parse, reopen=reopen)
                continue
            if not run.has_room():
                run.interrupted = True
                return walk.interrupted(resume=on_page if reopen is not None else "")
            walk.emit(at, item_id)
            walk.passed(at, item_id)
            on_page = cursor
            run.items.append(item)
        if has_next and not run.take_page():
            run.interrupted = True
            return walk.interrupted(resume=on_page if reopen is not None else "")
    return walk.finished()


def _pages_inside(
    run: Run,
    walk: Walk,
    reopen: Callable[[str], Pages],
    cursor: str,
    held_by: tuple[Mark, Mark],
    parse: Callable[[Any], EngagementItem | None],
) -> Pages | None:
    """The pages from `cursor` on, when the first of them starts inside `held_by`, the delivered range
    the walk has just reached (so nothing between here and there can be missed); None otherwise."""
    if not run.take_page():
        return None
    try:
        pages = reopen(cursor)
        first = next(pages, None)
    except (Invalid, NotFound):  # a cursor the network no longer takes
        return None
    if first is None or not first[0]:
        return None
    item = parse(first[0][0])
    if item is None or walk.range_of(item.created_at, item.external_id) != held_by:
        return None
    return itertools.chain([first], pages)


def poll_threads(
    run: Run,
    cursor: Any,
    floor: dt.datetime,
    walk: Callable[[dict[str, Any], Mark], tuple[dt.datetime | None, bool]],
) -> dict[str, Any]:
    """An inbox of threads (Messenger, Instagram DMs): `{"seen": mark, "threads": {id: stream state}}`.

    `walk(threads, seen)` walks the threads updated since `seen` into `run`, updating `threads`, and
    answers (newest update, whether the listing was read to its end). Threads quiet since before the
    window need no state: their next message is newer than `floor`. A PermissionMissing leaves the
    state as it was and is reported by the run: the rest of the poll is stored, and the poll still
    fails, saying what is missing."""
    stored: dict[str, Any] = cursor if isinstance(cursor, dict) else {}
    seen = Mark.load(stored.get("seen"))
    old_threads = found if isinstance(found := stored.get("threads"), dict) else {}
    threads = {cid: s for cid, s in old_threads.items() if fresh_stream(s, floor)}
    try:
        newest, complete = walk(threads, seen)
    except PermissionMissing as exc:
        run.permission_missing = run.permission_missing or exc.network_message or str(exc)
        return dict(stored)
    if complete and newest is not None:
        seen = Mark(max(newest, seen.at) if seen.at else newest)
    return {**stored, "seen": seen.dump(), "threads": threads}


def fresh_stream(state: Any, floor: dt.datetime) -> bool:
    """A stream state worth keeping: interrupted, or delivered up to a time inside the window."""
    mark = Mark.load(state)
    return isinstance(state, dict) and ("pending" in state or (mark.at is not None and mark.at >= floor))
