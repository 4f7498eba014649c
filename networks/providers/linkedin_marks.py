"""Per-post watermarks for the LinkedIn poll (see the cursor description in `linkedin.py`).

Kept apart because this is where "nothing lost, nothing twice" is decided, and it deserves to be read (and
tested) without the HTTP around it. LinkedIn documents no order for a comment list, so a pass reads a
post's whole thread and decides by time and id alone: a comment is new when it is dated after the mark
and its id was not delivered yet. The mark trails the newest comment seen by an overlap window, and the ids
delivered inside that window are kept, so a comment that shows up late with a slightly older date is still
delivered once (the inbox's unique constraint is the last guard).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: How far behind the newest comment seen the mark stays (ms): LinkedIn's dates come from many servers.
OVERLAP_MS = 5 * 60 * 1000


@dataclass(frozen=True, slots=True)
class PostMarks:
    mark: int | None = None  # every comment dated at or before this epoch ms was delivered
    seen: dict[str, int] = field(default_factory=dict)  # ids delivered that are dated after the mark

    @classmethod
    def load(cls, raw: Any) -> PostMarks:
        if not raw:
            return cls()
        try:
            if "seen" in raw or raw.get("mark") is None or isinstance(raw.get("mark"), int):
                mark, seen = raw.get("mark"), raw.get("seen") or {}
                if mark is not None and not isinstance(mark, int):
                    raise TypeError("mark must be epoch ms")
                if not all(isinstance(k, str) and isinstance(v, int) for k, v in seen.items()):
                    raise TypeError("seen must map ids to epoch ms")
                return cls(mark, dict(seen))
            # The cursor of the newest-first walk, [ms, [ids at that ms]]: everything older was delivered.
            # A pass it left unfinished starts again from that mark (the unique constraint drops repeats).
            time_ms, ids = raw["mark"]
            if not isinstance(time_ms, int) or not all(isinstance(i, str) for i in ids):
                raise TypeError("watermark must be [ms, [ids]]")
            return cls(time_ms - 1, dict.fromkeys(ids, time_ms))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("linkedin: unreadable post cursor %r; rescanning that post from the start", raw)
            return cls()

    def dump(self) -> dict[str, Any]:
        return {"mark": self.mark, "seen": dict(sorted(self.seen.items()))}

    def is_new(self, time_ms: int, item_id: str) -> bool:
        return (self.mark is None or time_ms > self.mark) and item_id not in self.seen

    def advanced(
        self, *, delivered: Iterable[tuple[int, str]], walked: Iterable[tuple[int, str]], complete: bool
    ) -> PostMarks:
        """The marks after a pass that read `walked` and delivered `delivered` (oldest first).

        `complete` says every new comment was delivered; otherwise the rest are all newer than the last
        one delivered, and the mark stays below them.
        """
        delivered = list(delivered)
        known = {**self.seen, **{item_id: time_ms for time_ms, item_id in delivered}}
        if complete:
            times = [time_ms for time_ms, _id in walked] + list(known.values())
        else:
            times = [time_ms for time_ms, _id in delivered]
        mark = self.mark
        if times:
            candidate = max(times) - OVERLAP_MS
            mark = candidate if mark is None else max(mark, candidate)
        if mark is not None:
            known = {item_id: time_ms for item_id, time_ms in known.items() if time_ms > mark}
        return PostMarks(mark, known)
