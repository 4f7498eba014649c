"""What each role may do, said once. Views, templates and admin ask `can()`; nothing else checks roles.

Later capabilities add their permissions here, so the whole policy reads in one screen.
"""

from __future__ import annotations

import enum

from accounts.models import Membership


class Perm(enum.StrEnum):
    VIEW_WORKSPACE = "view_workspace"
    REPLY = "reply"
    DRAFT_POSTS = "draft_posts"
    ASSIGN = "assign"
    APPROVE_POSTS = "approve_posts"
    APPROVE_REPLIES = "approve_replies"
    MANAGE_SAVED_REPLIES = "manage_saved_replies"
    MANAGE_RULES = "manage_rules"
    MANAGE_FAQ = "manage_faq"
    VIEW_REPORTS = "view_reports"  # the whole team's figures
    VIEW_OWN_REPORTS = "view_own_reports"  # the report pages, with one's own figures only
    MANAGE_MEMBERS = "manage_members"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_WORKSPACE = "manage_workspace"
    VIEW_AUDIT_LOG = "view_audit_log"  # the workspace's audit log, and its CSV
    HIDE_MESSAGES = "hide_messages"  # hide a comment on its network and show it again (reversible)
    DELETE_MESSAGES = "delete_messages"  # delete a comment on its network (for good)


Role = Membership.Role

# Agents may hide (reversible) and answer privately (a reply); only managers delete, which cannot be undone.
# Agents open the reports too, but see only the figures that name them (their replies, first responses,
# resolutions, approvals): comparing oneself with the team is a manager's conversation, not a leaderboard.
_AGENT = frozenset(
    {Perm.VIEW_WORKSPACE, Perm.REPLY, Perm.DRAFT_POSTS, Perm.HIDE_MESSAGES, Perm.VIEW_OWN_REPORTS}
)
_MANAGER = _AGENT | {
    Perm.DELETE_MESSAGES,
    Perm.ASSIGN,
    Perm.APPROVE_POSTS,
    Perm.APPROVE_REPLIES,
    Perm.MANAGE_SAVED_REPLIES,
    Perm.MANAGE_RULES,
    Perm.MANAGE_FAQ,
    Perm.VIEW_REPORTS,
}
_ADMIN = _MANAGER | {Perm.MANAGE_MEMBERS, Perm.MANAGE_CHANNELS, Perm.MANAGE_WORKSPACE, Perm.VIEW_AUDIT_LOG}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.AGENT: _AGENT,
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(_ADMIN),
}

# Roles whose holders must use two-factor authentication when their workspace requires it.
MFA_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def permissions_for(role: str) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def can(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and perm in permissions_for(membership.role)


def roles_grantable_by(membership: Membership) -> list[str]:
    """Only admins hand out roles, and they may hand out any role, admin included."""
    return list(Role.values) if can(membership, Perm.MANAGE_MEMBERS) else []
