from __future__ import annotations

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The header bell's number for the current person and workspace (one query; none outside a workspace)."""
    request = context.get("request")
    member = getattr(request, "membership", None)
    if member is None:
        return 0
    return unread_count(member.user_id, member.workspace_id)
