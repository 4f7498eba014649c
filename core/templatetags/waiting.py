"""`{% waiting_counts as waiting %}`: what waits for the current member, for the sidebar (core/waiting.py)."""

from __future__ import annotations

from django import template

from core.waiting import waiting_for

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_counts(context: template.Context) -> dict[str, int]:
    member = getattr(context.get("request"), "membership", None)
    return waiting_for(member) if member is not None else {}
