"""Re-encrypt every stored secret with the newest key in CREDENTIAL_KEYS.

Rotation: put a new key first in CREDENTIAL_KEYS (keep the old ones after it), deploy, run this command,
then drop the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import crypto
from networks.models import Channel, NetworkApp

# (model, encrypted column): every column written by an Encrypted*Field.
ENCRYPTED_COLUMNS = [(Channel, "credentials"), (NetworkApp, "client_secret")]


class Command(BaseCommand):
    help = "Re-encrypt stored credentials with the newest key in CREDENTIAL_KEYS."

    def handle(self, *args, **options) -> None:
        total = 0
        for model, column in ENCRYPTED_COLUMNS:
            table = model._meta.db_table
            quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
            with transaction.atomic():
                # Raw tokens, not decoded values: rotating never needs the secret in clear in Python objects.
                rows = model.objects.select_for_update().values_list("pk", flat=True)
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
