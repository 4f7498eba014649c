"""Creating, checking and revoking API tokens (the one write path: Settings -> API, admin, tests)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.audit_models import AuditAction
from accounts.models import Membership, hash_token
from accounts.policy import Perm, can
from api.models import ApiToken, Area
from core.errors import UserError

#: What every token starts with, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "cmh_"  # noqa: S105 - a marker, not a secret
#: How often a token's `last_used_at` is written: often enough to show, rarely enough to stay cheap.
LAST_USED_EVERY = dt.timedelta(minutes=1)
ROLE_ORDER: list[str] = [Membership.Role.AGENT, Membership.Role.MANAGER, Membership.Role.ADMIN]
ALL_SCOPES = [f"{area}:{mode}" for area in Area.values for mode in ("read", "write")]


class TokenError(UserError):
    pass


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes only, each once, in a stable order; write implies read (a writer reads what it wrote)."""
    wanted = set(scopes)
    wanted |= {s.replace(":write", ":read") for s in wanted if s.endswith(":write")}
    unknown = wanted - set(ALL_SCOPES)
    if unknown:
        raise TokenError(_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))})
    if not wanted:
        raise TokenError(_("Choose at least one scope."))
    return [s for s in ALL_SCOPES if s in wanted]


def api_token_create(
    *,
    by: Membership,
    name: str,
    scopes: Iterable[str],
    kind: str = ApiToken.Kind.PERSONAL,
    role: str = "",
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (returned once, never stored). Anyone may make personal tokens; workspace
    tokens are an admin's, with a role no higher than their own."""
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name, to know later what uses it."))
    if kind == ApiToken.Kind.WORKSPACE:
        if not can(by, Perm.MANAGE_WORKSPACE):
            raise TokenError(_("Only admins create workspace tokens."))
        if role not in ROLE_ORDER or ROLE_ORDER.index(role) > ROLE_ORDER.index(by.role):
            raise TokenError(_("A workspace token cannot have a role above yours."))
    elif kind == ApiToken.Kind.PERSONAL:
        role = ""
    else:
        raise TokenError(_("Unknown kind of token."))
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError(_("The expiry date is in the past."))
    cleaned = clean_scopes(scopes)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            workspace_id=by.workspace_id,
            user=by.user,
            kind=kind,
            role=role,
            name=name[:100],
            prefix=prefix,
            secret_hash=hash_token(secret),
            scopes=cleaned,
            expires_at=expires_at,
        )
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.API_TOKEN_CREATED,
            target=token,
            actor=by,
            after={
                "name": token.name,
                "kind": kind,
                "role": role,
                "scopes": cleaned,
                "expires_at": expires_at,
            },
            only_changes=False,
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, by: Membership) -> ApiToken:
    """Its owner, or an admin of its workspace, revokes it: it stops working at once."""
    if token.workspace_id != by.workspace_id:
        raise TokenError(_("This belongs to another workspace."))
    if token.user_id != by.user_id and not can(by, Perm.MANAGE_WORKSPACE):
        raise TokenError(_("Only its owner or an admin can revoke this token."))
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            workspace=by.workspace_id,
            action=AuditAction.API_TOKEN_REVOKED,
            target=token,
            actor=by,
            before={"name": token.name},
            only_changes=False,
        )
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The live token this secret is, or None (unknown, revoked, expired, or its owner left)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    token = ApiToken.objects.live().select_related("workspace", "user").filter(secret_hash=digest).first()
    # Looked up by the hash of a 256-bit random secret: nothing to compare in constant time afterwards.
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def acting_membership(token: ApiToken) -> Membership | None:
    """Who the token acts as: its owner's membership (personal), or the owner with the token's role
    (workspace). None when the owner is no longer a member, or has since lost the role the token holds."""
    member = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=token.workspace_id, user_id=token.user_id)
        .first()
    )
    if member is None:
        return None
    if token.kind == ApiToken.Kind.PERSONAL:
        return member
    if token.role not in ROLE_ORDER or ROLE_ORDER.index(token.role) > ROLE_ORDER.index(member.role):
        return None  # a role it may no longer hold (or none a workspace token can have): it acts as nobody
    # Unsaved: the same person with the token's role, for the permission checks of the services.
    return Membership(pk=member.pk, workspace=member.workspace, user=member.user, role=token.role)
