"""`Idempotency-Key` on API writes: the same key and request within 24 hours answer what the first did, and
do nothing again. The key is claimed with a unique row before the write runs, so two retries racing each
other cannot both write: the loser hears that the first is still running (409) and retries later."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from api import limits
from api.models import ApiToken, IdempotentAnswer
from api.problems import Problem, problem_response
from api.tokens import api_token_authenticate

WINDOW = dt.timedelta(hours=24)
#: A claim still running after this long belongs to a request that died (requests time out long before).
ABANDONED_AFTER = dt.timedelta(minutes=5)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "Idempotency-Key"
MAX_KEY = 255


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _token(request: HttpRequest) -> ApiToken | None:
    from api.auth import bearer_secret

    secret = bearer_secret(request)
    return api_token_authenticate(secret) if secret else None


def _replay(answer: IdempotentAnswer) -> HttpResponse:
    response = HttpResponse(bytes(answer.body), status=answer.status or 200, content_type=answer.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    key = request.headers.get(HEADER, "")
    # JSON bodies only: a multipart upload's bytes change with its boundary at every retry, and an image
    # may be far larger than a body is read into memory for.
    if request.method not in WRITES or not key or "json" not in request.content_type:
        return get_response(request)
    if len(key) > MAX_KEY:
        return problem_response(
            request,
            Problem(400, "idempotency-key", _("Invalid Idempotency-Key"), _("The key is too long.")),
        )
    token = _token(request)
    if token is None:
        return get_response(request)  # the route answers 401 itself
    request.api_token_found = token  # type: ignore[attr-defined]
    # A replay costs the token's budget like any request (and says so in the same headers).
    budget = limits.take(token.pk)
    request.api_budget = budget  # type: ignore[attr-defined]
    if budget.spent:
        return get_response(request)  # the route's authentication answers 429
    fingerprint = _fingerprint(request)
    now = timezone.now()
    IdempotentAnswer.objects.filter(token=token, key=key, created_at__lt=now - WINDOW).delete()
    try:
        with transaction.atomic():
            claim = IdempotentAnswer.objects.create(token=token, key=key, fingerprint=fingerprint)
    except IntegrityError:
        first = IdempotentAnswer.objects.filter(token=token, key=key).first()
        if first is None:  # pruned in between: treat as new next time
            return problem_response(request, _in_progress())
        if first.fingerprint != fingerprint:
            return problem_response(
                request,
                Problem(
                    422,
                    "idempotency-key",
                    _("Idempotency-Key reused"),
                    _("This key was used for another request in the last 24 hours."),
                ),
            )
        if first.status is None and not _abandoned(first, now):
            return problem_response(request, _in_progress())
        if first.status is None:
            # Its request died (a worker killed mid-write): the retry takes the claim over, once.
            taken = IdempotentAnswer.objects.filter(
                pk=first.pk, status__isnull=True, created_at=first.created_at
            )
            if not taken.update(created_at=now):
                return problem_response(request, _in_progress())
            first.created_at = now
            return _run(request, get_response, first)
        return _replay(first)
    return _run(request, get_response, claim)


def _abandoned(claim: IdempotentAnswer, now: dt.datetime) -> bool:
    return claim.created_at < now - ABANDONED_AFTER


def _run(
    request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse], claim: IdempotentAnswer
) -> HttpResponse:
    response = get_response(request)
    if response.status_code >= 500 or response.status_code == 429 or response.streaming:
        claim.delete()  # nothing was done (or we cannot tell): the retry tries again
        return response
    claim.status = response.status_code
    claim.body = response.content
    claim.content_type = response.get("Content-Type", "")
    claim.save(update_fields=["status", "body", "content_type"])
    return response


def _in_progress() -> Problem:
    return Problem(
        409,
        "idempotency-in-progress",
        _("Request in progress"),
        _("A request with this Idempotency-Key is still running; retry in a moment."),
        headers={"Retry-After": "1"},
    )


def idempotent_answers_prune(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _detail = IdempotentAnswer.objects.filter(created_at__lt=now - WINDOW).delete()
    return deleted
