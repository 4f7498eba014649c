"""Keep the networks' streaming connections open and store what they push (networks.streams)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from networks.streams import RECONCILE_EVERY, Supervisor


class Command(BaseCommand):
    help = (
        "Keep every streaming connection the connected channels call for open (Mastodon, Bluesky), "
        "and store what they push. One process per deployment is enough; a second one is harmless."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reconcile-every",
            type=float,
            default=RECONCILE_EVERY,
            help=f"Seconds between looks for channels connected or paused (default {RECONCILE_EVERY:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        supervisor = Supervisor(reconcile_every=options["reconcile_every"])

        def stop(signum: int, frame: Any) -> None:
            supervisor.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Streaming consumer running (Ctrl-C stops it).")
        supervisor.run()
        self.stdout.write("Streaming consumer stopped.")
