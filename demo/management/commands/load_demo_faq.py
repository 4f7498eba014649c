"""Load the demo bakery's FAQ into the `demo` workspace. Idempotent; refuses unless CMHUB_DEMO is on."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Workspace
from demo.faq import faq_load_demo


class Command(BaseCommand):
    help = "Load the demo bakery FAQ into the demo workspace. Only where CMHUB_DEMO=1."

    def handle(self, *args, **options) -> None:
        if not settings.CMHUB_DEMO:
            raise CommandError("Refusing to load demo data: set CMHUB_DEMO=1 (never in production).")
        workspace = Workspace.objects.filter(slug="demo").first()
        if workspace is None:
            raise CommandError("No demo workspace: run `manage.py seed_demo` first.")
        count = faq_load_demo(workspace=workspace)
        self.stdout.write(self.style.SUCCESS(f"Demo FAQ ready: {count} entries in {workspace.name}."))
