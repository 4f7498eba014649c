"""The demo's social networks: the fakes (Graph, X, LinkedIn, a Mastodon instance, Bluesky's in
demo.bluesky, YouTube's in demo.youtube, Threads' in demo.threads, Google Business Profile's in
demo.google_business), seeded with Demo Bakery and a few days of history, then a trickle of new engagement
over time (`tick`), written by `demo_content`.

`make run` starts them through `manage.py run_fakes`; `manage.py seed_demo_channels` wires the `demo`
workspace to them with the fixed ids and tokens below; `manage.py demo_fault` breaks them on purpose.
The fakes also accept the product's own OAuth connect flow, so "Reconnect" works against them.

Restarts: the fakes forget everything between runs while the database does not. History is seeded the
same way on every run (same ids and texts for one seed), so polls store it once. Everything created after
seeding (live engagement, and what the product writes) takes ids above a floor that grows with the clock,
as real networks' ids do, so a new run never hands out an id a previous run used for something else.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from demo.bluesky import (
    DEMO_BLUESKY_DID,
    DEMO_BLUESKY_HANDLE,
    DEMO_BLUESKY_PORT,
    DEMO_BLUESKY_TOKENS,
    DEMO_JETSTREAM_PORT,
    BlueskyFeed,
)
from demo.content import DemoContent
from demo.feeds import OWN_CONTENT, DemoBrand, Feeds
from demo.google_business import (
    DEMO_GBP_LOCATION,
    DEMO_GBP_TITLE,
    DEMO_GOOGLE_BUSINESS_PORT,
    DEMO_GOOGLE_CLIENT_ID,
    DEMO_GOOGLE_CLIENT_SECRET,
    DEMO_GOOGLE_EMAIL,
    DEMO_GOOGLE_TOKEN_LIFETIME,
    DEMO_GOOGLE_TOKENS,
    GoogleBusinessFeed,
)
from demo.threads import (
    DEMO_THREADS_CLIENT_ID,
    DEMO_THREADS_CLIENT_SECRET,
    DEMO_THREADS_PORT,
    DEMO_THREADS_SCOPES,
    DEMO_THREADS_TOKEN,
    DEMO_THREADS_USER_ID,
    DEMO_THREADS_USERNAME,
    ThreadsFeed,
)
from demo.youtube import (
    DEMO_GOOGLE_ACCOUNT,
    DEMO_YOUTUBE_CHANNEL_ID,
    DEMO_YOUTUBE_CLIENT_ID,
    DEMO_YOUTUBE_CLIENT_SECRET,
    DEMO_YOUTUBE_HANDLE,
    DEMO_YOUTUBE_PORT,
    DEMO_YOUTUBE_TOKENS,
    YouTubeFeed,
)
from networks.fakes.base import FakeServer
from networks.fakes.bluesky import BlueskyFake, JetstreamFake
from networks.fakes.google_business import SCOPE as GOOGLE_BUSINESS_SCOPE
from networks.fakes.google_business import GoogleBusinessFake
from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import GRANTED_BY_DEFAULT, Ids
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.linkedin_connect import DEFAULT_SCOPES as LINKEDIN_SCOPES
from networks.fakes.mastodon import MastodonFake
from networks.fakes.threads import ThreadsFake
from networks.fakes.x import XFake
from networks.fakes.youtube import SCOPE as YOUTUBE_SCOPE
from networks.fakes.youtube import YouTubeFake
from networks.providers.mastodon_auth import DEFAULT_SCOPES as MASTODON_SCOPES

#: The Meta permissions the demo Page admin granted: the fake's own list (never the client's login scopes,
#: so the demo shows what the client asks for falling short).
GRAPH_SCOPES = tuple(sorted(GRANTED_BY_DEFAULT))

DEMO_HOST = "127.0.0.1"
DEMO_GRAPH_PORT = 8101  # Facebook Pages and Instagram share one Graph API, as on graph.facebook.com
DEMO_X_PORT = 8102
DEMO_LINKEDIN_PORT = 8103
DEMO_MASTODON_PORT = 8104  # one Mastodon instance; the brand's followers are on it and on another server
DEMO_SEED = 2026
DEMO_INTERVAL = 20.0  # seconds between two batches of new engagement

DEMO_BRAND = "Demo Bakery"

# Graph: the app, the Page admin who "logs in" on the consent page, the Page and its Instagram account.
DEMO_GRAPH_APP_ID = "990000000000001"
DEMO_GRAPH_APP_SECRET = "demo-graph-app-secret"  # noqa: S105 - published on purpose: demo fakes only
DEMO_FACEBOOK_USER_ID = "990000000000101"
DEMO_FACEBOOK_PAGE_ID = "990000000000201"
DEMO_INSTAGRAM_USER_ID = "17841490000000301"
DEMO_INSTAGRAM_USERNAME = "demo.bakery"
# X: a confidential client, and the brand's account.
DEMO_X_CLIENT_ID = "cmhub-demo-x"
DEMO_X_CLIENT_SECRET = "demo-x-client-secret"  # noqa: S105 - published on purpose: demo fakes only
DEMO_X_USER_ID = "1590000000000000001"
DEMO_X_USERNAME = "demobakery"
# LinkedIn: the client, the member who administers the page, and the organization (the channel).
DEMO_LINKEDIN_CLIENT_ID = "cmhub-demo-linkedin"
DEMO_LINKEDIN_CLIENT_SECRET = "demo-linkedin-client-secret"  # noqa: S105 - published on purpose: demo only
DEMO_LINKEDIN_ADMIN_URN = "urn:li:person:demoAdmin01"
DEMO_LINKEDIN_ORG_ID = 90210
DEMO_LINKEDIN_ORG_URN = f"urn:li:organization:{DEMO_LINKEDIN_ORG_ID}"
# Mastodon: the brand's account on the demo instance, and the instance's names for itself and another server.
DEMO_MASTODON_ACCOUNT_ID = "109000000000000001"
DEMO_MASTODON_USERNAME = "demobakery"
DEMO_MASTODON_DOMAIN = "mastodon.demo.test"
DEMO_MASTODON_REMOTE_DOMAIN = "fedi.demo.test"
# What CM Hub asks a Mastodon instance for, granted in full by the demo's seeded token.
DEMO_MASTODON_SCOPES = MASTODON_SCOPES
# Meta's webhook "Verify token" for the demo app (NetworkApp.webhook_verify_token); LinkedIn needs none.
DEMO_WEBHOOK_VERIFY_TOKEN = "demo-webhook-verify-token"  # noqa: S105 - published on purpose: demo only

# The tokens the channels are seeded with (published on purpose: valid on the demo fakes only). Instagram
# accounts connected through Facebook Login act with their Page's token, as the connect flow stores them,
# so Facebook and Instagram share one.
_PAGE_TOKEN = "EAADemoBakeryPageToken0000000000"  # noqa: S105 - published on purpose: demo fakes only
DEMO_TOKENS = {
    "facebook_user": "EAADemoBakeryUserToken0000000000",
    "facebook": _PAGE_TOKEN,
    "instagram": _PAGE_TOKEN,
    "x": "demo-bakery-x-access-token",
    "linkedin": "AQDemoBakeryLinkedInAccessToken",
    "mastodon": "demo-bakery-mastodon-access-token",
}
# The X grant has no `offline.access` (hence no refresh token): the seed cannot know a refresh token the
# fake would draw. Reconnecting through the consent page grants the full set.
DEMO_X_SCOPES = ("tweet.read", "users.read", "tweet.write", "media.write", "dm.read", "dm.write")
# Long enough never to run out in a demo session; LinkedIn's is its real 60 days (the product tracks it).
DEMO_X_TOKEN_LIFETIME = 365 * 24 * 3600
DEMO_LINKEDIN_TOKEN_LIFETIME = 60 * 24 * 3600

DEMO_BRAND_ACCOUNTS = DemoBrand(
    name=DEMO_BRAND,
    facebook_page_id=DEMO_FACEBOOK_PAGE_ID,
    instagram_user_id=DEMO_INSTAGRAM_USER_ID,
    instagram_username=DEMO_INSTAGRAM_USERNAME,
    x_user_id=DEMO_X_USER_ID,
    x_username=DEMO_X_USERNAME,
    linkedin_org_urn=DEMO_LINKEDIN_ORG_URN,
    mastodon_account_id=DEMO_MASTODON_ACCOUNT_ID,
    mastodon_username=DEMO_MASTODON_USERNAME,
)

# Ids after seeding: Twitter's snowflake epoch (X ids are time-based), and LinkedIn's fake id base.
_X_EPOCH_MS = 1_288_834_974_657
_LINKEDIN_ID_BASE = 7_100_000_000_000_000_000
# Mastodon ids are time-based too: milliseconds shifted left by 16 bits.
_MASTODON_ID_SHIFT = 16


@dataclass(frozen=True, slots=True)
class DemoApp:
    """The deployment's app on one network, as the fakes know it (NetworkApp in the database)."""

    client_id: str
    client_secret: str
    webhook_verify_token: str = ""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo channel: the account on the network and the credentials it is seeded with."""

    network: str
    external_id: str
    name: str
    handle: str
    access_token: str
    scopes: tuple[str, ...]
    token_lifetime: dt.timedelta | None  # None: the token does not expire (Facebook Page tokens)
    refresh_token: str = ""


DEMO_APPS = {
    "facebook": DemoApp(DEMO_GRAPH_APP_ID, DEMO_GRAPH_APP_SECRET, DEMO_WEBHOOK_VERIFY_TOKEN),
    "instagram": DemoApp(DEMO_GRAPH_APP_ID, DEMO_GRAPH_APP_SECRET, DEMO_WEBHOOK_VERIFY_TOKEN),
    "x": DemoApp(DEMO_X_CLIENT_ID, DEMO_X_CLIENT_SECRET),
    "linkedin": DemoApp(DEMO_LINKEDIN_CLIENT_ID, DEMO_LINKEDIN_CLIENT_SECRET),
    # App passwords need no app: the row only says where the sign-in goes (the fake, not bsky.social).
    "bluesky": DemoApp("", ""),
    "youtube": DemoApp(DEMO_YOUTUBE_CLIENT_ID, DEMO_YOUTUBE_CLIENT_SECRET),
    "threads": DemoApp(DEMO_THREADS_CLIENT_ID, DEMO_THREADS_CLIENT_SECRET, DEMO_WEBHOOK_VERIFY_TOKEN),
    "google_business": DemoApp(DEMO_GOOGLE_CLIENT_ID, DEMO_GOOGLE_CLIENT_SECRET),
}
DEMO_ACCOUNTS = {
    "facebook": DemoAccount(
        "facebook", DEMO_FACEBOOK_PAGE_ID, DEMO_BRAND, "", DEMO_TOKENS["facebook"], GRAPH_SCOPES, None
    ),
    "instagram": DemoAccount(
        "instagram",
        DEMO_INSTAGRAM_USER_ID,
        DEMO_INSTAGRAM_USERNAME,
        DEMO_INSTAGRAM_USERNAME,
        DEMO_TOKENS["instagram"],
        GRAPH_SCOPES,
        None,
    ),
    "x": DemoAccount("x", DEMO_X_USER_ID, DEMO_BRAND, DEMO_X_USERNAME, DEMO_TOKENS["x"], DEMO_X_SCOPES, None),
    "linkedin": DemoAccount(
        "linkedin",
        DEMO_LINKEDIN_ORG_URN,
        DEMO_BRAND,
        "",
        DEMO_TOKENS["linkedin"],
        LINKEDIN_SCOPES,
        dt.timedelta(seconds=DEMO_LINKEDIN_TOKEN_LIFETIME),
    ),
    # A Mastodon token does not expire. No NetworkApp: each instance has its own apps (ServerApp).
    "mastodon": DemoAccount(
        "mastodon",
        DEMO_MASTODON_ACCOUNT_ID,
        DEMO_BRAND,
        f"{DEMO_MASTODON_USERNAME}@{DEMO_MASTODON_DOMAIN}",
        DEMO_TOKENS["mastodon"],
        DEMO_MASTODON_SCOPES,
        None,
    ),
    "bluesky": DemoAccount(
        "bluesky",
        DEMO_BLUESKY_DID,
        DEMO_BRAND,
        DEMO_BLUESKY_HANDLE,
        DEMO_BLUESKY_TOKENS["access"],
        (),
        None,
        refresh_token=DEMO_BLUESKY_TOKENS["refresh"],
    ),
    # Google access tokens live an hour; the refresh token renews them (the fake accepts both).
    "youtube": DemoAccount(
        "youtube",
        DEMO_YOUTUBE_CHANNEL_ID,
        DEMO_BRAND,
        DEMO_YOUTUBE_HANDLE,
        DEMO_YOUTUBE_TOKENS["access"],
        (YOUTUBE_SCOPE,),
        dt.timedelta(hours=1),
        refresh_token=DEMO_YOUTUBE_TOKENS["refresh"],
    ),
    # A long-lived token, seeded as freshly issued (60 days); CM Hub renews it a week before it runs out.
    "threads": DemoAccount(
        "threads",
        DEMO_THREADS_USER_ID,
        DEMO_BRAND,
        DEMO_THREADS_USERNAME,
        DEMO_THREADS_TOKEN,
        DEMO_THREADS_SCOPES,
        dt.timedelta(days=60),
    ),
    # One of the two shops (the consent page offers both); renewed every hour with the refresh token.
    "google_business": DemoAccount(
        "google_business",
        DEMO_GBP_LOCATION,
        DEMO_GBP_TITLE,
        "",  # a place has no handle
        DEMO_GOOGLE_TOKENS["access"],
        (GOOGLE_BUSINESS_SCOPE,),
        DEMO_GOOGLE_TOKEN_LIFETIME,
        refresh_token=DEMO_GOOGLE_TOKENS["refresh"],
    ),
}


@dataclass(frozen=True, slots=True)
class DemoAddresses:
    """Where the fakes listen. The same defaults serve run_fakes, seed_demo_channels and demo_fault."""

    host: str = DEMO_HOST
    graph_port: int = DEMO_GRAPH_PORT
    x_port: int = DEMO_X_PORT
    linkedin_port: int = DEMO_LINKEDIN_PORT
    mastodon_port: int = DEMO_MASTODON_PORT
    bluesky_port: int = DEMO_BLUESKY_PORT
    jetstream_port: int = DEMO_JETSTREAM_PORT
    youtube_port: int = DEMO_YOUTUBE_PORT
    threads_port: int = DEMO_THREADS_PORT
    google_business_port: int = DEMO_GOOGLE_BUSINESS_PORT

    def base_url(self, network: str) -> str:
        ports = {
            "facebook": self.graph_port,
            "instagram": self.graph_port,
            "x": self.x_port,
            "mastodon": self.mastodon_port,
            "bluesky": self.bluesky_port,
            "youtube": self.youtube_port,
            "threads": self.threads_port,
            "google_business": self.google_business_port,
        }
        return f"http://{self.host}:{ports.get(network, self.linkedin_port)}"

    @property
    def jetstream_url(self) -> str:
        return f"ws://{self.host}:{self.jetstream_port}/subscribe"


#: Every fake on a port the system picks (tests, and a second demo beside a running `make run`): a port
#: left out of a hand-written list would collide with the running one.
FREE_PORTS = {field.name: 0 for field in fields(DemoAddresses) if field.name.endswith("_port")}


class DemoNetworks:
    """The fakes with the demo brand on them. Port 0 picks a free port (tests)."""

    def __init__(
        self,
        addresses: DemoAddresses | None = None,
        *,
        seed: int = DEMO_SEED,
        session: str = "",
        history_days: int = 5,
        webhook_base: str = "",
    ) -> None:
        """`seed` fixes the people and the seeded history; `session` varies the live engagement (a new
        one per run by default, so each run's new messages differ). With `webhook_base` (the product's
        address, e.g. http://127.0.0.1:8000), live engagement is also pushed to its webhook URLs, signed
        as Meta and LinkedIn sign them; the seeded history is only polled."""
        addresses = addresses or DemoAddresses()
        self.seed = seed
        self.webhook_base = webhook_base.rstrip("/")
        self.session = session or str(time.time_ns())
        self.history_days = history_days
        self._fakes: list[FakeServer] = []
        try:
            self.graph = self._bind(GraphFake(addresses.host, addresses.graph_port))
            self.x = self._bind(
                XFake(
                    addresses.host,
                    addresses.x_port,
                    client_id=DEMO_X_CLIENT_ID,
                    client_secret=DEMO_X_CLIENT_SECRET,
                )
            )
            self.linkedin = self._bind(
                LinkedInFake(
                    addresses.host,
                    addresses.linkedin_port,
                    client_id=DEMO_LINKEDIN_CLIENT_ID,
                    client_secret=DEMO_LINKEDIN_CLIENT_SECRET,
                )
            )
            self.mastodon = self._bind(
                MastodonFake(addresses.host, addresses.mastodon_port, domain=DEMO_MASTODON_DOMAIN)
            )
            self._bind_bluesky(addresses)
            self.youtube = self._bind(
                YouTubeFake(
                    addresses.host,
                    addresses.youtube_port,
                    client_id=DEMO_YOUTUBE_CLIENT_ID,
                    client_secret=DEMO_YOUTUBE_CLIENT_SECRET,
                    account_email=DEMO_GOOGLE_ACCOUNT,
                )
            )
            self.threads = self._bind(
                ThreadsFake(
                    addresses.host,
                    addresses.threads_port,
                    client_id=DEMO_THREADS_CLIENT_ID,
                    client_secret=DEMO_THREADS_CLIENT_SECRET,
                )
            )
            self.google_business = self._bind(
                GoogleBusinessFake(
                    addresses.host,
                    addresses.google_business_port,
                    client_id=DEMO_GOOGLE_CLIENT_ID,
                    client_secret=DEMO_GOOGLE_CLIENT_SECRET,
                    account_email=DEMO_GOOGLE_EMAIL,
                )
            )
        except OSError:
            # A port was taken: release the ones already bound (a server closes through its loop).
            for fake in self._fakes:
                fake.start().stop()
            raise
        self.feeds = Feeds(DEMO_BRAND_ACCOUNTS, self.graph, self.x, self.linkedin, self.mastodon)
        self.feeds.mastodon_remote_domain = DEMO_MASTODON_REMOTE_DOMAIN
        self.bluesky_feed = BlueskyFeed(self.bluesky, brand_name=DEMO_BRAND, seed=seed, session=self.session)
        self.youtube_feed = YouTubeFeed(self.youtube, brand_name=DEMO_BRAND, seed=seed, session=self.session)
        self.threads_feed = ThreadsFeed(self.threads, brand_name=DEMO_BRAND, seed=seed, session=self.session)
        self.google_business_feed = GoogleBusinessFeed(self.google_business, seed=seed, session=self.session)
        self._started = False

    def _bind_bluesky(self, addresses: DemoAddresses) -> None:
        """Bluesky's XRPC fake, and its Jetstream on a port of its own (told of every new post)."""
        self.bluesky = self._bind(BlueskyFake(addresses.host, addresses.bluesky_port))
        self.jetstream = JetstreamFake(addresses.host, addresses.jetstream_port)
        self.bluesky.jetstream = self.jetstream

    def _bind[F: FakeServer](self, fake: F) -> F:
        self._fakes.append(fake)
        return fake

    @property
    def addresses(self) -> DemoAddresses:
        """The ports actually bound (they differ from the ones asked for when those were 0)."""

        def port(fake: FakeServer) -> int:
            return urlsplit(fake.base_url).port or 0

        host = urlsplit(self.graph.base_url).hostname or DEMO_HOST
        jetstream = urlsplit(self.jetstream.url).port or 0
        return DemoAddresses(
            host,
            port(self.graph),
            port(self.x),
            port(self.linkedin),
            port(self.mastodon),
            port(self.bluesky),
            jetstream,
            port(self.youtube),
            port(self.threads),
            port(self.google_business),
        )

    def base_url(self, network: str) -> str:
        return self.addresses.base_url(network)

    # --- Lifecycle -------------------------------------------------------------------------------------

    def start(self) -> DemoNetworks:
        """Seed the brand and its history, then serve. Nothing is served before the world is complete."""
        now = _now()
        self._seed_accounts()
        self.feeds.seed_history(
            DemoContent(self.seed, stream="history"),
            now=now,
            days=self.history_days,
            own_content={n: DemoContent(self.seed, stream=f"history/{n}") for n in OWN_CONTENT},
        )
        self._continue_ids_above(time.time_ns() // 1_000_000)
        self.feeds.content = DemoContent(self.seed, stream=f"live/{self.session}")
        self.feeds.own_content = {
            n: DemoContent(self.seed, stream=f"live/{self.session}/{n}") for n in OWN_CONTENT
        }
        self.bluesky_feed.seed_accounts()
        self.bluesky_feed.seed_history(now=now, days=self.history_days)
        self.youtube_feed.seed_accounts()
        self.youtube_feed.seed_history(now=now, days=self.history_days)
        self.threads_feed.seed_accounts()
        self.threads_feed.seed_history(now=now, days=self.history_days)
        self.google_business_feed.seed_accounts()
        self.google_business_feed.seed_history(now=now)
        self.jetstream.start()
        if self.webhook_base:
            self._subscribe_webhooks(self.webhook_base)
        for fake in self._fakes:
            fake.start()
        self._started = True
        return self

    def stop(self) -> None:
        if not self._started:
            return
        # Each server notices a shutdown at its next poll: stop them all together.
        stoppers = [threading.Thread(target=fake.stop) for fake in self._fakes]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self.jetstream.stop()
        self._started = False

    def __enter__(self) -> DemoNetworks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- Engagement over time --------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Add a small random batch of new engagement; how many items each network got."""
        now = _now()
        return {
            **self.feeds.tick(now),
            "bluesky": self.bluesky_feed.tick(now),
            "youtube": self.youtube_feed.tick(now),
            "threads": self.threads_feed.tick(now),
            "google_business": self.google_business_feed.tick(now),
        }

    def run_forever(
        self,
        interval: float = DEMO_INTERVAL,
        *,
        stop: threading.Event | None = None,
        on_tick: Callable[[int, dict[str, int]], None] | None = None,
        max_ticks: int = 0,
    ) -> int:
        """Tick every `interval` seconds until `stop` is set (or `max_ticks` ticks, when not 0); returns
        the number of ticks. The first tick waits one interval: the seeded history is fresh at start."""
        stop = stop or threading.Event()
        ticks = 0
        while not stop.wait(interval):
            ticks += 1
            counts = self.tick()
            if on_tick is not None:
                on_tick(ticks, counts)
            if max_ticks and ticks >= max_ticks:
                break
        return ticks

    # --- Seeding ---------------------------------------------------------------------------------------

    def _seed_accounts(self) -> None:
        """The brand's accounts, apps and tokens, and the people who consent when the product connects."""
        with self.graph.lock:
            self.graph.add_app(DEMO_GRAPH_APP_ID, DEMO_GRAPH_APP_SECRET)
            self.graph.add_user(
                "Alice Admin", user_id=DEMO_FACEBOOK_USER_ID, token=DEMO_TOKENS["facebook_user"]
            )
            self.graph.add_page(
                DEMO_BRAND,
                page_id=DEMO_FACEBOOK_PAGE_ID,
                token=DEMO_TOKENS["facebook"],
                user_id=DEMO_FACEBOOK_USER_ID,
            )
            self.graph.add_ig_user(
                DEMO_INSTAGRAM_USERNAME, page_id=DEMO_FACEBOOK_PAGE_ID, ig_user_id=DEMO_INSTAGRAM_USER_ID
            )
        # The first user and member added are the ones who "click Authorize" on the consent pages.
        self.x.add_user(DEMO_X_USERNAME, DEMO_BRAND, user_id=DEMO_X_USER_ID)
        self.x.issue_token(
            DEMO_X_USER_ID, DEMO_X_SCOPES, expires_in=DEMO_X_TOKEN_LIFETIME, value=DEMO_TOKENS["x"]
        )
        admin = self.linkedin.add_member("Alice Admin", DEMO_LINKEDIN_ADMIN_URN.rsplit(":", 1)[1])
        self.linkedin.add_organization(DEMO_BRAND, admins=[admin], org_id=DEMO_LINKEDIN_ORG_ID)
        self.linkedin.issue_token(
            admin, LINKEDIN_SCOPES, DEMO_LINKEDIN_TOKEN_LIFETIME, value=DEMO_TOKENS["linkedin"]
        )
        self.mastodon.add_account(DEMO_MASTODON_USERNAME, DEMO_BRAND, account_id=DEMO_MASTODON_ACCOUNT_ID)
        self.mastodon.issue_token(
            DEMO_MASTODON_ACCOUNT_ID, list(DEMO_MASTODON_SCOPES), value=DEMO_TOKENS["mastodon"]
        )
        self.mastodon.consent_account_id = DEMO_MASTODON_ACCOUNT_ID  # who "clicks Authorize"

    def _subscribe_webhooks(self, base: str) -> None:
        """What an operator sets in Meta's App Dashboard and LinkedIn's developer portal: the callback URLs
        (shown on the product's health page), Meta's verify token, the fields; and the demo Page has the
        app installed, as connecting it through the product does (`subscribed_apps`)."""
        with self.graph.lock:
            self.graph.subscribe_app(
                DEMO_GRAPH_APP_ID,
                "page",
                f"{base}/webhooks/facebook/",
                ["feed", "messages", "message_edits"],
                DEMO_WEBHOOK_VERIFY_TOKEN,
            )
            self.graph.subscribe_app(
                DEMO_GRAPH_APP_ID,
                "instagram",
                f"{base}/webhooks/instagram/",
                ["comments", "mentions", "messages"],
                DEMO_WEBHOOK_VERIFY_TOKEN,
            )
            self.graph.install_app(
                DEMO_FACEBOOK_PAGE_ID, DEMO_GRAPH_APP_ID, ["feed", "messages", "message_edits"]
            )
        self.linkedin.subscribe_webhook(f"{base}/webhooks/linkedin/")
        # Threads webhooks (the App Dashboard's "replies" and "mentions" fields), signed with its app secret.
        self.threads.subscribe_webhooks(f"{base}/webhooks/threads/", verify_token=DEMO_WEBHOOK_VERIFY_TOKEN)

    def _continue_ids_above(self, now_ms: int) -> None:
        """From here on every fake hands out ids above a floor that grows with the clock (see the module
        docstring); the seeded history keeps the small, repeatable ids below it."""
        with self.graph.lock:
            self.graph.ids = Ids(start=now_ms * 1000)
        self.x.skip_ids_to((now_ms - _X_EPOCH_MS) << 22)
        self.linkedin.skip_ids_to(_LINKEDIN_ID_BASE + now_ms * 1000)
        self.mastodon.skip_ids_to(now_ms << _MASTODON_ID_SHIFT)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
