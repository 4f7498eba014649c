"""Stored pictures shown in the app: `{{ asset.upload|thumb_url }}` (core.signed_media.inline_media_url)."""

from __future__ import annotations

from django import template

from core.signed_media import inline_media_url

register = template.Library()


@register.filter
def thumb_url(file: object) -> str:
    return inline_media_url(str(getattr(file, "name", file) or ""))
