"""Run the demo's social networks until Ctrl-C or SIGTERM: the Graph API fake (Facebook Pages and
Instagram), the X fake, the LinkedIn fake, a Mastodon instance, the Bluesky fake (with its Jetstream) and the
Threads fake,
seeded with Demo Bakery and a few days of history, with a new small batch of engagement every --interval
seconds. `make run` starts it next to the web server.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.addresses import add_address_arguments, addresses_from
from demo.world import DEMO_INTERVAL, DEMO_SEED, DemoNetworks


class Command(BaseCommand):
    help = (
        "Run the local fakes of Facebook, Instagram, X, LinkedIn, Mastodon, Bluesky and Threads that the "
        "demo workspace polls."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=DEMO_INTERVAL,
            help=f"seconds between two batches of new engagement (default {DEMO_INTERVAL:g})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEMO_SEED,
            help="fixes the people and the seeded history; keep it across runs on one database "
            f"(default {DEMO_SEED})",
        )
        parser.add_argument(
            "--ticks", type=int, default=0, help="stop after this many batches (default: run until stopped)"
        )
        parser.add_argument(
            "--webhook-base",
            default="",
            help="the product's address (e.g. http://127.0.0.1:8000): live engagement is also pushed to "
            "its webhook URLs, signed as Meta and LinkedIn sign them (default: polled only)",
        )
        add_address_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            networks = DemoNetworks(
                addresses_from(options), seed=options["seed"], webhook_base=options["webhook_base"]
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot listen for the demo fakes ({exc}). Is another run_fakes running? "
                "Other ports: --graph-port, --x-port, --linkedin-port, --mastodon-port, --bluesky-port, "
                "--jetstream-port, --youtube-port, --threads-port, --google-business-port."
            ) from exc
        stop = threading.Event()
        restore = _stop_on_sigterm(stop)
        try:
            # Ctrl-C lands in run_forever as KeyboardInterrupt: leaving both blocks stops the servers.
            with networks, contextlib.suppress(KeyboardInterrupt):
                self._announce(networks)
                networks.run_forever(
                    options["interval"], stop=stop, on_tick=self._log_tick, max_ticks=options["ticks"]
                )
        finally:
            restore()
        self.stdout.write("Demo networks stopped.")

    def _announce(self, networks: DemoNetworks) -> None:
        self.stdout.write(
            f"Demo networks up: Facebook and Instagram on {networks.base_url('facebook')}, "
            f"X on {networks.base_url('x')}, LinkedIn on {networks.base_url('linkedin')}, "
            f"Mastodon on {networks.base_url('mastodon')} (seed {networks.seed})."
        )
        self.stdout.write(
            f"Bluesky on {networks.base_url('bluesky')}, its Jetstream on "
            f"{networks.addresses.jetstream_url}; Threads on {networks.base_url('threads')}."
        )
        self.stdout.write(f"YouTube (Data API v3 and Google sign-in) on {networks.base_url('youtube')}.")
        self.stdout.write(f"Google Business Profile (reviews) on {networks.base_url('google_business')}.")
        if networks.webhook_base:
            self.stdout.write(f"Webhooks pushed to {networks.webhook_base}/webhooks/<network>/.")
        self.stdout.flush()

    def _log_tick(self, number: int, counts: dict[str, int]) -> None:
        added = ", ".join(f"{network} +{count}" for network, count in counts.items())
        self.stdout.write(f"[fakes {time.strftime('%H:%M:%S')}] tick {number}: {added}")
        self.stdout.flush()  # a line per tick, even when the output is a pipe


def _stop_on_sigterm(stop: threading.Event) -> Callable[[], object]:
    """SIGTERM (what scripts/run sends) stops the loop like Ctrl-C; returns how to put the old handler back.
    Signals can only be handled in the main thread; elsewhere (a test's thread) there is nothing to do."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    return lambda: signal.signal(signal.SIGTERM, previous)
