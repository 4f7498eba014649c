"""Sign-in and two-factor events, told by Django and allauth, written to the audit log.

These happen outside any workspace: they are recorded once with workspace=None, and every workspace the
person belongs to shows them (accounts/audit_models.py says why).
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.audit import AuditAction, audit_context, audit_context_from_request, audit_record
from accounts.models import User


def _record(request: HttpRequest | None, **values: Any) -> None:
    if request is None:
        audit_record(workspace=None, **values)
        return
    # The request's own address and agent: the middleware's context may predate the sign-in.
    with audit_context(audit_context_from_request(request)):
        audit_record(workspace=None, **values)


@receiver(auth_signals.user_logged_in, dispatch_uid="accounts.audit_signed_in")
def audit_signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    _record(request, action=AuditAction.SIGNED_IN, actor=user, target=user)


@receiver(auth_signals.user_logged_out, dispatch_uid="accounts.audit_signed_out")
def audit_signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        _record(request, action=AuditAction.SIGNED_OUT, actor=user, target=user)


@receiver(auth_signals.user_login_failed, dispatch_uid="accounts.audit_sign_in_failed")
def audit_sign_in_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # A wrong password: the account tried (when it exists) is the actor, so its workspaces see it; the
    # address typed is kept as written. The password itself never reaches here (Django masks it).
    typed = str(credentials.get("email") or credentials.get("username") or "")[:254]
    account = User.objects.filter(email__iexact=typed).first() if typed else None
    _record(
        request,
        action=AuditAction.SIGN_IN_FAILED,
        actor=account,
        actor_label=typed,
        after={"factor": "password"},
        only_changes=False,
    )


@receiver(mfa_signals.authentication_failed, dispatch_uid="accounts.audit_mfa_failed")
def audit_mfa_failed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    _record(
        request,
        action=AuditAction.SIGN_IN_FAILED,
        actor=user,
        after={"factor": "two_factor"},
        only_changes=False,
    )


def _is_recovery_codes(authenticator: Authenticator) -> bool:
    return authenticator.type == Authenticator.Type.RECOVERY_CODES


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts.audit_mfa_added")
def audit_mfa_added(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw: Any):
    # Turning on TOTP adds recovery codes along with it: one event, for the authenticator the person chose.
    if not _is_recovery_codes(authenticator):
        _record(
            request,
            action=AuditAction.MFA_ENABLED,
            actor=user,
            target=user,
            after={"method": authenticator.type},
            only_changes=False,
        )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="accounts.audit_mfa_removed")
def audit_mfa_removed(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw: Any):
    # Removing the last authenticator removes the recovery codes left dangling: again one event.
    if not _is_recovery_codes(authenticator):
        _record(
            request,
            action=AuditAction.MFA_DISABLED,
            actor=user,
            target=user,
            before={"method": authenticator.type},
            only_changes=False,
        )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="accounts.audit_mfa_reset")
def audit_mfa_reset(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw: Any):
    _record(request, action=AuditAction.MFA_RECOVERY_CODES_REGENERATED, actor=user, target=user)
