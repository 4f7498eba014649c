"""What waits for a person, counted for the navigation ("Approvals 3", "Review queue 2") in one query.

Apps own their queues, and `core` knows none of them: each app registers a counter in its AppConfig.ready()
(`register("replies", fn)`). A counter takes the member and returns a queryset of what waits for them, or
None when their role has nothing to do there. `waiting_for` counts every queryset as a subquery of a single
SELECT, so the sidebar costs one query per page whatever the apps, and none for a role that waits for
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

Counter = Callable[[Any], QuerySet[Any] | None]
_counters: dict[str, Counter] = {}


def register(kind: str, counter: Counter) -> None:
    _counters[kind] = counter


def waiting_for(member: Any) -> dict[str, int]:
    """{kind: how many wait for this member}, for every kind their role has; one query, or none."""
    wanted = {kind: qs for kind, counter in _counters.items() if (qs := counter(member)) is not None}
    if not wanted:
        return {}
    # One row of the member's workspace, each count a subquery beside it (the model comes from the member:
    # core imports no app).
    workspaces = member._meta.get_field("workspace").related_model.objects
    counts = {
        f"waiting_{kind}": Coalesce(
            Subquery(
                qs.filter(workspace_id=OuterRef("pk"))
                .order_by()
                .values("workspace_id")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )
        for kind, qs in wanted.items()
    }
    row = workspaces.filter(pk=member.workspace_id).values(**counts).first() or {}
    return {kind: row.get(f"waiting_{kind}", 0) for kind in wanted}
