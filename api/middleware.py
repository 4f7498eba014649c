"""What every `/api/` answer carries besides its body: idempotent replays of writes, and the token's
rate budget in `RateLimit-*` headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from api.idempotency import idempotent

API_PREFIX = "/api/"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = idempotent(request, self.get_response)
        budget = getattr(request, "api_budget", None)
        if budget is not None:
            for name, value in budget.headers().items():
                response.setdefault(name, value)
        response.setdefault("Cache-Control", "no-store")
        return response
