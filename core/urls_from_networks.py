"""Links and images from networks are untrusted: they are shown only when they are http(s)."""

from __future__ import annotations


def http_url(value: str) -> str:
    """The URL if it is http(s), else "" (a `javascript:` or `data:` link never reaches a page)."""
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) else ""
