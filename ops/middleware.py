"""Request latency, labelled by the URL pattern's name: a raw path (/w/acme/inbox/123/) would make one
series per conversation and exhaust Prometheus."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ops.metrics import REQUEST_LATENCY

_KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestLatencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # Static files and 404s have no pattern: one series each, whatever the path.
        view = (match.view_name or match._func_path) if match else "<unmatched>"
        method = request.method if request.method in _KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(view=view, method=method).observe(time.perf_counter() - started)
        return response
