"""Connecting a Mastodon account: CM Hub's app on the instance, OAuth 2 with PKCE, who the token is, and
what the instance allows.

Every instance has its own apps (https://docs.joinmastodon.org/methods/apps/#create): the connect view
registers CM Hub once per instance and redirect URI and keeps the answer (networks.models.ServerApp).
Then the usual authorisation code flow on that instance (https://docs.joinmastodon.org/methods/oauth/),
with PKCE S256 (Mastodon 4.3+; older instances ignore the challenge, the state still guards the callback).
Tokens do not expire: they are revoked, and a 401 says so.

The instance is a host an admin typed: every call here goes through the caller's client, which is the
SSRF-safe one (core.http.make_client), so a name that resolves to a private address is refused at connect
time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from networks.providers import mastodon_wire as wire
from networks.providers.base import (
    Author,
    Connectable,
    Consent,
    Credentials,
    Invalid,
    Network,
    OAuthApp,
    ProviderError,
    RegisteredApp,
    Transient,
)
from networks.providers.rest import json_object, transport_error, utcnow
from networks.providers.x_auth import pkce_pair

#: What CM Hub asks an instance for (https://docs.joinmastodon.org/api/oauth-scopes/): mentions and
#: conversations in (read:statuses), replies, posts and images out (an answer to a direct message is a
#: status too: write:statuses; write:conversations only removes conversations or marks them read, which
#: CM Hub never does), and muting or blocking an author from the inbox (both harmless to repeat, so never
#: read back: no read:follows).
DEFAULT_SCOPES = (
    "read:notifications",
    "read:statuses",
    "read:accounts",
    "write:statuses",
    "write:media",
    "write:mutes",
    "write:blocks",
)


def server_origin(url: str) -> str:
    """`https://mastodon.social` from whatever the admin typed or the channel stored (no path, no slash)."""
    value = (url or "").strip()
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if not parts.hostname:
        raise Invalid("That is not the address of a Mastodon server.")
    return f"{parts.scheme}://{parts.netloc}".rstrip("/")


def server_host(url: str) -> str:
    """The instance's name in CM Hub's ids: its host name, lower case (no port: an instance answers on
    443, and a demo's fakes keep their names when they move to other ports)."""
    return (urlsplit(server_origin(url)).hostname or "").lower()


def qualified_id(local: str, url: str) -> str:
    """How CM Hub stores a Mastodon account (the channel's, an author's): "<id>@<host>". An id is unique
    on its instance only: two instances may both have an account "1", and two workspaces' channels or
    contacts must never be taken for one another."""
    return f"{local}@{server_host(url)}"


def local_id(value: str, url: str) -> str:
    """The instance's own id of a qualified one (a bare id is taken as it is), for calling the API. An
    id qualified by another instance is refused: that account is not known by this id here."""
    local, at, host = (value or "").rpartition("@")
    if not at:
        return value
    if host.lower() != server_host(url) or not local:
        raise Invalid("That account belongs to another Mastodon server.")
    return local


def _post(http: httpx.Client, url: str, *, data: dict[str, str]) -> httpx.Response:
    try:
        response = http.post(url, data=data)
    except httpx.TransportError as exc:
        # Registering an app or redeeming a code twice does no harm: safe to try again.
        raise transport_error("the Mastodon server", exc, may_apply=False) from exc
    if response.status_code >= 400:
        raise wire.status_error(response, utcnow)
    return response


def _get(http: httpx.Client, url: str, *, token: str) -> dict[str, Any]:
    try:
        response = http.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError as exc:
        raise transport_error("the Mastodon server", exc, may_apply=False) from exc
    if response.status_code >= 400:
        raise wire.status_error(response, utcnow)
    return json_object(response, "Mastodon")


def register_app(
    http: httpx.Client,
    *,
    server_url: str,
    redirect_uri: str,
    scopes: Sequence[str],
    client_name: str,
    website: str,
) -> RegisteredApp:
    origin = server_origin(server_url)
    form = {
        "client_name": client_name,
        "redirect_uris": redirect_uri,
        "scopes": " ".join(scopes),
        "website": website,
    }
    body = json_object(_post(http, f"{origin}/api/v1/apps", data=form), "Mastodon")
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not client_id or not isinstance(secret, str):
        raise Transient("The Mastodon server registered the app but sent no client id.")
    return RegisteredApp(client_id=client_id, client_secret=secret)


def consent(app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    origin = server_origin(app.oauth_base_url or app.api_base_url)
    return Consent(f"{origin}/oauth/authorize?{urlencode(query)}", verifier=verifier)


def exchange_code(
    http: httpx.Client, app: OAuthApp, *, code: str, redirect_uri: str, verifier: str
) -> Credentials:
    origin = server_origin(app.oauth_base_url or app.api_base_url)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": redirect_uri,
    }
    if verifier:
        form["code_verifier"] = verifier
    try:
        body = json_object(_post(http, f"{origin}/oauth/token", data=form), "Mastodon")
    except ProviderError as exc:
        if exc.status in (400, 401):  # invalid_grant: a used, expired or forged code
            raise Invalid(
                "The Mastodon server refused the authorisation.", network_message=exc.network_message
            ) from exc
        raise
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("The Mastodon server answered without an access token.")
    scopes = tuple(str(body.get("scope") or "").split())
    return Credentials(access_token=token, scopes=scopes)


def verify_credentials(http: httpx.Client, *, origin: str, token: str) -> Author:
    """Who the token belongs to (https://docs.joinmastodon.org/methods/accounts/#verify_credentials)."""
    body = _get(http, f"{origin}/api/v1/accounts/verify_credentials", token=token)
    try:
        username = str(body["username"])
        return Author(
            external_id=qualified_id(wire.require_id(body["id"], "id"), origin),
            handle=f"{username}@{urlsplit(origin).hostname}",
            name=str(body.get("display_name") or username),
            avatar_url=_web(body.get("avatar")),
            profile_url=_web(body.get("url")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Invalid(f"The Mastodon server returned an unreadable account: {exc}") from exc


def _web(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


def server_limits(http: httpx.Client, *, origin: str, token: str, now: dt.datetime) -> dict[str, Any]:
    """What the instance allows, from GET /api/v2/instance `configuration`
    (https://docs.joinmastodon.org/entities/Instance/#configuration); defaults for what it leaves out."""
    body = _get(http, f"{origin}/api/v2/instance", token=token)
    return limits_from_instance(body, now=now)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def limits_from_instance(body: dict[str, Any], *, now: dt.datetime) -> dict[str, Any]:
    config = _mapping(body.get("configuration"))
    statuses = _mapping(config.get("statuses"))
    media = _mapping(config.get("media_attachments"))
    urls = _mapping(config.get("urls"))

    def positive(mapping: dict[str, Any], key: str, default: int) -> int:
        value = mapping.get(key)
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**9
        return value if ok and isinstance(value, int) else default

    streaming = urls.get("streaming")
    return {
        "max_characters": positive(statuses, "max_characters", wire.DEFAULT_MAX_CHARACTERS),
        "max_media_attachments": positive(statuses, "max_media_attachments", wire.DEFAULT_MAX_MEDIA),
        "characters_reserved_per_url": positive(
            statuses, "characters_reserved_per_url", wire.DEFAULT_URL_LENGTH
        ),
        "image_size_limit": positive(media, "image_size_limit", wire.DEFAULT_IMAGE_SIZE_LIMIT),
        "streaming_url": streaming
        if isinstance(streaming, str) and streaming.startswith(("wss://", "ws://", "https://", "http://"))
        else "",
        "read_at": now.isoformat(),
    }


def connectable(
    http: httpx.Client, app: OAuthApp, *, code: str, redirect_uri: str, verifier: str
) -> list[Connectable]:
    credentials = exchange_code(http, app, code=code, redirect_uri=redirect_uri, verifier=verifier)
    origin = server_origin(app.api_base_url or app.oauth_base_url)
    me = verify_credentials(http, origin=origin, token=credentials.access_token)
    limits = server_limits(http, origin=origin, token=credentials.access_token, now=utcnow())
    return [
        Connectable(
            Network.MASTODON,
            me.external_id,
            me.name or me.handle,
            credentials,
            handle=me.handle,
            avatar_url=me.avatar_url,
            api_base_url=origin,
            server_limits=limits,
        )
    ]
