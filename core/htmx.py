"""The one place that knows how HTMX announces itself."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by HTMX, which get a page's partial instead of the whole page.

    Not for a history restore (the back button after htmx pushed a URL, with its cache missed): htmx
    swaps the answer in as the whole page, so that request wants the whole page."""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    return request.headers.get("HX-Request") == "true"
