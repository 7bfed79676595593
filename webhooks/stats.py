"""Hourly outcome counters (DeliveryStat), written by the engine as it records attempts
(webhooks.selectors reads them for the dashboard and the webhook pages)."""

from collections import Counter
from datetime import datetime

from django.db import connection

from webhooks.models import DeliveryStat

__all__ = ["count_outcomes"]


def count_outcomes(
    *,
    station_of: dict[int, int],
    delivered: Counter,
    failed: Counter,
    retried: Counter,
    now: datetime,
) -> None:
    """Add one batch's outcomes (per webhook id) to the current hour's counters, with one
    upsert per webhook, in the caller's transaction."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    rows = [
        (
            webhook_id,
            station_id,
            hour,
            delivered[webhook_id],
            failed[webhook_id],
            retried[webhook_id],
        )
        for webhook_id, station_id in sorted(station_of.items())  # lock order: by webhook
        if delivered[webhook_id] or failed[webhook_id] or retried[webhook_id]
    ]
    if not rows:
        return
    table = connection.ops.quote_name(DeliveryStat._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (webhook_id, station_id, hour, delivered, failed, retried) "
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (webhook_id, hour) DO UPDATE SET "
            f"delivered = {table}.delivered + EXCLUDED.delivered, "
            f"failed = {table}.failed + EXCLUDED.failed, "
            f"retried = {table}.retried + EXCLUDED.retried",
            rows,
        )
