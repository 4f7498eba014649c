"""Reads of the audit log for the Settings page and its CSV: filtered, newest first, keyset pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone

from accounts.audit_models import AuditAction, AuditEvent, AuditEventQuerySet

PAGE_SIZE = 50

ActorKind = AuditEvent.ActorKind


@dataclasses.dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # a user id, or "assistant" / "system"
    action: str = ""  # an action ("member.role_changed") or a group ("group:member")
    date_from: dt.date | None = None  # days in the viewer's zone, both ends included
    date_to: dt.date | None = None
    target: str = ""

    def as_query(self) -> dict[str, str]:
        """The filters as the page's query string (the CSV link, the next page) and the export's record."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "target": self.target,
        }
        return {k: v for k, v in values.items() if v}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def audit_events(*, workspace_id: int, filters: AuditFilters) -> AuditEventQuerySet:
    """The events the workspace's page shows (its own and its members' sign-ins), as filtered."""
    events = AuditEvent.objects.visible_in(workspace_id)
    if filters.actor in (ActorKind.ASSISTANT, ActorKind.SYSTEM):
        events = events.filter(actor_kind=filters.actor)
    elif filters.actor.isdigit():
        events = events.filter(actor_id=int(filters.actor))
    if filters.action.startswith("group:"):
        group = filters.action.removeprefix("group:")
        events = events.filter(action__in=[a.value for a in AuditAction if a.group == group])
    elif filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.target:
        events = events.filter(target_label__icontains=filters.target)
    return events.order_by("-created_at", "-pk")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def cursor_of(event: AuditEvent) -> str:
    # Whole microseconds, not a float timestamp: a rounded cursor would skip or repeat a row.
    return f"{(event.created_at - _EPOCH) // dt.timedelta(microseconds=1)}-{event.pk}"


def _parse_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    micros, _dash, pk = cursor.partition("-")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (OverflowError, OSError, ValueError):
        return None


def audit_page(events: AuditEventQuerySet, *, before: str = "") -> tuple[list[AuditEvent], str]:
    """One page of `events` older than the `before` cursor, and the cursor of the next page ("" at the end).
    No OFFSET and no count: the page costs the same on the first day and after a million events."""
    parsed = _parse_cursor(before) if before else None
    if parsed is not None:
        at, pk = parsed
        events = events.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(events[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, cursor_of(rows[-1]) if more else ""


CSV_HEADER = (
    "when",
    "actor",
    "actor_kind",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "target",
    "before",
    "after",
    "ip_address",
    "user_agent",
)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def audit_rows_for_csv(events: AuditEventQuerySet) -> Iterator[list[object]]:
    """Rows for CSV_HEADER, lazily. The zone is taken now: the rows are written after the view returned,
    when the request's zone is no longer active."""
    zone = timezone.get_current_timezone()
    return _rows(events, zone)


def _rows(events: AuditEventQuerySet, zone: dt.tzinfo) -> Iterator[list[object]]:
    for e in events.iterator(chunk_size=2000):
        yield [
            e.created_at.astimezone(zone).isoformat(),
            e.actor_label,
            e.actor_kind,
            e.action,
            e.get_action_display(),
            e.target_type,
            e.target_id,
            e.target_label,
            _json(e.before),
            _json(e.after),
            e.ip_address,
            e.user_agent,
        ]
