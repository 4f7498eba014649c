"""Bluesky sessions from an app password: sign in, find the account's PDS, refresh.

`com.atproto.server.createSession` on the entryway (https://bsky.social, or a self-hosted PDS) answers
`accessJwt` (about two hours), `refreshJwt` (about 90 days), `did`, `handle` and usually the account's DID
document, whose `#atproto_pds` service names the PDS where its repository lives: every later call goes
there. `refreshSession` takes the refresh JWT as bearer and ROTATES it: the answer's refreshJwt replaces
the old one, which must be stored at once (lexicons/com/atproto/server/{createSession,refreshSession}.json
in github.com/bluesky-social/atproto).

When the session carries no DID document, the PDS is resolved from the DID: `did:plc` through the PLC
directory (https://plc.directory/<did>), `did:web` through `https://<host>/.well-known/did.json`
(https://atproto.com/specs/did). If that fails too, the entryway that accepted the password is kept: it
answered for the account, so it proxies its calls. A PDS is used only over https on port 443, or when the
operator listed its host in CMHUB_ALLOWED_API_HOSTS (`usable_pds`): a DID document naming an http PDS is
refused at connect, and a channel stored with one sends nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from core.http import listed_host
from networks.providers import bluesky_wire as wire
from networks.providers.base import (
    AuthExpired,
    Credentials,
    Invalid,
    PermissionMissing,
    ProviderError,
    RateLimited,
    Transient,
)
from networks.providers.rest import json_or_empty, transport_error

PLC_DIRECTORY = "https://plc.directory"
_WORDS_2FA = (
    "This account asks for a code sent by e-mail at each sign-in. Connect it with an app password instead "
    "(Bluesky: Settings → Privacy and security → App passwords): app passwords skip the code."
)
_WORDS_REFUSED = (
    "Bluesky did not accept this handle and password. Check the handle (or e-mail) and use an app "
    "password (Settings → Privacy and security → App passwords), not the account's own password."
)


def create_session(
    http: httpx.Client, *, service_url: str, identifier: str, password: str, now: dt.datetime
) -> tuple[dict[str, Any], Credentials]:
    """Sign in; (the session as Bluesky answered it, the credentials). Invalid in plain words when the
    password or identifier is refused."""
    url = f"{service_url.rstrip('/')}/xrpc/com.atproto.server.createSession"
    try:
        response = http.post(url, json={"identifier": identifier.strip(), "password": password})
    except httpx.TransportError as exc:
        raise transport_error(wire.NETWORK, exc, may_apply=False) from exc
    name, message = wire.error_name(response)
    if name == "AuthFactorTokenRequired":
        raise Invalid(_WORDS_2FA, network_message=message or name, status=response.status_code)
    if response.status_code == 429:
        raise wire.status_error(response, now=now)
    if name == "AccountTakedown":
        raise Invalid(
            "Bluesky has taken this account down; it cannot be connected.",
            network_message=message,
            status=response.status_code,
        )
    if response.status_code in (400, 401):
        raise Invalid(_WORDS_REFUSED, network_message=message or name, status=response.status_code)
    if response.status_code >= 400:
        raise wire.status_error(response, now=now)
    session = json_or_empty(response)
    return session, credentials_from(session, previous=None)


def refresh_session(
    http: httpx.Client, *, pds_url: str, credentials: Credentials, now: dt.datetime
) -> Credentials:
    """New tokens for the refresh JWT; AuthExpired when Bluesky refuses it (the person reconnects)."""
    if not credentials.refresh_token:
        raise AuthExpired("This Bluesky connection has no refresh token; reconnect the channel.")
    refuse_unusable_pds(pds_url)
    url = f"{pds_url.rstrip('/')}/xrpc/com.atproto.server.refreshSession"
    try:
        response = http.post(url, headers={"Authorization": f"Bearer {credentials.refresh_token}"})
    except httpx.TransportError as exc:
        # A refresh that landed has rotated the refresh token: say so rather than pretend it did not.
        raise transport_error(wire.NETWORK, exc, may_apply=True) from exc
    if response.status_code >= 400:
        error = wire.status_error(response, now=now)
        if isinstance(error, RateLimited | Transient):
            raise error
        raise AuthExpired(
            "Bluesky refused to renew the session; reconnect the channel with an app password.",
            network_message=error.network_message,
            status=response.status_code,
        )
    return credentials_from(json_or_empty(response), previous=credentials)


def credentials_from(session: dict[str, Any], *, previous: Credentials | None) -> Credentials:
    access, refresh = session.get("accessJwt"), session.get("refreshJwt")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        raise Transient("Bluesky's session answer had no tokens.")
    if not wire.is_did(session.get("did")):
        raise Transient("Bluesky's session answer had no account DID.")
    extra = dict(previous.extra) if previous else {}
    extra["did"] = session["did"]
    return Credentials(
        access_token=access, refresh_token=refresh, expires_at=wire.jwt_expiry(access), extra=extra
    )


def pds_from_did_doc(doc: Any) -> str:
    """The `#atproto_pds` service endpoint of a DID document, "" when it names none usable."""
    services = doc.get("service") if isinstance(doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, dict):
            continue
        ident, kind, endpoint = service.get("id"), service.get("type"), service.get("serviceEndpoint")
        if (
            isinstance(ident, str)
            and ident.endswith("#atproto_pds")
            and kind == "AtprotoPersonalDataServer"
            and isinstance(endpoint, str)
            and endpoint.startswith(("https://", "http://"))
        ):
            return endpoint.rstrip("/")
    return ""


def usable_pds(url: str) -> bool:
    """Whether the account's tokens may be sent to this PDS: https on its default port, or a host the
    operator listed in CMHUB_ALLOWED_API_HOSTS (a self-hosted PDS on the operator's network, the local
    fakes). A DID document may name any URL; an http one would carry the JWTs in clear."""
    from django.conf import settings

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        return False
    if parts.scheme == "https" and port in (None, 443):
        return True
    if parts.scheme not in ("http", "https"):
        return False
    default = 443 if parts.scheme == "https" else 80
    return listed_host(parts.hostname, port or default, getattr(settings, "CMHUB_ALLOWED_API_HOSTS", ()))


def refuse_unusable_pds(url: str) -> None:
    """PermissionMissing, not Invalid: nothing the person typed is wrong, CM Hub's own policy forbids it."""
    if not usable_pds(url):
        raise PermissionMissing(
            f"This account's Bluesky server ({url[:200]}) is not reached over https: CM Hub does not send "
            "its sign-in tokens there. If it is the operator's own server, the operator can list its host "
            "in CMHUB_ALLOWED_API_HOSTS."
        )


def resolve_pds(http: httpx.Client, did: str, *, plc_url: str = PLC_DIRECTORY) -> str:
    """The PDS named by the DID's document, read from the PLC directory or the did:web host; "" when it
    cannot be read (the caller keeps the entryway)."""
    if did.startswith("did:plc:"):
        url = f"{plc_url.rstrip('/')}/{quote(did, safe=':')}"
    elif did.startswith("did:web:"):
        url = f"https://{did.removeprefix('did:web:')}/.well-known/did.json"
    else:
        return ""
    try:
        response = http.get(url)
    except (httpx.TransportError, ProviderError):
        return ""
    return pds_from_did_doc(json_or_empty(response)) if response.status_code == 200 else ""
