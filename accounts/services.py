"""Writes for accounts and workspaces. Views, admin, tasks and commands all come through here."""

from __future__ import annotations

import datetime as dt
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Invitation, Membership, User, Workspace, hash_token
from core.errors import UserError
from core.mail import email_send

Role = Membership.Role


class AccountsError(UserError):
    """A refused operation, with a message meant for the person who asked."""


# --- Users --------------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *, email: str, password: str | None, display_name: str = "", verified: bool = True, **extra: object
) -> User:
    """A user and their allauth email address (verified when the address was proven another way)."""
    user = User.objects.create_user(email=email, password=password, display_name=display_name, **extra)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def user_update_profile(
    *, user: User, display_name: str, language: str, timezone_name: str, avatar=None, clear_avatar=False
) -> User:
    user.display_name = display_name
    user.language = language
    user.timezone = timezone_name
    fields = ["display_name", "language", "timezone"]
    if clear_avatar and user.avatar:
        user.avatar.delete(save=False)
        fields.append("avatar")
    if avatar is not None:
        if user.avatar:
            user.avatar.delete(save=False)
        user.avatar.save(avatar.name, avatar, save=False)
        fields.append("avatar")
    user.save(update_fields=fields)
    return user


# --- Workspaces and members ---------------------------------------------------------------------------


@transaction.atomic
def workspace_create(*, name: str, slug: str, owner: User, timezone_name: str = "UTC", language: str = "en"):
    workspace = Workspace.objects.create(
        name=name, slug=slug, timezone=timezone_name, default_language=language
    )
    Membership.objects.create(user=owner, workspace=workspace, role=Role.ADMIN)
    return workspace


WORKSPACE_SETTINGS = ("name", "timezone", "default_language", "require_mfa")


@transaction.atomic
def workspace_update_settings(*, workspace: Workspace, by: User, **values: object) -> Workspace:
    """Save the Settings page's fields (WORKSPACE_SETTINGS). The values before are read from the row: a
    ModelForm has already written the new ones onto the instance it was given."""
    unknown = set(values) - set(WORKSPACE_SETTINGS)
    if unknown:
        raise ValueError(f"Not workspace settings: {sorted(unknown)}")
    before = Workspace.objects.filter(pk=workspace.pk).values(*values).get()
    for field, value in values.items():
        setattr(workspace, field, value)
    workspace.save(update_fields=list(values))
    audit_record(
        workspace=workspace,
        action=AuditAction.WORKSPACE_SETTINGS_CHANGED,
        target=workspace,
        actor=by,
        before=before,
        after={field: getattr(workspace, field) for field in values},
    )
    return workspace


def _member_target(membership: Membership) -> tuple[str, int, str]:
    # Named by the person, not "user @ workspace (role)": the role is in before/after.
    return ("membership", membership.pk, f"{membership.user.name} <{membership.user.email}>")


def _other_admins_exist(membership: Membership) -> bool:
    # Lock the workspace's admin rows: two admins demoting each other at once must not both succeed.
    admins = list(
        Membership.objects.select_for_update()
        .filter(workspace_id=membership.workspace_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    return any(pk != membership.pk for pk in admins)


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    if role not in Role.values:
        raise AccountsError(_("Unknown role."))
    if membership.role == Role.ADMIN and role != Role.ADMIN and not _other_admins_exist(membership):
        raise AccountsError(_("A workspace needs at least one admin: promote someone else first."))
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        workspace=membership.workspace_id,
        action=AuditAction.MEMBER_ROLE_CHANGED,
        target=_member_target(membership),
        actor=by,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    if membership.role == Role.ADMIN and not _other_admins_exist(membership):
        raise AccountsError(_("A workspace needs at least one admin: promote someone else first."))
    user = membership.user
    target, role = _member_target(membership), membership.role
    membership.delete()
    audit_record(
        workspace=membership.workspace_id,
        action=AuditAction.MEMBER_REMOVED,
        target=target,
        actor=by,
        before={"role": role},
        only_changes=False,
    )
    if user.last_workspace_id == membership.workspace_id:
        user.last_workspace = None
        user.save(update_fields=["last_workspace"])


# --- Invitations --------------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


@transaction.atomic
def invitation_create(
    *, workspace: Workspace, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    """A new invitation and the raw token for its link (returned once, never stored)."""
    email = email.strip().lower()
    if role not in Role.values:
        raise AccountsError(_("Unknown role."))
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise AccountsError(_("%(email)s is already a member of this workspace.") % {"email": email})
    now = timezone.now()
    # A fresh invitation replaces any pending one for the same address: one live link per person.
    Invitation.objects.pending().filter(workspace=workspace, email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        workspace=workspace,
        action=AuditAction.INVITATION_SENT,
        target=invitation,
        actor=invited_by,
        after={"email": email, "role": role},
        only_changes=False,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    return invitation, token


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    context = {"invitation": invitation, "url": invitation_url(token), "days": settings.INVITATION_VALID_DAYS}
    with translation.override(invitation.workspace.default_language):
        subject = _("You are invited to %(workspace)s on CM Hub") % {"workspace": invitation.workspace.name}
        body = render_to_string("accounts/email/invitation.txt", context)
    email_send(subject=subject, body=body, to=[invitation.email])


def invitation_for_token(token: str) -> Invitation:
    """The invitation behind a link, whatever its state; AccountsError when no such link exists."""
    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(
        token_hash=hash_token(token)
    )
    found = invitation.first()
    if found is None:
        raise AccountsError(_("This invitation link is not valid."))
    return found


def invitation_check_usable(invitation: Invitation) -> None:
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        raise AccountsError(_("This invitation has already been used."))
    if status == Invitation.Status.REVOKED:
        raise AccountsError(_("This invitation was revoked. Ask an admin of the workspace for a new one."))
    if status == Invitation.Status.EXPIRED:
        raise AccountsError(_("This invitation has expired. Ask an admin of the workspace for a new one."))


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the workspace. Works once: the row is locked, so two clicks at once make one membership."""
    found = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=found.pk)
    invitation_check_usable(invitation)
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email).exists():
        raise AccountsError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        workspace=invitation.workspace,
        action=AuditAction.INVITATION_ACCEPTED,
        target=invitation,
        actor=user,
        after={"role": membership.role},
        only_changes=False,
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(*, token: str, password: str, display_name: str) -> tuple[User, Membership]:
    """Create the account from the invitation: the address is proven by the link, so it is verified."""
    invitation = invitation_for_token(token)
    invitation_check_usable(invitation)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise AccountsError(_("An account already exists for this address: sign in to accept."))
    user = user_create(email=invitation.email, password=password, display_name=display_name, verified=True)
    return user, invitation_accept(token=token, user=user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise AccountsError(_("Only a pending invitation can be revoked."))
    invitation.refresh_from_db()
    audit_record(
        workspace=invitation.workspace_id,
        action=AuditAction.INVITATION_REVOKED,
        target=invitation,
        actor=by,
        before={"email": invitation.email, "role": invitation.role},
        only_changes=False,
    )
    return invitation


def invitations_purge_expired(*, older_than_days: int = 30) -> int:
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _detail = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
