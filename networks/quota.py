"""A daily quota shared by every channel of a network (YouTube: 10,000 units a day per Google project),
counted in a ledger and spread over the day by a planner.

The ledger (QuotaLedger, one row per project and quota day) is charged before every call a provider makes,
polls and writes alike, by one conditional UPDATE with F(): the call goes out only when the units were
there, so concurrent workers never spend the same units twice. A read may spend everything except the part
of the reserve writes have not used yet; a write may spend the whole day. Once only the reserve is left,
polls stop (RateLimited until the reset) and replies and moderation still go out.

The planner sets each channel's next poll (networks.tasks.dispatch_polls, through the registry): the units
polls may still spend today, divided among the network's active channels, at the cost of a poll measured
in the ledger (today's average, else yesterday's, else the provider's floor), over the time left until the
reset. It never polls a channel more often than its own poll_interval, and when the day is spent every
channel sleeps until the reset.

The quota day ends at midnight America/Los_Angeles (https://developers.google.com/youtube/v3/getting-started
#quota): through zoneinfo, so a day is 23 or 25 hours long when California changes its clocks.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from networks.models import Channel, QuotaLedger
from networks.providers import base as p

log = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")
#: How long after the reset the sleeping channels come back, at most (spread, so they do not all ask in
#: the same second).
WAKE_SPREAD = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class QuotaPolicy:
    """A network's shared daily quota: its size and reserve (settings, read when used), the zone whose
    midnight resets it, and what a poll costs at the least (until the ledger has measured it)."""

    network: str
    daily_units: Callable[[], int]
    reserve_units: Callable[[], int]
    poll_floor: int
    zone: ZoneInfo = PACIFIC

    def day(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def resets_at(self, now: dt.datetime) -> dt.datetime:
        """The next midnight in the quota's zone, as an aware UTC time."""
        tomorrow = self.day(now) + dt.timedelta(days=1)
        return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)


def _row(policy: QuotaPolicy, project: str, day: dt.date) -> QuotaLedger:
    try:
        with transaction.atomic():
            row, _created = QuotaLedger.objects.get_or_create(
                network=policy.network, project=project, day=day
            )
    except IntegrityError:  # another worker created it first
        row = QuotaLedger.objects.get(network=policy.network, project=project, day=day)
    return row


class LedgerMeter:
    """The provider's side of the ledger (networks.providers.base.QuotaMeter)."""

    def __init__(
        self, policy: QuotaPolicy, project: str, *, clock: Callable[[], dt.datetime] = timezone.now
    ) -> None:
        self.policy = policy
        self.project = project or "default"
        self.clock = clock
        self._rows: dict[dt.date, int] = {}  # the day's row, once found: a poll charges several calls

    def _row_pk(self, day: dt.date) -> int:
        if day not in self._rows:
            self._rows = {day: _row(self.policy, self.project, day).pk}
        return self._rows[day]

    def charge(self, units: int, *, write: bool) -> None:
        now = self.clock()
        row_pk = self._row_pk(self.policy.day(now))
        limit = self.policy.daily_units()
        if write:
            ceiling: object = Value(limit - units)
        else:
            # What polls may not touch: the part of the reserve writes have not spent yet.
            ceiling = Value(limit - units) - Greatest(
                Value(self.policy.reserve_units()) - F("write_units"), Value(0)
            )
        spent_by = "write_units" if write else "poll_units"
        won = QuotaLedger.objects.filter(pk=row_pk, exhausted_at__isnull=True, spent__lte=ceiling).update(
            spent=F("spent") + units, **{spent_by: F(spent_by) + units}
        )
        if not won:
            resets_at = self.policy.resets_at(now)
            if write:
                words = "YouTube's daily quota is spent; this waits until it resets."
            else:
                words = (
                    "What is left of YouTube's daily quota is kept for replies and moderation; polls "
                    "resume when it resets."
                )
            raise p.RateLimited(words, reset_at=resets_at)

    def poll_started(self) -> None:
        row_pk = self._row_pk(self.policy.day(self.clock()))
        QuotaLedger.objects.filter(pk=row_pk).update(polls=F("polls") + 1)

    def exhausted(self) -> None:
        now = self.clock()
        row_pk = self._row_pk(self.policy.day(now))
        QuotaLedger.objects.filter(pk=row_pk, exhausted_at__isnull=True).update(exhausted_at=now)
        log.warning("quota spent on the network's word", extra={"network": self.policy.network})


# --- The plan --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Where the day's quota stands and how often each channel is polled with what is left."""

    day: dt.date
    limit: int
    reserve: int
    spent: int
    poll_units: int
    write_units: int
    polls: int
    units_per_poll: float
    channels: int
    resets_at: dt.datetime
    exhausted: bool
    #: Seconds between two polls of one channel that spend what polls may still spend by the reset;
    #: None when polls may spend nothing more today.
    interval: float | None

    @property
    def reserve_left(self) -> int:
        return max(min(self.reserve - self.write_units, self.left), 0)

    @property
    def left(self) -> int:
        return 0 if self.exhausted else max(self.limit - self.spent, 0)

    @property
    def left_for_polls(self) -> int:
        return max(self.left - max(self.reserve - self.write_units, 0), 0)

    def next_poll(self, poll_interval: int, now: dt.datetime) -> dt.datetime:
        """When a channel claimed now is polled next: the plan's interval, never below its own."""
        if self.interval is None:
            return self.resets_at + dt.timedelta(seconds=random.uniform(1, WAKE_SPREAD.total_seconds()))
        seconds = max(float(poll_interval), self.interval)
        # A tenth of spread, as for every network, so channels do not poll in lockstep.
        return min(now + dt.timedelta(seconds=seconds * random.uniform(1.0, 1.1)), self.resets_at)


def plan(policy: QuotaPolicy, project: str, *, now: dt.datetime | None = None) -> Plan:
    now = now or timezone.now()
    project = project or "default"
    day = policy.day(now)
    rows = {
        row.day: row
        for row in QuotaLedger.objects.filter(
            network=policy.network, project=project, day__in=[day, day - dt.timedelta(days=1)]
        )
    }
    today = rows.get(day) or QuotaLedger(network=policy.network, project=project, day=day)
    yesterday = rows.get(day - dt.timedelta(days=1))
    if today.polls:
        per_poll = today.poll_units / today.polls
    elif yesterday is not None and yesterday.polls:
        per_poll = yesterday.poll_units / yesterday.polls
    else:
        per_poll = float(policy.poll_floor)
    per_poll = max(per_poll, float(policy.poll_floor))
    channels = Channel.objects.filter(
        network=policy.network, status__in=[Channel.Status.ACTIVE, Channel.Status.ERROR]
    ).count()
    resets_at = policy.resets_at(now)
    draft = Plan(
        day=day,
        limit=policy.daily_units(),
        reserve=policy.reserve_units(),
        spent=today.spent,
        poll_units=today.poll_units,
        write_units=today.write_units,
        polls=today.polls,
        units_per_poll=per_poll,
        channels=channels,
        resets_at=resets_at,
        exhausted=today.exhausted_at is not None,
        interval=None,
    )
    # Polls the rest of the day can pay for, all channels together, less one round: polls claimed already
    # may cost more than the average (a page of replies), and a poll the units cannot pay is refused.
    polls_left = draft.left_for_polls / per_poll - max(channels, 1)
    if polls_left < 1:
        return draft
    seconds_left = max((resets_at - now).total_seconds(), 1.0)
    interval = seconds_left * max(channels, 1) / polls_left
    return replace(draft, interval=interval)
