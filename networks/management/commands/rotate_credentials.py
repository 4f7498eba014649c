"""Re-encrypt every stored secret with the newest key in CREDENTIAL_KEYS.

Rotation: put a new key first in CREDENTIAL_KEYS (keep the old ones after it), deploy, run this command,
then drop the old keys. The connect flows waiting in people's sessions (a consent page still open, accounts
not chosen yet) are re-encrypted too, so they finish after the old key is gone.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db import connection, models, transaction
from django.utils import timezone

from core import crypto
from networks import connect
from networks.models import Channel, NetworkApp, ServerApp

#: Session engines whose sessions are rows of django_session, so every live one can be listed.
DATABASE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)

# (model, encrypted column): every column written by an Encrypted*Field (apps above networks register
# theirs with core.crypto.register_encrypted_column).
ENCRYPTED_COLUMNS: list[tuple[type[models.Model], str]] = [
    (Channel, "credentials"),
    (NetworkApp, "client_secret"),
    (NetworkApp, "webhook_verify_token"),
    (ServerApp, "client_secret"),
]


class Command(BaseCommand):
    help = "Re-encrypt stored credentials with the newest key in CREDENTIAL_KEYS."

    def handle(self, *args, **options) -> None:
        total = 0
        for model, column in [*ENCRYPTED_COLUMNS, *crypto.registered_encrypted_columns()]:
            table = model._meta.db_table
            quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
            with transaction.atomic():
                # Raw tokens, not decoded values: rotating never needs the secret in clear in Python objects.
                rows = model._default_manager.select_for_update().values_list("pk", flat=True)
                with connection.cursor() as cursor:
                    for pk in rows:
                        cursor.execute(f"SELECT {quoted_column} FROM {quoted_table} WHERE id = %s", [pk])  # noqa: S608
                        (token,) = cursor.fetchone()
                        if not token:
                            continue
                        cursor.execute(
                            f"UPDATE {quoted_table} SET {quoted_column} = %s WHERE id = %s",  # noqa: S608
                            [crypto.rotate(token), pk],
                        )
                        total += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} value(s) with the newest key."))
        self._rotate_connect_flows()

    def _rotate_connect_flows(self) -> None:
        if settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
            minutes = connect.STATE_TTL // 60
            self.stdout.write(
                self.style.WARNING(
                    f"Sessions are not kept in the database ({settings.SESSION_ENGINE}): a connection "
                    f"started before now needs the old key until it ends. Wait {minutes} minutes before "
                    "dropping it."
                )
            )
            return
        store_class = import_module(settings.SESSION_ENGINE).SessionStore
        cached = hasattr(store_class, "cache_key_prefix")
        cached_copies = caches[settings.SESSION_CACHE_ALIAS] if cached else None
        flows = 0
        for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            data = row.get_decoded()
            changed = connect.rotate_flows(data)
            if not changed:
                continue
            # The row is written as it is, expiry included: rotating keys must not lengthen anyone's session.
            Session.objects.filter(pk=row.pk).update(session_data=Session.objects.encode(data))
            if cached_copies is not None:  # cached_db: the cached copy still holds the old blob
                cached_copies.delete(store_class.cache_key_prefix + row.session_key)
            flows += changed
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {flows} connection(s) in progress."))
