"""The one place that knows how HTMX announces itself."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by HTMX, which get a page's partial instead of the whole page."""
    return request.headers.get("HX-Request") == "true"
