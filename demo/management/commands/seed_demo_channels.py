"""Wire the demo workspace to the local network fakes: the deployment's apps (NetworkApp rows pointing at
the fakes) and one channel per network, connected with the fakes' published demo tokens. Idempotent; run
after seed_demo, and only where CMHUB_DEMO is on.

Re-running reconnects the channels (fresh credentials, active again, errors cleared) and keeps their
cursors and what they have stored: a restarted demo world hands out new ids above the old ones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User, Workspace
from demo.addresses import add_address_arguments, addresses_from
from demo.world import DEMO_ACCOUNTS, DEMO_APPS, DemoAddresses
from networks.models import NetworkApp, QuotaLedger, ServerApp
from networks.providers import base as p
from networks.providers.mastodon_auth import qualified_id
from networks.services import channel_connect
from networks.tasks import enqueue_webhook_subscribe

DEMO_WORKSPACE = "demo"
DEMO_ADMIN = "admin@demo.test"


class Command(BaseCommand):
    help = "Connect the demo workspace to the local network fakes (run_fakes). Only where CMHUB_DEMO=1."

    def add_arguments(self, parser: CommandParser) -> None:
        add_address_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CMHUB_DEMO:
            raise CommandError(
                "Refusing to wire demo channels: set CMHUB_DEMO=1 (never in production: the demo tokens "
                "and app secrets are published)."
            )
        workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE).first()
        if workspace is None:
            raise CommandError(f"No workspace '{DEMO_WORKSPACE}': run `manage.py seed_demo` first.")
        addresses = addresses_from(options)
        admin = User.objects.filter(email=DEMO_ADMIN).first()
        with transaction.atomic():
            self._apps(addresses)
            for network, account in DEMO_ACCOUNTS.items():
                expires_at = timezone.now() + account.token_lifetime if account.token_lifetime else None
                external_id = account.external_id
                if network == "mastodon":  # an account id is unique on its instance only: "<id>@<host>"
                    external_id = qualified_id(external_id, addresses.base_url(network))
                channel = channel_connect(
                    workspace=workspace,
                    network=network,
                    external_id=external_id,
                    name=account.name,
                    handle=account.handle,
                    api_base_url=addresses.base_url(network),
                    credentials=p.Credentials(
                        access_token=account.access_token,
                        refresh_token=account.refresh_token,
                        expires_at=expires_at,
                        scopes=account.scopes,
                    ),
                    scopes_requested=account.scopes,
                    by=admin,
                )
                if network in ("facebook", "instagram"):
                    enqueue_webhook_subscribe(channel.pk)  # as connecting a Page or its account does
                self.stdout.write(f"  {channel}  ->  {channel.api_base_url}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo channels wired to the fakes in workspace '{workspace.slug}'.")
        )

    def _apps(self, addresses: DemoAddresses) -> None:
        """The deployment's app per network, as the fakes know it: the consent pages and token endpoints
        live on the fakes too, so connecting and reconnecting work as they would on the real networks."""
        # The demo's Mastodon instance forgets the apps registered on it whenever it restarts: forget them
        # too, so the next connection there registers CM Hub again instead of offering an unknown client.
        ServerApp.objects.filter(network="mastodon", server_url=addresses.base_url("mastodon")).delete()
        # A quota the demo fake said was spent (demo_fault youtube rate-limit) is the fake's word, not a
        # real project's: wiring the demo again forgets it, so its YouTube channel polls again at once.
        QuotaLedger.objects.filter(network="youtube", project=DEMO_APPS["youtube"].client_id).update(
            exhausted_at=None
        )
        for network, app in DEMO_APPS.items():
            base_url = addresses.base_url(network)
            NetworkApp.objects.update_or_create(
                network=network,
                defaults={
                    "client_id": app.client_id,
                    "client_secret": app.client_secret,
                    "api_base_url": base_url,
                    "oauth_base_url": base_url,
                    "webhook_verify_token": app.webhook_verify_token,
                },
            )
