"""What every `/api/` answer carries besides its body: idempotent replays of writes, and the token's
rate budget in `RateLimit-*` headers."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.idempotency import idempotent
from api.problems import Problem, problem_response

API_PREFIX = "/api/"
DOCS = "/api/v1/docs"
TITLES = {
    400: gettext_lazy("Bad request"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    413: gettext_lazy("Request too large"),
    500: gettext_lazy("Server error"),
}


def _is_json(response: HttpResponse) -> bool:
    return "json" in response.get("Content-Type", "")


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error Django answered before or around the API (an unknown URL, a wrong method, a body over
    the size limit, a crash) in the API's one error format."""
    status = response.status_code
    title = TITLES.get(status, _("Error"))
    problem = Problem(status, "error" if status >= 500 else "request", str(title))
    converted = problem_response(request, problem)
    if response.has_header("Allow"):
        converted["Allow"] = response["Allow"]
    return converted


def _refuse_body(request: HttpRequest) -> HttpResponse | None:
    """A body no route can store: over the size limit, or text with a NUL (PostgreSQL refuses it in text
    columns, and no network accepts it)."""
    if request.method not in ("POST", "PUT", "PATCH") or "json" not in request.content_type:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        detail = _("The body is larger than this API accepts.")
        return problem_response(request, Problem(413, "request", str(TITLES[413]), detail))
    if b"\\u0000" in body.lower() or b"\x00" in body:
        detail = _("Text may not contain NUL characters (\\u0000).")
        return problem_response(
            request,
            Problem(
                422, "validation", _("Invalid request"), detail, errors=[{"loc": ["body"], "msg": detail}]
            ),
        )
    return None


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = _refuse_body(request)
        response = refusal or idempotent(request, self.get_response)
        if response.status_code >= 400 and not _is_json(response) and not request.path.startswith(DOCS):
            response = _as_problem(request, response)
        budget = getattr(request, "api_budget", None)
        if budget is not None:
            for name, value in budget.headers().items():
                response.setdefault(name, value)
        response.setdefault("Cache-Control", "no-store")
        return response
