"""Rebuild the reporting facts of one workspace (or all) from stored messages: deletes, then rewrites."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Workspace
from reports.services import facts_rebuild


class Command(BaseCommand):
    help = "Rebuild the reporting facts of a workspace from its stored messages (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="slug; every workspace when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
        for workspace in workspaces:
            written = facts_rebuild(workspace=workspace)
            self.stdout.write(f"{workspace.slug}: {written} facts")
