"""Break a demo network on purpose, to watch CM Hub cope: `manage.py demo_fault facebook expire-token`.

Talks to the running fakes (`make run` or `manage.py run_fakes`) over their HTTP control API; see
demo.faults for what each fault sends and what it should look like in the product.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.addresses import add_address_arguments, addresses_from
from demo.faults import DEFAULT_RESET_IN, FAULTS, fault_plan
from demo.world import DEMO_ACCOUNTS

CONTROL_TIMEOUT = 5.0


class Command(BaseCommand):
    help = (
        "Inject a fault into a running demo network fake: expired token, rate limit, server errors, or reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("network", choices=list(DEMO_ACCOUNTS))
        parser.add_argument("fault", choices=FAULTS)
        parser.add_argument(
            "--times",
            type=int,
            default=0,
            help="server-error: how many answers fail (default: enough for the next poll to fail once)",
        )
        parser.add_argument(
            "--reset-in",
            type=int,
            default=DEFAULT_RESET_IN,
            help=f"rate-limit: seconds until calls go through again (default {DEFAULT_RESET_IN}; "
            "Graph counts in minutes, LinkedIn gives no reset time)",
        )
        add_address_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        network, fault = options["network"], options["fault"]
        plan = fault_plan(network, fault, times=options["times"], reset_in=options["reset_in"])
        base_url = addresses_from(options).base_url(network)
        # Loopback only: no proxy from the environment may stand between us and the fakes.
        with httpx.Client(timeout=CONTROL_TIMEOUT, trust_env=False) as http:
            for action, payload in plan.calls:
                try:
                    response = http.post(f"{base_url}/_fake/{action}", json=payload)
                except httpx.TransportError as exc:
                    raise CommandError(
                        f"No demo fake answers at {base_url} ({exc.__class__.__name__}). Start them with "
                        "`make run` or `manage.py run_fakes` (same --host and ports)."
                    ) from exc
                if response.status_code != 200:
                    raise CommandError(f"The {network} fake refused '{action}': {response.text}")
        self.stdout.write(plan.effect)
