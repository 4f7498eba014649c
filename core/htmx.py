"""How a view tells an htmx request from a page load, and answers each.

django-htmx's middleware (`HtmxMiddleware` below) parses the headers into `request.htmx`; this module adds
the two rules the project keeps on top of it:

- a history restore (the back button after htmx pushed a URL, with its cache missed) wants the whole page:
  htmx swaps that answer in as the page, so a fragment there would show a bare inbox list;
- a URL that answers a page or a fragment depending on `HX-Request` says so in `Vary`, so no cache (the
  browser's included) serves one for the other. Asking `is_htmx` is what marks the response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails
from django_htmx.middleware import HtmxMiddleware as BaseHtmxMiddleware

_ASKED = "_cmhub_asked_htmx"


def is_htmx(request: HttpRequest) -> bool:
    """True for requests sent by htmx, which get a page's fragment instead of the whole page (never for a
    history restore, which wants the whole page). The response will carry `Vary: HX-Request`."""
    setattr(request, _ASKED, True)
    htmx: HtmxDetails | None = getattr(request, "htmx", None)  # None: a request the middleware never saw
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def fragment_or_page(
    request: HttpRequest, template: str, fragment: str, context: Mapping[str, Any], *, status: int = 200
) -> HttpResponse:
    """A GET that shows a page: htmx gets its `fragment` (a partial of `template`), a page load the page."""
    return render(request, f"{template}#{fragment}" if is_htmx(request) else template, context, status=status)


def fragment_or_redirect(
    request: HttpRequest,
    fragment: str,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    to: str,
    *to_args: Any,
    trigger: str = "",
    **to_kwargs: Any,
) -> HttpResponse:
    """The tail of a view that changed something: htmx gets `fragment` (`page.html#partial`) rendered with
    `context` (a callable is only called then), a page load is redirected to `to` (a URL name with its
    arguments, or a URL), where the messages the view flashed are shown. `trigger` is the HX-Trigger event
    the fragment fires (the inbox counts, a thread to reload...)."""
    if not is_htmx(request):
        back: HttpResponse = redirect(to, *to_args, **to_kwargs)
        return back
    response = render(request, fragment, context() if callable(context) else context)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


class HtmxMiddleware(BaseHtmxMiddleware):
    """django-htmx's `request.htmx`, plus `Vary: HX-Request` on every response whose view asked."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = super().__call__(request)
        assert isinstance(response, HttpResponseBase)  # the project's stack is synchronous
        return vary_if_asked(request, response)


def vary_if_asked(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if getattr(request, _ASKED, False):
        patch_vary_headers(response, ("HX-Request",))
    return response


def context(request: HttpRequest) -> dict[str, Any]:
    """`htmx_fragment` for templates: the same question as `is_htmx` (a history restore is a page load),
    asked only when a template evaluates it, so only those responses say Vary: HX-Request."""
    return {"htmx_fragment": lambda: is_htmx(request)}
