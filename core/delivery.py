"""Sending something to a network exactly once: the rules every outbound pipeline shares.

Replies (`inbox.replies`) and posts (`posts.publishing`) are two pipelines over the same life:

    waiting --claim--> in flight --> done
                           |-> waiting   (certainly not applied: transient trouble, a rate limit)
                           |-> failed    (refused, or given up; a person may try again)
                           '-> unknown   (may have landed: read back before anything else)
    unknown --read back--> done (found) | waiting (not there) | failed (cannot tell: a person checks)

This module decides; the pipelines store. `after_send_error` and `after_check_error` turn what a provider
raised into the next step (one table for every pipeline: a network error means the same thing whatever was
being sent), and `backoff` spaces retries.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from dataclasses import dataclass

from core import remote_errors as p

#: Clock difference tolerated between us and a network when reading back what we may have sent.
FIND_MARGIN = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Policy:
    """How patient a pipeline is."""

    max_attempts: int  # sends that certainly failed (transient trouble) before giving up
    max_checks: int  # attempts plus read-backs that could not settle an unknown outcome
    backoff_base: dt.timedelta  # the first retry's wait, doubled per attempt, with jitter
    backoff_cap: dt.timedelta  # the longest wait between two retries
    reconcile_delay: dt.timedelta  # let the network index what may have landed before reading it back


class Next(enum.StrEnum):
    """What follows a failed step."""

    RETRY = "retry"  # not applied (transient trouble): try again at `due`
    WAIT = "wait"  # not applied (rate limited): try again when the network said, at `due`
    GAVE_UP = "gave_up"  # transient trouble max_attempts times: failed
    REFUSED = "refused"  # the network refused it for good (invalid, gone, a permission missing): failed
    AUTH_LOST = "auth_lost"  # the channel's token is dead: failed, and the channel needs a reconnect
    CHECK = "check"  # it may have landed: read back at `due` before anything else
    DUPLICATE = "duplicate"  # the network has these words already after an unclear attempt: read back
    UNDECIDABLE = "undecidable"  # the read-back cannot tell: failed, a person looks at the network


@dataclass(frozen=True)
class Decision:
    next: Next
    due: dt.datetime | None = None  # when the next step is due; None when the outcome is final
    attempt: bool = True  # whether this step counts as an attempt
    words: str = ""  # the network's words, for the person reading why


def words(exc: BaseException) -> str:
    """The network's own words for an error, safe to show a person (bounded)."""
    text = (exc.network_message or str(exc)) if isinstance(exc, p.ProviderError) else str(exc)
    return (text or type(exc).__name__)[:2000]


def backoff(attempts: int, policy: Policy) -> dt.timedelta:
    """The wait before attempt `attempts + 1`: base, doubled per attempt, capped, with +/-20 % jitter so
    retries after one outage do not arrive together."""
    base = policy.backoff_base.total_seconds() * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(base, policy.backoff_cap.total_seconds()) * random.uniform(0.8, 1.2))


def after_send_error(exc: p.ProviderError, *, attempts: int, now: dt.datetime, policy: Policy) -> Decision:
    """The next step after a send or publish raised `exc`; `attempts` counts the earlier ones."""
    said = words(exc)
    if isinstance(exc, p.RateLimited):
        return Decision(Next.WAIT, due=exc.resume_at(now=now, floor=p.RETRY_FLOOR), attempt=False, words=said)
    if isinstance(exc, p.Transient):
        if attempts + 1 >= policy.max_attempts:
            return Decision(Next.GAVE_UP, words=said)
        return Decision(Next.RETRY, due=now + backoff(attempts + 1, policy), words=said)
    if isinstance(exc, p.AuthExpired):
        return Decision(Next.AUTH_LOST, words=said)
    if isinstance(exc, p.Duplicate) and attempts > 0:
        # An earlier attempt ended without a clear answer and the network now says it has these words:
        # that attempt probably landed. Read back rather than calling it failed.
        return Decision(Next.DUPLICATE, due=now + policy.reconcile_delay, words=said)
    if isinstance(exc, p.Invalid | p.NotFound | p.PermissionMissing):
        return Decision(Next.REFUSED, words=said)
    # Ambiguous, and anything unclassified: it may be on the network. Read back before any retry.
    return Decision(Next.CHECK, due=now + policy.reconcile_delay, words=said)


def after_check_error(exc: BaseException, *, attempts: int, now: dt.datetime, policy: Policy) -> Decision:
    """The next step after reading back an unknown outcome raised `exc`."""
    said = words(exc)
    if isinstance(exc, p.AuthExpired):
        # Nothing can be read until someone reconnects the channel; they are told, and look themselves.
        return Decision(Next.AUTH_LOST, attempt=False, words=said)
    if isinstance(exc, p.NotFound):
        return Decision(Next.REFUSED, attempt=False, words=said)  # the thread or account itself is gone
    if isinstance(exc, p.ReadBackIncomplete | NotImplementedError):
        return Decision(Next.UNDECIDABLE, attempt=False, words=said)
    if attempts + 1 >= policy.max_checks:
        return Decision(Next.UNDECIDABLE, words=said)
    due = exc.resume_at(now=now, floor=p.RETRY_FLOOR) if isinstance(exc, p.RateLimited) else None
    return Decision(Next.CHECK, due=due or now + backoff(2, policy), words=said)
