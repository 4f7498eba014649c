"""Per-post watermarks for the LinkedIn poll (see the cursor description in `linkedin.py`).

Kept apart because this is where "nothing lost, nothing twice" is decided, and it deserves to be read (and
tested) without the HTTP around it. Comments are scanned newest first; a position is (epoch ms, id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Watermark:
    """A millisecond and the comment ids already handled at exactly that millisecond."""

    time_ms: int
    ids: frozenset[str]

    def dump(self) -> list[Any]:
        return [self.time_ms, sorted(self.ids)]

    @classmethod
    def load(cls, raw: Any) -> Watermark | None:
        if raw is None:
            return None
        time_ms, ids = raw  # ValueError/TypeError on a broken shape: caught by PostMarks.load
        if not isinstance(time_ms, int) or not all(isinstance(i, str) for i in ids):
            raise TypeError("watermark must be [ms, [ids]]")
        return cls(time_ms, frozenset(ids))


def _newer(mark: Watermark | None, time_ms: int, item_id: str) -> Watermark:
    """The newest of `mark` and (time_ms, id)."""
    if mark is None or time_ms > mark.time_ms:
        return Watermark(time_ms, frozenset({item_id}))
    if time_ms == mark.time_ms:
        return Watermark(time_ms, mark.ids | {item_id})
    return mark


def _older(mark: Watermark | None, time_ms: int, item_id: str) -> Watermark:
    """The oldest of `mark` and (time_ms, id)."""
    if mark is None or time_ms < mark.time_ms:
        return Watermark(time_ms, frozenset({item_id}))
    if time_ms == mark.time_ms:
        return Watermark(time_ms, mark.ids | {item_id})
    return mark


@dataclass(frozen=True, slots=True)
class PostMarks:
    mark: Watermark | None = None  # everything older, and the ids at its ms, was delivered by earlier passes
    floor: Watermark | None = None  # this unfinished pass delivered everything newer, and the ids at its ms
    pending: Watermark | None = None  # the newest comment this unfinished pass delivered

    @classmethod
    def load(cls, raw: Any) -> PostMarks:
        if not raw:
            return cls()
        try:
            return cls(*(Watermark.load(raw.get(name)) for name in ("mark", "floor", "pending")))
        except (AttributeError, TypeError, ValueError):
            log.warning("linkedin: unreadable post cursor %r; rescanning that post from the start", raw)
            return cls()

    def dump(self) -> dict[str, Any]:
        parts = {"mark": self.mark, "floor": self.floor, "pending": self.pending}
        return {name: mark.dump() for name, mark in parts.items() if mark is not None}

    def older_than_mark(self, time_ms: int) -> bool:
        """Scanning newest first, this comment and all after it were delivered by earlier passes."""
        return self.mark is not None and time_ms < self.mark.time_ms

    def already_delivered(self, time_ms: int, item_id: str) -> bool:
        if self.mark is not None and time_ms == self.mark.time_ms and item_id in self.mark.ids:
            return True
        if self.floor is None:
            return False
        # Newer than the floor: delivered earlier in this pass, or arrived since (then newer than
        # `pending`, and delivered by the next pass once the mark has moved up).
        return time_ms > self.floor.time_ms or (time_ms == self.floor.time_ms and item_id in self.floor.ids)

    def arrived_during_walk(self, time_ms: int, item_id: str) -> bool:
        """Skipped as newer than the floor, yet newer than anything this walk delivered: the next pass's."""
        if self.pending is None:
            return False
        pending = self.pending
        return time_ms > pending.time_ms or (time_ms == pending.time_ms and item_id not in pending.ids)

    def delivered(self, time_ms: int, item_id: str) -> PostMarks:
        return PostMarks(
            mark=self.mark,
            floor=_older(self.floor, time_ms, item_id),
            pending=_newer(self.pending, time_ms, item_id),
        )

    def finished(self) -> PostMarks:
        """The pass reached the mark: the newest comment delivered becomes the new mark."""
        mark = self.mark
        if self.pending is not None:
            mark = _newer(mark, self.pending.time_ms, next(iter(self.pending.ids)))
            if mark.time_ms == self.pending.time_ms:
                mark = Watermark(mark.time_ms, mark.ids | self.pending.ids)
        return PostMarks(mark=mark)
