"""The OAuth 2 connect flow, one shape for every network: start -> consent page -> callback -> candidates
(the accounts the person may connect) -> the admin chooses -> channels.

What waits between the steps (state, PKCE verifier, candidates with their tokens) is kept in the session,
encrypted with the credential keys: a session row never holds a token in clear. `manage.py
rotate_credentials` re-encrypts these too, so a flow open while the keys rotate still finishes.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from django.utils.translation import gettext as _

from core import crypto
from core.errors import UserError
from networks.providers import base as p
from networks.registry import SPECS, AppConfig

SESSION_KEY = "cmhub_oauth"
STATE_TTL = 15 * 60  # seconds a consent page may stay open


class ConnectError(UserError):
    """The flow cannot go on; the message is for the admin."""


@dataclass
class Candidate:
    """An account the person may connect, with the credentials to act for it."""

    network: str
    external_id: str
    name: str
    api_base_url: str
    access_token: str
    handle: str = ""
    avatar_url: str = ""
    refresh_token: str = ""
    expires_at: float | None = None  # epoch seconds
    scopes: list[str] = field(default_factory=list)
    server_limits: dict[str, Any] = field(default_factory=dict)

    def credentials(self) -> p.Credentials:
        import datetime as dt

        expires = dt.datetime.fromtimestamp(self.expires_at, tz=dt.UTC) if self.expires_at else None
        return p.Credentials(
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            expires_at=expires,
            scopes=tuple(self.scopes),
        )


# --- Step 1: where to send the browser ------------------------------------------------------------------


def start(session, *, workspace_slug: str, app: AppConfig, redirect_uri: str, reconnect: str = "") -> str:
    """Remember a fresh `state` (and PKCE verifier) with the consent page URL; return the state.

    The browser reaches the consent page through `authorisation_url` (see views.connect_authorise)."""
    state = secrets.token_urlsafe(24)
    pending: dict[str, Any] = {
        "workspace": workspace_slug,
        "network": app.network,
        "redirect_uri": redirect_uri,
        "created": time.time(),
        "reconnect": reconnect,  # the external id of the channel being repaired, if that is the purpose
    }
    spec = SPECS[app.network]
    consent = spec.provider_class.consent(
        oauth_app(app), redirect_uri=redirect_uri, state=state, scopes=spec.scopes
    )
    if consent.verifier:
        pending["verifier"] = consent.verifier
    url = consent.url
    pending["authorisation_url"] = url
    flows = _load(session, unreadable_is_empty=True)  # flows nobody can read any more are dropped
    flows = {k: v for k, v in flows.items() if time.time() - v.get("created", 0) < STATE_TTL}
    flows[state] = pending
    _save(session, flows)
    return state


def authorisation_url(session, *, state: str, workspace_slug: str, network: str) -> str:
    """The consent page of a pending flow started in this session (the flow stays pending: the callback
    consumes it)."""
    pending = _load(session).get(state) if state else None
    if (
        pending is None
        or pending.get("network") != network
        or pending.get("workspace") != workspace_slug
        or "authorisation_url" not in pending
    ):
        raise ConnectError(_("This connection request is unknown or was already used. Start again."))
    if time.time() - pending.get("created", 0) > STATE_TTL:
        raise ConnectError(_("This connection request expired. Start again."))
    return pending["authorisation_url"]


# --- Step 2: the callback ---------------------------------------------------------------------------------


def take_state(session, *, state: str, network: str) -> dict[str, Any]:
    """The pending flow for `state`, removed from the session (a state works once)."""
    flows = _load(session)
    pending = flows.pop(state, None) if state else None
    _save(session, flows)
    if pending is None or pending.get("network") != network:
        raise ConnectError(
            _("This connection request is unknown or was already used (state mismatch). Start again.")
        )
    if time.time() - pending.get("created", 0) > STATE_TTL:
        raise ConnectError(_("This connection request expired. Start again."))
    return pending


def finish(*, app: AppConfig, pending: dict[str, Any], code: str, http: httpx.Client) -> list[Candidate]:
    """Exchange the code and list the accounts this person can connect."""
    found = SPECS[app.network].provider_class.connectable(
        oauth_app(app),
        http=http,
        code=code,
        redirect_uri=pending["redirect_uri"],
        verifier=pending.get("verifier", ""),
    )
    return [
        Candidate(
            network=str(account.network),
            external_id=account.external_id,
            name=account.name,
            api_base_url=account.api_base_url or app.api_base_url,
            access_token=account.credentials.access_token,
            refresh_token=account.credentials.refresh_token,
            expires_at=account.credentials.expires_at.timestamp() if account.credentials.expires_at else None,
            scopes=list(account.credentials.scopes),
            handle=account.handle,
            avatar_url=account.avatar_url,
            server_limits=dict(account.server_limits),
        )
        for account in found
    ]


def oauth_app(app: AppConfig) -> p.OAuthApp:
    spec = SPECS[app.network]
    return p.OAuthApp(
        client_id=app.client_id,
        client_secret=app.client_secret,
        api_base_url=app.api_base_url,
        oauth_base_url=app.oauth_base_url,
        api_version=spec.api_version() if spec.api_version else "",
    )


# --- Step 3: candidates wait in the session while the admin chooses -------------------------------------


def keep_candidates(
    session, *, workspace_slug: str, network: str, candidates: list[Candidate], reconnect: str = ""
) -> str:
    key = secrets.token_urlsafe(12)
    payload = {
        "workspace": workspace_slug,
        "network": network,
        "created": time.time(),
        "candidates": [asdict(c) for c in candidates],
        "reconnect": reconnect,
    }
    session[f"{SESSION_KEY}_choice_{key}"] = crypto.encrypt(json.dumps(payload))
    return key


def load_candidates(session, *, key: str, workspace_slug: str) -> tuple[str, list[Candidate]]:
    token = session.get(f"{SESSION_KEY}_choice_{key}")
    if not token:
        raise ConnectError(_("This choice expired. Start the connection again."))
    try:
        payload = json.loads(crypto.decrypt(token))
    except crypto.CredentialsUnreadable:
        raise ConnectError(_keys_changed_message()) from None
    if payload["workspace"] != workspace_slug or time.time() - payload["created"] > STATE_TTL:
        raise ConnectError(_("This choice expired. Start the connection again."))
    return payload["network"], [Candidate(**c) for c in payload["candidates"]]


def reconnecting(session, *, key: str) -> str:
    """The external id of the channel this choice repairs ("" for a new connection)."""
    token = session.get(f"{SESSION_KEY}_choice_{key}")
    try:
        return json.loads(crypto.decrypt(token)).get("reconnect", "") if token else ""
    except crypto.CredentialsUnreadable:
        return ""


def drop_candidates(session, *, key: str) -> None:
    session.pop(f"{SESSION_KEY}_choice_{key}", None)


def rotate_flows(session: MutableMapping[str, Any]) -> int:
    """Re-encrypt the pending flows and choices in a session's data with the newest credential key, and drop
    those no key opens (lost either way, they would only fail later); how many entries changed."""
    changed = 0
    for key in list(session.keys()):
        if key == SESSION_KEY or key.startswith(f"{SESSION_KEY}_choice_"):
            try:
                session[key] = crypto.rotate(session[key])
            except crypto.CredentialsUnreadable:
                del session[key]
            changed += 1
    return changed


def _keys_changed_message() -> str:
    return _(
        "This connection request can no longer be read: the encryption keys changed while it was open. "
        "Start again."
    )


def _load(session, *, unreadable_is_empty: bool = False) -> dict[str, Any]:
    token = session.get(SESSION_KEY)
    if not token:
        return {}
    try:
        return json.loads(crypto.decrypt(token))
    except crypto.CredentialsUnreadable:
        if unreadable_is_empty:
            return {}
        raise ConnectError(_keys_changed_message()) from None
    except ValueError:
        return {}


def _save(session, flows: dict[str, Any]) -> None:
    session[SESSION_KEY] = crypto.encrypt(json.dumps(flows))
