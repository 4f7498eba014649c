"""Who else has a conversation open, and who is typing a reply: kept in the cache, never in the database.

The conversation page pings every 10 seconds with its state ("viewing" or "replying"); an entry counts
for PRESENCE_TTL seconds after its last ping, so a closed tab disappears by itself. One cache key per
conversation holds {user id: [state, name, timestamp]}. Two pings racing may drop one entry for one
round; the next ping puts it back, which is all a presence hint needs. Presence is decoration: with the
cache unreachable, nobody is shown and the page works (core/cache.py).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from core.cache import decoration_get, decoration_set

PRESENCE_TTL = 25  # seconds without a ping before someone no longer counts (pings come every 10 s)
KEY_TTL = 120  # the whole key goes when nobody has pinged for this long


class State(enum.StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: State


def _key(conversation_id: int) -> str:
    return f"inbox:presence:{conversation_id}"


def _live(entries: dict, now: float) -> dict:
    return {uid: entry for uid, entry in entries.items() if now - entry[2] <= PRESENCE_TTL}


def presence_ping(
    *, conversation_id: int, user_id: int, name: str, state: str, now: float | None = None
) -> None:
    now = time.time() if now is None else now
    try:
        state = State(state)
    except ValueError:
        state = State.VIEWING
    entries = _live(decoration_get(_key(conversation_id)) or {}, now)
    entries[user_id] = [str(state), name, now]
    decoration_set(_key(conversation_id), entries, KEY_TTL)


def presence_leave(*, conversation_id: int, user_id: int) -> None:
    entries = decoration_get(_key(conversation_id)) or {}
    if entries.pop(user_id, None) is not None:
        decoration_set(_key(conversation_id), entries, KEY_TTL)


def presence_others(*, conversation_id: int, user_id: int, now: float | None = None) -> list[Presence]:
    """Everyone else on the conversation, people replying first, then by name."""
    now = time.time() if now is None else now
    entries = _live(decoration_get(_key(conversation_id)) or {}, now)
    people = [
        Presence(user_id=uid, name=name, state=State(state))
        for uid, (state, name, _at) in entries.items()
        if uid != user_id
    ]
    return sorted(people, key=lambda p: (p.state != State.REPLYING, p.name.lower()))
