from __future__ import annotations

from collections.abc import Iterable

from django import template

from networks.scopes import words_for

register = template.Library()


@register.filter
def permission_words(scopes: Iterable[str] | None) -> str:
    """`{{ channel.scopes_granted|permission_words }}`: what the scopes let CM Hub do, in the reader's
    language ("publish on your Pages; upload images"); escaped like any other value."""
    return "; ".join(words_for(scopes or ()))
