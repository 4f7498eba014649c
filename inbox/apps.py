import importlib

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

_FTS_TRIGGERS = {"inbox_message_fts_insert", "inbox_message_fts_delete", "inbox_message_fts_update"}


def ensure_sqlite_search_index(using: str = "default", **kwargs) -> None:
    """On SQLite, put back the FTS5 triggers when a migration rebuilt inbox_message (Django rebuilds the
    table for most ALTERs there, and the triggers go with the old table), then reindex. A no-op when they
    are in place, before migration inbox 0004 has run, and on PostgreSQL."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    fts = importlib.import_module("inbox.migrations.0004_message_search_accents_and_fts5")
    applied = MigrationRecorder(connection).applied_migrations()
    if ("inbox", fts.__name__.rsplit(".", 1)[1]) not in applied:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'inbox_message'")
        if {row[0] for row in cursor.fetchall()} >= _FTS_TRIGGERS:
            return
        for statement in fts.SQLITE_CREATE:  # IF NOT EXISTS throughout, then a full rebuild
            cursor.execute(statement)


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from core import waiting
        from inbox import receivers  # noqa: F401 - stores what networks fetch
        from inbox.waiting import replies_awaiting_approval

        waiting.register("replies", replies_awaiting_approval)

        post_migrate.connect(ensure_sqlite_search_index, sender=self)
