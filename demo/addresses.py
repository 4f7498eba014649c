"""The command-line options that say where the demo fakes listen, shared by run_fakes, seed_demo_channels
and demo_fault so the three agree by default."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from demo.bluesky import DEMO_BLUESKY_PORT, DEMO_JETSTREAM_PORT
from demo.google_business import DEMO_GOOGLE_BUSINESS_PORT
from demo.threads import DEMO_THREADS_PORT
from demo.world import (
    DEMO_GRAPH_PORT,
    DEMO_HOST,
    DEMO_LINKEDIN_PORT,
    DEMO_MASTODON_PORT,
    DEMO_X_PORT,
    DemoAddresses,
)
from demo.youtube import DEMO_YOUTUBE_PORT


def add_address_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--host", default=DEMO_HOST, help=f"where the fakes listen (default {DEMO_HOST})")
    parser.add_argument(
        "--graph-port",
        type=int,
        default=DEMO_GRAPH_PORT,
        help=f"Facebook and Instagram (Graph API) fake (default {DEMO_GRAPH_PORT})",
    )
    parser.add_argument("--x-port", type=int, default=DEMO_X_PORT, help=f"X fake (default {DEMO_X_PORT})")
    parser.add_argument(
        "--linkedin-port",
        type=int,
        default=DEMO_LINKEDIN_PORT,
        help=f"LinkedIn fake (default {DEMO_LINKEDIN_PORT})",
    )
    parser.add_argument(
        "--mastodon-port",
        type=int,
        default=DEMO_MASTODON_PORT,
        help=f"Mastodon instance fake (default {DEMO_MASTODON_PORT})",
    )
    parser.add_argument(
        "--bluesky-port",
        type=int,
        default=DEMO_BLUESKY_PORT,
        help=f"Bluesky fake: PDS, AppView and chat XRPC (default {DEMO_BLUESKY_PORT})",
    )
    parser.add_argument(
        "--jetstream-port",
        type=int,
        default=DEMO_JETSTREAM_PORT,
        help=f"Bluesky's Jetstream fake, a WebSocket (default {DEMO_JETSTREAM_PORT})",
    )
    parser.add_argument(
        "--youtube-port",
        type=int,
        default=DEMO_YOUTUBE_PORT,
        help=f"YouTube fake: Data API v3 and Google sign-in (default {DEMO_YOUTUBE_PORT})",
    )
    parser.add_argument(
        "--threads-port",
        type=int,
        default=DEMO_THREADS_PORT,
        help=f"Threads fake: its API, consent page and webhooks (default {DEMO_THREADS_PORT})",
    )
    parser.add_argument(
        "--google-business-port",
        type=int,
        default=DEMO_GOOGLE_BUSINESS_PORT,
        help=f"Google Business Profile fake: Google sign-in, accounts, locations, reviews "
        f"(default {DEMO_GOOGLE_BUSINESS_PORT})",
    )


def addresses_from(options: dict[str, Any]) -> DemoAddresses:
    return DemoAddresses(
        host=options["host"],
        graph_port=options["graph_port"],
        x_port=options["x_port"],
        linkedin_port=options["linkedin_port"],
        mastodon_port=options.get("mastodon_port", DEMO_MASTODON_PORT),
        bluesky_port=options["bluesky_port"],
        jetstream_port=options["jetstream_port"],
        youtube_port=options.get("youtube_port", DEMO_YOUTUBE_PORT),
        threads_port=options.get("threads_port", DEMO_THREADS_PORT),
        google_business_port=options.get("google_business_port", DEMO_GOOGLE_BUSINESS_PORT),
    )
