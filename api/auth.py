"""Who an API request is: a bearer token, the membership it acts as, its scopes and its rate budget."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from accounts.audit import audit_context_act_as
from accounts.models import Membership
from accounts.policy import Perm, can
from api import limits
from api.models import ApiToken
from api.problems import Problem, forbidden
from api.tokens import acting_membership, api_token_authenticate


class ApiRequest(HttpRequest):
    """An API request once authenticated: its token and who the token acts as."""

    api_token: ApiToken
    member: Membership
    api_budget: limits.Budget


def bearer_secret(request: HttpRequest) -> str:
    """The secret of an `Authorization: Bearer ...` header, or "" for none or another scheme."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def require(request: ApiRequest, perm: Perm) -> None:
    """The permission the service will check, said as a 403 before anything is tried."""
    if not can(request.member, perm):
        raise forbidden(_("Your role in this workspace does not allow this."))


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # ninja's own reading logs any other scheme's header (a secret, perhaps) in DEBUG: never log it.
        secret = bearer_secret(request)
        return self.authenticate(request, secret) if secret else None

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        # The middleware authenticated an idempotent write already: the same token, read once.
        known = getattr(request, "api_token_found", None)
        found = known if known is not None else api_token_authenticate(token)
        member = acting_membership(found) if found is not None else None
        if found is None or member is None:
            return None
        # Counted once per request: the middleware may have counted it already (an idempotent write).
        budget = getattr(request, "api_budget", None) or limits.take(found.pk)
        request.api_budget = budget  # type: ignore[attr-defined]
        if budget.spent:
            raise Problem(
                429,
                "rate-limited",
                _("Too many requests"),
                _("This token made too many requests; try again in %(seconds)s seconds.")
                % {"seconds": budget.reset_seconds},
                headers={"Retry-After": str(budget.reset_seconds)},
            )
        request.api_token = found  # type: ignore[attr-defined]
        request.member = member  # type: ignore[attr-defined]
        audit_context_act_as(member.user, via=_("API token “%(name)s”") % {"name": found.name})
        return found


def scoped(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The route needs `scope` (`conversations:read`...) on the token."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: ApiRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.api_token.allows(scope):
                raise forbidden(_("This token lacks the scope %(scope)s.") % {"scope": scope})
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
