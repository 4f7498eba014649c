"""Sending something to a network exactly once: the rules every outbound pipeline shares.

Replies (`inbox.replies`) and posts (`posts.publishing`) are two pipelines over the same life:

    waiting --claim--> in flight --> done
                           |-> waiting   (certainly not applied: transient trouble, a rate limit)
                           |-> failed    (refused, or given up; a person may try again)
                           '-> unknown   (may have landed: read back before anything else)
    unknown --read back--> done (found) | waiting (not there) | failed (cannot tell: a person checks)

This module decides; the pipelines store. `after_send_error` and `after_check_error` turn what a provider
raised into the next step (one table for every pipeline: a network error means the same thing whatever was
being sent), and `backoff` spaces retries. The database is the schedule: each row says when its next step
is due, `dispatch_due` (a beat tick) hands out what is due under a lease, and `claim` lets exactly one worker
take a step however many are handed it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, models, transaction
from django.db.models import F, Q

from core import remote_errors as p

log = logging.getLogger(__name__)

#: Clock difference tolerated between us and a network when reading back what we may have sent.
FIND_MARGIN = dt.timedelta(minutes=10)


def delivery_key(pipeline: str, pk: int) -> str:
    """The stable name of one delivery (a reply, a post's target), the same at every attempt and unlike any
    other deployment's: networks that take an idempotency key or a client-chosen record id receive it
    (Provider.reply and .publish, `delivery_key`), so a retry after an unclear outcome cannot land twice.
    Keyed with SECRET_KEY, so two deployments posting for the same account (or one whose database was
    reset) never name two deliveries alike."""
    import hashlib
    import hmac

    from django.conf import settings

    digest = hmac.new(settings.SECRET_KEY.encode(), f"{pipeline}:{pk}".encode(), hashlib.sha256)
    return f"cmhub-{pipeline}-{pk}-{digest.hexdigest()[:20]}"


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


# --- The schedule: conditional UPDATEs on the pipeline's own rows ---------------------------------------


@dataclass(frozen=True)
class Pipeline:
    """Where a pipeline keeps its state: the model, the names of its columns, its statuses, its timers."""

    model: type[models.Model]
    policy: Policy
    status: str  # the status column
    due: str  # when the next step is due; for a row in flight, when its step began
    attempts: str
    waiting: str
    in_flight: str
    unknown: str
    #: A row in flight longer than this lost its worker: the task's hard time limit plus a margin. A
    #: longer timer only makes a crash's recovery late; a shorter one would read back a step still running.
    stale_after: dt.timedelta
    lease: dt.timedelta  # a row handed out is not handed out again before this (an enqueue may be lost)
    #: A task arriving this early (clock skew between machines) still runs its step.
    tolerance: dt.timedelta = dt.timedelta(seconds=5)
    lease_field: str = "leased_until"

    def rows(self, **filters: Any) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(**filters)


def claim(pipeline: Pipeline, pk: int, *, now: dt.datetime) -> bool:
    """waiting -> in flight, if due. Exactly one caller gets True however many try at once: the row count of
    one conditional UPDATE decides."""
    # No join here: Django turns an UPDATE with a join into `WHERE id IN (SELECT ...)`, and PostgreSQL does
    # not re-evaluate that subquery for a row another worker just changed, so two would both win.
    return bool(
        pipeline.rows(
            pk=pk, **{pipeline.status: pipeline.waiting, f"{pipeline.due}__lte": now + pipeline.tolerance}
        ).update(**{pipeline.status: pipeline.in_flight, pipeline.due: now, pipeline.lease_field: None})
    )


def recover_stale(pipeline: Pipeline, *, now: dt.datetime, batch: int) -> list[int]:
    """Rows left in flight by a worker that died become unknown (they may have landed), to be read back
    after the reconcile delay. Returns their ids."""
    stale = list(
        pipeline.rows(
            **{pipeline.status: pipeline.in_flight, f"{pipeline.due}__lte": now - pipeline.stale_after}
        ).values_list("pk", flat=True)[:batch]
    )
    if stale:
        log.warning("left in flight by a lost worker", extra={"model": pipeline.model.__name__, "ids": stale})
        pipeline.rows(pk__in=stale, **{pipeline.status: pipeline.in_flight}).update(
            **{
                pipeline.status: pipeline.unknown,
                pipeline.due: now + pipeline.policy.reconcile_delay,
                pipeline.attempts: F(pipeline.attempts) + 1,
                pipeline.lease_field: None,
            }
        )
    return stale


def dispatch_due(
    pipeline: Pipeline,
    *,
    now: dt.datetime,
    batch: int,
    select_related: tuple[str, ...] = (),
    hand_out: Callable[[list[Any]], list[int]] | None = None,
) -> tuple[list[int], bool]:
    """One dispatcher tick's batch, in one short transaction: stale rows become unknown, then waiting and
    unknown rows whose step is due and that no live lease holds are leased and handed out. `hand_out`
    (rows -> the ids to enqueue, called inside the transaction) settles what must not run (a post missed
    past its grace period) and enqueues the rest on commit; the ids it returns are leased.
    Returns (ids handed out, whether the batch was full so more may be due)."""
    with transaction.atomic():
        recover_stale(pipeline, now=now, batch=batch)
        due = (
            pipeline.rows(**{f"{pipeline.status}__in": [pipeline.waiting, pipeline.unknown]})
            .filter(**{f"{pipeline.due}__lte": now})
            .filter(Q(**{pipeline.lease_field: None}) | Q(**{f"{pipeline.lease_field}__lte": now}))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by(pipeline.due)
        )
        if select_related:
            due = due.select_related(*select_related)
        rows = list(due[:batch])
        ids = hand_out(rows) if hand_out is not None else [row.pk for row in rows]
        pipeline.rows(pk__in=ids).update(**{pipeline.lease_field: now + pipeline.lease})
    return ids, len(rows) == batch


def dispatch_due_to(
    pipeline: Pipeline, *, enqueue: Callable[[int], None], now: dt.datetime, batch: int
) -> list[int]:
    """`dispatch_due` for a pipeline whose every due row is simply enqueued (on commit) by id."""

    def hand_out(rows: list[Any]) -> list[int]:
        for row in rows:
            enqueue(row.pk)
        return [row.pk for row in rows]

    ids, _full = dispatch_due(pipeline, now=now, batch=batch, hand_out=hand_out)
    return ids


#: Celery options of a task that takes one step of a pipeline: safe to run twice (the claim lets one run
#: write, an unknown outcome is read back), so acknowledged late and retried on a database hiccup.
STEP_TASK_OPTIONS: dict[str, Any] = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}
