from django.core.management.base import BaseCommand
from django.db import connection, transaction

from webhooks.encryption import reencrypt
from webhooks.models import Webhook


class Command(BaseCommand):
    help = (
        "Re-encrypt every webhook secret and key with the first key of "
        "STATIONHOOKS_ENCRYPTION_KEYS (step 2 of a key rotation)."
    )

    def handle(self, *args, **options):
        table = connection.ops.quote_name(Webhook._meta.db_table)
        columns = Webhook.ENCRYPTED_FIELDS
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table}")
            rows = cursor.fetchall()
            for pk, *values in rows:
                cursor.execute(
                    f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s",
                    [*(reencrypt(v) if v else v for v in values), pk],
                )
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {len(rows)} webhooks."))
