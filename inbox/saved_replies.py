"""Saved replies: canned answers with a few variables, and their upkeep.

A body is text its authors typed, never a template: only the known variable names below are replaced, by a
plain substitution. Anything else between braces (`{{ 7*7 }}`, `{% load %}`, `{{ settings.SECRET_KEY }}`)
stays as the text it is. The result is plain text too: the composer escapes it like anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, User, Workspace
from accounts.policy import Perm, can
from core.errors import UserError
from inbox.models import Contact, SavedReply

VARIABLES: dict[str, Promise] = {  # lazy: read in the language of the page
    "contact.name": gettext_lazy("the contact's name (or handle)"),
    "contact.handle": gettext_lazy("the contact's handle, without @"),
    "agent.first_name": gettext_lazy("your first name"),
    "agent.name": gettext_lazy("your name"),
    "workspace.name": gettext_lazy("the workspace's name"),
}
# `{{ name }}` with optional spaces; a name is words joined by one dot. Nothing else is a variable.
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]+\.[A-Za-z_]+)\s*\}\}")


class SavedReplyError(UserError):
    """A refused change, in plain words."""


def unknown_variables(body: str) -> list[str]:
    return sorted({name for name in _VARIABLE.findall(body) if name not in VARIABLES})


def _first_name(user: User) -> str:
    words = (user.first_name or user.name).split()
    return words[0] if words else ""


def saved_reply_render(body: str, *, contact: Contact | None, agent: User, workspace: Workspace) -> str:
    """The body with the known variables replaced by their values, everything else untouched."""
    values = {
        "contact.name": (contact.name or contact.display_name) if contact else "",
        "contact.handle": contact.shown_handle.lstrip("@") if contact else "",
        "agent.first_name": _first_name(agent),
        "agent.name": agent.name,
        "workspace.name": workspace.name,
    }
    return _VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), body)


@dataclass(frozen=True)
class RenderedReply:
    reply: SavedReply
    text: str


def saved_replies_for_composer(
    *, workspace: Workspace, contact: Contact | None, agent: User
) -> list[RenderedReply]:
    """Every saved reply of the workspace, rendered for this contact and agent (one query)."""
    return [
        RenderedReply(
            reply, saved_reply_render(reply.body, contact=contact, agent=agent, workspace=workspace)
        )
        for reply in SavedReply.objects.filter(workspace=workspace).order_by("title", "pk")
    ]


def get_saved_reply_for_member(member: Membership, pk: int) -> SavedReply:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(SavedReply, pk=pk, workspace_id=member.workspace_id)


# --- Writes -----------------------------------------------------------------------------------------------


def _require(by: Membership) -> None:
    if not can(by, Perm.MANAGE_SAVED_REPLIES):
        raise SavedReplyError(_("Your role in this workspace does not allow this."))


def _save(reply: SavedReply) -> SavedReply:
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError as exc:  # two managers picked the same shortcut at the same moment
        raise SavedReplyError(_("Another saved reply already uses this shortcut.")) from exc
    return reply


def saved_reply_create(
    *, by: Membership, title: str, body: str, shortcut: str = "", language: str = ""
) -> SavedReply:
    _require(by)
    reply = SavedReply(
        workspace_id=by.workspace_id,
        title=title,
        body=body,
        shortcut=shortcut,
        language=language,
        created_by=by.user,
        created_at=timezone.now(),
    )
    return _save(reply)


def saved_reply_update(
    *, reply: SavedReply, by: Membership, title: str, body: str, shortcut: str = "", language: str = ""
) -> SavedReply:
    _require(by)
    if reply.workspace_id != by.workspace_id:
        raise SavedReplyError(_("This belongs to another workspace."))
    reply.title, reply.body, reply.shortcut, reply.language = title, body, shortcut, language
    return _save(reply)


def saved_reply_delete(*, reply: SavedReply, by: Membership) -> None:
    _require(by)
    if reply.workspace_id != by.workspace_id:
        raise SavedReplyError(_("This belongs to another workspace."))
    reply.delete()
