"""Connecting a Threads profile: the authorization window, the code exchange, the long-lived token.

From https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
https://developers.facebook.com/docs/threads/get-started/long-lived-tokens:

1. The browser goes to `https://threads.net/oauth/authorize?client_id&redirect_uri&scope&response_type=code
   &state` (scopes comma-separated) and comes back with `code` (Threads appends `#_`, which browsers keep
   out of the query).
2. `POST https://graph.threads.net/oauth/access_token` (client_id, client_secret, code, grant_type=
   authorization_code, redirect_uri) answers `{"access_token", "user_id"}`: a token valid for one hour.
3. `GET /access_token?grant_type=th_exchange_token&client_secret&access_token=<short-lived>` answers
   `{"access_token", "token_type": "bearer", "expires_in"}`: valid 60 days.
4. `GET /refresh_access_token?grant_type=th_refresh_token&access_token=<long-lived>` renews a long-lived
   token "as long as [it is] at least 24 hours old but [has] not expired", for 60 days from then.

The profile comes from `GET /v1.0/me?fields=id,username,name,threads_profile_picture_url`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlencode

import httpx

from networks.providers.base import (
    AuthExpired,
    Connectable,
    Consent,
    Credentials,
    Network,
    OAuthApp,
    ProviderError,
    Transient,
)
from networks.providers.graph import Clock, GraphClient, optional_str, required_str, utcnow

API_BASE_URL = "https://graph.threads.net"
AUTHORIZE_BASE_URL = "https://threads.net"
API_VERSION = "v1.0"

#: What CM Hub asks for: read and answer replies and mentions, hide replies, publish, delete its own.
DEFAULT_SCOPES = (
    "threads_basic",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_mentions",
    "threads_content_publish",
    # DELETE /{threads-media-id} (https://developers.facebook.com/docs/threads/posts/delete-posts).
    "threads_delete",
)
#: A long-lived token refreshed younger than this is refused by Threads.
MIN_AGE_TO_REFRESH = dt.timedelta(hours=24)
PROFILE_FIELDS = "id,username,name,threads_profile_picture_url"


def consent(app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
    query = urlencode(
        {
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": ",".join(scopes or DEFAULT_SCOPES),
            "response_type": "code",
            "state": state,
        }
    )
    return Consent(f"{(app.oauth_base_url or AUTHORIZE_BASE_URL).rstrip('/')}/oauth/authorize?{query}")


def _client(http: httpx.Client, app: OAuthApp, token: str = "", *, clock: Clock = utcnow) -> GraphClient:
    return GraphClient(
        http,
        base_url=app.api_base_url or API_BASE_URL,
        access_token=token,
        version=app.api_version or API_VERSION,
        clock=clock,
    )


def _lifetime(body: dict[str, object], now: dt.datetime) -> dt.datetime | None:
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not 0 < expires_in < 10**8:
        return None
    return now + dt.timedelta(seconds=expires_in)


def connectable(
    app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, clock: Clock = utcnow
) -> list[Connectable]:
    """Exchange the callback's code, make the token long-lived, and name the profile it acts for."""
    graph = _client(http, app, clock=clock)
    short = graph.request(
        "POST",
        graph.url("oauth/access_token", versioned=False),
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        },
    )
    short_token = _token(short)
    # The exchange authenticates with the short-lived token itself, as a query parameter (the only way
    # Threads documents for this call).
    long_lived = graph.request(
        "GET",
        graph.url("access_token", versioned=False),
        params={
            "grant_type": "th_exchange_token",
            "client_secret": app.client_secret,
            "access_token": short_token,
        },
    )
    now = clock()
    token = _token(long_lived)
    me = _client(http, app, token, clock=clock).get("me", {"fields": PROFILE_FIELDS})
    try:
        user_id, username = required_str(me, "id"), optional_str(me, "username")
        name, picture = optional_str(me, "name"), optional_str(me, "threads_profile_picture_url")
    except ValueError as exc:
        raise Transient(f"Threads answered /me without a readable profile: {exc}") from exc
    credentials = Credentials(
        access_token=token,
        expires_at=_lifetime(long_lived, now),
        scopes=tuple(DEFAULT_SCOPES),
        extra={"issued_at": now.isoformat()},
    )
    return [
        Connectable(
            network=Network.THREADS,
            external_id=user_id,
            name=(name or username or user_id)[:200],
            handle=username[:200],
            avatar_url=picture if picture.startswith("https://") else "",
            credentials=credentials,
        )
    ]


def refresh(
    http: httpx.Client, *, api_base_url: str, credentials: Credentials, clock: Clock = utcnow
) -> Credentials:
    """A long-lived token renewed for 60 more days. Threads refuses a token younger than a day: that is
    not a lost connection, so it is said as a wait (Transient), and a refused refresh as AuthExpired."""
    now = clock()
    issued = _issued_at(credentials)
    if issued is not None and now - issued < MIN_AGE_TO_REFRESH:
        raise Transient("Threads renews a token once it is a day old; CM Hub will try again later.")
    graph = GraphClient(http, base_url=api_base_url or API_BASE_URL, access_token="", clock=clock)
    try:
        body = graph.request(
            "GET",
            graph.url("refresh_access_token", versioned=False),
            params={"grant_type": "th_refresh_token", "access_token": credentials.access_token},
        )
    except ProviderError as exc:
        if exc.status in (400, 401) and not isinstance(exc, Transient):
            raise AuthExpired(
                "Threads refused to renew the token; reconnect the channel.",
                network_message=exc.network_message,
                status=exc.status,
            ) from exc
        raise
    return Credentials(
        access_token=_token(body),
        refresh_token=credentials.refresh_token,
        expires_at=_lifetime(body, now),
        scopes=credentials.scopes,
        extra={**credentials.extra, "issued_at": now.isoformat()},
    )


def _issued_at(credentials: Credentials) -> dt.datetime | None:
    value = credentials.extra.get("issued_at") if isinstance(credentials.extra, dict) else None
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _token(body: dict[str, object]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise Transient("Threads answered without an access token")
    return token
