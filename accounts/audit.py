"""The one write path into the audit log, and the request context it reads.

Services call `audit_record(...)` inside their own transaction, so an event exists exactly when the
change it describes was committed. They take no request: `AuditContextMiddleware` puts the request's
address, user agent and person into a context variable, which `audit_record` reads. Outside a request
(tasks, commands) the context is empty: no address, and an event without an actor is the system's.

    from accounts.audit import AuditAction, audit_record

    audit_record(workspace=ws, action=AuditAction.RULE_CHANGED, target=rule, actor=by.user,
                 before={"active": True}, after={"active": False})
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import decimal
import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest

from accounts.audit_models import ACTION_GROUPS, PERSONAL_ACTIONS, AuditAction, AuditEvent
from accounts.models import Membership, User, Workspace

__all__ = [
    "ACTION_GROUPS",
    "PERSONAL_ACTIONS",
    "AuditAction",
    "AuditEvent",
    "audit_context",
    "audit_context_from_request",
    "audit_diff",
    "audit_export_downloaded",
    "audit_record",
]

ActorKind = AuditEvent.ActorKind


@dataclasses.dataclass(frozen=True)
class AuditContext:
    ip_address: str | None = None
    user_agent: str = ""
    user: User | None = None
    via: str = ""  # how the person acted when not in the browser ("API token “CRM sync”")


_EMPTY = AuditContext()  # frozen: a shared default is safe
_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("audit_context", default=_EMPTY)


def _client_ip(request: HttpRequest) -> str | None:
    # allauth's reading of the address: X-Forwarded-For only behind the configured number of proxies.
    from allauth.core.internal.ratelimit import get_ip

    try:
        address = get_ip(request)
        return str(ipaddress.ip_address(address))
    except Exception:  # no address (a test request), or a malformed one: record none rather than fail
        return None


def audit_context_from_request(request: HttpRequest) -> AuditContext:
    user = getattr(request, "user", None)
    return AuditContext(
        ip_address=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        user=user if user is not None and user.is_authenticated else None,
    )


@contextlib.contextmanager
def audit_context(context: AuditContext) -> Iterator[None]:
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get()


def audit_context_act_as(user: User, *, via: str) -> None:
    """From here to the end of the request, events are the acts of `user` through `via` (an API token
    authenticates inside the request, after the middleware opened its context, which resets this)."""
    _context.set(dataclasses.replace(_context.get(), user=user, via=via))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields that changed, each side with its own value."""
    before, after = _jsonable(before), _jsonable(after)
    keys = [k for k in sorted(before.keys() | after.keys()) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys if k in before}, {k: after.get(k) for k in keys if k in after}


def _target_fields(target: Any) -> dict[str, str]:
    if target is None:
        return {}
    if isinstance(target, models.Model):
        return {
            "target_type": target._meta.model_name or "",
            "target_id": str(target.pk or ""),
            "target_label": str(target)[:300],
        }
    kind, pk, label = target  # a (type, id, label) triple, for what has no model row (a deleted one)
    return {"target_type": str(kind), "target_id": str(pk), "target_label": str(label)[:300]}


def audit_record(
    *,
    workspace: Workspace | int | None,
    action: AuditAction | str,
    target: models.Model | tuple[str, Any, str] | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor: User | Membership | None = None,
    actor_kind: str = ActorKind.PERSON,
    actor_label: str = "",
    only_changes: bool = True,
) -> AuditEvent | None:
    """Record one event. `actor` defaults to the person making the current request (for a person's
    action); with none, the event is the system's. `before`/`after` keep only what changed unless
    `only_changes=False` (a creation or a deletion keeps what it names). A change that changed nothing
    (a form saved as it was) records nothing and returns None."""
    context = current_context()
    if isinstance(actor, Membership):
        actor = actor.user
    if actor is None and actor_kind == ActorKind.PERSON:
        actor = context.user
    if actor is None and actor_kind == ActorKind.PERSON:
        actor_kind = ActorKind.SYSTEM
    if before is not None and after is not None and only_changes:
        before, after = audit_diff(before, after)
        if not before and not after:
            return None
    else:
        before = _jsonable(before) if before is not None else None
        after = _jsonable(after) if after is not None else None
    label = actor_label or (actor.email if actor is not None else "")
    if actor is not None and actor.name != actor.email and not actor_label:
        label = f"{actor.name} <{actor.email}>"
    if context.via and actor_kind == ActorKind.PERSON:
        label = f"{label} · {context.via}"
    return AuditEvent.objects.create(
        workspace_id=workspace.pk if isinstance(workspace, Workspace) else workspace,
        actor=actor,
        actor_label=label[:254],
        actor_kind=actor_kind,
        action=str(action),
        before=before or None,
        after=after or None,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        **_target_fields(target),
    )


def audit_export_downloaded(
    *, workspace: Workspace | int, by: User | Membership | None, export: str, filters: Mapping | None = None
) -> AuditEvent | None:
    """What every CSV download records: which export (`faq`, `audit_log`, `reports.inbox`...) and with
    which filters. Call it from the service (or the view, for a read-only export) that builds the file."""
    return audit_record(
        workspace=workspace,
        action=AuditAction.EXPORT_DOWNLOADED,
        target=("export", export, export),
        actor=by,
        after={"export": export, **({"filters": dict(filters)} if filters else {})},
        only_changes=False,
    )
