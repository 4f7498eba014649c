"""Every API error as RFC 9457 problem details (`application/problem+json`): a stable `type`, a `title`, the
HTTP `status`, a `detail` for the person reading it, and `errors` naming the fields that were wrong."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

PROBLEM_TYPES = "https://cmhub.example/problems/"  # documentation anchors, never fetched


class Problem(Exception):
    """Raised anywhere in an API route: answered as problem details."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors = errors or []
        self.headers = headers or {}


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "instance": request.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = problem.errors
    response = HttpResponse(json.dumps(body), status=problem.status, content_type="application/problem+json")
    for name, value in problem.headers.items():
        response[name] = value
    return response


def not_found() -> Problem:
    # The same answer for what does not exist and for what belongs to another workspace.
    return Problem(404, "not-found", _("Not found"), _("No such object in this workspace."))


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", _("Forbidden"), detail)


def refused(detail: str, *, errors: list[dict[str, Any]] | None = None) -> Problem:
    """A service refused the write, in its own words (the browser shows the same sentence)."""
    return Problem(422, "refused", _("Refused"), detail, errors=errors)


def invalid(errors: list[dict[str, Any]]) -> Problem:
    return Problem(
        422, "validation", _("Invalid request"), _("Some fields are missing or wrong."), errors=errors
    )
