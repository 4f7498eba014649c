"""The API's one NinjaAPI: `/api/v1/`, bearer tokens, problem details for every error."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api.auth import TokenAuth
from api.problems import Problem, forbidden, invalid, not_found, problem_response, refused
from core.errors import UserError

DESCRIPTION = """CM Hub's inbox, knowledge and publishing, for scripts and other tools.

Authenticate with a token from **Settings -> API**: `Authorization: Bearer cmh_...`. Each token has scopes
(`conversations:read`, `conversations:write`, ...) and acts in one workspace with its role there. Writes go
through the same rules as the browser: the same permissions, approvals and audit log.

Errors are RFC 9457 problem details. Writes accept an `Idempotency-Key` header: the same key and request
within 24 hours answer what the first did. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset`; past the limit, 429 with `Retry-After`."""

api = NinjaAPI(
    title="CM Hub API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url=None,  # the interactive docs are api.views.docs, for signed-in people; the schema is public
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": _field_path(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in exc.errors
    ]
    return problem_response(request, invalid(errors))


def _field_path(loc) -> list[str]:
    """Where the wrong value is, as the client sent it: ninja puts its own parameter name after the
    source (["body", "patch", "status"]); the client knows only ["body", "status"]."""
    parts = [str(part) for part in loc]
    if len(parts) >= 3 and parts[0] in ("body", "query", "form", "file"):
        del parts[1]
    return parts


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    problem = Problem(
        401,
        "unauthenticated",
        _("Unauthenticated"),
        _("Send a live token: Authorization: Bearer cmh_..."),
        headers={"WWW-Authenticate": "Bearer"},
    )
    return problem_response(request, problem)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """What ninja refuses before a route runs (a body that is not JSON), as problem details."""
    kind = "malformed" if exc.status_code == 400 else "error"
    return problem_response(request, Problem(exc.status_code, kind, _("Bad request"), str(exc)))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, not_found())


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(request, forbidden(str(exc) or _("Your role does not allow this.")))


@api.exception_handler(UserError)
def _refused(request: HttpRequest, exc: UserError) -> HttpResponse:
    return problem_response(request, refused(exc.message))


def _routers() -> None:
    from api.routes import conversations, knowledge, posts, reports

    api.add_router("/", conversations.router)
    api.add_router("/", knowledge.router)
    api.add_router("/", posts.router)
    api.add_router("/", reports.router)


_routers()
