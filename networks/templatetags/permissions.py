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


@register.filter
def permission_list(scopes: Iterable[str] | None) -> list[tuple[str, str]]:
    """(scope, words) pairs, for a list that keeps the network's name of each permission in reach."""
    scopes = list(scopes or ())
    return list(zip(scopes, words_for(scopes), strict=True))
