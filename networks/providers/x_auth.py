"""X OAuth 2.0 with PKCE: the connect flow (before any Account exists) and the token refresh.

Access tokens live two hours; a refresh token comes only with the `offline.access` scope, and X rotates it
on every refresh, so the caller must store the new Credentials at once. The app's client id (and secret, for
a confidential client) are CM Hub settings, passed in by the caller.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from networks.providers import x_wire
from networks.providers.base import AuthExpired, Credentials, Invalid, ProviderError, RateLimited, Transient
from networks.providers.rest import json_or_empty, transport_error, utcnow

DEFAULT_API_BASE = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
# media.write is the scope name for POST /2/media/upload as far as we know [unverified].
# dm.read and dm.write: direct messages in and out (https://docs.x.com/x-api/direct-messages/lookup/integrate).
# tweet.moderate.write: hide replies to our posts (https://docs.x.com/x-api/posts/hide-replies/introduction).
DEFAULT_SCOPES = (
    "tweet.read",
    "users.read",
    "tweet.write",
    "offline.access",
    "media.write",
    "dm.read",
    "dm.write",
    "tweet.moderate.write",
)


def api_origin(base: str) -> str:
    """`https://api.x.com`, whether the setting was given with or without the trailing `/2`."""
    base = (base or DEFAULT_API_BASE).rstrip("/")
    return base.removesuffix("/2")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256: keep the verifier server-side, send the challenge."""
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    authorize_base: str = AUTHORIZE_URL,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return f"{authorize_base}?{urlencode(query)}"


def exchange_code(
    http: httpx.Client,
    *,
    client_id: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    client_secret: str = "",
    api_base_url: str = DEFAULT_API_BASE,
    now: dt.datetime | None = None,
) -> Credentials:
    """The callback step: authorization code + PKCE verifier -> tokens. Invalid when X refuses them."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    payload = _token_request(http, api_base_url, form, client_id, client_secret, refused=Invalid)
    return _credentials_from(payload, now=now or utcnow(), previous=None)


def refresh(
    http: httpx.Client,
    *,
    credentials: Credentials,
    client_id: str,
    client_secret: str = "",
    api_base_url: str = DEFAULT_API_BASE,
    now: dt.datetime | None = None,
) -> Credentials:
    """New tokens for old; AuthExpired when there is no refresh token or X refuses it (reconnect)."""
    if not credentials.refresh_token:
        raise AuthExpired("This X connection has no refresh token (offline.access); reconnect the channel.")
    form = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}
    payload = _token_request(http, api_base_url, form, client_id, client_secret, refused=AuthExpired)
    return _credentials_from(payload, now=now or utcnow(), previous=credentials)


def _token_request(
    http: httpx.Client,
    api_base_url: str,
    form: dict[str, str],
    client_id: str,
    client_secret: str,
    *,
    refused: type[ProviderError],
) -> dict[str, Any]:
    # Confidential clients authenticate with HTTP Basic; public clients name themselves in the form.
    # (httpx.Auth() adds nothing: a public client sends no Authorization header.)
    auth = httpx.BasicAuth(client_id, client_secret) if client_secret else httpx.Auth()
    if not client_secret:
        form = {**form, "client_id": client_id}
    try:
        response = http.post(f"{api_origin(api_base_url)}/2/oauth2/token", data=form, auth=auth)
    except httpx.TransportError as exc:
        # A refresh that landed has rotated the refresh token: retrying may then answer AuthExpired.
        raise transport_error("X", exc, may_apply=True) from exc
    body = json_or_empty(response)
    message = str(body.get("error_description") or body.get("error") or response.reason_phrase)
    if response.status_code in (400, 401, 403):
        raise refused(
            f"X refused the token request: {message}", network_message=message, status=response.status_code
        )
    if response.status_code == 429:
        reset_at = x_wire.rate_limit_reset(response, now=utcnow()) or utcnow() + x_wire.RATE_LIMIT_WINDOW
        raise RateLimited(
            "X rate limit reached on the token endpoint.", network_message=message, reset_at=reset_at
        )
    if response.status_code >= 400:
        raise Transient(f"X answered {response.status_code} to a token request.", status=response.status_code)
    if not isinstance(body.get("access_token"), str):
        raise Transient("X's token answer had no access token.")
    return body


def _credentials_from(
    payload: dict[str, Any], *, now: dt.datetime, previous: Credentials | None
) -> Credentials:
    expires_in = payload.get("expires_in")
    scope = payload.get("scope")
    return Credentials(
        access_token=payload["access_token"],
        refresh_token=str(payload.get("refresh_token") or (previous.refresh_token if previous else "")),
        expires_at=now + dt.timedelta(seconds=expires_in) if isinstance(expires_in, int) else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (previous.scopes if previous else ()),
        extra=dict(previous.extra) if previous else {},
    )
