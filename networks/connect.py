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
from networks.registry import SPECS, AppConfig, allowed_url, api_base_url, app_config

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
    if spec.provider_class.connect_style == p.ConnectStyle.SERVER_OAUTH:
        pending["server_url"] = app.api_base_url  # the callback finds the server's app by it
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
    return [_candidate(account, app.api_base_url) for account in found]


def _candidate(account: p.Connectable, api_base: str) -> Candidate:
    credentials = account.credentials
    return Candidate(
        network=str(account.network),
        external_id=account.external_id,
        name=account.name,
        api_base_url=account.api_base_url or api_base,
        access_token=credentials.access_token,
        refresh_token=credentials.refresh_token,
        expires_at=credentials.expires_at.timestamp() if credentials.expires_at else None,
        scopes=list(credentials.scopes),
        handle=account.handle,
        avatar_url=account.avatar_url,
        server_limits=dict(account.server_limits),
    )


def app_for_flow(network: str, pending: dict[str, Any]) -> AppConfig | None:
    """The app a pending flow was started with: the deployment's, or the one its server registered."""
    if SPECS[network].provider_class.connect_style != p.ConnectStyle.SERVER_OAUTH:
        return app_config(network)
    from networks.models import ServerApp

    row = ServerApp.objects.filter(
        network=network,
        server_url=pending.get("server_url", ""),
        redirect_uri=pending.get("redirect_uri", ""),
    ).first()
    return _server_app_config(row) if row else None


def oauth_app(app: AppConfig) -> p.OAuthApp:
    spec = SPECS[app.network]
    return p.OAuthApp(
        client_id=app.client_id,
        client_secret=app.client_secret,
        api_base_url=app.api_base_url,
        oauth_base_url=app.oauth_base_url,
        api_version=spec.api_version() if spec.api_version else "",
    )


# --- Servers with apps of their own (ConnectStyle.SERVER_OAUTH) ----------------------------------------


#: The longest server address accepted (a host name is at most 253 characters).
MAX_SERVER_CHARS = 300


def server_url(network: str, raw: str) -> str:
    """The server an admin typed (`mastodon.social`, `https://social.example.org/`), as the origin CM Hub
    calls: https, no path, no credentials. ConnectError in plain words for anything else."""
    from urllib.parse import urlsplit

    text = (raw or "").strip().lower()
    if not text:
        raise ConnectError(_("Type the address of your server, e.g. mastodon.social."))
    if len(text) > MAX_SERVER_CHARS or any(c.isspace() for c in text):
        raise ConnectError(_("This is not a server address."))
    if text.startswith("@") or (text.count("@") == 1 and "://" not in text):
        # A handle (@brand@mastodon.social) names its server after the last @.
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ConnectError(_("This is not a server address.")) from None
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ConnectError(_("Type the server's address alone, without a path, e.g. mastodon.social."))
    if not parts.hostname or ("." not in parts.hostname and parts.hostname != "localhost"):
        raise ConnectError(_("This is not a server address."))
    url = f"{parts.scheme}://{parts.netloc}"
    if not allowed_url(network, url):
        raise ConnectError(
            _("CM Hub only connects to servers over https, on the standard port (%(url)s is not allowed).")
            % {"url": url}
        )
    return url


def server_app(*, network: str, server_url: str, redirect_uri: str, http: httpx.Client) -> AppConfig:
    """CM Hub's app on this server: the one registered before, or registered now (once per server and
    redirect URI, shared by every workspace). ConnectError when the server refuses or cannot be reached."""
    from django.conf import settings
    from django.db import IntegrityError, transaction

    from networks.models import ServerApp

    row = ServerApp.objects.filter(network=network, server_url=server_url, redirect_uri=redirect_uri).first()
    if row is None:
        spec = SPECS[network]
        try:
            registered = spec.provider_class.register_app(
                http=http,
                server_url=server_url,
                redirect_uri=redirect_uri,
                scopes=spec.scopes,
                client_name="CM Hub",
                website=settings.SITE_URL,
            )
        except p.ProviderError as exc:
            if _private_address(exc):
                raise ConnectError(_private_words(server_url)) from None
            if not isinstance(exc, p.Transient):
                raise ConnectError(
                    _("%(server)s did not register CM Hub: %(reason)s")
                    % {"server": server_url, "reason": exc.network_message}
                ) from exc
            raise ConnectError(
                _("%(server)s cannot be reached. Check the address and try again.") % {"server": server_url}
            ) from None
        except httpx.HTTPError as exc:
            if _private_address(exc):
                raise ConnectError(_private_words(server_url)) from None
            raise ConnectError(
                _("%(server)s cannot be reached. Check the address and try again.") % {"server": server_url}
            ) from None
        try:
            with transaction.atomic():
                row = ServerApp.objects.create(
                    network=network,
                    server_url=server_url,
                    redirect_uri=redirect_uri,
                    client_id=registered.client_id,
                    client_secret=registered.client_secret,
                    scopes=list(spec.scopes),
                )
        except IntegrityError:  # another admin registered it at the same moment: theirs is as good
            row = ServerApp.objects.get(network=network, server_url=server_url, redirect_uri=redirect_uri)
    return _server_app_config(row)


def _private_address(exc: BaseException) -> bool:
    """Whether the SSRF guard refused the connection (a private or reserved address), wherever in the
    chain of causes it was raised."""
    from core.http import UnsafeDestination

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UnsafeDestination):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _private_words(server_url: str) -> str:
    return _(
        "%(server)s is a private or reserved network address: CM Hub only connects to servers on the "
        "internet."
    ) % {"server": server_url}


def _server_app_config(row: Any) -> AppConfig:
    return AppConfig(
        network=row.network,
        client_id=row.client_id,
        client_secret=row.client_secret,
        api_base_url=row.server_url,
        oauth_base_url=row.server_url,
    )


# --- Accounts signed in with an app password (ConnectStyle.APP_PASSWORD) --------------------------------


def password_candidates(
    *, network: str, identifier: str, password: str, http: httpx.Client
) -> list[Candidate]:
    """Sign in with an app password and return the account as a candidate, like a consent's callback."""
    # Bluesky shows handles with an @ in front; the sign-in wants them without.
    identifier, password = identifier.strip().removeprefix("@"), password.strip()
    if not identifier or not password:
        raise ConnectError(_("Type the account's handle and an app password."))
    spec = SPECS[network]
    try:
        found = spec.provider_class.connect_with_password(
            http=http, identifier=identifier, password=password, service_url=api_base_url(network)
        )
    except p.Invalid as exc:
        # The handle or the password was refused, or the account wants an e-mail code: the network's own
        # words alone ("Invalid identifier or password", "A sign in code has been sent...") do not say
        # what to do instead.
        raise ConnectError(
            _(
                "%(network)s did not accept this handle and app password. Check the handle, and use an app "
                "password made for CM Hub, not the account's own password (app passwords also skip e-mail "
                "sign-in codes). %(network)s said: %(reason)s"
            )
            % {"network": p.Network(network).label, "reason": exc.network_message or str(exc)}
        ) from exc
    except p.PermissionMissing as exc:  # CM Hub's own rules forbid it (a server reached without https)
        raise ConnectError(
            _("CM Hub cannot connect this account: %(reason)s") % {"reason": exc.network_message or str(exc)}
        ) from exc
    except p.ProviderError as exc:
        if not isinstance(exc, p.Transient):
            raise ConnectError(
                _("%(network)s refused the sign-in: %(reason)s")
                % {"network": p.Network(network).label, "reason": exc.network_message}
            ) from exc
        raise ConnectError(
            _("%(network)s cannot be reached. Try again in a moment.") % {"network": p.Network(network).label}
        ) from None
    except httpx.HTTPError:
        raise ConnectError(
            _("%(network)s cannot be reached. Try again in a moment.") % {"network": p.Network(network).label}
        ) from None
    return [_candidate(account, api_base_url(network)) for account in found]


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
