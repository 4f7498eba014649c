"""``manage.py export_triage_eval <workspace-slug> <directory>``: the workspace's corrected messages and
its FAQ as an evaluation set (``python -m assistant.eval.run --workspace-set <directory>``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Workspace
from assistant.eval_export import write_eval_set


class Command(BaseCommand):
    help = "Export a workspace's triage corrections and FAQ in the assistant evaluation format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="the workspace's slug")
        parser.add_argument("directory", type=Path, help="where to write faq.json and messages.jsonl")

    def handle(self, *args, workspace: str, directory: Path, **options) -> None:
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        entries, messages = write_eval_set(found, directory)
        self.stdout.write(f"{messages} corrected messages and {entries} FAQ entries written to {directory}.")
