"""Facebook Login for connecting Pages and their Instagram accounts.

The flow the Django layer drives: send the browser to `authorize_url`, get `code` back on the redirect URI
(check `state`), `exchange_code` for a long-lived user token, then `list_pages` to offer the Pages the person
manages. Each Page comes with its own Page token (which does not expire when obtained from a long-lived
user token) and, when one is linked, its Instagram professional account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from networks.providers.base import Connectable, Consent, Credentials, Network, OAuthApp, Transient
from networks.providers.graph import GRAPH_VERSION, Clock, GraphClient, optional_dict, utcnow

DIALOG_BASE_URL = "https://www.facebook.com"

#: What CM Hub asks for: read and answer comments and messages, publish, on Pages and Instagram.
DEFAULT_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_manage_posts",
    # Messenger's Conversations API needs all three: pages_messaging, pages_read_engagement and
    # pages_manage_metadata (https://developers.facebook.com/docs/messenger-platform/conversations).
    "pages_manage_metadata",
    "pages_messaging",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_content_publish",
)


@dataclass(frozen=True, slots=True)
class UserToken:
    access_token: str
    expires_at: dt.datetime | None  # None when Graph gave no lifetime


@dataclass(frozen=True, slots=True)
class PageGrant:
    """A Page the person manages, its Page token, and its linked Instagram account if any."""

    page_id: str
    name: str
    access_token: str
    instagram_user_id: str = ""
    instagram_username: str = ""


def authorize_url(
    *,
    app_id: str,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
    dialog_base_url: str = DIALOG_BASE_URL,
    version: str = GRAPH_VERSION,
) -> str:
    query = urlencode(
        {
            "client_id": app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(scopes),
        }
    )
    return f"{dialog_base_url.rstrip('/')}/{version}/dialog/oauth?{query}"


def exchange_code(
    http: httpx.Client,
    base_url: str,
    app_id: str,
    app_secret: str,
    redirect_uri: str,
    code: str,
    *,
    clock: Clock = utcnow,
    version: str = GRAPH_VERSION,
) -> UserToken:
    """Code -> short-lived user token -> long-lived user token (about 60 days)."""
    graph = GraphClient(http, base_url=base_url, access_token="", clock=clock, version=version)
    client = {"client_id": app_id, "client_secret": app_secret}
    short = graph.get("oauth/access_token", {**client, "redirect_uri": redirect_uri, "code": code})
    long = graph.get(
        "oauth/access_token",
        {**client, "grant_type": "fb_exchange_token", "fb_exchange_token": _token_of(short)},
    )
    expires_in = long.get("expires_in")
    expires_at = clock() + dt.timedelta(seconds=expires_in) if isinstance(expires_in, int) else None
    return UserToken(access_token=_token_of(long), expires_at=expires_at)


def list_pages(
    http: httpx.Client, base_url: str, user_token: str, *, version: str = GRAPH_VERSION
) -> list[PageGrant]:
    graph = GraphClient(http, base_url=base_url, access_token=user_token, version=version)
    params = {"fields": "id,name,access_token,instagram_business_account{id,username}", "limit": 100}
    grants = []
    for data, _has_next in graph.pages("me/accounts", params):
        for raw in data:
            grant = _page_grant(raw)
            if grant is not None:
                grants.append(grant)
    return grants


def _page_grant(raw: object) -> PageGrant | None:
    if not isinstance(raw, dict):
        return None
    page_id, name, token = raw.get("id"), raw.get("name"), raw.get("access_token")
    if not (isinstance(page_id, str) and isinstance(token, str) and token):
        # No Page token: the person lacks a task on this Page that allows acting for it.
        return None
    try:
        instagram = optional_dict(raw, "instagram_business_account") or {}
    except ValueError:
        instagram = {}
    return PageGrant(
        page_id=page_id,
        name=name if isinstance(name, str) else "",
        access_token=token,
        instagram_user_id=str(instagram.get("id") or ""),
        instagram_username=str(instagram.get("username") or ""),
    )


def _token_of(body: dict[str, object]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("Facebook answered the token exchange without a token")
    return token


def consent(app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
    url = authorize_url(
        app_id=app.client_id,
        redirect_uri=redirect_uri,
        state=state,
        scopes=tuple(scopes),
        dialog_base_url=app.oauth_base_url.rstrip("/"),
        version=app.api_version or GRAPH_VERSION,
    )
    return Consent(url)


def connectable(
    app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, pages: bool
) -> list[Connectable]:
    """The Pages (where `pages`) and linked Instagram accounts one Facebook login gives access to."""
    version = app.api_version or GRAPH_VERSION
    user = exchange_code(
        http, app.api_base_url, app.client_id, app.client_secret, redirect_uri, code, version=version
    )
    found = []
    for page in list_pages(http, app.api_base_url, user.access_token, version=version):
        # A Page token from a long-lived user token does not expire (NETWORKS.md). The linked Instagram
        # account is reached with the same Page token, so one Facebook login offers both.
        credentials = Credentials(access_token=page.access_token)
        if pages:
            found.append(Connectable(Network.FACEBOOK, page.page_id, page.name, credentials))
        if page.instagram_user_id:
            found.append(
                Connectable(
                    Network.INSTAGRAM,
                    page.instagram_user_id,
                    page.instagram_username or page.name,
                    credentials,
                    handle=page.instagram_username,
                )
            )
    return found
