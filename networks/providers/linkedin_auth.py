"""LinkedIn OAuth: the connect flow (before any Account exists), token refresh, and the expiry warning.

A token lives 60 days. Approved Community Management apps also get a refresh token (365 days,
https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens): CM Hub then
renews the access token before it expires (`refresh`). Without one a person must reconnect, and CM Hub
warns a week ahead (`expiry_warning_due`) so the channel never goes silent unannounced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import urlencode

import httpx

from networks.providers.base import Credentials, Invalid, Transient
from networks.providers.rest import json_or_empty, transport_error, utcnow

DEFAULT_OAUTH_BASE = "https://www.linkedin.com"
AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
DEFAULT_SCOPES = ("r_organization_social", "w_organization_social", "rw_organization_admin")
EXPIRY_WARNING = dt.timedelta(days=7)


def expiry_warning_due(
    expires_at: dt.datetime | None, now: dt.datetime, *, ahead: dt.timedelta = EXPIRY_WARNING
) -> bool:
    """True once the token is within `ahead` of expiry (or past it); False when it never expires."""
    return expires_at is not None and now >= expires_at - ahead


def authorize_url(
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    authorize_base: str = AUTHORIZE_URL,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": " ".join(scopes),
    }
    return f"{authorize_base}?{urlencode(query)}"


def exchange_code(
    http: httpx.Client,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    oauth_base: str = DEFAULT_OAUTH_BASE,
    now: dt.datetime | None = None,
) -> Credentials:
    """The callback step: authorization code -> a 60-day token. Invalid when LinkedIn refuses it."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return _token_request(http, form, oauth_base=oauth_base, now=now)


def refresh(
    http: httpx.Client,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    oauth_base: str = DEFAULT_OAUTH_BASE,
    now: dt.datetime | None = None,
) -> Credentials:
    """A new access token for a refresh token. LinkedIn keeps the refresh token's own expiry (it does not
    rotate), and answers with the same token, which is stored again."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    credentials = _token_request(http, form, oauth_base=oauth_base, now=now)
    if not credentials.refresh_token:
        credentials = replace(credentials, refresh_token=refresh_token)
    return credentials


def _token_request(
    http: httpx.Client, form: dict[str, str], *, oauth_base: str, now: dt.datetime | None
) -> Credentials:
    try:
        response = http.post(f"{oauth_base.rstrip('/')}/oauth/v2/accessToken", data=form)
    except httpx.TransportError as exc:
        raise transport_error("LinkedIn", exc, may_apply=True) from exc
    body = json_or_empty(response)
    if response.status_code >= 500:
        raise Transient(
            f"LinkedIn answered {response.status_code}; try again later.", status=response.status_code
        )
    if response.status_code >= 400 or not isinstance(body.get("access_token"), str):
        message = str(body.get("error_description") or body.get("error") or "refused")
        raise Invalid(
            f"LinkedIn refused the authorization: {message}",
            network_message=message,
            status=response.status_code,
        )
    expires_in, scope = body.get("expires_in"), body.get("scope")
    return Credentials(
        access_token=body["access_token"],
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at=(now or utcnow()) + dt.timedelta(seconds=expires_in)
        if isinstance(expires_in, int)
        else None,
        # LinkedIn separates granted scopes with commas (and sometimes spaces).
        scopes=tuple(s for s in scope.replace(",", " ").split() if s) if isinstance(scope, str) else (),
    )
