"""Stored pictures shown in the app: `{{ asset.upload|thumb_url }}` is a signed, expiring same-site URL of
the file (the page's CSP allows only its own origin for images), never the storage path itself."""

from __future__ import annotations

from django import template

from core.signed_media import signed_media_url

register = template.Library()

THUMB_URL_SECONDS = 6 * 3600  # long enough for a page left open through a working day's morning


@register.filter
def thumb_url(file) -> str:
    name = getattr(file, "name", file) or ""
    if not name:
        return ""
    # base_url "/" makes the URL relative: the same host the page came from, whatever SITE_URL says.
    return signed_media_url(str(name), max_age=THUMB_URL_SECONDS, base_url="/")
