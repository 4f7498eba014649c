"""Which client serves which network, where its API and consent page live, and the deployment's app keys.

The deployment's app (client id and secret) comes from a NetworkApp row in admin, else from the
environment: `CMHUB_<NETWORK>_CLIENT_ID`, `_CLIENT_SECRET`, `_API_BASE_URL`, `_OAUTH_BASE_URL`
(e.g. `CMHUB_X_CLIENT_ID`). Base URLs are settable so tests, the demo and proxies can stand in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from networks.models import Channel, Network, NetworkApp, WatchSettings
from networks.providers import base as p
from networks.providers import graph, graph_oauth, linkedin_auth, threads_auth, x_auth
from networks.providers.bluesky import BlueskyProvider
from networks.providers.facebook import FacebookProvider
from networks.providers.google_business import DEFAULT_SCOPES as GOOGLE_BUSINESS_SCOPES
from networks.providers.google_business import GoogleBusinessProvider
from networks.providers.instagram import InstagramProvider
from networks.providers.linkedin import LinkedInProvider
from networks.providers.mastodon import MastodonProvider
from networks.providers.mastodon_auth import DEFAULT_SCOPES as MASTODON_SCOPES
from networks.providers.threads import ThreadsProvider
from networks.providers.x import XProvider
from networks.providers.youtube import DEFAULT_SCOPES as YOUTUBE_SCOPES
from networks.providers.youtube import YouTubeProvider
from networks.quota import LedgerMeter, Plan, QuotaPolicy


@dataclass(frozen=True)
class NetworkSpec:
    network: Network
    provider_class: type[p.Provider]
    default_api_base: str
    default_oauth_base: str  # the host of the consent page (and, for LinkedIn, of the token endpoint)
    scopes: tuple[str, ...]
    #: Tokens can be refreshed without the person (X: 2 h tokens; Instagram: 60-day tokens).
    refreshable: bool
    #: How long before expiry a refreshable token is renewed.
    refresh_ahead: dt.timedelta = dt.timedelta(minutes=10)
    #: Refreshable only when the network issued a refresh token with the channel's token (LinkedIn gives
    #: them to approved Community Management apps only).
    refresh_needs_token: bool = False
    #: Days before expiry when admins are warned about a token that cannot be refreshed.
    expiry_warning_days: int = 0
    #: The API version the operator pinned for this network (a setting), where there is one.
    api_version: Callable[[], str] | None = None
    #: A daily quota every channel of the network shares (YouTube's units per Google project): every call
    #: is counted against it, and its planner sets the channels' next polls (networks.quota).
    quota: QuotaPolicy | None = None

    def renewable(self, channel: Channel) -> bool:
        """Whether CM Hub can renew `channel`'s token without the person."""
        if self.refreshable:
            return True
        return self.refresh_needs_token and bool((channel.credentials or {}).get("refresh_token"))


SPECS: dict[str, NetworkSpec] = {
    Network.FACEBOOK: NetworkSpec(
        Network.FACEBOOK,
        FacebookProvider,
        "https://graph.facebook.com",
        "https://www.facebook.com",
        tuple(graph_oauth.DEFAULT_SCOPES),
        refreshable=False,
        api_version=lambda: graph_version(),
    ),
    Network.INSTAGRAM: NetworkSpec(
        Network.INSTAGRAM,
        InstagramProvider,
        "https://graph.facebook.com",
        "https://www.facebook.com",
        tuple(graph_oauth.DEFAULT_SCOPES),
        refreshable=True,
        refresh_ahead=dt.timedelta(days=7),
        api_version=lambda: graph_version(),
    ),
    Network.X: NetworkSpec(
        Network.X,
        XProvider,
        "https://api.x.com",
        "https://x.com",
        x_auth.DEFAULT_SCOPES,
        refreshable=True,
    ),
    Network.LINKEDIN: NetworkSpec(
        Network.LINKEDIN,
        LinkedInProvider,
        "https://api.linkedin.com",
        "https://www.linkedin.com",
        linkedin_auth.DEFAULT_SCOPES,
        refreshable=False,
        refresh_needs_token=True,  # approved Community Management apps get 365-day refresh tokens
        refresh_ahead=dt.timedelta(days=7),
        expiry_warning_days=7,
    ),
    # No global host: each channel's api_base_url is its instance, where CM Hub registers its own app
    # (ServerApp). Mastodon tokens do not expire; they are revoked.
    Network.MASTODON: NetworkSpec(
        Network.MASTODON,
        MastodonProvider,
        "",
        "",
        MASTODON_SCOPES,
        refreshable=False,
    ),
    # The entryway that signs people in; each channel's api_base_url is its account's own PDS. Access
    # JWTs live about two hours and are renewed with the refresh JWT (which rotates) before they expire.
    Network.BLUESKY: NetworkSpec(
        Network.BLUESKY,
        BlueskyProvider,
        "https://bsky.social",
        "https://bsky.social",
        (),
        refreshable=True,
    ),
    # Google sign-in; access tokens live about an hour and are renewed with the refresh token. Every call
    # is paid from the Google project's 10,000 daily units, shared by all YouTube channels.
    Network.YOUTUBE: NetworkSpec(
        Network.YOUTUBE,
        YouTubeProvider,
        "https://www.googleapis.com",
        "https://accounts.google.com",
        YOUTUBE_SCOPES,
        refreshable=True,
        quota=QuotaPolicy(
            Network.YOUTUBE,
            daily_units=lambda: settings.CMHUB_YOUTUBE_DAILY_QUOTA,
            reserve_units=lambda: settings.CMHUB_YOUTUBE_QUOTA_RESERVE,
            # The least a poll costs: the walk's first page and the two held listings.
            poll_floor=3,
        ),
    ),
    # Long-lived tokens last 60 days and are renewed (once a day old) a week before they run out.
    Network.THREADS: NetworkSpec(
        Network.THREADS,
        ThreadsProvider,
        threads_auth.API_BASE_URL,
        threads_auth.AUTHORIZE_BASE_URL,
        threads_auth.DEFAULT_SCOPES,
        refreshable=True,
        refresh_ahead=dt.timedelta(days=7),
    ),
    # One location per channel. The API base is the reviews API's host; Google's two other hosts (accounts,
    # locations) follow from it, and anything else (the fake, a proxy) serves all three on one origin.
    # Access tokens live an hour and are renewed with the refresh token before they expire.
    Network.GOOGLE_BUSINESS: NetworkSpec(
        Network.GOOGLE_BUSINESS,
        GoogleBusinessProvider,
        "https://mybusiness.googleapis.com",
        "https://accounts.google.com",
        GOOGLE_BUSINESS_SCOPES,
        refreshable=True,
    ),
}


@dataclass(frozen=True)
class AppConfig:
    network: str
    client_id: str
    client_secret: str
    api_base_url: str
    oauth_base_url: str
    #: Meta's webhook "Verify token", echoed in the GET handshake (empty: handshakes are refused).
    webhook_verify_token: str = ""


def _configured(network: str) -> tuple[NetworkApp | None, dict[str, str]]:
    """The operator's settings for `network`'s app: its NetworkApp row, and the environment's values."""
    return NetworkApp.objects.filter(network=network).first(), settings.CMHUB_NETWORK_APPS.get(network, {})


def _value(row: NetworkApp | None, configured: dict[str, str], name: str, default: str = "") -> str:
    """One setting: the row's, else the environment's, else `default` (the row wins where it says)."""
    return (getattr(row, name) if row else "") or configured.get(name, "") or default


def app_config(network: str) -> AppConfig | None:
    """The deployment's app on `network`, or None when nobody configured one."""
    spec = SPECS[network]
    row, configured = _configured(network)
    client_id = row.client_id if row else configured.get("client_id", "")
    if not client_id:
        return None
    return AppConfig(
        network=network,
        client_id=client_id,
        client_secret=row.client_secret if row else configured.get("client_secret", ""),
        api_base_url=_value(row, configured, "api_base_url", spec.default_api_base),
        oauth_base_url=_value(row, configured, "oauth_base_url", spec.default_oauth_base),
        webhook_verify_token=_value(row, configured, "webhook_verify_token"),
    )


def api_base_url(network: str) -> str:
    """Where `network`'s API is called for accounts not connected yet (an app password's sign-in): the
    operator's setting (NetworkApp or CMHUB_<NETWORK>_API_BASE_URL), else the network's own. Unlike
    `app_config`, it needs no client id: app passwords need no app."""
    row, configured = _configured(network)
    return _value(row, configured, "api_base_url", SPECS[network].default_api_base)


def provider_class(network: str) -> type[p.Provider]:
    """What a network's provider knows without an account: its text limits and capabilities."""
    return SPECS[network].provider_class


def publishes(network: str) -> bool:
    """Whether CM Hub publishes posts on `network` (the composer offers its channels)."""
    provider = SPECS[network].provider_class
    return provider.supports_text_posts or provider.supports_image_posts


def streams(network: str) -> bool:
    """Whether `network` pushes over long-lived connections (its provider builds stream sources)."""
    method = getattr(SPECS[network].provider_class.stream_sources, "__func__", None)
    return method is not p.Provider.stream_sources.__func__  # type: ignore[attr-defined]


def account_of(channel: Channel) -> p.Account:
    from networks.services import credentials_of

    return p.Account(
        network=p.Network(channel.network),
        external_id=channel.external_id,
        api_base_url=channel.api_base_url,
        credentials=credentials_of(channel),
        handle=channel.handle,
        server_limits=channel.server_limits or {},
    )


def text_limit(channel: Channel, kind: p.TextKind = p.TextKind.POST) -> p.TextLimit:
    """The longest text of this kind `channel` may send, as its network (and, where each server sets its
    own, its server) counts it."""
    return provider_class(channel.network).text_limit(kind, server_limits=channel.server_limits or {})


def counting_words(channel: Channel) -> str:
    """How `channel`'s network counts a text, in words, for the counter's tooltip ("" when it counts
    characters)."""
    words = provider_class(channel.network).counting_words
    return str(words) % {"network": channel.get_network_display()} if words else ""


def graph_version() -> str:
    """The Graph API version Facebook and Instagram calls pin (setting CMHUB_GRAPH_API_VERSION)."""
    version = getattr(settings, "CMHUB_GRAPH_API_VERSION", "") or graph.GRAPH_VERSION
    if not graph.valid_graph_version(version):
        raise ImproperlyConfigured(f"CMHUB_GRAPH_API_VERSION must look like v25.0, not {version!r}")
    return version


def watch_windows(channel: Channel) -> p.WatchWindows:
    """The channel's workspace's watch windows (WatchSettings), as the providers take them."""
    row = WatchSettings.for_workspace(channel.workspace_id)
    return p.WatchWindows(
        recent_days=row.recent_days,
        recent_posts=row.recent_posts,
        sweep_days=row.sweep_days,
        sweep_interval=dt.timedelta(hours=row.sweep_interval_hours),
        sweep_posts=row.sweep_posts_per_run,
    )


def build_provider(channel: Channel, *, http: httpx.Client, shared: dict | None = None) -> p.Provider:
    """The provider for `channel`. `shared`: a dict the polls of one task pass along, so the deployment's
    app and the workspace's watch windows are read once per task rather than once per poll (a change made
    meanwhile applies from the next task, seconds later)."""
    spec = SPECS[channel.network]
    shared = {} if shared is None else shared
    app_key, windows_key = ("app", channel.network), ("windows", channel.workspace_id)
    if app_key not in shared:
        shared[app_key] = app_config(channel.network)
    if windows_key not in shared:
        shared[windows_key] = watch_windows(channel)
    app, windows = shared[app_key], shared[windows_key]
    # Recent posts are read at every poll; while the history chosen at connection is being imported, the
    # window reaches back that far too.
    days = windows.recent_days
    if channel.backfill_status != Channel.Backfill.DONE:
        days = max(days, channel.backfill_days)
    setup = p.Setup(
        client_id=app.client_id if app else "",
        client_secret=app.client_secret if app else "",
        oauth_base_url=app.oauth_base_url if app else "",
        lookback=dt.timedelta(days=days),
        api_version=spec.api_version() if spec.api_version else "",
        windows=windows,
        on_credentials=lambda credentials: _store_renewed(channel, credentials),
        quota=LedgerMeter(spec.quota, quota_project(channel.network)) if spec.quota else None,
    )
    return spec.provider_class.build(account_of(channel), http=http, setup=setup)


def quota_project(network: str) -> str:
    """Whose quota a network's calls spend: the deployment's app (a Google project's OAuth client)."""
    app = app_config(network)
    return app.client_id if app else "default"


def quota_plan(network: str, now: dt.datetime | None = None) -> Plan | None:
    """Where `network`'s shared daily quota stands and the poll interval it allows; None where the network
    has no such quota."""
    from networks import quota

    policy = SPECS[network].quota
    return quota.plan(policy, quota_project(network), now=now) if policy else None


def next_poll_at(network: str, now: dt.datetime) -> Callable[[int], dt.datetime]:
    """How the dispatcher sets the next poll of a channel of `network` it claims now, from the channel's
    poll_interval: that interval with a tenth of spread, or where the network's quota is shared, the
    quota's plan (never sooner than the interval; until the reset when the day is spent)."""
    import random

    plan = quota_plan(network, now)
    if plan is not None:
        return lambda interval: plan.next_poll(interval, now)
    # Spread the next polls over a fraction of the interval so channels don't tick in lockstep.
    return lambda interval: now + dt.timedelta(seconds=interval + random.uniform(0, interval * 0.1))


def _store_renewed(channel: Channel, credentials: p.Credentials) -> None:
    from networks.services import channel_credentials_refreshed

    channel_credentials_refreshed(channel=channel, credentials=credentials)


def allowed_url(network: str, url: str) -> bool:
    """Whether an admin may point `network`'s API or OAuth calls at `url`: the network's own https hosts,
    or a host the operator named in CMHUB_ALLOWED_API_HOSTS (a self-hosted instance, the local fakes).
    A token is sent wherever these URLs point, so nothing else is accepted (the metadata service at
    169.254.169.254, the database's port on localhost...)."""
    from urllib.parse import urlsplit

    from core.http import listed_host

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    spec = SPECS.get(network)
    if spec is None or not parts.hostname:
        return False
    own = {urlsplit(spec.default_api_base).hostname, urlsplit(spec.default_oauth_base).hostname} - {None}
    if parts.scheme == "https" and parts.hostname in own and parts.port in (None, 443):
        return True
    if (
        spec.provider_class.any_server
        and parts.scheme == "https"
        and not (parts.username or parts.password)
        and parts.port in (None, 443)
    ):
        # Any instance: the SSRF-safe client refuses a name that resolves to a private address when it
        # connects, and a listed host (below) is the only way to a private one.
        return True
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return listed_host(parts.hostname, port, settings.CMHUB_ALLOWED_API_HOSTS)
