"""Google sign-in for the networks Google runs (YouTube, Business Profile), and Google's error envelope.

The web-server flow with PKCE (https://developers.google.com/identity/protocols/oauth2/web-server):
the consent page at `{oauth base}/o/oauth2/v2/auth` asks for `access_type=offline` and `prompt=consent`,
so every connection comes back with a refresh token (Google sends one only at a consent, and a
reconnection without `prompt=consent` would get none). Access tokens live about an hour; refreshing
keeps the refresh token (Google sends no new one) and `invalid_grant` means it was revoked or expired
(the person removed the app, changed their password, or the app is in testing and its tokens last 7 days).

Google's consent screen lets the person untick a permission: the granted `scope` is read and a missing
one is said before anything else fails on it.

Every Google API answers errors in one envelope (https://cloud.google.com/apis/design/errors,
https://developers.google.com/youtube/v3/docs/errors):
`{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
"errors": [{"message", "domain", "reason"}], "details": [{"@type": "...ErrorInfo", "reason"}]}}`;
`raise_for_google` maps it to the provider errors once for every Google network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from networks.providers.base import (
    AuthExpired,
    Consent,
    Credentials,
    Invalid,
    NotFound,
    OAuthApp,
    PermissionMissing,
    Provider,
    ProviderError,
    RateLimited,
    Transient,
)
from networks.providers.rest import json_or_empty, transport_error, utcnow
from networks.providers.x_auth import pkce_pair

GOOGLE_OAUTH_BASE = "https://accounts.google.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
#: How long a per-minute limit (429 RESOURCE_EXHAUSTED, rateLimitExceeded) is waited out when Google names
#: no time: its per-minute quotas refill within the minute.
SHORT_LIMIT_WAIT = dt.timedelta(seconds=60)

# `errors[].reason` values that mean the project's daily quota is spent (YouTube: quotaExceeded;
# older APIs: dailyLimitExceeded), a short per-user or per-minute limit, or a missing permission.
_DAILY_QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_SHORT_LIMIT = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_NO_PERMISSION = frozenset(
    {
        "insufficientPermissions",
        "forbidden",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "channelNotFound",  # the token's account has no YouTube channel (or not this one)
    }
)


def token_url(oauth_base_url: str) -> str:
    """Google's token endpoint; anything standing in for Google (a fake, a proxy) serves it as /token."""
    base = (oauth_base_url or GOOGLE_OAUTH_BASE).rstrip("/")
    return GOOGLE_TOKEN_URL if base == GOOGLE_OAUTH_BASE else f"{base}/token"


def consent(app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
    verifier, challenge = pkce_pair()
    query = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(scopes),
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    base = (app.oauth_base_url or GOOGLE_OAUTH_BASE).rstrip("/")
    return Consent(url=f"{base}/o/oauth2/v2/auth?{urlencode(query)}", verifier=verifier)


class GoogleProvider(Provider):
    """What every network Google runs shares: its consent page, the code exchange that checks every
    permission was left ticked (`google_scopes`), and the refresh of the hour-long access token.
    Subclasses keep the deployment's app as `self.app` and their clock as `self.clock`."""

    google_scopes: ClassVar[tuple[str, ...]] = ()
    app: OAuthApp | None
    clock: Callable[[], dt.datetime]

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        return consent(app, redirect_uri=redirect_uri, state=state, scopes=scopes)

    @classmethod
    def signed_in(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str
    ) -> Credentials:
        """The callback's code for tokens holding every permission the network needs."""
        return exchange_code(
            http, app, code=code, redirect_uri=redirect_uri, verifier=verifier, scopes=cls.google_scopes
        )

    def refresh_credentials(self) -> Credentials:
        if self.app is None or not self.app.client_id:
            raise AuthExpired("No Google app is configured to renew this connection; reconnect the channel.")
        new = refresh(self.http, self.app, self.account.credentials, now=self.clock())
        self.account = replace(self.account, credentials=new)  # later calls in this run use the new token
        return new


def exchange_code(
    http: httpx.Client,
    app: OAuthApp,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    scopes: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Credentials:
    """The callback's code for tokens. Invalid when Google refuses the code; PermissionMissing when the
    person unticked one of `scopes` on the consent screen."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    body = _token_request(http, app, form, refused=Invalid)
    credentials = _credentials(body, now=now or utcnow(), previous=None)
    missing = [scope for scope in scopes if scope not in credentials.scopes]
    if missing and credentials.scopes:
        raise PermissionMissing(
            "Google did not grant every permission CM Hub needs (the box for "
            f"{', '.join(missing)} was unticked): connect again and leave every box ticked."
        )
    if not credentials.refresh_token:
        # Without one the channel would stop within the hour; prompt=consent should always bring one.
        raise Invalid("Google gave no refresh token for this connection: connect again.")
    return credentials


def refresh(
    http: httpx.Client, app: OAuthApp, credentials: Credentials, *, now: dt.datetime | None = None
) -> Credentials:
    """A new access token from the refresh token; AuthExpired when Google revoked or expired it."""
    if not credentials.refresh_token:
        raise AuthExpired("This Google connection has no refresh token; reconnect the channel.")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.refresh_token,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    body = _token_request(http, app, form, refused=AuthExpired)
    return _credentials(body, now=now or utcnow(), previous=credentials)


def _token_request(
    http: httpx.Client, app: OAuthApp, form: dict[str, str], *, refused: type[ProviderError]
) -> dict[str, Any]:
    try:
        response = http.post(token_url(app.oauth_base_url), data=form)
    except httpx.TransportError as exc:
        raise transport_error("Google", exc, may_apply=False) from exc  # a token request is safe to repeat
    body = json_or_empty(response)
    # The token endpoint answers RFC 6749 errors: {"error": "invalid_grant", "error_description": "..."}.
    error = body.get("error")
    message = str(body.get("error_description") or (error if isinstance(error, str) else "") or "")
    if response.status_code in (400, 401, 403):
        raise refused(
            f"Google refused the sign-in: {message or response.reason_phrase}.",
            network_message=message,
            status=response.status_code,
        )
    if response.status_code == 429:
        raise RateLimited("Google's sign-in is rate limited.", reset_at=utcnow() + SHORT_LIMIT_WAIT)
    if response.status_code >= 400:
        raise Transient(
            f"Google answered {response.status_code} to a token request.", status=response.status_code
        )
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise Transient("Google's token answer had no access token.")
    return body


def _credentials(body: dict[str, Any], *, now: dt.datetime, previous: Credentials | None) -> Credentials:
    expires_in = body.get("expires_in")
    lifetime = expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None
    scope = body.get("scope")
    refresh_token = body.get("refresh_token")
    return Credentials(
        access_token=body["access_token"],
        refresh_token=refresh_token
        if isinstance(refresh_token, str) and refresh_token
        else (previous.refresh_token if previous else ""),
        # Clamped: a lifetime of years (or a negative one) from a broken answer must not park the refresh.
        expires_at=now + dt.timedelta(seconds=min(max(lifetime, 0), 86_400))
        if lifetime is not None
        else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (previous.scopes if previous else ()),
        extra=dict(previous.extra) if previous else {},
    )


# --- Google's API error envelope ------------------------------------------------------------------------


def error_reasons(body: dict[str, Any]) -> tuple[str, str, set[str]]:
    """(message, status, reasons) from Google's error envelope; empty where the body is not one."""
    error = body.get("error")
    if not isinstance(error, dict):
        return "", "", set()
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    status = error.get("status") if isinstance(error.get("status"), str) else ""
    reasons: set[str] = set()
    for key in ("errors", "details"):
        entries = error.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
                reasons.add(entry["reason"])
    return str(message)[:500], str(status), reasons


def raise_for_google(
    response: httpx.Response,
    *,
    network: str,
    daily_quota_reset: Callable[[], dt.datetime] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Nothing for a success; otherwise the provider error Google's answer means, in plain words."""
    if response.status_code < 400:
        return
    now = now or utcnow()
    message, status, reasons = error_reasons(json_or_empty(response))
    said = message or response.reason_phrase
    code = response.status_code
    kwargs: dict[str, Any] = {"network_message": said, "status": code}
    if reasons & _DAILY_QUOTA:
        reset_at = daily_quota_reset() if daily_quota_reset else now + dt.timedelta(hours=1)
        raise RateLimited(
            f"{network}'s daily quota is spent; it resumes when the quota resets.",
            reset_at=reset_at,
            **kwargs,
        )
    if code == 429 or status == "RESOURCE_EXHAUSTED" or reasons & _SHORT_LIMIT:
        raise RateLimited(
            f"{network} asks to slow down for a minute.", reset_at=now + SHORT_LIMIT_WAIT, **kwargs
        )
    if code == 401 or status == "UNAUTHENTICATED":
        raise AuthExpired(f"{network} no longer accepts this connection's token: {said}", **kwargs)
    if code == 403 or status == "PERMISSION_DENIED" or reasons & _NO_PERMISSION:
        raise PermissionMissing(f"{network} refused: {said}", **kwargs)
    if code == 404:
        raise NotFound(f"{network} does not know it (any more): {said}", **kwargs)
    if code in (400, 409, 412, 413, 422):
        raise Invalid(f"{network} refused the request: {said}", **kwargs)
    raise Transient(f"{network} answered {code}: {said}", **kwargs)
