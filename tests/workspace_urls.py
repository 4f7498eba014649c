"""Every `/w/<slug>/...` URL the project has, found from the URLconf so a new view is covered at once."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def workspace_paths(slug: str, pk: int = 1) -> list[str]:
    """Concrete paths for every workspace route, with `pk`-like parameters filled in."""
    paths = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("w/<slug:slug>/"):
            continue
        path = "/" + route.replace("<slug:slug>", slug)
        for converter in ("<int:pk>", "<int:conversation_id>", "<int:channel_id>", "<int:post_id>"):
            path = path.replace(converter, str(pk))
        path = (
            path.replace("<slug:network>", "x").replace("<slug:action>", "pause").replace("<str:key>", "key")
        )
        path = path.replace("<str:token>", "token").replace(
            "<uuid:token>", "00000000-0000-0000-0000-000000000000"
        )
        assert "<" not in path, f"tests/workspace_urls.py cannot fill in {route}: teach it this converter"
        paths.append(path)
    return paths
