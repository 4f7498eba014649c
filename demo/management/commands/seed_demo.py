"""The demo workspace and its people. Idempotent; refuses to run unless CMHUB_DEMO is on.

Demo users have a published password: they must never exist in production.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, User, Workspace
from accounts.services import user_create

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published on purpose: demo only, refused elsewhere
Role = Membership.Role

WORKSPACES = [
    {"slug": "demo", "name": "Demo Bakery", "timezone": "Europe/Paris", "default_language": "fr"},
    {"slug": "other", "name": "Other Brand", "timezone": "America/New_York", "default_language": "en"},
]
PEOPLE = [
    # email, display name, superuser, {workspace slug: role}
    ("admin@demo.test", "Alice Admin", True, {"demo": Role.ADMIN}),
    ("manager@demo.test", "Marc Manager", False, {"demo": Role.MANAGER}),
    ("agent@demo.test", "Ada Agent", False, {"demo": Role.AGENT, "other": Role.AGENT}),
    ("owner@other.test", "Olga Other", False, {"other": Role.ADMIN}),
]


class Command(BaseCommand):
    help = "Create (or bring back) the demo workspaces and users. Only where CMHUB_DEMO=1."

    def handle(self, *args, **options) -> None:
        if not settings.CMHUB_DEMO:
            raise CommandError("Refusing to seed demo users: set CMHUB_DEMO=1 (never in production).")
        with transaction.atomic():
            workspaces = {}
            for spec in WORKSPACES:
                ws, _created = Workspace.objects.update_or_create(slug=spec["slug"], defaults=spec)
                workspaces[ws.slug] = ws
            for email, name, superuser, roles in PEOPLE:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = user_create(
                        email=email,
                        password=DEMO_PASSWORD,
                        display_name=name,
                        is_staff=superuser,
                        is_superuser=superuser,
                    )
                for slug, role in roles.items():
                    Membership.objects.update_or_create(
                        user=user, workspace=workspaces[slug], defaults={"role": role}
                    )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for email, _name, _superuser, roles in PEOPLE:
            self.stdout.write(
                f"  {email:<22} {DEMO_PASSWORD}   ({', '.join(f'{r} of {s}' for s, r in roles.items())})"
            )
